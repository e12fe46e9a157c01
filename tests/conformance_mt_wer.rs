//! Conformance of BLEU / chrF / chrF++ (sacrebleu 2.6.0) and the WER family (jiwer 4.0.0) on every
//! pair and corpus in `tests/data/conformance/`. Expected values come from
//! `scripts/conformance/expected_mt_wer.py` (committed output `mt_wer_expected.jsonl`).

mod support;

use std::collections::HashMap;
use std::path::PathBuf;

use evalgate::unstable::metrics::bleu::{corpus_bleu, sentence_bleu};
use evalgate::unstable::metrics::chrf::{corpus_chrf, sentence_chrf};
use evalgate::unstable::metrics::wer::{
    WerCounts, char_counts, char_errors, normalized_char_counts, normalized_word_counts,
    pooled_counts, word_counts,
};
use evalgate::unstable::metrics::{MetricRegistry, ScoringItem, ScoringOptions};
use serde_json::Value;

/// Tolerance on the 0–100 scale (BLEU, chrF).
const TOL_100: f64 = 1e-9;
/// Tolerance on ratios (WER family).
const TOL_RATIO: f64 = 1e-12;

struct Pair {
    id: String,
    prediction: String,
    references: Vec<String>,
}

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/conformance")
}

fn read_jsonl(name: &str) -> Vec<Value> {
    support::read_jsonl(&data_dir().join(name))
}

fn load_pairs() -> Vec<Pair> {
    read_jsonl("pairs.jsonl")
        .into_iter()
        .map(|v| {
            let mut references = vec![v["reference"].as_str().unwrap().to_string()];
            if let Some(more) = v.get("more_references").and_then(Value::as_array) {
                references.extend(more.iter().map(|r| r.as_str().unwrap().to_string()));
            }
            Pair {
                id: v["id"].as_str().unwrap().to_string(),
                prediction: v["prediction"].as_str().unwrap().to_string(),
                references,
            }
        })
        .collect()
}

/// The pairs a corpus of `corpora.jsonl` lists (`pair_ids`), in its order.
fn corpus_pairs<'a>(pairs: &'a [Pair], corpus: &Value) -> Vec<&'a Pair> {
    let by_id: HashMap<&str, &Pair> = pairs.iter().map(|p| (p.id.as_str(), p)).collect();
    corpus["pair_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| by_id[p.as_str().unwrap()])
        .collect()
}

fn expected(kind: &str) -> HashMap<String, Value> {
    read_jsonl("mt_wer_expected.jsonl")
        .into_iter()
        .filter(|v| v["kind"] == kind)
        .map(|v| (v["id"].as_str().unwrap().to_string(), v))
        .collect()
}

fn counts_json(c: &WerCounts) -> Value {
    serde_json::json!([c.hits, c.substitutions, c.deletions, c.insertions])
}

/// Compares one metric value, recording a readable failure line.
fn check(failures: &mut Vec<String>, what: &str, key: &str, got: f64, want: &Value, tol: f64) {
    let want = want[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: expected file lacks `{key}`"));
    if (got - want).abs() > tol {
        failures.push(format!(
            "{what} {key}: got {got:.15}, sacrebleu/jiwer {want:.15}"
        ));
    }
}

fn check_wer_family(
    failures: &mut Vec<String>,
    what: &str,
    want: &Value,
    words: &WerCounts,
    chars: &WerCounts,
    norm_words: &WerCounts,
    norm_chars: &WerCounts,
) {
    if counts_json(words) != want["word"] {
        failures.push(format!(
            "{what} word counts [H,S,D,I]: got {}, jiwer {}",
            counts_json(words),
            want["word"]
        ));
    }
    if counts_json(chars) != want["char"] {
        failures.push(format!(
            "{what} char counts [H,S,D,I]: got {}, jiwer {}",
            counts_json(chars),
            want["char"]
        ));
    }
    check(failures, what, "wer", words.wer(), want, TOL_RATIO);
    check(failures, what, "mer", words.mer(), want, TOL_RATIO);
    check(failures, what, "wil", words.wil(), want, TOL_RATIO);
    check(failures, what, "cer", chars.wer(), want, TOL_RATIO);
    check(
        failures,
        what,
        "wer_norm",
        norm_words.wer(),
        want,
        TOL_RATIO,
    );
    check(
        failures,
        what,
        "cer_norm",
        norm_chars.wer(),
        want,
        TOL_RATIO,
    );
}

/// Compares every sentence-level value of one prediction `p` with its references `refs` (the
/// WER family against the first).
fn check_sentence(failures: &mut Vec<String>, what: &str, want: &Value, p: &str, refs: &[&str]) {
    check(
        failures,
        what,
        "bleu",
        sentence_bleu(p, refs),
        want,
        TOL_100,
    );
    check(
        failures,
        what,
        "chrf",
        sentence_chrf(p, refs, 0),
        want,
        TOL_100,
    );
    let chrf_pp = sentence_chrf(p, refs, 2);
    check(failures, what, "chrf_pp", chrf_pp, want, TOL_100);
    let r = refs[0];
    check_wer_family(
        failures,
        what,
        want,
        &word_counts(r, p),
        &char_counts(r, p),
        &normalized_word_counts(r, p),
        &normalized_char_counts(r, p),
    );
    let fast = char_errors(r, p).rate();
    check(
        failures,
        &format!("{what} (distance only)"),
        "cer",
        fast,
        want,
        TOL_RATIO,
    );
}

fn report(failures: Vec<String>, checked: usize) {
    assert!(
        failures.is_empty(),
        "{} of {checked} cases disagree with the reference packages:\n{}",
        failures.len(),
        support::first_lines(&failures)
    );
}

#[test]
fn every_pair_matches_sacrebleu_and_jiwer() {
    let pairs = load_pairs();
    let expected = expected("pair");
    assert!(pairs.len() >= 300, "only {} pairs", pairs.len());
    let mut failures = Vec::new();
    for pair in &pairs {
        let want = expected
            .get(&pair.id)
            .unwrap_or_else(|| panic!("no expected values for pair `{}`", pair.id));
        let refs: Vec<&str> = pair.references.iter().map(String::as_str).collect();
        let what = format!("pair {}", pair.id);
        check_sentence(&mut failures, &what, want, &pair.prediction, &refs);
    }
    report(failures, pairs.len());
}

/// Pairs stored with their expectations: large tiny-alphabet pairs (rapidfuzz's Hirschberg tie
/// breaking) and seeded random pairs of awkward characters.
#[test]
fn inline_pairs_match_sacrebleu_and_jiwer() {
    let expected = expected("pair_inline");
    assert!(
        expected.len() >= 400,
        "only {} inline pairs",
        expected.len()
    );
    let mut failures = Vec::new();
    for (id, want) in &expected {
        let p = want["prediction"].as_str().unwrap();
        let r = want["reference"].as_str().unwrap();
        let mut refs = vec![r];
        if let Some(more) = want["more_references"].as_array() {
            refs.extend(more.iter().map(|m| m.as_str().unwrap()));
        }
        let what = format!("inline pair {id}");
        check_sentence(&mut failures, &what, want, p, &refs);
    }
    report(failures, expected.len());
}

#[test]
fn every_corpus_matches_sacrebleu_and_jiwer() {
    let pairs = load_pairs();
    let expected = expected("corpus");
    let corpora = read_jsonl("corpora.jsonl");
    assert!(corpora.len() >= 15, "only {} corpora", corpora.len());
    let mut failures = Vec::new();
    for corpus in &corpora {
        let id = corpus["id"].as_str().unwrap();
        let want = expected
            .get(id)
            .unwrap_or_else(|| panic!("no expected values for corpus `{id}`"));
        let items = corpus_pairs(&pairs, corpus);
        let hyps: Vec<&str> = items.iter().map(|p| p.prediction.as_str()).collect();
        let refs: Vec<Vec<&str>> = items
            .iter()
            .map(|p| p.references.iter().map(String::as_str).collect())
            .collect();
        let first: Vec<&str> = refs.iter().map(|r| r[0]).collect();
        let what = format!("corpus {id}");
        check(
            &mut failures,
            &what,
            "bleu",
            corpus_bleu(&hyps, &refs),
            want,
            TOL_100,
        );
        check(
            &mut failures,
            &what,
            "chrf",
            corpus_chrf(&hyps, &refs, 0),
            want,
            TOL_100,
        );
        check(
            &mut failures,
            &what,
            "chrf_pp",
            corpus_chrf(&hyps, &refs, 2),
            want,
            TOL_100,
        );
        check_wer_family(
            &mut failures,
            &what,
            want,
            &pooled_counts(&first, &hyps, word_counts),
            &pooled_counts(&first, &hyps, char_counts),
            &pooled_counts(&first, &hyps, normalized_word_counts),
            &pooled_counts(&first, &hyps, normalized_char_counts),
        );
    }
    report(failures, corpora.len());
}

/// The registered metric families give the same per-item and dataset values as the pure API.
#[test]
fn registry_metrics_match_expected_values_on_a_corpus() {
    let pairs = load_pairs();
    let expected_pairs = expected("pair");
    let expected_corpora = expected("corpus");
    let corpus = read_jsonl("corpora.jsonl")
        .into_iter()
        .find(|c| c["id"] == "mixed_with_empty_items")
        .expect("corpus mixed_with_empty_items");
    let items = corpus_pairs(&pairs, &corpus);
    let metadata = Value::Null;
    let scoring: Vec<ScoringItem<'_>> = items
        .iter()
        .map(|p| ScoringItem {
            id: &p.id,
            input: "",
            prediction: &p.prediction,
            references: &p.references,
            metadata: &metadata,
            generation: None,
        })
        .collect();
    let ids = [
        "bleu", "chrf", "chrf_pp", "wer", "mer", "wil", "cer", "wer_norm", "cer_norm",
    ];
    let registry = MetricRegistry::builtin();
    let values = registry
        .score(&scoring, &ids, &ScoringOptions::default())
        .expect("scoring succeeds");
    let want_corpus = &expected_corpora["mixed_with_empty_items"];
    for id in ids {
        let v = &values[id];
        let tol = if ["bleu", "chrf", "chrf_pp"].contains(&id) {
            TOL_100
        } else {
            TOL_RATIO
        };
        let want = want_corpus[id].as_f64().unwrap();
        assert!(
            (v.aggregate - want).abs() <= tol,
            "{id} aggregate {} vs {want}",
            v.aggregate
        );
        for (item, got) in items.iter().zip(&v.per_item) {
            let want = expected_pairs[&item.id][id].as_f64().unwrap();
            let got = got.expect("every item has a value");
            assert!(
                (got - want).abs() <= tol,
                "{id} item {}: {got} vs {want}",
                item.id
            );
        }
    }
}

#[test]
fn items_without_references_are_a_clear_error() {
    let metadata = Value::Null;
    let no_refs: Vec<String> = Vec::new();
    let items = [ScoringItem {
        id: "ep07",
        input: "",
        prediction: "hello",
        references: &no_refs,
        metadata: &metadata,
        generation: None,
    }];
    for id in ["bleu", "chrf", "wer"] {
        let err = MetricRegistry::builtin()
            .score(&items, &[id], &ScoringOptions::default())
            .expect_err("missing reference must fail")
            .to_string();
        assert!(err.contains("ep07") && err.contains(id), "{err}");
    }
}

#[test]
fn parameters_for_fixed_metrics_are_rejected() {
    let metadata = Value::Null;
    let refs = vec!["hello world".to_string()];
    let items = [ScoringItem {
        id: "ep01",
        input: "",
        prediction: "hello",
        references: &refs,
        metadata: &metadata,
        generation: None,
    }];
    let mut options = ScoringOptions::default();
    options
        .params
        .insert("chrf".to_string(), serde_json::json!({"beta": 3}));
    let err = MetricRegistry::builtin()
        .score(&items, &["chrf"], &options)
        .expect_err("a parameter that would be ignored must fail")
        .to_string();
    assert!(
        err.contains("`metric_params.chrf`") && err.contains("takes no parameters"),
        "{err}"
    );
    // Other metrics' parameters do not matter.
    let values = MetricRegistry::builtin()
        .score(&items, &["wer"], &options)
        .expect("wer has no parameters set");
    assert_eq!(values["wer"].per_item, vec![Some(0.5)]);
}

//! Speed of BLEU, chrF and the WER family on the conformance data (no Python needed).
//!
//! `cargo bench --bench mt_wer` prints microseconds per pair on the twenty 300-word transcript
//! pairs (`asr300_*`) and milliseconds per corpus on the 2,000-pair corpus (`bulk_2000`).
//! `python3 scripts/conformance/bench_mt_wer.py` prints the same figures for sacrebleu / jiwer.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use evalgate::unstable::metrics::bleu::{corpus_bleu, sentence_bleu};
use evalgate::unstable::metrics::chrf::{corpus_chrf, sentence_chrf};
use evalgate::unstable::metrics::wer::{
    char_counts, corpus_char_counts, corpus_word_counts, word_counts,
};
use serde_json::Value;

fn load(name: &str) -> Vec<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/conformance")
        .join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).expect("valid JSON line"))
        .collect()
}

/// Best of five timed rounds of `rounds` calls of `f`, per call.
fn time_per_call(rounds: usize, mut f: impl FnMut()) -> Duration {
    f();
    (0..5)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..rounds {
                f();
            }
            start.elapsed() / rounds as u32
        })
        .min()
        .expect("five rounds")
}

fn main() {
    let pairs = load("pairs.jsonl");
    let text = |v: &Value, k: &str| v[k].as_str().expect("string field").to_string();
    let long: Vec<(String, String)> = pairs
        .iter()
        .filter(|p| p["id"].as_str().is_some_and(|id| id.starts_with("asr300_")))
        .map(|p| (text(p, "prediction"), text(p, "reference")))
        .collect();
    let bulk: Vec<(String, String)> = pairs
        .iter()
        .filter(|p| p["id"].as_str().is_some_and(|id| id.starts_with("bulk_")))
        .map(|p| (text(p, "prediction"), text(p, "reference")))
        .collect();
    assert_eq!(long.len(), 20);
    assert_eq!(bulk.len(), 2000);

    println!(
        "per pair, {} pairs of 300 words (microseconds):",
        long.len()
    );
    let per_pair = |name: &str, f: &dyn Fn(&str, &str)| {
        let t = time_per_call(20, || {
            for (h, r) in &long {
                f(h, r);
            }
        });
        println!(
            "  {name:<14} {:>10.1}",
            t.as_secs_f64() * 1e6 / long.len() as f64
        );
    };
    per_pair("sentence_bleu", &|h, r| {
        black_box(sentence_bleu(h, &[r]));
    });
    per_pair("sentence_chrf", &|h, r| {
        black_box(sentence_chrf(h, &[r], 0));
    });
    per_pair("sentence_chrf++", &|h, r| {
        black_box(sentence_chrf(h, &[r], 2));
    });
    per_pair("wer", &|h, r| {
        black_box(word_counts(r, h));
    });
    per_pair("cer", &|h, r| {
        black_box(char_counts(r, h));
    });

    let hyps: Vec<&str> = bulk.iter().map(|(h, _)| h.as_str()).collect();
    let refs: Vec<Vec<&str>> = bulk.iter().map(|(_, r)| vec![r.as_str()]).collect();
    let first: Vec<&str> = bulk.iter().map(|(_, r)| r.as_str()).collect();
    println!("per corpus, {} pairs (milliseconds):", bulk.len());
    let per_corpus = |name: &str, f: &dyn Fn()| {
        let t = time_per_call(3, f);
        println!("  {name:<14} {:>10.2}", t.as_secs_f64() * 1e3);
    };
    per_corpus("corpus_bleu", &|| {
        black_box(corpus_bleu(&hyps, &refs));
    });
    per_corpus("corpus_chrf", &|| {
        black_box(corpus_chrf(&hyps, &refs, 0));
    });
    per_corpus("corpus_chrf++", &|| {
        black_box(corpus_chrf(&hyps, &refs, 2));
    });
    per_corpus("corpus_wer", &|| {
        black_box(corpus_word_counts(&first, &hyps));
    });
    per_corpus("corpus_cer", &|| {
        black_box(corpus_char_counts(&first, &hyps));
    });
}

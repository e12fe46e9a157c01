//! End-to-end behaviour of the harness on a small project made in a temp folder: baselines
//! missing → pending, accept, regression, fingerprint mismatch, tampered dataset, outputs.

mod support;

use std::path::{Path, PathBuf};

use evalgate::Harness;
use evalgate::results::{CheckStatus, RunResults};
use evalgate::unstable::metrics::{
    Direction, Metric, MetricDef, MetricValues, ScoringItem, ScoringOptions,
};
use evalgate::unstable::systems::{Generation, System, SystemRequest};

/// Outputs the first sentence of the input.
struct FirstSentence;

impl System for FirstSentence {
    fn fingerprint(&self) -> serde_json::Value {
        serde_json::json!({"kind": "rust", "name": "first_sentence"})
    }
    fn generate(&self, request: &SystemRequest<'_>) -> evalgate::Result<Generation> {
        let end = request
            .input
            .find('.')
            .map_or(request.input.len(), |i| i + 1);
        Ok(Generation::text(&request.input[..end]))
    }
}

/// Fraction of reference words found in the prediction (a plugin metric for the test).
struct WordRecall;

impl Metric for WordRecall {
    fn definitions(&self) -> Vec<MetricDef> {
        vec![MetricDef {
            id: "word_recall".into(),
            direction: Direction::HigherIsBetter,
            reference_based: true,
            varies_by_machine: false,
            range: (Some(0.0), Some(1.0)),
            aggregation: "mean of per-item values",
            description: "share of reference words present in the prediction",
        }]
    }
    fn score(
        &self,
        items: &[ScoringItem<'_>],
        _: &[&str],
        _: &ScoringOptions,
    ) -> evalgate::Result<Vec<MetricValues>> {
        let per_item: Vec<Option<f64>> = items
            .iter()
            .map(|i| {
                let pred: Vec<String> = i
                    .prediction
                    .split_whitespace()
                    .map(|w| w.to_lowercase())
                    .collect();
                let refs: Vec<String> = i.references[0]
                    .split_whitespace()
                    .map(|w| w.to_lowercase())
                    .collect();
                let hit = refs.iter().filter(|w| pred.contains(w)).count();
                Some(hit as f64 / refs.len().max(1) as f64)
            })
            .collect();
        Ok(vec![MetricValues {
            id: "word_recall".into(),
            aggregate: evalgate::unstable::metrics::mean_of(&per_item),
            per_item,
        }])
    }
}

const SUITE: &str = r#"
[suite]
name = "demo"

[tiers.smoke]
datasets = ["demo_v1"]

[tiers.full]
datasets = ["demo_v1"]
ignored = true

[datasets.demo_v1]
systems = ["first"]
metrics = ["word_recall"]

[systems.first]
kind = "rust"

[checks.word_recall]
min = 0.1
vs_baseline = { max_drop = 0.01, severity = "error" }
"#;

struct Project {
    _tmp: tempfile::TempDir,
    root: PathBuf,
}

impl Project {
    fn new() -> Project {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        std::fs::write(root.join("evalgate.toml"), SUITE).unwrap();
        let ds = root.join("datasets/demo_v1");
        std::fs::create_dir_all(ds.join("inputs")).unwrap();
        std::fs::write(
            ds.join("inputs/a.txt"),
            "The cat sat on the mat. Then it slept.",
        )
        .unwrap();
        std::fs::write(
            ds.join("dataset.json"),
            r#"{"id": "demo_v1", "version": 1, "task": "summarization",
                "items": [
                  {"id": "a", "input_path": "inputs/a.txt", "references": ["the cat sat"]},
                  {"id": "b", "input": "Dogs bark loudly. Birds sing.", "references": ["dogs bark at night"]},
                  {"id": "c", "input": "Rain falls. Sun shines.", "references": ["rain falls"]}
                ]}"#,
        )
        .unwrap();
        evalgate::unstable::dataset::write_hashes(&ds).unwrap();
        Project { _tmp: tmp, root }
    }

    fn run(&self, filter: &str) -> evalgate::unstable::harness::RunOutcome {
        Harness::new()
            .config(self.root.join("evalgate.toml"))
            .output_dir(self.root.join("out"))
            .metric(WordRecall)
            .system("first", FirstSentence)
            .run(&support::quiet_args(
                &self.root.join("out"),
                &[filter, "--test-threads", "1"],
            ))
            .unwrap()
    }

    fn snap(&self) -> PathBuf {
        self.root.join("baselines/demo_v1__first.snap")
    }
}

fn pending(snap: &Path) -> PathBuf {
    PathBuf::from(format!("{}.new", snap.display()))
}

fn junit_cases(root: &Path) -> Vec<(String, Option<String>, Option<String>)> {
    let xml = std::fs::read_to_string(root.join("out/junit.xml")).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .map(|n| {
            let failure = n
                .children()
                .find(|c| c.has_tag_name("failure"))
                .and_then(|c| c.attribute("message").map(String::from));
            let skipped = n
                .children()
                .find(|c| c.has_tag_name("skipped"))
                .and_then(|c| c.attribute("message").map(String::from));
            (n.attribute("name").unwrap().to_string(), failure, skipped)
        })
        .collect()
}

#[test]
fn missing_baseline_is_ignored_then_accepted_then_regression_fails() {
    let p = Project::new();

    // 1. No baseline: vs_baseline ignored with the reason, a pending snapshot appears, min runs.
    let out = p.run("smoke");
    let c = &out.conclusion;
    assert_eq!((c.num_passed, c.num_failed, c.num_ignored), (1, 0, 1));
    assert!(pending(&p.snap()).exists());
    assert!(!p.snap().exists());
    let cases = junit_cases(&p.root);
    assert_eq!(
        cases.len() as u64,
        c.num_passed + c.num_failed + c.num_ignored
    );
    let vs = cases
        .iter()
        .find(|c| c.0 == "smoke::demo_v1::first::word_recall::vs_baseline")
        .unwrap();
    assert!(
        vs.2.as_deref()
            .unwrap()
            .contains("no baseline: run `cargo insta review`"),
        "{vs:?}"
    );

    // 2. Accept (what `cargo insta accept` does): the next run passes and leaves no pending file.
    std::fs::rename(pending(&p.snap()), p.snap()).unwrap();
    let out = p.run("smoke");
    assert_eq!(
        (out.conclusion.num_passed, out.conclusion.num_failed),
        (2, 0)
    );
    assert!(!pending(&p.snap()).exists());

    // 3. Raise the baseline well above the result: the vs_baseline trial fails with the numbers.
    let text = std::fs::read_to_string(p.snap()).unwrap();
    let current = out.results.as_ref().unwrap().evaluations[0].metrics["word_recall"].value;
    let raised = text.replace(
        &format!("\"word_recall\": {current}"),
        "\"word_recall\": 0.99",
    );
    assert_ne!(raised, text);
    std::fs::write(p.snap(), &raised).unwrap();
    let out = p.run("smoke");
    assert_eq!(out.conclusion.num_failed, 1);
    assert_eq!(
        out.conclusion.exit_code(),
        std::process::ExitCode::from(101)
    );
    let cases = junit_cases(&p.root);
    let failed = cases.iter().find(|c| c.1.is_some()).unwrap();
    let msg = failed.1.as_deref().unwrap();
    assert_eq!(failed.0, "smoke::demo_v1::first::word_recall::vs_baseline");
    for part in [
        "word_recall",
        "0.99 (baseline)",
        &format!("to {}", evalgate::unstable::numbers::fmt(current)),
        "0.01 absolute",
        "baselines/demo_v1__first.snap",
    ] {
        assert!(msg.contains(part), "`{part}` missing in: {msg}");
    }
    // The baseline was not rewritten by the run.
    assert_eq!(std::fs::read_to_string(p.snap()).unwrap(), raised);
    let results = RunResults::read(&p.root.join("out/results.json")).unwrap();
    assert_eq!(results.summary.failed, 1);
    let check = results.evaluations[0]
        .checks
        .iter()
        .find(|c| c.status == CheckStatus::Failed)
        .unwrap();
    assert_eq!(check.baseline, Some(0.99));
    assert!(check.line.is_some());
}

#[test]
fn changed_dataset_fails_with_the_item_and_rehash_is_a_fingerprint_mismatch() {
    let p = Project::new();
    p.run("smoke");
    std::fs::rename(pending(&p.snap()), p.snap()).unwrap();

    let input = p.root.join("datasets/demo_v1/inputs/a.txt");
    std::fs::write(&input, "The cat sat on the hat. Then it slept.").unwrap();
    let out = p.run("smoke");
    assert_eq!(out.conclusion.num_failed, 2);
    let results = out.results.unwrap();
    let err = results.evaluations[0].error.as_deref().unwrap();
    assert!(
        err.contains("(`a`)") && err.contains("input hash mismatch"),
        "{err}"
    );

    // A new dataset version with fresh hashes: the baseline no longer describes this data.
    evalgate::unstable::dataset::write_hashes(&p.root.join("datasets/demo_v1")).unwrap();
    let out = p.run("smoke");
    let results = out.results.unwrap();
    let vs = results.evaluations[0]
        .checks
        .iter()
        .find(|c| c.trial.ends_with("::vs_baseline"))
        .unwrap();
    assert_eq!(vs.status, CheckStatus::Failed);
    assert!(
        vs.message.contains("dataset content hash"),
        "{}",
        vs.message
    );
}

#[test]
fn full_tier_is_ignored_unless_asked_and_filters_select_pairs() {
    let p = Project::new();
    let out = p.run("demo_v1");
    // smoke runs (2 trials), full is listed but ignored.
    assert_eq!(out.conclusion.num_ignored, 1 + 2);
    let cases = junit_cases(&p.root);
    assert_eq!(cases.len(), 4);
    let skipped_full = cases
        .iter()
        .filter(|c| {
            c.0.starts_with("full::") && c.2.as_deref().unwrap_or("").contains("ignored tier")
        })
        .count();
    assert_eq!(skipped_full, 2);
}

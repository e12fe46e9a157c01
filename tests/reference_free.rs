//! Datasets without references: gates, latency and cost run on them and they get baselines;
//! a reference-based metric on one is an error when the suite loads (naming the metric, the
//! dataset and the suite line, also under `--list`); a dataset where only some items have
//! references is refused naming the first item without them; adding references to a
//! reference-free dataset is a measurement change; `evalgate dataset import` without
//! `--reference-field` makes one.

mod support;

use std::process::Command;

use evalgate::results::{BaselineStatus, CheckStatus};
use evalgate::unstable::dataset::Dataset;
use support::{Project, assert_contains};

/// A suite running gates and latency on the reference-free dataset `free_v1`.
const SUITE: &str = r#"[suite]
name = "free"
cache_dir = "cache"

[tiers.smoke]
datasets = ["free_v1"]

[datasets.free_v1]
systems = ["lead"]
metrics = ["truncation", "short_output", "repetition", "output_words_mean", "latency_p95_ms"]

[systems.lead]
kind = "builtin"
builtin = "lead_n"
params = { sentences = 1 }

[checks.truncation]
max = 0.5

[checks.output_words_mean]
vs_baseline = { max_drop = 100 }
"#;

/// The line of `metrics = [...]` in [`SUITE`].
const METRICS_LINE: u32 = 10;

const ITEMS: &str = r#"[
  {"id": "a", "input": "Alpha talks about bees. They make honey in the summer."},
  {"id": "b", "input": "Beta talks about bikes. The new lanes are wider than before."},
  {"id": "c", "input": "Gamma talks about rain. Rivers rise fast in the spring."}
]"#;

const SNAP: &str = "baselines/free_v1__lead.snap";

fn project() -> Project {
    let p = Project::new(SUITE);
    p.dataset("free_v1", ITEMS);
    p
}

#[test]
fn gates_and_latency_run_green_and_the_baseline_lists_no_references() {
    let p = project();
    let out = p.run(&[]);
    let c = &out.conclusion;
    // truncation max, output_words_mean vs_baseline (no baseline yet: ignored), and a
    // `computed` trial for each metric without a check. No reference metric, so no default
    // vs_baseline check.
    assert_eq!((c.num_passed, c.num_failed, c.num_ignored), (4, 0, 1));
    let results = out.results.unwrap();
    let evaluation = &results.evaluations[0];
    assert_eq!(evaluation.error, None);
    assert!(evaluation.fingerprint.reference_ids.is_empty());
    for metric in ["truncation", "latency_p95_ms", "output_words_mean"] {
        assert!(evaluation.metrics.contains_key(metric), "{metric} missing");
    }
    assert!(
        !evaluation
            .checks
            .iter()
            .any(|check| check.status == CheckStatus::Failed)
    );

    // The pending baseline, accepted, is compared on the next run.
    assert_eq!(p.accept(), 1);
    let snapshot = p.read(SNAP);
    assert_contains(
        &snapshot,
        &["\"reference_ids\": []", "\"output_words_mean\""],
    );
    let out = p.run(&[]);
    let c = &out.conclusion;
    assert_eq!((c.num_passed, c.num_failed, c.num_ignored), (5, 0, 0));
    let results = out.results.unwrap();
    assert_eq!(
        results.evaluations[0].baseline.status,
        BaselineStatus::Present
    );
    assert!(p.pending().is_empty(), "{:?}", p.pending());
}

#[test]
fn a_reference_metric_is_a_load_error_naming_metric_dataset_and_line() {
    let p = project();
    p.edit(
        "evalgate.toml",
        "metrics = [\"truncation\",",
        "metrics = [\"rouge1_f1\", \"truncation\",",
    );
    let suite = p.path("evalgate.toml").display().to_string();
    let expected = format!(
        "{suite}:{METRICS_LINE}: `datasets.free_v1.metrics` lists `rouge1_f1`, which needs \
         references, but dataset `free_v1` is reference-free"
    );
    for args in [&["--list"][..], &[]] {
        let message = p.run_err(args);
        assert!(message.starts_with(&expected), "{args:?}: {message}");
        assert_contains(&message, &["remove it from the list"]);
    }
    assert!(p.pending().is_empty(), "nothing ran");

    // Several reference metrics: the first is named, with the others.
    p.edit(
        "evalgate.toml",
        "\"rouge1_f1\", \"truncation\",",
        "\"truncation\", \"bleu\", \"coverage_ratio\",",
    );
    let message = p.run_err(&["--list"]);
    assert_contains(
        &message,
        &[
            &format!("{suite}:{METRICS_LINE}: "),
            "lists `bleu`, which needs references (so does `coverage_ratio`)",
        ],
    );
}

#[test]
fn a_reference_metric_from_suite_metrics_names_that_line() {
    let p = project();
    p.edit(
        "evalgate.toml",
        "name = \"free\"",
        "name = \"free\"\nmetrics = [\"truncation\",\n  \"wer\"]",
    );
    p.edit(
        "evalgate.toml",
        "metrics = [\"truncation\", \"short_output\", \"repetition\", \"output_words_mean\", \
         \"latency_p95_ms\"]\n",
        "",
    );
    p.edit(
        "evalgate.toml",
        "[checks.output_words_mean]\nvs_baseline = { max_drop = 100 }\n",
        "",
    );
    let message = p.run_err(&["--list"]);
    let suite = p.path("evalgate.toml").display().to_string();
    assert_contains(
        &message,
        &[
            &format!("{suite}:4: `suite.metrics` lists `wer`, which needs references"),
            "dataset `free_v1` is reference-free",
            "give `[datasets.free_v1]` its own `metrics` list",
        ],
    );
}

#[test]
fn a_reference_metric_on_another_dataset_with_references_still_runs() {
    let p = project();
    p.edit(
        "evalgate.toml",
        "datasets = [\"free_v1\"]",
        "datasets = [\"free_v1\", \"with_v1\"]",
    );
    p.edit(
        "evalgate.toml",
        "[systems.lead]",
        "[datasets.with_v1]\nsystems = [\"lead\"]\nmetrics = [\"rouge1_f1\", \"truncation\"]\n\n\
         [systems.lead]",
    );
    p.dataset(
        "with_v1",
        r#"[{"id": "a", "input": "Alpha talks about bees. They make honey.", "references": ["bees make honey"]}]"#,
    );
    let out = p.run(&[]);
    assert_eq!(out.conclusion.num_failed, 0);
    let results = out.results.unwrap();
    let with = results
        .evaluations
        .iter()
        .find(|e| e.dataset == "with_v1")
        .unwrap();
    assert!(with.metrics.contains_key("rouge1_f1"));
    assert_eq!(with.fingerprint.reference_ids, ["a#1"]);
}

#[test]
fn a_dataset_with_references_on_some_items_only_is_refused_naming_the_first_without() {
    let p = project();
    // Hashes cannot be written for it (`evalgate dataset hash` refuses it too).
    p.manifest(
        "free_v1",
        r#"[
  {"id": "a", "input": "Alpha talks about bees.", "references": ["bees"]},
  {"id": "b", "input": "Beta talks about bikes.", "references": ["bikes"]},
  {"id": "c", "input": "Gamma talks about rain."},
  {"id": "d", "input": "Delta talks about snow."}
]"#,
    );
    // Listing works: the dataset is read when its trials run.
    p.run(&["--list"]);
    let out = p.run(&[]);
    assert!(out.conclusion.num_failed > 0);
    let results = out.results.unwrap();
    let error = results.evaluations[0].error.as_deref().unwrap();
    assert_contains(
        error,
        &[
            "datasets/free_v1/dataset.json: item 3 (`c`): has no references, but item 1 (`a`) \
             has; every item of a dataset needs references, or none may have them",
        ],
    );
    let hashed = evalgate::unstable::dataset::write_hashes(&p.path("datasets/free_v1"));
    assert!(
        hashed.unwrap_err().to_string().contains("item 3 (`c`)"),
        "hashing refuses it too"
    );
}

#[test]
fn adding_references_to_a_reference_free_dataset_is_a_measurement_change() {
    let p = project();
    p.run(&[]);
    assert_eq!(p.accept(), 1);

    // The same items, now with references (rehashed in place instead of a new version).
    p.dataset(
        "free_v1",
        r#"[
  {"id": "a", "input": "Alpha talks about bees. They make honey in the summer.", "references": ["Bees make honey."]},
  {"id": "b", "input": "Beta talks about bikes. The new lanes are wider than before.", "references": ["Lanes are wider."]},
  {"id": "c", "input": "Gamma talks about rain. Rivers rise fast in the spring.", "references": ["Rivers rise."]}
]"#,
    );
    let out = p.run(&[]);
    let results = out.results.unwrap();
    let evaluation = &results.evaluations[0];
    assert_eq!(
        evaluation.baseline.status,
        BaselineStatus::FingerprintMismatch
    );
    assert_eq!(evaluation.fingerprint.reference_ids, ["a#1", "b#1", "c#1"]);
    let vs = evaluation
        .checks
        .iter()
        .find(|c| c.trial.ends_with("output_words_mean::vs_baseline"))
        .unwrap();
    assert_eq!(vs.status, CheckStatus::Failed);
    assert_contains(
        &vs.message,
        &[
            "measured something else",
            "dataset content hash",
            "references added (the baseline's dataset had none)",
            "cargo insta review",
        ],
    );
    assert_eq!(p.pending().len(), 1, "the new measurement is pending");
}

#[test]
fn import_without_reference_fields_makes_a_loadable_reference_free_dataset() {
    let p = project();
    std::fs::remove_dir_all(p.path("datasets/free_v1")).unwrap();
    let records = p.write(
        "records.jsonl",
        concat!(
            r#"{"id": "a", "transcript": "Alpha talks about bees. They make honey in the summer.", "summary": "unused"}"#,
            "\n",
            r#"{"id": "b", "transcript": "Beta talks about bikes. The new lanes are wider than before."}"#,
            "\n",
        ),
    );
    let out = Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .current_dir(&p.root)
        .args(["dataset", "import"])
        .arg(&records)
        .args(["--input-field", "transcript", "--out", "datasets/free_v1"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_contains(
        &stdout,
        &[
            "2 items (no references: a reference-free dataset)",
            "reference-based metrics (ROUGE, BLEU, chrF, WER",
            "metrics = [\"truncation\"",
        ],
    );
    let dir = p.path("datasets/free_v1");
    assert!(!dir.join("references").exists());
    let manifest = p.read("datasets/free_v1/dataset.json");
    assert!(!manifest.contains("reference_paths"), "{manifest}");
    assert_contains(&manifest, &["no references."]);
    let dataset = Dataset::load(&dir).unwrap();
    assert!(dataset.is_reference_free());
    assert_eq!(dataset.items.len(), 2);

    // It runs under the suite, and refuses a reference metric.
    let out = p.run(&[]);
    assert_eq!(out.conclusion.num_failed, 0);
    p.edit(
        "evalgate.toml",
        "metrics = [\"truncation\",",
        "metrics = [\"rougeL_f1\", \"truncation\",",
    );
    assert_contains(
        &p.run_err(&["--list"]),
        &["lists `rougeL_f1`, which needs references"],
    );
}

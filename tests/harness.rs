//! End-to-end behaviour of the harness on a small project made in a temp folder: baselines
//! missing → pending, accept, regression, fingerprint mismatch, tampered dataset, outputs.

mod support;

use evalgate::results::{CheckStatus, RunResults};
use evalgate::unstable::harness::RunOutcome;
use support::{FirstSentence, ONE_THREAD, Project, word_recall};

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

const ITEMS: &str = r#"[
  {"id": "a", "input_path": "inputs/a.txt", "references": ["the cat sat"]},
  {"id": "b", "input": "Dogs bark loudly. Birds sing.", "references": ["dogs bark at night"]},
  {"id": "c", "input": "Rain falls. Sun shines.", "references": ["rain falls"]}
]"#;

/// The demo project: one dataset (item `a`'s input in a file), scored by the plugin metric.
fn project() -> Project {
    let p = Project::new(SUITE);
    p.write(
        "datasets/demo_v1/inputs/a.txt",
        "The cat sat on the mat. Then it slept.",
    );
    p.dataset("demo_v1", ITEMS);
    p
}

/// A run of the trials `filter` selects, on one thread, with the plugins registered.
fn run(p: &Project, filter: &str) -> RunOutcome {
    let harness = p
        .harness()
        .metric(word_recall())
        .system("first", FirstSentence);
    p.run_with(harness, &[&[filter][..], &ONE_THREAD].concat())
        .unwrap()
}

const SNAP: &str = "baselines/demo_v1__first.snap";

fn junit_cases(p: &Project) -> Vec<(String, Option<String>, Option<String>)> {
    let xml = p.junit_xml();
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
    let p = project();

    // 1. No baseline: vs_baseline ignored with the reason, a pending snapshot appears, min runs.
    let out = run(&p, "smoke");
    let c = &out.conclusion;
    assert_eq!((c.num_passed, c.num_failed, c.num_ignored), (1, 0, 1));
    assert_eq!(p.pending(), [p.path(&format!("{SNAP}.new"))]);
    assert!(!p.path(SNAP).exists());
    let cases = junit_cases(&p);
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
    assert_eq!(p.accept(), 1);
    let out = run(&p, "smoke");
    assert_eq!(
        (out.conclusion.num_passed, out.conclusion.num_failed),
        (2, 0)
    );
    assert!(p.pending().is_empty());

    // 3. Raise the baseline well above the result: the vs_baseline trial fails with the numbers.
    let text = p.read(SNAP);
    let current = out.results.as_ref().unwrap().evaluations[0].metrics["word_recall"].value;
    let raised = text.replace(
        &format!("\"word_recall\": {current}"),
        "\"word_recall\": 0.99",
    );
    assert_ne!(raised, text);
    p.write(SNAP, &raised);
    let out = run(&p, "smoke");
    assert_eq!(out.conclusion.num_failed, 1);
    assert_eq!(
        out.conclusion.exit_code(),
        std::process::ExitCode::from(101)
    );
    let cases = junit_cases(&p);
    let failed = cases.iter().find(|c| c.1.is_some()).unwrap();
    let msg = failed.1.as_deref().unwrap();
    assert_eq!(failed.0, "smoke::demo_v1::first::word_recall::vs_baseline");
    support::assert_contains(
        msg,
        &[
            "word_recall",
            "0.99 (baseline)",
            &format!("to {}", evalgate::unstable::numbers::fmt(current)),
            "0.01 absolute",
            "baselines/demo_v1__first.snap",
        ],
    );
    // The baseline was not rewritten by the run.
    assert_eq!(p.read(SNAP), raised);
    let results = RunResults::read(&p.out_dir().join("results.json")).unwrap();
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
    let p = project();
    run(&p, "smoke");
    assert_eq!(p.accept(), 1);

    p.write(
        "datasets/demo_v1/inputs/a.txt",
        "The cat sat on the hat. Then it slept.",
    );
    let out = run(&p, "smoke");
    assert_eq!(out.conclusion.num_failed, 2);
    let results = out.results.unwrap();
    let err = results.evaluations[0].error.as_deref().unwrap();
    assert!(
        err.contains("(`a`)") && err.contains("input hash mismatch"),
        "{err}"
    );

    // A new dataset version with fresh hashes: the baseline no longer describes this data.
    evalgate::unstable::dataset::write_hashes(&p.path("datasets/demo_v1")).unwrap();
    let out = run(&p, "smoke");
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
    let p = project();
    let out = run(&p, "demo_v1");
    // smoke runs (2 trials), full is listed but ignored.
    assert_eq!(out.conclusion.num_ignored, 1 + 2);
    let cases = junit_cases(&p);
    assert_eq!(cases.len(), 4);
    let skipped_full = cases
        .iter()
        .filter(|c| {
            c.0.starts_with("full::") && c.2.as_deref().unwrap_or("").contains("ignored tier")
        })
        .count();
    assert_eq!(skipped_full, 2);
}

/// A suite in a subfolder of a git repository: JUnit `file` attributes and results.json paths
/// are relative to the repository root, so CI annotations land on the repository's files; the
/// pending snapshot's header and the hint about registering systems name the file that called
/// `Harness::new` (this one).
#[test]
fn a_suite_in_a_subfolder_names_files_from_the_repository_root_and_the_callers_source() {
    let p = Project::empty();
    p.git_init();
    p.write("tools/bench/evalgate.toml", SUITE);
    p.write(
        "tools/bench/datasets/demo_v1/inputs/a.txt",
        "The cat sat on the mat. Then it slept.",
    );
    let dir = p.write(
        "tools/bench/datasets/demo_v1/dataset.json",
        format!(r#"{{"id": "demo_v1", "version": 1, "task": "summarization", "items": {ITEMS}}}"#),
    );
    evalgate::unstable::dataset::write_hashes(dir.parent().unwrap()).unwrap();
    let harness = || {
        evalgate::Harness::new()
            .config(p.path("tools/bench/evalgate.toml"))
            .output_dir(p.out_dir())
            .metric(word_recall())
    };
    let args = [&["smoke"][..], &ONE_THREAD].concat();

    let error = p
        .run_with(harness(), &args)
        .expect_err("an unregistered Rust system is a setup error")
        .to_string();
    assert!(
        error.contains("add `.system(\"first\", MySystem)` to the Harness in tests/harness.rs"),
        "{error}"
    );

    let outcome = p
        .run_with(harness().system("first", FirstSentence), &args)
        .unwrap();
    let results = outcome.results.unwrap();
    assert_eq!(results.run.config_path, "tools/bench/evalgate.toml");
    let evaluation = &results.evaluations[0];
    assert_eq!(
        evaluation.baseline.file,
        "tools/bench/baselines/demo_v1__first.snap"
    );
    assert_eq!(
        evaluation.baseline.pending_file.as_deref(),
        Some("tools/bench/baselines/demo_v1__first.snap.new")
    );
    let pending = p.read("tools/bench/baselines/demo_v1__first.snap.new");
    assert!(
        pending.starts_with("---\nsource: tests/harness.rs\nexpression: demo_v1 × first\n---\n"),
        "{pending}"
    );

    let xml = p.junit_xml();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let files: std::collections::BTreeSet<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .filter_map(|n| n.attribute("file"))
        .collect();
    assert_eq!(
        files.into_iter().collect::<Vec<_>>(),
        [
            "tools/bench/baselines/demo_v1__first.snap",
            "tools/bench/evalgate.toml"
        ],
        "{xml}"
    );
    for check in &evaluation.checks {
        assert!(check.file.starts_with("tools/bench/"), "{check:?}");
    }
    // Accepted, the baseline's path stays the same and its metric lines are annotated there.
    std::fs::rename(
        p.path("tools/bench/baselines/demo_v1__first.snap.new"),
        p.path("tools/bench/baselines/demo_v1__first.snap"),
    )
    .unwrap();
    let again = p
        .run_with(harness().system("first", FirstSentence), &args)
        .unwrap()
        .results
        .unwrap();
    let vs = again.evaluations[0]
        .checks
        .iter()
        .find(|c| c.trial.ends_with("vs_baseline"))
        .unwrap();
    assert_eq!(vs.file, "tools/bench/baselines/demo_v1__first.snap");
    assert!(vs.line.is_some());
}

//! Output diffs, end to end: a replay system whose outputs the test controls, a baseline accepted
//! from one set of outputs (it keeps each item's prediction), and runs on others. A vs-baseline
//! check that fails shows the word diff of its worst items' outputs in its message and in
//! results.json (`worst_items[].diff`); outputs that changed with equal metrics leave no pending
//! snapshot; `[suite] store_predictions = false` keeps no predictions and shows no diff.

mod support;

use evalgate::results::{CheckKind, CheckResult, CheckStatus, RunResults};
use support::Project;

const ITEMS: &str = r#"[
  {"id": "a", "input": "x", "references": ["the cat sat on the mat today"]},
  {"id": "b", "input": "y", "references": ["bees make honey in the summer"]},
  {"id": "c", "input": "z", "references": ["wider bike lanes were built"]}
]"#;

/// The outputs, one per item in order.
fn replay(outputs: [&str; 3]) -> String {
    ["a", "b", "c"]
        .iter()
        .zip(outputs)
        .map(|(id, output)| format!("{{\"id\": \"{id}\", \"output\": \"{output}\"}}\n"))
        .collect()
}

const BASELINE: [&str; 3] = [
    "the cat sat on the mat today",
    "bees make honey in the summer",
    "wider bike lanes were built",
];

fn project(suite_extra: &str) -> Project {
    let p = Project::new(&format!(
        "[suite]\ncache_dir = \"target/cache\"\n{suite_extra}\n\
         [tiers.smoke]\ndatasets = [\"demo_v1\"]\n\n\
         [datasets.demo_v1]\nsystems = [\"model\"]\nmetrics = [\"rouge1_f1\"]\n\n\
         [systems.model]\nkind = \"replay\"\npath = \"outputs.jsonl\"\n\n\
         [checks.rouge1_f1]\nvs_baseline = {{ max_drop = 0.01 }}\n"
    ));
    p.dataset("demo_v1", ITEMS);
    p.write("outputs.jsonl", replay(BASELINE));
    p.results(&[]);
    assert_eq!(p.accept(), 1, "the first run writes one pending baseline");
    p
}

fn check(results: &RunResults) -> &CheckResult {
    results
        .all_checks()
        .find(|c| c.metric == "rouge1_f1" && c.kind == CheckKind::VsBaseline)
        .expect("a vs_baseline check")
}

/// Replays outputs worse than the baseline: the check fails, and its message shows no output
/// diffs.
fn assert_fails_without_diffs(p: &Project) {
    p.write(
        "outputs.jsonl",
        replay([
            "the dog sat on the rug today",
            "bees make honey in the summer",
            "wider bike lanes were built",
        ]),
    );
    let results = p.results(&[]);
    let c = check(&results);
    assert_eq!(c.status, CheckStatus::Failed, "{}", c.message);
    assert!(!c.message.contains("output diffs"), "{}", c.message);
}

#[test]
fn a_failing_check_shows_the_word_diffs_of_its_worst_items() {
    let p = project("");
    let baseline = p.read("baselines/demo_v1__model.snap");
    assert!(
        baseline.contains("\"predictions\": {")
            && baseline.contains("\"a\": \"the cat sat on the mat today\""),
        "{baseline}"
    );
    p.write(
        "outputs.jsonl",
        replay([
            "the dog sat on the rug today",
            "bees make honey in the summer",
            "bike lanes were built <script>x</script>",
        ]),
    );
    let results = p.results(&[]);
    let c = check(&results);
    assert_eq!(c.status, CheckStatus::Failed, "{}", c.message);
    assert!(
        c.message.contains(
            "; output diffs (baseline → current): c: [-wider-] bike lanes were built \
             {+<script>x</script>+} | a: the [-cat-]{+dog+} sat on the [-mat-]{+rug+} today"
        ),
        "{}",
        c.message
    );
    let ids: Vec<&str> = c.worst_items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(
        ids,
        ["c", "a"],
        "only items that worsened are named, worst first"
    );
    assert_eq!(
        c.worst_items[1].diff.as_deref(),
        Some("the [-cat-]{+dog+} sat on the [-mat-]{+rug+} today")
    );
    let json = p.results_json();
    assert!(
        json.contains("\"diff\": \"the [-cat-]{+dog+} sat on the [-mat-]{+rug+} today\""),
        "{json}"
    );
    // The pending snapshot written for the new numbers carries the new outputs.
    let pending = p.read("baselines/demo_v1__model.snap.new");
    assert!(
        pending.contains("\"a\": \"the dog sat on the rug today\""),
        "{pending}"
    );
}

/// A Rust system that answers from `outputs.jsonl` under a fixed fingerprint: its outputs
/// change while its configuration does not (a replay system's fingerprint hashes its file).
struct FromFile(std::path::PathBuf);

impl evalgate::System for FromFile {
    fn fingerprint(&self) -> serde_json::Value {
        serde_json::json!({"kind": "rust", "name": "from_file", "version": 1})
    }

    fn fingerprint_covers_code(&self) -> bool {
        true
    }

    fn cacheable(&self) -> bool {
        false
    }

    fn generate(
        &self,
        request: &evalgate::SystemRequest<'_>,
    ) -> evalgate::Result<evalgate::Generation> {
        let text = std::fs::read_to_string(&self.0).unwrap();
        let output = text
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|v| v["id"] == request.item_id)
            .map(|v| v["output"].as_str().unwrap().to_string())
            .unwrap();
        Ok(evalgate::Generation::text(output))
    }
}

#[test]
fn outputs_changed_with_equal_metrics_leave_no_pending_snapshot() {
    let p = Project::new(
        "[suite]\ncache_dir = \"target/cache\"\n\n\
         [tiers.smoke]\ndatasets = [\"demo_v1\"]\n\n\
         [datasets.demo_v1]\nsystems = [\"model\"]\nmetrics = [\"rouge1_f1\"]\n\n\
         [systems.model]\nkind = \"rust\"\n\n\
         [checks.rouge1_f1]\nvs_baseline = { max_drop = 0.01 }\n",
    );
    p.dataset("demo_v1", ITEMS);
    p.write("outputs.jsonl", replay(BASELINE));
    let run = |p: &Project| {
        let harness = p
            .harness()
            .system("model", FromFile(p.path("outputs.jsonl")));
        p.run_with(harness, &[]).unwrap().results.unwrap()
    };
    run(&p);
    assert_eq!(p.accept(), 1);
    // The same words in another order: ROUGE-1 is unchanged.
    p.write(
        "outputs.jsonl",
        replay([
            "today the cat sat on the mat",
            "bees make honey in the summer",
            "bike lanes wider were built",
        ]),
    );
    let results = run(&p);
    let c = check(&results);
    assert_eq!(c.status, CheckStatus::Passed, "{}", c.message);
    assert!(c.worst_items.iter().all(|i| i.diff.is_none()));
    assert!(p.pending().is_empty(), "{:?}", p.pending());
    // The baseline keeps the accepted outputs.
    let baseline = p.read("baselines/demo_v1__model.snap");
    assert!(baseline.contains("\"a\": \"the cat sat on the mat today\""));
}

#[test]
fn without_stored_predictions_no_prediction_is_kept_and_no_diff_shown() {
    let p = project("store_predictions = false\n");
    let baseline = p.read("baselines/demo_v1__model.snap");
    assert!(!baseline.contains("predictions"), "{baseline}");
    assert_fails_without_diffs(&p);
    assert!(!p.results_json().contains("\"diff\""));
    let pending = p.read("baselines/demo_v1__model.snap.new");
    assert!(!pending.contains("predictions"), "{pending}");
}

#[test]
fn a_baseline_without_predictions_still_compares_and_shows_no_diff() {
    // Made with predictions off, then read with them on (as a baseline from before they were
    // kept): it compares as before; the pending snapshot of the run keeps the predictions.
    let p = project("store_predictions = false\n");
    p.edit("evalgate.toml", "store_predictions = false\n", "");
    assert_fails_without_diffs(&p);
    let pending = p.read("baselines/demo_v1__model.snap.new");
    assert!(pending.contains("\"predictions\": {"), "{pending}");
}

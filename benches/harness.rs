//! Speed goals of the harness (issue: "the whole smoke tier well under a second; `--list` of a
//! 10,000-trial suite under 0.3 s without computing any prediction"), and the 27 QMSum meeting
//! transcripts of issue 11 (goal: under 2 s warm with lead_n + textrank + a command system),
//! skipped with a message when `/work/shared/data/qmsum/qmsum_test.jsonl` (or `$QMSUM_JSONL`) is
//! absent. This bench runs at this repository's profile; `scripts/bench/user_crate_speed.sh`
//! runs the same suite from a fresh user crate at the profiles a user may have.
//!
//! `cargo bench --bench harness > /dev/null` — figures go to stderr, the trial list to stdout.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use evalgate::Harness;
use evalgate::unstable::metrics::{
    Direction, Metric, MetricDef, MetricValues, ScoringItem, ScoringOptions,
};
use evalgate::unstable::systems::{Generation, System, SystemRequest};
use libtest_mimic::Arguments;

const DATASETS: usize = 50;
const SYSTEMS: usize = 5;
const METRICS: usize = 20;

/// Counts generate calls, to prove listing computes nothing.
struct Counting(Arc<AtomicUsize>);

impl System for Counting {
    fn fingerprint(&self) -> serde_json::Value {
        serde_json::json!({"kind": "bench"})
    }
    fn generate(&self, r: &SystemRequest<'_>) -> evalgate::Result<Generation> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(Generation::text(r.input))
    }
}

/// Twenty metric ids, never computed while listing.
struct Twenty;

impl Metric for Twenty {
    fn definitions(&self) -> Vec<MetricDef> {
        (0..METRICS)
            .map(|n| MetricDef {
                id: format!("bench_metric_{n:02}"),
                direction: Direction::HigherIsBetter,
                reference_based: false,
                varies_by_machine: false,
                range: (None, None),
                aggregation: "mean",
                description: "bench",
            })
            .collect()
    }
    fn score(
        &self,
        _: &[ScoringItem<'_>],
        _: &[&str],
        _: &ScoringOptions,
    ) -> evalgate::Result<Vec<MetricValues>> {
        unreachable!("listing must not score")
    }
}

fn generated_suite(dir: &std::path::Path) -> std::path::PathBuf {
    let mut toml = String::from("[tiers.full]\nignored = true\ndatasets = [");
    toml.push_str(
        &(0..DATASETS)
            .map(|d| format!("\"ds_{d:02}\""))
            .collect::<Vec<_>>()
            .join(", "),
    );
    toml.push_str("]\n\n");
    let systems: Vec<String> = (0..SYSTEMS).map(|s| format!("\"sys_{s}\"")).collect();
    let metrics: Vec<String> = (0..METRICS)
        .map(|m| format!("\"bench_metric_{m:02}\""))
        .collect();
    for d in 0..DATASETS {
        toml.push_str(&format!(
            "[datasets.ds_{d:02}]\nsystems = [{}]\nmetrics = [{}]\n\n",
            systems.join(", "),
            metrics.join(", ")
        ));
    }
    for s in 0..SYSTEMS {
        toml.push_str(&format!("[systems.sys_{s}]\nkind = \"rust\"\n\n"));
    }
    for m in 0..METRICS {
        toml.push_str(&format!(
            "[checks.bench_metric_{m:02}]\nmin = 0.1\nvs_baseline = {{ max_drop = 0.01 }}\n\n"
        ));
    }
    let path = dir.join("evalgate.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    // --list of 10,000 trials.
    let tmp = tempfile::tempdir().unwrap();
    let config = generated_suite(tmp.path());
    let calls = Arc::new(AtomicUsize::new(0));
    let mut samples = Vec::new();
    for _ in 0..7 {
        let mut harness = Harness::new().config(&config).metric(Twenty);
        for s in 0..SYSTEMS {
            harness = harness.system(format!("sys_{s}"), Counting(Arc::clone(&calls)));
        }
        let start = Instant::now();
        harness
            .run(&Arguments::from_iter(["bench", "--list"]))
            .unwrap();
        samples.push(start.elapsed());
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "listing generated predictions"
    );
    let trials = DATASETS * SYSTEMS * METRICS * 2;
    let list = median(samples);
    eprintln!(
        "list {trials} trials: median {:.1} ms over 7 runs (goal < 300 ms)",
        list.as_secs_f64() * 1e3
    );

    // The shipped smoke tier, end to end, in-process (datasets, systems, metrics, baselines).
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().unwrap();
    let mut samples = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let outcome = Harness::new()
            .config(root.join("evalgate.toml"))
            .output_dir(out.path())
            .run(&Arguments::from_iter(["bench", "smoke", "--quiet"]))
            .unwrap();
        samples.push(start.elapsed());
        assert!(
            !outcome.conclusion.has_failed(),
            "smoke tier failed in the bench"
        );
    }
    let smoke = median(samples);
    eprintln!(
        "smoke tier: median {:.1} ms over 5 runs (goal well under 1000 ms)",
        smoke.as_secs_f64() * 1e3
    );

    qmsum(root);
}

/// The QMSum suite (`scripts/bench/qmsum_suite.toml`) on a temp project: the dataset imported
/// from the JSON-lines file, one cold run (the command system's outputs not cached yet), then the
/// median of warm runs.
fn qmsum(root: &std::path::Path) {
    let data = std::env::var_os("QMSUM_JSONL")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "/work/shared/data/qmsum/qmsum_test.jsonl".into());
    if !data.is_file() {
        eprintln!(
            "qmsum: skipped, {} is absent (set QMSUM_JSONL to the file)",
            data.display()
        );
        return;
    }
    if std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("qmsum: skipped, python3 (for the command system) does not run");
        return;
    }
    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    std::fs::copy(
        root.join("scripts/bench/qmsum_suite.toml"),
        dir.join("evalgate.toml"),
    )
    .unwrap();
    std::fs::copy(
        root.join("examples/command_system/summarize.py"),
        dir.join("summarize.py"),
    )
    .unwrap();
    evalgate::unstable::dataset::import::import(
        &evalgate::unstable::dataset::import::ImportOptions {
            file: data,
            format: None,
            id_field: "id".into(),
            input_field: "transcript".into(),
            reference_fields: vec!["reference_summary".into()],
            metadata_fields: Vec::new(),
            out: dir.join("datasets/qmsum_v1"),
            id: None,
            version: None,
            task: "summarization".into(),
            description: None,
        },
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let run = || {
        let start = Instant::now();
        let outcome = Harness::new()
            .config(dir.join("evalgate.toml"))
            .output_dir(out.path())
            .run(&Arguments::from_iter(["bench", "--quiet"]))
            .unwrap();
        assert!(!outcome.conclusion.has_failed(), "the QMSum suite failed");
        start.elapsed()
    };
    let cold = run();
    let warm = median((0..3).map(|_| run()).collect());
    eprintln!(
        "qmsum, 27 transcripts, lead_n + textrank + command: first run {:.0} ms, warm median \
         {:.0} ms over 3 runs (goal < 2000 ms warm)",
        cold.as_secs_f64() * 1e3,
        warm.as_secs_f64() * 1e3
    );
}

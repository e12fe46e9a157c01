//! The dashboard tests' fixture: a small project whose second run regresses with a hostile
//! prediction, a 10-run synthetic history of it, a second run to compare with, and a way to
//! run `evalgate report ...` on it. Shared by `tests/dashboard.rs` and
//! `tests/dashboard_browser.rs` (`mod support; mod dashboard_support;`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use evalgate::results::RunResults;
use evalgate::unstable::history::HistoryRecord;

use crate::support::Project;

/// The hostile prediction of item `a` in the regressed run.
pub const HOSTILE: &str =
    "the cat <script>alert(1)</script> </details> <img src=x onerror=alert(1)> & today";

/// Runs in the synthetic history.
pub const HISTORY_RUNS: usize = 10;

/// Runs (0-based) of the synthetic history where the `rouge1_f1` trial failed.
pub const FAILED_RUNS: [usize; 2] = [3, 9];

const ITEMS: &str = r#"[
  {"id": "a", "input": "A cat sat on the mat today, said the host.", "references": ["the cat sat on the mat today"]},
  {"id": "b", "input": "Bees make honey in the summer, the guest said.", "references": ["bees make honey in the summer"]},
  {"id": "c", "input": "Wider bike lanes were built last year.", "references": ["wider bike lanes were built"]}
]"#;

const BASELINE_OUTPUTS: [&str; 3] = [
    "the cat sat on the mat today",
    "bees make honey in the summer",
    "wider bike lanes were built",
];

const REGRESSED_OUTPUTS: [&str; 3] = [
    HOSTILE,
    "bees make honey in the summer",
    "bike lanes were built",
];

/// Replay lines for the outputs of items a, b, c.
fn replay(outputs: [&str; 3]) -> String {
    ["a", "b", "c"]
        .iter()
        .zip(outputs)
        .map(|(id, output)| format!("{}\n", serde_json::json!({"id": id, "output": output})))
        .collect()
}

/// A project with one dataset (`demo_v1`, items a, b, c) and one replay system (`model`):
/// a first run accepted as the baseline, then a run where `a` became [`HOSTILE`] and `c` lost
/// a word, so `rouge1_f1`'s vs-baseline check fails (`chrf`'s paired test allows any drop and passes, with its interval). Its results are `out/results.json`.
pub fn regressed_project() -> Project {
    let p = Project::new(
        "[suite]\ncache_dir = \"target/cache\"\n\n\
         [tiers.smoke]\ndatasets = [\"demo_v1\"]\n\n\
         [datasets.demo_v1]\nsystems = [\"model\"]\nmetrics = [\"rouge1_f1\", \"chrf\"]\n\n\
         [systems.model]\nkind = \"replay\"\npath = \"outputs.jsonl\"\n\n\
         [checks.rouge1_f1]\nvs_baseline = { max_drop = 0.01 }\n\n\
         [checks.chrf]\nvs_baseline = { max_drop = 100.0, test = \"paired_bootstrap\", confidence = 0.9 }\n",
    );
    p.dataset("demo_v1", ITEMS);
    p.write("outputs.jsonl", replay(BASELINE_OUTPUTS));
    p.results(&[]);
    assert_eq!(p.accept(), 1, "the first run writes one pending baseline");
    p.write("outputs.jsonl", replay(REGRESSED_OUTPUTS));
    let results = p.results(&[]);
    assert!(
        results.summary.failed >= 1,
        "the second run regresses: {:?}",
        results.summary
    );
    p
}

/// The project's results.
pub fn results(p: &Project) -> RunResults {
    RunResults::read(&p.path("out/results.json")).unwrap()
}

/// Writes `history.jsonl` beside the project (outside it): [`HISTORY_RUNS`] records made from
/// the run's results, run `k` on commit `c0k…` with every metric shifted by `k / 100`, and the
/// `rouge1_f1` trial failing in [`FAILED_RUNS`] only. Returns its path.
pub fn write_history(p: &Project) -> PathBuf {
    let base = HistoryRecord::from_results(&results(p));
    let mut text = String::new();
    for k in 0..HISTORY_RUNS {
        let mut record = base.clone();
        record.git_commit = Some(format!("c{k:02}{}", "0".repeat(37)));
        record.started_at = format!("2026-11-{:02}T02:00:00Z", k + 1);
        record.finished_at = format!("2026-11-{:02}T02:05:00Z", k + 1);
        for evaluation in &mut record.evaluations {
            for value in evaluation.metrics.values_mut() {
                *value += k as f64 / 100.0;
            }
            evaluation.failed = if FAILED_RUNS.contains(&k) {
                vec![format!(
                    "smoke::{}::{}::rouge1_f1::vs_baseline",
                    evaluation.dataset, evaluation.system
                )]
            } else {
                Vec::new()
            };
        }
        text.push_str(&serde_json::to_string(&record).unwrap());
        text.push('\n');
    }
    let path = p.scratch("history.jsonl");
    std::fs::write(&path, text).unwrap();
    path
}

/// Writes `other-results.json` beside the project: the run with system `other_model` and
/// `rouge1_f1` per item changed so that B is better on `a`, equal on `b`, worse on `c`.
pub fn write_compare(p: &Project) -> PathBuf {
    let mut other = results(p);
    let evaluation = &mut other.evaluations[0];
    evaluation.system = "other_model".to_string();
    let items = evaluation.items.clone();
    let rouge = evaluation.metrics.get_mut("rouge1_f1").unwrap();
    for (n, id) in items.iter().enumerate() {
        if let Some(v) = rouge.per_item[n].as_mut() {
            match id.as_str() {
                "a" => *v += 0.25,
                "c" => *v -= 0.25,
                _ => {}
            }
        }
    }
    let path = p.scratch("other-results.json");
    other.write(&path).unwrap();
    path
}

/// Runs `evalgate <args>` in the project folder.
pub fn evalgate(p: &Project, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .current_dir(&p.root)
        .args(args)
        .output()
        .expect("run evalgate")
}

/// Asserts that `run` exited with success, showing its stderr when not.
pub fn assert_succeeded(run: &Output) {
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

/// Runs `evalgate report html` with `extra` arguments into `<scratch>/<name>`, which must
/// succeed; returns the page's path and text.
pub fn report_html(p: &Project, name: &str, extra: &[&str]) -> (PathBuf, String) {
    let out = p.scratch(name);
    let mut args = vec![
        "report",
        "html",
        "--results",
        "out/results.json",
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let run = evalgate(p, &args);
    assert!(
        run.status.success(),
        "evalgate report html failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let html = std::fs::read_to_string(&out).unwrap();
    (out, html)
}

/// `path` as a string.
pub fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

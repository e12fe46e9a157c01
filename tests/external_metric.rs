//! External command metrics: the protocol, every failure mode, config errors, and a run through
//! the harness. The metric programs are POSIX sh scripts (tests/fixtures/external_metric), so no
//! Python is needed.

mod support;

use std::path::{Path, PathBuf};

use evalgate::results::CheckStatus;
use evalgate::unstable::config::Suite;
use evalgate::unstable::harness::RunOutcome;
use evalgate::unstable::metrics::external::ExternalMetric;
use evalgate::unstable::metrics::{Direction, Metric, MetricRegistry, ScoringItem, ScoringOptions};
use serde_json::{Value, json};
use support::{FirstSentence, ONE_THREAD, Project, assert_contains};

fn fixture() -> PathBuf {
    support::fixture("external_metric/metric.sh")
}

/// A metric running `sh metric.sh MODE` with extra config lines.
fn metric(mode: &str, extra: &str) -> ExternalMetric {
    let text = format!(
        "command = [\"sh\", {:?}, {mode:?}]\ndirection = \"higher_is_better\"\n{extra}",
        fixture().display().to_string()
    );
    let table: toml::Table = toml::from_str(&text).unwrap();
    ExternalMetric::from_config("len_score", &table, Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap()
}

struct Items {
    ids: Vec<String>,
    predictions: Vec<String>,
    references: Vec<Vec<String>>,
    metadata: Value,
}

impl Items {
    fn new(rows: &[(&str, &str)]) -> Items {
        Items {
            ids: rows.iter().map(|r| r.0.to_string()).collect(),
            predictions: rows.iter().map(|r| r.1.to_string()).collect(),
            references: rows
                .iter()
                .enumerate()
                .map(|(i, _)| {
                    if i == 0 {
                        vec!["first ref".to_string(), "second ref".to_string()]
                    } else {
                        Vec::new()
                    }
                })
                .collect(),
            metadata: json!({"title": "T"}),
        }
    }

    fn scoring(&self) -> Vec<ScoringItem<'_>> {
        (0..self.ids.len())
            .map(|i| ScoringItem {
                id: &self.ids[i],
                input: "the input",
                prediction: &self.predictions[i],
                references: &self.references[i],
                metadata: &self.metadata,
                generation: None,
            })
            .collect()
    }
}

fn abc() -> Items {
    Items::new(&[("a", "hello world"), ("b", ""), ("c", "abc")])
}

fn score_err(m: &ExternalMetric, items: &Items) -> String {
    m.score(&items.scoring(), &["len_score"], &ScoringOptions::default())
        .unwrap_err()
        .to_string()
}

#[test]
fn values_come_back_per_item_in_dataset_order_with_null_and_mean() {
    let m = metric(
        "length",
        "range = [0, 1]\ndescription = \"length / 100\"\nreference_based = true",
    );
    let def = &m.definitions()[0];
    assert_eq!(def.id, "len_score");
    assert_eq!(def.direction, Direction::HigherIsBetter);
    assert!(def.reference_based);
    assert_eq!(def.range, (Some(0.0), Some(1.0)));
    assert_eq!(def.description, "length / 100");
    let items = abc();
    let out = m
        .score(&items.scoring(), &["len_score"], &ScoringOptions::default())
        .unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].id, "len_score");
    // The script answers in reverse order; values are matched back by id.
    assert_eq!(out[0].per_item, vec![Some(0.11), None, Some(0.03)]);
    // Mean of the non-null values only.
    assert!(
        (out[0].aggregate - 0.07).abs() < 1e-12,
        "{}",
        out[0].aggregate
    );
}

#[test]
fn stdin_carries_the_documented_fields() {
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("stdin.jsonl");
    let m = metric(
        "dump",
        &format!("env = {{ DUMP_FILE = {:?} }}", dump.display().to_string()),
    );
    let items = abc();
    m.score(&items.scoring(), &["len_score"], &ScoringOptions::default())
        .unwrap();
    let text = std::fs::read_to_string(&dump).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(
        lines[0],
        json!({"id": "a", "prediction": "hello world", "reference": "first ref",
               "references": ["first ref", "second ref"], "input": "the input",
               "metadata": {"title": "T"}})
    );
    assert_eq!(lines[1]["reference"], Value::Null);
    assert_eq!(lines[1]["references"], json!([]));
}

#[test]
fn env_reaches_the_program() {
    let m = metric("env", "env = { SCORE = \"0.5\" }");
    let items = abc();
    let out = m
        .score(&items.scoring(), &["len_score"], &ScoringOptions::default())
        .unwrap();
    assert_eq!(out[0].per_item, vec![Some(0.5); 3]);
}

#[test]
fn many_large_items_do_not_deadlock_the_pipes() {
    // ~3 MB of stdin, answered only after all of it is read: needs the writer thread.
    let long = "x".repeat(1000);
    let rows: Vec<(String, String)> = (0..3000)
        .map(|i| (format!("item{i}"), long.clone()))
        .collect();
    let borrowed: Vec<(&str, &str)> = rows.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let items = Items::new(&borrowed);
    let out = metric("length", "timeout_secs = 60")
        .score(&items.scoring(), &["len_score"], &ScoringOptions::default())
        .unwrap();
    assert_eq!(out[0].per_item.len(), 3000);
    assert!(out[0].per_item.iter().all(|v| *v == Some(10.0)));
}

#[test]
fn garbage_output_names_the_line_and_quotes_stderr() {
    let err = score_err(&metric("garbage", ""), &abc());
    assert_contains(
        &err,
        &[
            "external metric `len_score`",
            "stdout line 1 is not JSON",
            "`Traceback? no, just chatter`",
            "last lines of stderr:\n    loading judge model",
        ],
    );
}

#[test]
fn crash_reports_status_and_stderr_tail() {
    let err = score_err(&metric("crash", ""), &abc());
    assert_contains(
        &err,
        &[
            "external metric `len_score`",
            "exited with status 3 (scoring 3 items)",
            "loading judge model\n    RuntimeError: CUDA out of memory",
        ],
    );
}

#[test]
fn missing_item_is_named() {
    let err = score_err(&metric("missing_id", ""), &abc());
    assert_contains(
        &err,
        &["gave no value for 1 of 3 items: `b`", "\"value\": null"],
    );
}

#[test]
fn bad_answer_lines_are_errors_naming_line_and_item() {
    let items = abc();
    let err = score_err(&metric("no_value", ""), &items);
    assert_contains(&err, &["stdout line 1 (item `c`) has no `value`"]);
    let err = score_err(&metric("nan_string", ""), &items);
    assert_contains(
        &err,
        &["stdout line 1 (item `c`) has a `value` that is not a number: `\"NaN\"`"],
    );
    let err = score_err(&metric("unknown_id", ""), &items);
    assert_contains(
        &err,
        &["stdout line 4 answers item `zzz`, which was not sent"],
    );
    let err = score_err(&metric("duplicate", ""), &items);
    assert_contains(
        &err,
        &["stdout line 2 answers item `c` a second time (first on line 1)"],
    );
    let err = score_err(&metric("length", "range = [0.0, 0.05]"), &items);
    assert_contains(
        &err,
        &["stdout line 3 (item `a`) has value 0.11, outside the declared range [0, 0.05]"],
    );
    let err = score_err(&metric("not_utf8", ""), &items);
    assert_contains(&err, &["printed output that is not UTF-8 (at byte 33)"]);
    let err = score_err(&metric("all_null", ""), &items);
    assert_contains(&err, &["answered null for all 3 items"]);
}

#[test]
fn timeout_kills_the_program() {
    let started = std::time::Instant::now();
    let err = score_err(&metric("hang", "timeout_secs = 1"), &abc());
    let took = started.elapsed().as_secs_f64();
    assert!(took < 10.0, "took {took} s");
    assert_contains(
        &err,
        &[
            "timed out after 1.0 s scoring 3 items",
            "raise `timeout_secs` in [external_metrics.len_score]",
            "thinking...",
        ],
    );
}

#[test]
fn program_that_cannot_start_is_named() {
    let table: toml::Table =
        toml::from_str("command = [\"./no/such/judge\", \"x\"]\ndirection = \"lower_is_better\"")
            .unwrap();
    let m = ExternalMetric::from_config("judge", &table, Path::new("/tmp")).unwrap();
    let items = abc();
    let err = m
        .score(&items.scoring(), &["judge"], &ScoringOptions::default())
        .unwrap_err()
        .to_string();
    assert_contains(
        &err,
        &[
            "external metric `judge`",
            "cannot start program `/tmp/./no/such/judge` (not found",
            "check `command` in [external_metrics.judge]",
        ],
    );
}

#[test]
fn metric_params_are_refused() {
    let mut options = ScoringOptions::default();
    options
        .params
        .insert("len_score".into(), json!({"temperature": 0}));
    let items = abc();
    let err = metric("length", "")
        .score(&items.scoring(), &["len_score"], &options)
        .unwrap_err()
        .to_string();
    assert_contains(&err, &["take no parameters", "`env`"]);
}

#[test]
fn suite_config_errors_name_file_line_and_key() {
    let path = Path::new("/project/evalgate.toml");
    let text = "[suite]\nname = \"x\"\n\n[external_metrics.judge]\ncommand = [\"judge\"]\n\
                direction = \"higher_is_better\"\ncomand = [\"typo\"]\n";
    let parse = |text: &str| Suite::parse(path, text, &MetricRegistry::builtin()).map(|_| ());
    let err = parse(text).unwrap_err().to_string();
    assert_contains(
        &err,
        &[
            "/project/evalgate.toml:7: `external_metrics.judge.comand` is not a known key",
            "command, direction",
        ],
    );

    let text = "[external_metrics.judge]\ncommand = [\"judge\"]\n";
    let err = parse(text).unwrap_err().to_string();
    assert_contains(
        &err,
        &["evalgate.toml:1: `external_metrics.judge.direction` is missing"],
    );

    let text = "\n[external_metrics.rouge1_f1]\ncommand = [\"judge\"]\n\
                direction = \"higher_is_better\"\n";
    let err = parse(text).unwrap_err().to_string();
    assert_contains(
        &err,
        &[
            "evalgate.toml:2: `external_metrics.rouge1_f1`",
            "already taken by a built-in or plugin metric; rename",
        ],
    );

    // Read with the rest of the suite, the project root the base of relative paths.
    let text = "[tiers.smoke]\ndatasets = [\"d\"]\n\n[datasets.d]\nsystems = [\"s\"]\n\
                metrics = [\"judge\"]\n\n[systems.s]\nkind = \"builtin\"\nbuiltin = \"lead_n\"\n\n\
                [external_metrics.judge]\ncommand = [\"bin/judge\"]\n\
                direction = \"lower_is_better\"\n";
    let suite = Suite::parse(path, text, &MetricRegistry::builtin()).unwrap();
    let judge = &suite.external_metrics[0];
    assert_eq!(judge.id(), "judge");
    assert_eq!(judge.definitions()[0].direction, Direction::LowerIsBetter);
}

// ---- Through the harness ----------------------------------------------------------------

const ITEMS: &str = r#"[
  {"id": "a", "input": "The cat sat on the mat. Then it slept.", "references": ["the cat sat"]},
  {"id": "b", "input": "Dogs bark loudly. Birds sing.", "references": ["dogs bark"]},
  {"id": "c", "input": "Rain falls. Sun shines.", "references": ["rain falls"]}
]"#;

/// A temp project whose dataset `demo_v1` is scored by external metrics given in `metrics`.
fn project(metrics_toml: &str, dataset_metrics: &str) -> Project {
    let p = Project::new(&format!(
        "[suite]\nname = \"demo\"\n\n[tiers.smoke]\ndatasets = [\"demo_v1\"]\n\n\
         [datasets.demo_v1]\nsystems = [\"first\"]\nmetrics = {dataset_metrics}\n\n\
         [systems.first]\nkind = \"rust\"\n\n{metrics_toml}"
    ));
    p.copy(&fixture(), "scripts/metric.sh");
    p.dataset("demo_v1", ITEMS);
    p
}

fn run(p: &Project) -> evalgate::Result<RunOutcome> {
    p.run_with(p.harness().system("first", FirstSentence), &ONE_THREAD)
}

#[test]
fn harness_runs_an_external_metric_and_records_it() {
    // `./scripts/metric.sh` resolves against the project root, not the test's folder.
    let p = project(
        "[external_metrics.len_score]\ncommand = [\"./scripts/metric.sh\", \"length\"]\n\
         direction = \"higher_is_better\"\nrange = [0, 1]\n\n\
         [checks.len_score]\nmin = 0.15\n",
        "[\"len_score\"]",
    );
    let out = run(&p).unwrap();
    assert_eq!(
        (out.conclusion.num_passed, out.conclusion.num_failed),
        (1, 0)
    );
    // results.json as written, not only the in-memory copy.
    let results: Value = serde_json::from_str(&p.results_json()).unwrap();
    let pair = &results["evaluations"][0];
    let m = &pair["metrics"]["len_score"];
    // "The cat sat on the mat." = 23, "Dogs bark loudly." = 17, "Rain falls." = 11 characters.
    assert_eq!(m["per_item"], json!([0.23, 0.17, 0.11]));
    assert!((m["value"].as_f64().unwrap() - 0.17).abs() < 1e-12, "{m}");
    assert_eq!(m["direction"], "higher_is_better");
    let check = &pair["checks"][0];
    assert_eq!(check["trial"], "smoke::demo_v1::first::len_score::min");
    assert_eq!(check["status"], "passed");
}

#[test]
fn harness_fails_the_trial_of_a_garbage_metric_with_the_message() {
    let p = project(
        "[external_metrics.judge]\ncommand = [\"sh\", \"scripts/metric.sh\", \"garbage\"]\n\
         direction = \"higher_is_better\"\n\n[checks.judge]\nmin = 0.5\n",
        "[\"judge\"]",
    );
    let out = run(&p).unwrap();
    assert_eq!(
        (out.conclusion.num_passed, out.conclusion.num_failed),
        (0, 1)
    );
    let results = out.results.unwrap();
    let pair = &results.evaluations[0];
    assert_contains(
        pair.error.as_deref().unwrap(),
        &[
            "external metric `judge`",
            "stdout line 1 is not JSON",
            "loading judge model",
        ],
    );
    let check = &pair.checks[0];
    assert_eq!(check.trial, "smoke::demo_v1::first::judge::min");
    assert_eq!(check.status, CheckStatus::Failed);
    assert_contains(&check.message, &["stdout line 1 is not JSON"]);
}

#[test]
fn a_broken_metric_fails_only_its_own_trials_and_writes_no_pending_baseline() {
    let p = project(
        "[external_metrics.judge]\ncommand = [\"sh\", \"scripts/metric.sh\", \"garbage\"]\n\
         direction = \"higher_is_better\"\n\n\
         [external_metrics.len_score]\ncommand = [\"./scripts/metric.sh\", \"length\"]\n\
         direction = \"higher_is_better\"\n\n\
         [checks.judge]\nmin = 0.5\n\n[checks.len_score]\nmin = 0.15\n",
        "[\"judge\", \"len_score\"]",
    );
    let out = run(&p).unwrap();
    assert_eq!(
        (out.conclusion.num_passed, out.conclusion.num_failed),
        (1, 1)
    );
    let results = out.results.unwrap();
    let pair = &results.evaluations[0];
    let status = |metric: &str| {
        pair.checks
            .iter()
            .find(|c| c.metric == metric)
            .unwrap()
            .status
    };
    assert_eq!(status("judge"), CheckStatus::Failed);
    assert_eq!(status("len_score"), CheckStatus::Passed);
    // An incomplete result must not become a pending baseline that drops `judge`.
    assert!(pair.baseline.pending_file.is_none());
    assert!(!p.path("baselines/demo_v1__first.snap.new").exists());
    // External metrics enter the baseline fingerprint through the metric version.
    assert!(
        pair.fingerprint.metric_version.starts_with(&format!(
            "{}+plugins:",
            evalgate::unstable::metrics::METRIC_VERSION
        )),
        "{}",
        pair.fingerprint.metric_version
    );
}

#[test]
fn harness_rejects_a_bad_external_metric_config() {
    let p = project(
        "[external_metrics.judge]\ncommand = [\"judge\"]\ndirection = \"higher_is_better\"\n\
         timeout = 5\n",
        "[\"judge\"]",
    );
    let err = run(&p).unwrap_err().to_string();
    assert_contains(
        &err,
        &[
            "evalgate.toml:",
            "`external_metrics.judge.timeout` is not a known key",
        ],
    );
}

#[test]
fn fingerprint_follows_the_script_and_hides_secrets() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("judge.sh"), "echo one").unwrap();
    let table: toml::Table = toml::from_str(
        "command = [\"sh\", \"judge.sh\"]\ndirection = \"higher_is_better\"\n\
         env = { MODEL = \"small\", API_KEY = \"sk-123\" }",
    )
    .unwrap();
    let m = ExternalMetric::from_config("judge", &table, tmp.path()).unwrap();
    let before = m.fingerprint().unwrap();
    assert_eq!(
        before["env"],
        json!({"API_KEY": "<secret>", "MODEL": "small"})
    );
    assert!(!before.to_string().contains("sk-123"));
    assert_eq!(before["command"], json!(["sh", "judge.sh"]));
    std::fs::write(tmp.path().join("judge.sh"), "echo two").unwrap();
    let after = m.fingerprint().unwrap();
    assert_ne!(before["files"]["judge.sh"], after["files"]["judge.sh"]);
    assert!(
        after["files"]["judge.sh"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
}

//! Snapshots of what a real run writes — `junit.xml` and `results.json` — for a small
//! deterministic project (a built-in and a Rust system, a plugin metric, passing, failing,
//! warning and ignored trials, an ignored tier, missing baselines), so that any change to their
//! shape or wording shows up in review as a snapshot diff (tests/snapshots/).

mod support;

use evalgate::unstable::numbers::fmt;
use serde_json::Value;
use support::{Echo, Project, word_recall};

// `cache_dir` inside the project: the default, under `CARGO_TARGET_DIR`, may be shared between
// runs, and a cache hit would change the generation counts.
const SUITE: &str = r#"[suite]
name = "snapshot"
cache_dir = "cache"

[tiers.smoke]
datasets = ["demo_v1"]

[tiers.full]
datasets = ["demo_v1"]
ignored = true

[datasets.demo_v1]
systems = ["lead", "echo"]
metrics = ["rouge1_f1", "word_recall", "latency_mean_ms"]

[systems.lead]
kind = "builtin"
builtin = "lead_n"
params = { sentences = 1 }

[systems.echo]
kind = "rust"

[checks.rouge1_f1]
min = 0.2
item_min = { value = 0.5, max_failing_items = 0 }

[checks.word_recall]
min = { value = 0.9, severity = "warn" }

[checks.latency_mean_ms]
max = 60000
"#;

const ITEMS: &str = r#"[
  {"id": "a", "input": "The cat sat on the mat. It slept all day.", "references": ["The cat sat on the mat."]},
  {"id": "b", "input": "Dogs bark at night. Neighbours complain.", "references": ["Neighbours complain about dogs."]},
  {"id": "c", "input": "Rain falls in spring. Rivers rise.", "references": ["Rain falls in spring."]}
]"#;

#[test]
fn junit_xml_and_results_json_of_a_run() {
    let p = Project::new(SUITE);
    p.dataset("demo_v1", ITEMS);
    let harness = p.harness().system("echo", Echo).metric(word_recall());
    let out = p.run_with(harness, &support::ONE_THREAD).unwrap();
    assert!(out.conclusion.has_failed(), "lead fails its item_min check");
    let root = p.root.display().to_string();

    let junit = p.junit_xml();
    roxmltree::Document::parse(&junit).expect("junit.xml is XML");
    insta::assert_snapshot!("junit_xml", normalize_junit(&junit, &root));
    insta::assert_snapshot!("results_json", normalize_results(&p.results_json(), &root));
}

// What varies from run to run is replaced by a placeholder before snapshotting, so that the
// snapshots hold only what evalgate decides:
// - the temp project folder, wherever a path shows it → `<project>`;
// - `run.started_at` and `run.finished_at` → `<timestamp>`; `run.git_commit`, when there is one
//   → `<git commit>`; every `evalgate_version` → `<version>` (it changes with each release);
// - latencies: the values of `latency_*` metrics (aggregate, per item, in baselines), the value,
//   baseline and delta of their checks and the value as their messages print it
//   (`latency_mean_ms = 0.0123`), the junit
//   `value`/`baseline`/`delta` properties of their trials → `<latency>`; the time the cache saved,
//   `generation.saved_ms` → `<ms>`.

const LATENCY: &str = "<latency>";

fn is_latency(metric: &str) -> bool {
    metric.starts_with("latency_")
}

fn normalize_results(json: &str, root: &str) -> String {
    let mut v: Value = serde_json::from_str(&json.replace(root, "<project>")).unwrap();
    let run = &mut v["run"];
    run["started_at"] = "<timestamp>".into();
    run["finished_at"] = "<timestamp>".into();
    if !run["git_commit"].is_null() {
        run["git_commit"] = "<git commit>".into();
    }
    mask_key(&mut v, "evalgate_version", "<version>");
    for evaluation in v["evaluations"].as_array_mut().unwrap() {
        for (id, metric) in evaluation["metrics"].as_object_mut().unwrap() {
            if is_latency(id) {
                metric["value"] = LATENCY.into();
                for value in metric["per_item"].as_array_mut().unwrap() {
                    *value = LATENCY.into();
                }
            }
        }
        for (id, value) in evaluation["baseline"]["metrics"].as_object_mut().unwrap() {
            if is_latency(id) {
                *value = LATENCY.into();
            }
        }
        for check in evaluation["checks"].as_array_mut().unwrap() {
            let metric = check["metric"].as_str().unwrap().to_string();
            if !is_latency(&metric) {
                continue;
            }
            if let Some(value) = check["value"].as_f64() {
                let shown = format!("{metric} = {}", fmt(value));
                let message = check["message"].as_str().unwrap();
                check["message"] = message
                    .replace(&shown, &format!("{metric} = {LATENCY}"))
                    .into();
            }
            for key in ["value", "baseline", "delta"] {
                if !check[key].is_null() {
                    check[key] = LATENCY.into();
                }
            }
        }
        if let Some(generation) = evaluation["generation"].as_object_mut() {
            generation["saved_ms"] = "<ms>".into();
        }
    }
    serde_json::to_string_pretty(&v).unwrap()
}

/// Replaces the value of every `key`, at any depth, with `placeholder`.
fn mask_key(v: &mut Value, key: &str, placeholder: &str) {
    match v {
        Value::Object(map) => {
            for (k, value) in map.iter_mut() {
                if k == key {
                    *value = placeholder.into();
                } else {
                    mask_key(value, key, placeholder);
                }
            }
        }
        Value::Array(values) => values
            .iter_mut()
            .for_each(|v| mask_key(v, key, placeholder)),
        _ => {}
    }
}

/// junit.xml is written one element a line: inside the `<testcase>` of a latency trial, the
/// numeric properties become `<latency>`.
fn normalize_junit(xml: &str, root: &str) -> String {
    let mut in_latency_trial = false;
    let mut out = Vec::new();
    for line in xml.replace(root, "<project>").lines() {
        let element = line.trim_start();
        if element.starts_with("<testcase ") {
            in_latency_trial = element.contains("::latency_");
        }
        let numeric = ["value", "baseline", "delta"]
            .iter()
            .find(|name| element.starts_with(&format!("<property name=\"{name}\" ")));
        match numeric {
            Some(name) if in_latency_trial => {
                let indent = &line[..line.len() - element.len()];
                out.push(format!(
                    "{indent}<property name=\"{name}\" value=\"{LATENCY}\"/>"
                ));
            }
            _ => out.push(line.to_string()),
        }
    }
    out.join("\n")
}

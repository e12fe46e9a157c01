//! The predictions files a run writes: one JSON line per item with the output, its metric
//! values (equal to results.json's `per_item`) and whether it came from the output cache;
//! results.json names the file.

mod support;

use evalgate::results::RunResults;
use serde_json::Value;
use support::{ONE_THREAD, Project, SUMMARY_ITEMS};

const FILE: &str = "out/predictions/demo_v1/cmd.jsonl";

/// A project with one three-item dataset run by the cacheable fixture command system.
fn project(samples: u32) -> Project {
    let p = Project::new(&format!(
        "[suite]\ncache_dir = \"cache\"\n\n[tiers.smoke]\ndatasets = [\"demo_v1\"]\n\n\
         [datasets.demo_v1]\nsystems = [\"cmd\"]\nmetrics = [\"rouge1_f1\", \"wer\"]\n\n\
         [systems.cmd]\nkind = \"command\"\ncommand = [\"sh\", \"{}\", \"plain\"]\n\
         samples = {samples}\n",
        support::fixture("fake_system.sh").display(),
    ));
    p.dataset("demo_v1", SUMMARY_ITEMS);
    p
}

fn lines(p: &Project) -> Vec<Value> {
    p.read(FILE)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn check_against_results(p: &Project, results: &RunResults, cached: bool) {
    let evaluation = &results.evaluations[0];
    assert_eq!(
        evaluation.predictions_file.as_deref(),
        Some("out/predictions/demo_v1/cmd.jsonl")
    );
    let written: RunResults = serde_json::from_str(&p.results_json()).unwrap();
    assert_eq!(
        written.evaluations[0].predictions_file,
        evaluation.predictions_file
    );
    let lines = lines(p);
    let ids: Vec<&str> = lines.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(ids, evaluation.items);
    for (n, line) in lines.iter().enumerate() {
        assert_eq!(line["cached"], Value::Bool(cached), "{line}");
        let prediction = line["prediction"].as_str().unwrap();
        assert!(prediction.starts_with("summary of "), "{line}");
        let metrics = line["metrics"].as_object().unwrap();
        assert_eq!(metrics.len(), evaluation.metrics.len());
        for (id, metric) in &evaluation.metrics {
            assert_eq!(metrics[id].as_f64(), metric.per_item[n], "{id} on {line}");
        }
    }
}

#[test]
fn a_run_writes_predictions_and_a_rerun_marks_them_cached() {
    let p = project(1);
    let first = p.run(&ONE_THREAD).results.unwrap();
    check_against_results(&p, &first, false);
    assert!(lines(&p).iter().all(|l| l.get("samples").is_none()));

    let second = p.run(&ONE_THREAD).results.unwrap();
    check_against_results(&p, &second, true);
}

#[test]
fn sampled_systems_list_every_sample() {
    let p = project(2);
    let results = p.run(&ONE_THREAD).results.unwrap();
    check_against_results(&p, &results, false);
    for line in lines(&p) {
        let samples = line["samples"].as_array().unwrap();
        assert_eq!(samples.len(), 2, "{line}");
        assert_eq!(samples[0]["sample"], 0);
        assert_eq!(samples[1]["sample"], 1);
        assert_eq!(samples[0]["prediction"], line["prediction"]);
        assert!(samples.iter().all(|s| s["cached"] == false));
    }
}

#[test]
fn an_evaluation_that_fails_writes_no_predictions() {
    let p = Project::new(&format!(
        "[suite]\n\n[tiers.smoke]\ndatasets = [\"demo_v1\"]\n\n\
         [datasets.demo_v1]\nsystems = [\"boom\"]\nmetrics = [\"rouge1_f1\"]\n\n\
         [systems.boom]\nkind = \"command\"\ncommand = [\"sh\", \"{}\", \"crash\"]\n",
        support::fixture("fake_system.sh").display(),
    ));
    p.dataset(
        "demo_v1",
        r#"[{"id": "a", "input": "Alpha.", "references": ["summary of a"]}]"#,
    );
    // A file left by an earlier run is not taken for this run's.
    p.write("out/predictions/demo_v1/boom.jsonl", "{}\n");
    let results = p.run(&ONE_THREAD).results.unwrap();
    assert!(results.evaluations[0].error.is_some());
    assert_eq!(results.evaluations[0].predictions_file, None);
    assert!(!p.path("out/predictions/demo_v1/boom.jsonl").exists());
    assert!(!p.results_json().contains("predictions_file"));
}

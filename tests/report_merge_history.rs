//! Merging nextest parts and CI shards, and appending runs to the history file.

mod report_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use evalgate::results::{CheckStatus, RunResults, Severity};
use evalgate::unstable::history::{self, AppendOutcome, HISTORY_SCHEMA};
use evalgate::unstable::report::merge::{expand_inputs, merge, merge_files};
use report_support::{podcast_pair, regress, run};

/// Splits a run into nextest-style parts: one file per check, each a full run with just that
/// pair and that one check.
fn parts_of(results: &RunResults) -> Vec<RunResults> {
    let mut parts = Vec::new();
    for pair in &results.evaluations {
        for check in &pair.checks {
            let mut part_pair = pair.clone();
            part_pair.checks = vec![check.clone()];
            let mut part = results.clone();
            part.evaluations = vec![part_pair];
            part.recount();
            parts.push(part);
        }
    }
    parts
}

fn labelled(parts: Vec<RunResults>) -> Vec<(PathBuf, RunResults)> {
    parts
        .into_iter()
        .enumerate()
        .map(|(i, p)| (PathBuf::from(format!("parts/{i}.json")), p))
        .collect()
}

fn full_run() -> RunResults {
    let mut a = podcast_pair(0.40, 0.21, 130.0);
    regress(
        &mut a,
        "rougeL_f1",
        CheckStatus::Failed,
        Severity::Error,
        "dropped",
    );
    let mut b = podcast_pair(0.45, 0.20, 118.0);
    b.system = "llm_small".into();
    for c in &mut b.checks {
        c.trial = c.trial.replace("extractive_lead3", "llm_small");
    }
    run(vec![a, b])
}

#[test]
fn parts_merge_back_into_the_whole_run() {
    let whole = full_run();
    let mut parts = parts_of(&whole);
    parts.reverse(); // order of the inputs does not matter
    assert_eq!(parts.len(), 6);
    let merged = merge(labelled(parts)).expect("merge");
    assert_eq!(merged.evaluations.len(), 2);
    for (m, w) in merged.evaluations.iter().zip(&whole.evaluations) {
        assert_eq!(m.dataset, w.dataset);
        assert_eq!(m.system, w.system);
        assert_eq!(m.metrics, w.metrics);
        let mut expected = w.checks.clone();
        expected.sort_by(|a, b| a.trial.cmp(&b.trial));
        assert_eq!(m.checks, expected);
    }
    assert_eq!(merged.summary.failed, 1);
    assert_eq!(merged.summary.passed, 5);
    assert_eq!(merged.run.git_commit, whole.run.git_commit);
    assert_eq!(merged.run.shard, None);
}

#[test]
fn merging_merged_shards_again_is_stable_and_identical_duplicates_collapse() {
    let whole = full_run();
    let parts = parts_of(&whole);
    let shard1 = merge(labelled(parts[..3].to_vec())).unwrap();
    let shard2 = merge(labelled(parts[3..].to_vec())).unwrap();
    let final_run = merge(vec![
        ("shard-1.json".into(), shard1.clone()),
        ("shard-2.json".into(), shard2),
        ("shard-1-again.json".into(), shard1),
    ])
    .unwrap();
    assert_eq!(final_run.summary.passed + final_run.summary.failed, 6);
}

#[test]
fn refuses_shards_from_different_commits() {
    let whole = full_run();
    let mut parts = parts_of(&whole);
    parts[4].run.git_commit = Some("ffffffffffffffffffffffffffffffffffffffff".into());
    let err = merge(labelled(parts)).unwrap_err().to_string();
    assert!(err.contains("different commits"), "{err}");
    assert!(
        err.contains("parts/4.json") && err.contains("parts/0.json"),
        "{err}"
    );
    assert!(err.contains("ffffffff"), "{err}");
}

#[test]
fn refuses_shards_from_different_configurations() {
    let whole = full_run();
    let mut parts = parts_of(&whole);
    parts[2].run.config_hash = "sha256:other".into();
    let err = merge(labelled(parts)).unwrap_err().to_string();
    assert!(err.contains("different configurations"), "{err}");
    assert!(err.contains("sha256:other"), "{err}");
}

#[test]
fn refuses_parts_of_one_pair_with_different_fingerprints() {
    let whole = full_run();
    let mut parts = parts_of(&whole);
    parts[1].evaluations[0].fingerprint.dataset_hash = "sha256:changed".into();
    let err = merge(labelled(parts)).unwrap_err().to_string();
    assert!(err.contains("different fingerprint"), "{err}");
    assert!(err.contains("podcast_summaries_v1"), "{err}");
}

#[test]
fn refuses_one_trial_with_two_different_results() {
    let whole = full_run();
    let mut parts = parts_of(&whole);
    let mut twin = parts[0].clone();
    twin.evaluations[0].checks[0].message = "ran again, measured differently".into();
    parts.push(twin);
    let err = merge(labelled(parts)).unwrap_err().to_string();
    assert!(err.contains("appears in both"), "{err}");
    assert!(err.contains("rougeL_f1::vs_baseline"), "{err}");
}

#[test]
fn merge_command_reads_a_parts_folder() {
    let dir = tempfile::tempdir().unwrap();
    let parts_dir = dir.path().join("parts");
    for (i, part) in parts_of(&full_run()).iter().enumerate() {
        part.write(&parts_dir.join(format!("part-{i}.json")))
            .unwrap();
    }
    std::fs::write(parts_dir.join("notes.txt"), "not json, not read").unwrap();
    let out = dir.path().join("merged/results.json");
    let status = Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .args(["report", "merge"])
        .arg(&parts_dir)
        .arg("--output")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let merged = RunResults::read(&out).unwrap();
    assert_eq!(merged.evaluations.len(), 2);
    assert_eq!(merged.summary.failed, 1);

    // Files given one by one work the same.
    let files = expand_inputs(std::slice::from_ref(&parts_dir)).unwrap();
    assert_eq!(files.len(), 6);
    assert_eq!(merge_files(&files).unwrap(), merged);
}

#[test]
fn merge_command_fails_clearly_on_an_empty_folder_and_on_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .args(["report", "merge"])
        .arg(&empty)
        .args(["--output", "/dev/null"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no results files to merge"), "{stderr}");

    let whole = full_run();
    let mut other = whole.clone();
    other.run.git_commit = Some("feedface".into());
    let a = dir.path().join("a.json");
    let b = dir.path().join("b.json");
    whole.write(&a).unwrap();
    other.write(&b).unwrap();
    let target = dir.path().join("merged.json");
    let out = Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .args(["report", "merge"])
        .args([&a, &b])
        .arg("--output")
        .arg(&target)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("different commits"));
    assert!(!target.exists(), "nothing written on refusal");
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn history_appends_one_line_per_run_and_keeps_earlier_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history/history.jsonl");
    let first = full_run();
    assert_eq!(
        history::append(&first, &path).unwrap(),
        AppendOutcome::Appended { records: 1 }
    );
    let before = std::fs::read(&path).unwrap();

    let mut second = full_run();
    second.run.started_at = "2026-11-27T02:00:00Z".into();
    second.run.git_commit = Some("1111111111111111111111111111111111111111".into());
    assert_eq!(
        history::append(&second, &path).unwrap(),
        AppendOutcome::Appended { records: 2 }
    );
    let after = std::fs::read(&path).unwrap();
    assert!(after.starts_with(&before), "earlier bytes changed");

    let lines = lines(&path);
    assert_eq!(lines.len(), 2);
    let record: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
    assert_eq!(record["schema"], HISTORY_SCHEMA);
    assert_eq!(
        record["git_commit"],
        "1111111111111111111111111111111111111111"
    );
    assert_eq!(record["summary"]["failed"], 1);
    assert_eq!(record["evaluations"][0]["metrics"]["rougeL_f1"], 0.40);
    assert_eq!(
        record["evaluations"][0]["failed"][0],
        "smoke::podcast_summaries_v1::extractive_lead3::rougeL_f1::vs_baseline"
    );

    // The same run again is not recorded twice.
    assert_eq!(
        history::append(&second, &path).unwrap(),
        AppendOutcome::AlreadyRecorded
    );
    assert_eq!(std::fs::read(&path).unwrap(), after);
}

#[test]
fn history_accepts_records_with_fields_it_does_not_know() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.jsonl");
    let future = r#"{"schema":"evalgate.history/v1","git_commit":"abc","started_at":"2026-01-01T00:00:00Z","finished_at":"x","evalgate_version":"9","config_path":"evalgate.toml","config_hash":"sha256:1","summary":{"passed":1,"failed":0,"warned":0,"ignored":0},"pairs":[{"dataset":"d","dataset_version":1,"system":"s","dataset_hash":"h","system_config_hash":"h","metric_version":"2","baseline_status":"present","metrics":{"new_metric":0.5},"energy_joules":12}],"runner":"ubuntu"}"#;
    std::fs::write(&path, format!("{future}\n")).unwrap();
    history::append(&full_run(), &path).unwrap();
    let lines = lines(&path);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0], future);
}

#[test]
fn history_refuses_a_corrupt_file_and_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.jsonl");
    let good = {
        history::append(&full_run(), &path).unwrap();
        std::fs::read_to_string(&path).unwrap()
    };
    std::fs::write(&path, format!("{good}{{not json\n")).unwrap();
    let mut other = full_run();
    other.run.started_at = "2027-01-01T00:00:00Z".into();
    let err = history::append(&other, &path).unwrap_err().to_string();
    assert!(err.contains("history.jsonl:2"), "{err}");

    std::fs::write(&path, good.trim_end()).unwrap();
    let err = history::append(&other, &path).unwrap_err().to_string();
    assert!(err.contains("not terminated by a newline"), "{err}");
}

#[test]
fn history_command_appends_from_a_results_file() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.json");
    full_run().write(&results).unwrap();
    let history_file = dir.path().join("history.jsonl");
    for expected in ["appended the run", "already records this run"] {
        let out = Command::new(env!("CARGO_BIN_EXE_evalgate"))
            .args(["history", "append", "--results"])
            .arg(&results)
            .arg("--history")
            .arg(&history_file)
            .output()
            .unwrap();
        assert!(out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{stderr}");
    }
    assert_eq!(lines(&history_file).len(), 1);
}

//! The guides in docs/guides/ run as a new user follows them: the `sh` blocks of each guide, in
//! order, as one `bash -euo pipefail` script in one scratch folder. Getting started makes a new
//! crate there; the next guides continue in it, so a command that stops working, or a step a
//! guide forgot, fails here.
//!
//! A few lines are not run, each for a stated reason (`skipped`):
//! - `cargo install …`: the tools come from this build (`evalgate` of this checkout is first on
//!   `PATH`) and from `.ci/install-tools` (cargo-insta);
//! - `export EVALGATE_SRC=…`: the test sets it to this checkout;
//! - `cargo insta review` is interactive: `cargo insta accept` runs in its place.
//!
//! Building a new crate takes minutes, so the tour is an ignored test that `.ci/run` runs with
//! `--ignored`; the dataset guide, which needs no build, runs with every `cargo test`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The guides that make up the tour, in reading order.
const TOUR: &[&str] = &[
    "getting-started",
    "creating-a-dataset",
    "experiments",
    "baselines",
    "gating-noisy-systems",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The lines of a guide's `sh` blocks, with the lines that are not run left out or replaced.
fn script(guide: &str) -> String {
    let path = root().join("docs/guides").join(format!("{guide}.md"));
    let text = std::fs::read_to_string(&path).unwrap();
    let mut out = format!("# --- docs/guides/{guide}.md\n");
    let mut inside = false;
    for line in text.lines() {
        match (inside, line.trim_end()) {
            (false, "```sh") => inside = true,
            (true, "```") => inside = false,
            (true, line) => out.push_str(&format!("{}\n", runnable(line))),
            (false, _) => {}
        }
    }
    out
}

/// `line` as the tour runs it (see the module docs).
fn runnable(line: &str) -> String {
    let trimmed = line.trim_start();
    if trimmed.starts_with("cargo install ") || trimmed.starts_with("export EVALGATE_SRC=") {
        format!("# skipped: {trimmed}")
    } else if trimmed.starts_with("cargo insta review") {
        line.replacen("cargo insta review", "cargo insta accept", 1)
    } else {
        line.to_string()
    }
}

/// Runs `script` in `dir` with this build's `evalgate` first on `PATH`.
fn run(script: &str, dir: &Path) {
    let bin = Path::new(env!("CARGO_BIN_EXE_evalgate")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", script])
        .current_dir(dir)
        .env("PATH", path)
        .env("EVALGATE_SRC", root())
        // The new crate builds in its own `target/`, where the guides read `target/evalgate/`.
        .env_remove("CARGO_TARGET_DIR")
        // Tests reach only loopback: cargo resolves the new crate's dependencies from what the
        // build of this repository already downloaded.
        .env("CARGO_NET_OFFLINE", "true")
        .env("GIT_AUTHOR_NAME", "Guide Reader")
        .env("GIT_AUTHOR_EMAIL", "reader@example.com")
        .env("GIT_COMMITTER_NAME", "Guide Reader")
        .env("GIT_COMMITTER_EMAIL", "reader@example.com")
        .env_remove("CARGO_MAKEFLAGS")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the guide commands failed ({}):\n--- script\n{script}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_dataset_guide_runs_on_its_own() {
    let dir = tempfile::tempdir().unwrap();
    run(&script("creating-a-dataset"), dir.path());
    for version in ["meetings_v1", "meetings_v2"] {
        let manifest = dir
            .path()
            .join("datasets")
            .join(version)
            .join("dataset.json");
        assert!(manifest.is_file(), "{} was not written", manifest.display());
    }
}

#[test]
#[ignore = "builds a new crate with cargo (minutes); .ci/run runs it with --ignored"]
fn the_guides_run_in_order_in_a_new_crate() {
    let dir = tempfile::tempdir().unwrap();
    let tour: String = TOUR.iter().map(|guide| script(guide)).collect();
    run(&tour, dir.path());
    let crate_dir = dir.path().join("meeting-notes");
    for file in [
        "evalgate.toml",
        "tests/benchmarks.rs",
        "baselines/example_v1__lead1.snap",
        "baselines/example_v1__lead2.snap",
    ] {
        assert!(crate_dir.join(file).is_file(), "{file} was not written");
    }
}

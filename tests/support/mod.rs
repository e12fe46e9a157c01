//! The integration tests' toolkit, one copy for every test binary (`mod support;` at the top of a
//! test file). Each binary compiles all of it and uses a part, hence `allow(dead_code)`.
//!
//! - [`Project`] (`project.rs`): a temp project — suite file, datasets with their hashes, other
//!   files, optionally a git repository — and in-process harness runs on it, their libtest
//!   report written to a log file by [`quiet_args`], so the failures a scenario expects do not
//!   show up in `cargo test`'s output.
//! - [`Server`] (`http.rs`): a loopback HTTP server that records every request and answers with a
//!   closure (or a script of [`Reply`]s), for the `openai` system kind and the GitHub client.
//! - [`FirstSentence`], [`Echo`] and [`word_recall`] (`plugins.rs`): small deterministic systems
//!   and a metric registered in-process with `Harness::system` / `Harness::metric`;
//!   [`ItemMetric`] makes such a metric from a value per item.
//! - `embedding`: the sentence-embedding model folder for the semantic tests (skip or fail).
//! - `transcripts`: generated meeting transcripts for memory and speed tests.
//! - [`SUMMARY_ITEMS`]: a dataset matching the answers of `fake_system.sh plain`.
//! - Small helpers: [`fixture`], [`line_count`], [`assert_contains`], [`read_jsonl`],
//!   [`first_lines`], [`files_under`].
#![allow(dead_code)]

pub mod embedding;
mod http;
mod plugins;
mod project;
pub mod transcripts;

use std::path::{Path, PathBuf};

use libtest_mimic::Arguments;

// Each test binary uses some of these.
#[allow(unused_imports)]
pub use http::{Reply, Request, Server};
#[allow(unused_imports)]
pub use plugins::{Echo, FirstSentence, ItemMetric, word_recall};
#[allow(unused_imports)]
pub use project::Project;

/// A three-item dataset (`a`, `b`, `c`) whose references, `summary of <id>`, are what
/// `fake_system.sh plain` ([`fixture`]) answers before its prefix.
pub const SUMMARY_ITEMS: &str = r#"[
  {"id": "a", "input": "Alpha talks about bees.", "references": ["summary of a"]},
  {"id": "b", "input": "Beta talks about bikes.", "references": ["summary of b"]},
  {"id": "c", "input": "Gamma talks about sleep.", "references": ["summary of c"]}
]"#;

/// Extra libtest arguments for a run on one test thread.
pub const ONE_THREAD: [&str; 2] = ["--test-threads", "1"];

/// libtest arguments for an in-process harness run: `extra` (filters, `--include-ignored`, ...)
/// plus `--logfile <out_dir>/libtest.log`, so the inner run's report — including the failures a
/// scenario expects — goes to that file instead of this test binary's output.
pub fn quiet_args(out_dir: &Path, extra: &[&str]) -> Arguments {
    std::fs::create_dir_all(out_dir).expect("create the output folder");
    let log = out_dir.join("libtest.log");
    let mut args = vec![
        "benchmarks".to_string(),
        "--logfile".to_string(),
        log.to_string_lossy().into_owned(),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    Arguments::from_iter(args)
}

/// `tests/fixtures/<rel>` of this repository, as an absolute path.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// How many lines a file has, 0 when it does not exist: the fixtures and test systems append one
/// line to their `COUNT_FILE` per start or call.
pub fn line_count(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

/// Asserts that `text` contains every one of `parts`, naming the first missing one.
pub fn assert_contains(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "`{part}` missing in: {text}");
    }
}

/// The JSON values of a JSON-lines file, one a line; panics naming the file and line of one
/// that is not JSON.
pub fn read_jsonl(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .enumerate()
        .map(|(n, line)| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{}:{}: invalid JSON: {e}", path.display(), n + 1))
        })
        .collect()
}

/// The first 40 of `lines`, one a line: the sample a table test's failure message shows.
pub fn first_lines(lines: &[String]) -> String {
    lines
        .iter()
        .take(40)
        .cloned()
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every file below `dir` (recursively, in no particular order); empty when `dir` does not exist.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

//! evalgate turns ML output quality into `cargo test` results. It runs *systems under test* over
//! frozen *datasets*, scores their *predictions* with *metrics*, judges each metric with
//! *checks* against thresholds and the *baseline* snapshot, and reports every
//! `tier::dataset::system::metric::check` as one libtest trial: a regression is a failing test,
//! a warning an ignored test with its reason.
//!
//! ```text
//! evalgate.toml ─▶ config ─▶ harness::plan (trials)
//! datasets/ ─▶ dataset ─▶ systems ─▶ generate (+ cache) ─▶ metrics ─▶ checks ─┬▶ results.json, junit.xml
//!                                                           baselines/ ◀─▶ baseline ─┘   └▶ report (PR comment, summary)
//! ```
//!
//! # Use
//!
//! `evalgate init` (the command line) sets all of this up in an existing crate; by hand:
//!
//! In your crate, `Cargo.toml` gets `evalgate` as a dev-dependency and a test target without
//! libtest's harness:
//!
//! ```toml
//! [[test]]
//! name = "benchmarks"
//! harness = false
//! ```
//!
//! and `tests/benchmarks.rs` runs the suite described by `evalgate.toml` next to `Cargo.toml`:
//!
//! ```no_run
//! use evalgate::{Generation, Harness, System, SystemRequest};
//!
//! /// A system under test in Rust: the first sentence of the input.
//! struct FirstSentence;
//!
//! impl System for FirstSentence {
//!     fn fingerprint(&self) -> serde_json::Value {
//!         serde_json::json!({"name": "first_sentence", "version": 1})
//!     }
//!
//!     fn generate(&self, request: &SystemRequest<'_>) -> evalgate::Result<Generation> {
//!         let first = request.input.split_inclusive('.').next().unwrap_or("");
//!         Ok(Generation::text(first.trim()))
//!     }
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     Harness::new()
//!         .system("first_sentence", FirstSentence) // `[systems.first_sentence] kind = "rust"`
//!         .main()
//! }
//! ```
//!
//! `cargo test --test benchmarks -- smoke` then runs the smoke tier. Systems can also be
//! programs (`kind = "command"`), OpenAI-compatible endpoints or recorded predictions; metrics
//! can be added as [`Metric`] plugins with [`Harness::metric`]. The configuration, metrics,
//! systems and results schema are documented in the repository's `docs/` folder.
//!
//! # API
//!
//! The root holds what a user's `tests/benchmarks.rs` needs — the [`Harness`], the [`System`]
//! and [`Metric`] traits with the data they exchange — and [`results`], the schema of
//! `results.json` for programs that read it. Everything else is in [`unstable`], for evalgate's
//! own command line and tests, with no stability promise.

#![warn(missing_docs)]

/// evalgate's internals, public for its own command line and integration tests only: no
/// stability promise, and not part of the documented API.
#[doc(hidden)]
#[path = "."]
pub mod unstable {
    #[path = "baseline.rs"]
    pub mod baseline;
    #[path = "cache.rs"]
    pub mod cache;
    #[path = "checks.rs"]
    pub mod checks;
    #[path = "config/mod.rs"]
    pub mod config;
    #[path = "dataset/mod.rs"]
    pub mod dataset;
    #[path = "diff.rs"]
    pub mod diff;
    #[path = "error.rs"]
    pub mod error;
    #[path = "evaluation.rs"]
    pub mod evaluation;
    #[path = "fsutil.rs"]
    pub mod fsutil;
    #[path = "generate.rs"]
    pub mod generate;
    #[path = "harness/mod.rs"]
    pub mod harness;
    #[path = "history.rs"]
    pub mod history;
    #[path = "http.rs"]
    pub mod http;
    #[path = "init/mod.rs"]
    pub mod init;
    #[path = "junit.rs"]
    pub mod junit;
    #[path = "metrics/mod.rs"]
    pub mod metrics;
    #[path = "numbers.rs"]
    pub mod numbers;
    #[path = "outside.rs"]
    pub mod outside;
    #[path = "pricing.rs"]
    pub mod pricing;
    #[path = "process.rs"]
    pub(crate) mod process;
    #[path = "report/mod.rs"]
    pub mod report;
    #[path = "results.rs"]
    pub mod results;
    #[path = "score.rs"]
    pub mod score;
    #[path = "stats/mod.rs"]
    pub mod stats;
    #[path = "systems/mod.rs"]
    pub mod systems;
    #[path = "text.rs"]
    pub mod text;
}

// Inside the crate every module keeps its short path (`crate::config`, ...).
pub(crate) use unstable::{
    baseline, cache, checks, config, dataset, diff, error, evaluation, fsutil, generate, history,
    http, junit, metrics, numbers, outside, pricing, process, report, stats, systems, text,
};

pub use unstable::error::{Error, Result};
pub use unstable::harness::{Harness, RunOutcome};
pub use unstable::metrics::{
    Direction, Metric, MetricDef, MetricValues, ScoringItem, ScoringOptions, mean_of,
};
pub use unstable::results;
pub use unstable::systems::{Generation, System, SystemRequest, Usage};

/// Loads and verifies one dataset as the benchmarks load it: the manifest's structure, the item
/// ids (unique, printable, one line), the paths of the texts (inside the dataset's folder),
/// references on every item or on none (a reference-free dataset), and every content hash.
/// `path` is a `dataset.json` or the folder holding it.
///
/// # Errors
///
/// [`Error`] naming the file and, where there is one, the item and field that is wrong.
///
/// `tests/datasets.rs` (written by `evalgate init`) runs it once per `datasets/**/dataset.json`
/// under `datatest-stable`, so a broken dataset is its own failing test:
///
/// ```no_run
/// fn dataset(path: &std::path::Path) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
///     Ok(evalgate::verify_dataset(path)?)
/// }
/// ```
pub fn verify_dataset(path: &std::path::Path) -> Result<()> {
    let dir = if path.file_name() == Some(std::ffi::OsStr::new(dataset::DATASET_FILE)) {
        match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => std::path::Path::new("."),
        }
    } else {
        path
    };
    dataset::Dataset::load(dir).map(|_| ())
}

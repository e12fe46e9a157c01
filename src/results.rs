//! The machine-readable results file (`target/evalgate/results.json`), schema
//! `evalgate.results/v1`. CI, PR comments, history and the dashboard read it; the schema is
//! documented in `docs/results-schema.md`. Additive changes keep the version; renames or removals
//! bump it.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::metrics::Direction;

/// Schema identifier written into every results file.
pub const RESULTS_SCHEMA: &str = "evalgate.results/v1";

/// A whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResults {
    /// Always [`RESULTS_SCHEMA`].
    pub schema: String,
    /// Run metadata.
    pub run: RunInfo,
    /// One entry per dataset × system computed in this run.
    pub pairs: Vec<PairResults>,
    /// Counts over all checks in this run.
    pub summary: Summary,
}

/// Metadata about the run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// evalgate's version.
    pub evalgate_version: String,
    /// RFC 3339 UTC start time.
    pub started_at: String,
    /// RFC 3339 UTC end time.
    pub finished_at: String,
    /// `git rev-parse HEAD` (or `GITHUB_SHA`), when available.
    #[serde(default)]
    pub git_commit: Option<String>,
    /// The suite configuration file, relative to the project root.
    pub config_path: String,
    /// `sha256:` of the configuration file's bytes.
    pub config_hash: String,
    /// The trial-name filters given on the command line.
    #[serde(default)]
    pub filters: Vec<String>,
    /// Shard label when the run is one part of a partitioned run (e.g. nextest `--partition`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
}

/// Counts over checks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Checks that passed.
    pub passed: usize,
    /// Error-level regressions and errors (failing trials).
    pub failed: usize,
    /// Warning-level regressions (ignored trials with a reason).
    pub warned: usize,
    /// Checks ignored for another reason (no baseline yet, ignored tier).
    pub ignored: usize,
}

/// Everything computed for one dataset × system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairResults {
    /// Dataset id.
    pub dataset: String,
    /// Dataset version.
    pub dataset_version: u32,
    /// System name (as in the suite).
    pub system: String,
    /// The fingerprint compared with the baseline.
    pub fingerprint: Fingerprint,
    /// Set when the system or a metric failed; then `metrics` may be empty.
    #[serde(default)]
    pub error: Option<String>,
    /// Item ids in dataset order (per-item arrays align with it).
    pub items: Vec<String>,
    /// Metric id → values.
    pub metrics: BTreeMap<String, MetricResult>,
    /// The baseline compared against.
    pub baseline: BaselineInfo,
    /// Every check of this pair that ran in this run.
    pub checks: Vec<CheckResult>,
}

/// What identifies the things a baseline compares: when any part differs, comparing numbers
/// would be comparing different things.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// `sha256:` over the dataset's items (ids, input and reference hashes, metadata).
    pub dataset_hash: String,
    /// Item ids in order.
    pub item_ids: Vec<String>,
    /// Reference ids (`<item>#<n>` per reference text).
    pub reference_ids: Vec<String>,
    /// `sha256:` over the system's configuration fingerprint.
    pub system_config_hash: String,
    /// Version of the metric definitions (bumped whenever a metric's numbers change meaning).
    pub metric_version: String,
}

/// One metric's values in a pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricResult {
    /// Dataset-level value.
    pub value: f64,
    /// Which way is better.
    pub direction: Direction,
    /// Per-item values aligned with `PairResults::items` (`null` where not applicable).
    pub per_item: Vec<Option<f64>>,
}

/// The baseline a pair was compared with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineInfo {
    /// The snapshot file, relative to the project root (`baselines/<dataset>__<system>.snap`).
    pub file: String,
    /// `present`, `missing` or `fingerprint_mismatch`.
    pub status: BaselineStatus,
    /// Baseline metric values (empty when missing).
    #[serde(default)]
    pub metrics: BTreeMap<String, f64>,
    /// Set when this run wrote a pending `.snap.new` next to the baseline.
    #[serde(default)]
    pub pending_file: Option<String>,
}

/// State of a pair's baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BaselineStatus {
    /// A baseline exists and its fingerprint matches the run.
    Present,
    /// No baseline file yet.
    Missing,
    /// A baseline exists but was made on other data, items, system config or metric version.
    FingerprintMismatch,
}

/// Kinds of check; the last segment of a trial name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    /// The value must be at least the threshold.
    Min,
    /// The value must be at most the threshold.
    Max,
    /// The value must not worsen versus the baseline by more than the allowed drop.
    VsBaseline,
}

impl CheckKind {
    /// The name used in trial names (`min`, `max`, `vs_baseline`).
    pub fn as_str(self) -> &'static str {
        match self {
            CheckKind::Min => "min",
            CheckKind::Max => "max",
            CheckKind::VsBaseline => "vs_baseline",
        }
    }
}

/// Severity of a check: an `error` regression fails its trial, a `warn` one ignores it with the
/// reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Regression fails the trial.
    #[default]
    Error,
    /// Regression is an ignored trial with its reason.
    Warn,
}

/// Outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// Within bounds.
    Passed,
    /// Error-level regression, or the pair could not be computed.
    Failed,
    /// Warning-level regression.
    Warned,
    /// Not evaluated (no baseline yet).
    Ignored,
}

/// One check (one trial) with its numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// Full trial name `tier::dataset::system::metric::check`.
    pub trial: String,
    /// Tier (`smoke`, `full`, ...).
    pub tier: String,
    /// Metric id.
    pub metric: String,
    /// Check kind.
    pub kind: CheckKind,
    /// Severity.
    pub severity: Severity,
    /// Outcome.
    pub status: CheckStatus,
    /// Which way is better.
    pub direction: Direction,
    /// Current value.
    pub value: Option<f64>,
    /// Baseline value (vs-baseline checks).
    #[serde(default)]
    pub baseline: Option<f64>,
    /// `value - baseline` (vs-baseline checks).
    #[serde(default)]
    pub delta: Option<f64>,
    /// The bound: min/max value, or the allowed drop (absolute) for vs-baseline.
    #[serde(default)]
    pub threshold: Option<f64>,
    /// The allowed relative drop in percent (vs-baseline checks), when configured.
    #[serde(default)]
    pub threshold_pct: Option<f64>,
    /// Human-readable explanation (the failure or warning message).
    pub message: String,
    /// Worst items first (at most five), for failing and warning checks.
    #[serde(default)]
    pub worst_items: Vec<ItemValue>,
    /// File to annotate (baseline snapshot or config), relative to the project root.
    pub file: String,
    /// Line in `file`, where known.
    #[serde(default)]
    pub line: Option<u32>,
}

/// An item id with its value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemValue {
    /// Item id.
    pub id: String,
    /// Value for that item.
    pub value: f64,
}

impl RunResults {
    /// Reads and validates a results file.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::read(path, e))?;
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            Error::Report(format!(
                "{}:{}:{}: not valid JSON: {e}",
                path.display(),
                e.line(),
                e.column()
            ))
        })?;
        let schema = value.get("schema").and_then(|s| s.as_str()).unwrap_or("");
        if schema != RESULTS_SCHEMA {
            return Err(Error::Report(format!(
                "{}: schema is `{schema}`, expected `{RESULTS_SCHEMA}`; regenerate it with this \
                 evalgate version",
                path.display()
            )));
        }
        serde_json::from_value(value).map_err(|e| {
            Error::Report(format!(
                "{}: does not match the results schema: {e}",
                path.display()
            ))
        })
    }

    /// Writes the file atomically, pretty-printed.
    pub fn write(&self, path: &Path) -> Result<()> {
        let mut text = serde_json::to_string_pretty(self).expect("results serialize");
        text.push('\n');
        crate::fsutil::write_atomic(path, text.as_bytes())
    }

    /// Recomputes `summary` from the checks.
    pub fn recount(&mut self) {
        let mut s = Summary::default();
        for c in self.pairs.iter().flat_map(|p| &p.checks) {
            match c.status {
                CheckStatus::Passed => s.passed += 1,
                CheckStatus::Failed => s.failed += 1,
                CheckStatus::Warned => s.warned += 1,
                CheckStatus::Ignored => s.ignored += 1,
            }
        }
        self.summary = s;
    }
}

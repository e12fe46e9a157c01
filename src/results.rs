//! The machine-readable results file (`target/evalgate/results.json`), schema
//! `evalgate.results/v3`. CI, PR comments, history and the dashboard read it; the schema is
//! documented in `docs/results-schema.md`. Additive changes keep the version; renames or removals
//! bump it.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ReportError, Result};
use crate::metrics::Direction;

pub use crate::baseline::{BaselineStatus, Fingerprint};
pub use crate::checks::{CheckKind, CheckStatus, ItemValue, PairedDecision, PairedTest, Severity};
pub use crate::generate::CacheUse;
pub use crate::stats::Method;

/// Schema identifier written into every results file.
pub const RESULTS_SCHEMA: &str = "evalgate.results/v3";

/// A whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResults {
    /// Always [`RESULTS_SCHEMA`].
    pub schema: String,
    /// Run metadata.
    pub run: RunInfo,
    /// One entry per dataset × system computed in this run.
    pub evaluations: Vec<EvaluationResults>,
    /// Checks that belong to no dataset × system computed in this run: whether the baselines of
    /// other tiers were made with a system's current configuration (`stale_baseline` checks).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_checks: Vec<CheckResult>,
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
    /// Vs-baseline checks whose paired test could not tell (ignored trials with the interval).
    #[serde(default)]
    pub inconclusive: usize,
    /// Checks ignored for another reason (no baseline yet, ignored tier).
    pub ignored: usize,
}

/// Everything computed for one dataset × system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluationResults {
    /// Dataset id.
    pub dataset: String,
    /// Dataset version.
    pub dataset_version: u32,
    /// System name (as in the suite).
    pub system: String,
    /// What was measured: the baseline must match it for its numbers to be comparable.
    pub fingerprint: Fingerprint,
    /// The system's configuration as [`crate::systems::System::fingerprint`] describes it
    /// (parameters, prompts, model, hashes of the files it reads; never secrets). A change here
    /// is the normal case of a run: it is compared with the baseline and reported, not refused.
    #[serde(default)]
    pub system_config: serde_json::Value,
    /// Set when the system or a metric failed; then `metrics` may be empty.
    #[serde(default)]
    pub error: Option<String>,
    /// Item ids in dataset order (per-item arrays align with it).
    pub items: Vec<String>,
    /// Outputs generated per item (the system's `samples`); written only when more than 1.
    #[serde(default = "one_sample", skip_serializing_if = "is_one_sample")]
    pub samples: u32,
    /// Metric id → values.
    pub metrics: BTreeMap<String, MetricResult>,
    /// With several samples per item: each item whose samples a pass/fail gate judges
    /// differently (some pass, some fail), per gate. Written only when not empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flaky_items: Vec<FlakyItem>,
    /// The baseline compared against.
    pub baseline: BaselineInfo,
    /// Every check of this evaluation that ran in this run.
    pub checks: Vec<CheckResult>,
    /// How the outputs were produced: cache use and warnings (absent when nothing was generated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<GenerationSummary>,
    /// The predictions file this run wrote for the evaluation, relative to the project root
    /// (`target/evalgate/predictions/<dataset>/<system>.jsonl`): one JSON line per item with the
    /// output, its metric values and whether it came from the cache. Absent when the evaluation
    /// could not be computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predictions_file: Option<String>,
}

/// Output-cache statistics and generation warnings of an evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerationSummary {
    /// Whether the outputs went through the output cache at all.
    pub cache: CacheUse,
    /// Outputs served from the output cache (one per item, or per item and sample with
    /// `samples` > 1).
    pub cache_hits: usize,
    /// Outputs generated by this run.
    pub cache_misses: usize,
    /// Generation time saved by cache hits, in milliseconds (sum of the original latencies).
    pub saved_ms: f64,
    /// Cache or pricing problems that did not stop the run.
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// One metric's values in an evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricResult {
    /// Dataset-level value.
    pub value: f64,
    /// Which way is better.
    pub direction: Direction,
    /// Per-item values aligned with `EvaluationResults::items` (`null` where not applicable).
    /// With several samples per item, each item's value is the mean of its samples' values
    /// (`null` when none has one).
    pub per_item: Vec<Option<f64>>,
    /// With several samples per item: per item (aligned with `items`), the value of each sample
    /// in sample order. Empty, and not written, with one sample.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub per_sample: Vec<Vec<Option<f64>>>,
}

/// An item whose samples a pass/fail gate judges differently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlakyItem {
    /// Item id.
    pub id: String,
    /// The gate (metric id).
    pub metric: String,
    /// How many of the item's samples pass the gate.
    pub passed_samples: u32,
    /// How many samples the item has.
    pub samples: u32,
}

impl std::fmt::Display for FlakyItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({} of {} samples pass)",
            self.id, self.passed_samples, self.samples
        )
    }
}

fn one_sample() -> u32 {
    1
}

fn is_one_sample(n: &u32) -> bool {
    *n <= 1
}

/// The baseline an evaluation was compared with.
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
    /// What changed in the system's configuration since the baseline was made, one entry per
    /// changed key or file (e.g. `params.sentences 3 → 2`, `file summarize.py changed`); empty
    /// when the system is unchanged or there is no baseline.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub system_changes: Vec<String>,
}

/// One check (one trial) with its numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// Full trial name `tier::dataset::system::metric::check`, or
    /// `tier::dataset::system::metric::check::<item id>` for a per-item trial (the item id is
    /// everything after the fifth `::`).
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
    /// Which way is better for the metric (absent for checks about no metric:
    /// `stale_baseline`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// Current value.
    pub value: Option<f64>,
    /// Baseline value (vs-baseline checks).
    #[serde(default)]
    pub baseline: Option<f64>,
    /// `value - baseline` (vs-baseline checks).
    #[serde(default)]
    pub delta: Option<f64>,
    /// The bound: min/max value (also of item checks), or the allowed worsening (absolute) for
    /// vs-baseline.
    #[serde(default)]
    pub threshold: Option<f64>,
    /// The allowed relative drop in percent (vs-baseline checks), when configured.
    #[serde(default)]
    pub threshold_pct: Option<f64>,
    /// Vs-baseline checks with a statistical test: the confidence interval, method, item and
    /// sample counts, minimum detectable effect, p-value and decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<PairedTest>,
    /// Human-readable explanation (the failure or warning message).
    pub message: String,
    /// Worst items first (at most five), for failing and warning checks.
    #[serde(default)]
    pub worst_items: Vec<ItemValue>,
    /// Item checks: every item beyond the bound, worst first (may be within the allowance).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failing_items: Vec<ItemValue>,
    /// Per-item trials: the item judged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// File to annotate (baseline snapshot or config), relative to the project root.
    pub file: String,
    /// Line in `file`, where known.
    #[serde(default)]
    pub line: Option<u32>,
}

impl RunResults {
    /// Reads and validates a results file.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::read(path, e))?;
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            Error::Report(ReportError::new(format!(
                "{}:{}:{}: not valid JSON: {e}",
                path.display(),
                e.line(),
                e.column()
            )))
        })?;
        let schema = value.get("schema").and_then(|s| s.as_str()).unwrap_or("");
        if schema != RESULTS_SCHEMA {
            return Err(Error::Report(ReportError::new(format!(
                "{}: schema is `{schema}`, expected `{RESULTS_SCHEMA}`; regenerate it with this \
                 evalgate version",
                path.display()
            ))));
        }
        serde_json::from_value(value).map_err(|e| {
            Error::Report(ReportError::new(format!(
                "{}: does not match the results schema: {e}",
                path.display()
            )))
        })
    }

    /// Writes the file atomically, pretty-printed.
    pub fn write(&self, path: &Path) -> Result<()> {
        let mut text = serde_json::to_string_pretty(self).expect("results serialize");
        text.push('\n');
        crate::fsutil::write_atomic(path, text.as_bytes())
    }

    /// Every check of the run: each evaluation's, then [`RunResults::other_checks`].
    pub fn all_checks(&self) -> impl Iterator<Item = &CheckResult> {
        self.evaluations
            .iter()
            .flat_map(|p| &p.checks)
            .chain(&self.other_checks)
    }

    /// Recomputes `summary` from the checks.
    pub fn recount(&mut self) {
        let mut s = Summary::default();
        for c in self.all_checks() {
            match c.status {
                CheckStatus::Passed => s.passed += 1,
                CheckStatus::Failed => s.failed += 1,
                CheckStatus::Warned => s.warned += 1,
                CheckStatus::Inconclusive => s.inconclusive += 1,
                CheckStatus::Ignored => s.ignored += 1,
            }
        }
        self.summary = s;
    }
}

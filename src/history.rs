//! The run history: an append-only JSON-lines file (`history.jsonl`), one [`HistoryRecord`] per
//! run, kept by the nightly workflow on a dedicated branch.
//!
//! Format `evalgate.history/v2` (v1 called `evaluations` `pairs`): every line is one JSON object. Metrics are a map keyed by metric
//! id, so adding metrics later adds keys, never columns; readers must ignore fields they do not
//! know, and new fields are only ever added (renames or removals bump the version). Appending
//! rewrites the file atomically (temp file + rename) with every earlier line byte for byte as it
//! was, after checking that each earlier line is a history record.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ReportError, Result};
use crate::results::{BaselineStatus, CheckStatus, RunResults, Summary};

/// Schema identifier of history records.
pub const HISTORY_SCHEMA: &str = "evalgate.history/v2";

/// One line of the history file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryRecord {
    /// Always [`HISTORY_SCHEMA`] for records written by this version.
    pub schema: String,
    /// Commit the run measured.
    #[serde(default)]
    pub git_commit: Option<String>,
    /// RFC 3339 start of the run.
    pub started_at: String,
    /// RFC 3339 end of the run.
    pub finished_at: String,
    /// evalgate's version.
    pub evalgate_version: String,
    /// Configuration file and its hash.
    pub config_path: String,
    /// `sha256:` of the configuration file.
    pub config_hash: String,
    /// Check counts.
    pub summary: Summary,
    /// One entry per dataset × system (`pairs` in v1 records, which read the same).
    #[serde(alias = "pairs")]
    pub evaluations: Vec<HistoryEvaluation>,
}

/// One dataset × system in a history record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEvaluation {
    /// Dataset id.
    pub dataset: String,
    /// Dataset version.
    pub dataset_version: u32,
    /// System name.
    pub system: String,
    /// `sha256:` over the dataset (values from different hashes are not comparable).
    pub dataset_hash: String,
    /// `sha256:` over the system configuration (its canonical JSON).
    pub system_config_hash: String,
    /// Version of the metric definitions.
    pub metric_version: String,
    /// Baseline state in that run.
    pub baseline_status: BaselineStatus,
    /// Set when the evaluation could not be computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Metric id → dataset-level value.
    pub metrics: BTreeMap<String, f64>,
    /// Trials that failed (error-level regressions).
    #[serde(default)]
    pub failed: Vec<String>,
    /// Trials that warned.
    #[serde(default)]
    pub warned: Vec<String>,
    /// Vs-baseline trials whose paired test could not tell.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inconclusive: Vec<String>,
}

impl HistoryRecord {
    /// The record for a run.
    pub fn from_results(results: &RunResults) -> Self {
        let mut counted = results.clone();
        counted.recount();
        let trials = |evaluation: &crate::results::EvaluationResults, status: CheckStatus| {
            evaluation
                .checks
                .iter()
                .filter(|c| c.status == status)
                .map(|c| c.trial.clone())
                .collect::<Vec<_>>()
        };
        HistoryRecord {
            schema: HISTORY_SCHEMA.to_string(),
            git_commit: results.run.git_commit.clone(),
            started_at: results.run.started_at.clone(),
            finished_at: results.run.finished_at.clone(),
            evalgate_version: results.run.evalgate_version.clone(),
            config_path: results.run.config_path.clone(),
            config_hash: results.run.config_hash.clone(),
            summary: counted.summary,
            evaluations: results
                .evaluations
                .iter()
                .map(|p| HistoryEvaluation {
                    dataset: p.dataset.clone(),
                    dataset_version: p.dataset_version,
                    system: p.system.clone(),
                    dataset_hash: p.fingerprint.dataset_hash.clone(),
                    system_config_hash: crate::fsutil::sha256_hex(
                        crate::cache::canonical_json(&p.system_config).as_bytes(),
                    ),
                    metric_version: p.fingerprint.metric_version.clone(),
                    baseline_status: p.baseline.status,
                    error: p.error.clone(),
                    metrics: p
                        .metrics
                        .iter()
                        .map(|(k, m)| (k.clone(), m.value))
                        .collect(),
                    failed: trials(p, CheckStatus::Failed),
                    warned: trials(p, CheckStatus::Warned),
                    inconclusive: trials(p, CheckStatus::Inconclusive),
                })
                .collect(),
        }
    }

    /// True when `other` (a history line as JSON) records the same run: the same start time,
    /// configuration hash and commit.
    pub fn same_run(&self, other: &serde_json::Value) -> bool {
        other["started_at"].as_str() == Some(self.started_at.as_str())
            && other["config_hash"].as_str() == Some(self.config_hash.as_str())
            && other["git_commit"].as_str() == self.git_commit.as_deref()
    }
}

/// Reads every record of a history file, in file order (blank lines skipped).
///
/// # Errors
///
/// A [`ReportError`] naming the file (and line) when it cannot be read, is not UTF-8, or a line
/// is not a history record.
pub fn read(history: &Path) -> Result<Vec<HistoryRecord>> {
    let text = std::fs::read_to_string(history).map_err(|e| Error::read(history, e))?;
    let records = parse_lines(history, &text, |line| {
        let record: HistoryRecord = serde_json::from_str(line).map_err(|e| {
            format!(
                "not a history record ({e}); is this the history file (`evalgate history \
                 append` writes it)?"
            )
        })?;
        if !record.schema.starts_with("evalgate.history/") {
            return Err(format!(
                "field `schema` is `{}`, expected `{HISTORY_SCHEMA}`",
                record.schema
            ));
        }
        Ok(record)
    })?;
    Ok(records.into_iter().map(|(_, record)| record).collect())
}

/// Each non-blank line of the history file `history` (its `text`) as `parse` reads it, with its
/// 1-based line number, in file order.
///
/// # Errors
///
/// A [`ReportError`] `<file>:<line>: <problem>` for the first line `parse` refuses with
/// `Err(problem)`.
pub(crate) fn parse_lines<T>(
    history: &Path,
    text: &str,
    mut parse: impl FnMut(&str) -> std::result::Result<T, String>,
) -> Result<Vec<(usize, T)>> {
    let mut records = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let record = parse(line).map_err(|problem| {
            Error::Report(ReportError::new(format!(
                "{}:{}: {problem}",
                history.display(),
                n + 1
            )))
        })?;
        records.push((n + 1, record));
    }
    Ok(records)
}

/// What [`append`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendOutcome {
    /// The record was appended; the file now has this many records.
    Appended {
        /// Records in the file after appending.
        records: usize,
    },
    /// The file already holds a record of this run; nothing was written.
    AlreadyRecorded,
}

/// Appends the record of `results` to the history file at `history` (created with its folders
/// when missing). Earlier lines stay byte for byte; a file whose lines are not all history
/// records is refused; a run already recorded (same commit, start time and config hash) is not
/// added twice.
pub fn append(results: &RunResults, history: &Path) -> Result<AppendOutcome> {
    let record = HistoryRecord::from_results(results);
    let existing = match std::fs::read(history) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(Error::read(history, e)),
    };
    let text = std::str::from_utf8(&existing).map_err(|e| {
        Error::Report(ReportError::new(format!(
            "{}: not UTF-8 ({e}); the history file must be JSON lines",
            history.display()
        )))
    })?;
    if !text.is_empty() && !text.ends_with('\n') {
        return Err(Error::Report(ReportError::new(format!(
            "{}: the last line is not terminated by a newline (an interrupted write?); check \
             the last line and end it with a newline before appending",
            history.display()
        ))));
    }
    let mut records = 0;
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(line).map_err(|e| {
            Error::Report(ReportError::new(format!(
                "{}:{}: not a JSON history record ({e}); fix or move the file, appending \
                 never rewrites it",
                history.display(),
                n + 1
            )))
        })?;
        let schema = value["schema"].as_str().unwrap_or("");
        if !schema.starts_with("evalgate.history/") {
            return Err(Error::Report(ReportError::new(format!(
                "{}:{}: field `schema` is `{schema}`, expected `{HISTORY_SCHEMA}`; is this the \
                 right file?",
                history.display(),
                n + 1
            ))));
        }
        if record.same_run(&value) {
            return Ok(AppendOutcome::AlreadyRecorded);
        }
        records += 1;
    }
    let mut line = serde_json::to_string(&record).expect("history record serializes");
    line.push('\n');
    let mut contents = existing;
    contents.extend_from_slice(line.as_bytes());
    crate::fsutil::write_atomic(history, &contents)?;
    Ok(AppendOutcome::Appended {
        records: records + 1,
    })
}

//! Baselines: one insta snapshot per dataset × system in `baselines/`, named
//! `<dataset>__<system>.snap`. The body is JSON: the fingerprint, aggregate metrics and per-item
//! values. A run never rewrites a baseline: when its result differs it writes a pending
//! `<name>.snap.new` beside it, which `cargo insta review` / `cargo insta accept` promotes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::results::{BaselineStatus, Fingerprint};

/// The body of a baseline snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineBody {
    /// What the numbers were computed on.
    pub fingerprint: Fingerprint,
    /// Aggregate metric values.
    pub metrics: BTreeMap<String, f64>,
    /// Per-item metric values: item id → metric id → value (`null` where not applicable).
    pub items: serde_json::Map<String, serde_json::Value>,
}

impl BaselineBody {
    /// The snapshot body text (pretty JSON).
    pub fn render(&self) -> String {
        serde_json::to_string_pretty(self).expect("baseline serializes")
    }

    /// Per-item values of one metric, by item id.
    pub fn item_values(&self, metric: &str) -> BTreeMap<&str, f64> {
        self.items
            .iter()
            .filter_map(|(id, v)| {
                v.get(metric)
                    .and_then(|x| x.as_f64())
                    .map(|x| (id.as_str(), x))
            })
            .collect()
    }
}

/// The baseline file of a dataset × system.
pub fn snapshot_path(dir: &Path, dataset: &str, system: &str) -> PathBuf {
    dir.join(format!("{dataset}__{system}.snap"))
}

/// The pending file next to a baseline.
pub fn pending_path(snapshot: &Path) -> PathBuf {
    let mut name = snapshot.file_name().unwrap_or_default().to_os_string();
    name.push(".new");
    snapshot.with_file_name(name)
}

/// A baseline as found on disk.
#[derive(Debug, Clone)]
pub struct LoadedBaseline {
    /// Parsed body.
    pub body: BaselineBody,
    /// Raw snapshot text (for line lookups).
    pub text: String,
}

/// Reads a baseline snapshot; `Ok(None)` when the file does not exist.
pub fn read(path: &Path) -> Result<Option<LoadedBaseline>> {
    if !path.exists() {
        return Ok(None);
    }
    let snapshot = insta::Snapshot::from_file(path).map_err(|e| {
        Error::Baseline(format!(
            "{}: not a readable insta snapshot: {e}; restore it from git or delete it and run \
             `cargo insta review` after the next run",
            path.display()
        ))
    })?;
    let contents = snapshot
        .as_text()
        .ok_or_else(|| Error::Baseline(format!("{}: is a binary snapshot", path.display())))?
        .to_string();
    let body: BaselineBody = serde_json::from_str(&contents).map_err(|e| {
        Error::Baseline(format!(
            "{}: snapshot body is not an evalgate baseline (body line {}, column {}): {e}; \
             restore it from git or accept a fresh pending snapshot",
            path.display(),
            e.line(),
            e.column()
        ))
    })?;
    let text = std::fs::read_to_string(path).map_err(|e| Error::read(path, e))?;
    Ok(Some(LoadedBaseline { body, text }))
}

/// The result of comparing a run with its baseline file.
#[derive(Debug, Clone)]
pub struct Synced {
    /// The baseline found (when present).
    pub baseline: Option<LoadedBaseline>,
    /// Present, missing, or fingerprint mismatch.
    pub status: BaselineStatus,
    /// The pending file written by this run, when the result differs from the baseline.
    pub pending: Option<PathBuf>,
}

/// Compares `current` with the baseline at `path`. When they differ (or there is no baseline) it
/// writes the pending snapshot `path.snap.new` atomically; when they match it removes a stale
/// pending file, as insta does for passing snapshots. The baseline itself is never written.
///
/// With `write_pending` false (the run is incomplete) it only reads and compares.
pub fn sync(
    path: &Path,
    current: &BaselineBody,
    expression: &str,
    write_pending: bool,
) -> Result<Synced> {
    let baseline = read(path)?;
    let rendered = current.render();
    let pending = pending_path(path);
    let status = match &baseline {
        None => BaselineStatus::Missing,
        Some(b) if b.body.fingerprint != current.fingerprint => BaselineStatus::FingerprintMismatch,
        Some(_) => BaselineStatus::Present,
    };
    let same = baseline
        .as_ref()
        .is_some_and(|b| b.body.render() == rendered);
    let pending = if !write_pending {
        None
    } else if same {
        // Another process of the same run (nextest) may have removed it already.
        match std::fs::remove_file(&pending) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::write(&pending, e)),
        }
        None
    } else {
        // The header as cargo-insta writes it on accept (plain scalars unquoted), so accepting
        // a pending snapshot changes nothing but its name.
        let plain = expression
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '_' | '-' | '.' | '×'));
        let expression = if plain {
            expression.to_string()
        } else {
            serde_json::to_string(expression).expect("string serializes")
        };
        let text = format!(
            "---\nsource: tests/benchmarks.rs\nexpression: {expression}\n---\n{rendered}\n"
        );
        crate::fsutil::write_atomic(&pending, text.as_bytes())?;
        Some(pending)
    };
    Ok(Synced {
        baseline,
        status,
        pending,
    })
}

/// The 1-based line of a metric's aggregate value in a baseline snapshot text, for annotations.
pub fn metric_line(text: &str, metric: &str) -> Option<u32> {
    let needle = format!("\"{metric}\":");
    let metrics_start = text.find("\"metrics\": {")?;
    let offset = metrics_start + text[metrics_start..].find(&needle)?;
    Some(text[..offset].matches('\n').count() as u32 + 1)
}

/// Describes what differs between two fingerprints, for the failure message.
pub fn fingerprint_differences(baseline: &Fingerprint, current: &Fingerprint) -> Vec<String> {
    let mut out = Vec::new();
    if baseline.dataset_hash != current.dataset_hash {
        out.push(format!(
            "dataset content hash {} → {}",
            baseline.dataset_hash, current.dataset_hash
        ));
    }
    if baseline.item_ids != current.item_ids {
        let added: Vec<&String> = current
            .item_ids
            .iter()
            .filter(|i| !baseline.item_ids.contains(i))
            .collect();
        let removed: Vec<&String> = baseline
            .item_ids
            .iter()
            .filter(|i| !current.item_ids.contains(i))
            .collect();
        out.push(format!(
            "item ids differ (added {added:?}, removed {removed:?})"
        ));
    }
    if baseline.reference_ids != current.reference_ids {
        out.push("reference ids differ".to_string());
    }
    if baseline.system_config_hash != current.system_config_hash {
        out.push(format!(
            "system configuration hash {} → {}",
            baseline.system_config_hash, current.system_config_hash
        ));
    }
    if baseline.metric_version != current.metric_version {
        out.push(format!(
            "metric-definition version {} → {}",
            baseline.metric_version, current.metric_version
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(value: f64) -> BaselineBody {
        let mut metrics = BTreeMap::new();
        metrics.insert("rougeL_f1".to_string(), value);
        let mut items = serde_json::Map::new();
        items.insert("a".into(), serde_json::json!({"rougeL_f1": value}));
        BaselineBody {
            fingerprint: Fingerprint {
                dataset_hash: "sha256:d".into(),
                item_ids: vec!["a".into()],
                reference_ids: vec!["a#1".into()],
                system_config_hash: "sha256:s".into(),
                metric_version: "1".into(),
            },
            metrics,
            items,
        }
    }

    #[test]
    fn missing_baseline_writes_pending_that_insta_reads_and_accept_clears() {
        let tmp = tempfile::tempdir().unwrap();
        let snap = snapshot_path(tmp.path(), "ds", "sys");
        let s = sync(&snap, &body(0.5), "ds × sys", true).unwrap();
        assert_eq!(s.status, BaselineStatus::Missing);
        let pending = s.pending.unwrap();
        assert_eq!(pending.file_name().unwrap(), "ds__sys.snap.new");
        // insta (and so cargo-insta) reads the pending file; accepting = renaming it.
        let parsed = insta::Snapshot::from_file(&pending).unwrap();
        assert!(
            parsed
                .as_text()
                .unwrap()
                .to_string()
                .contains("\"rougeL_f1\": 0.5")
        );
        std::fs::rename(&pending, &snap).unwrap();
        let again = sync(&snap, &body(0.5), "ds × sys", true).unwrap();
        assert_eq!(again.status, BaselineStatus::Present);
        assert!(again.pending.is_none());
        assert!(!pending_path(&snap).exists());
        let text = std::fs::read_to_string(&snap).unwrap();
        let line = metric_line(&text, "rougeL_f1").unwrap() as usize;
        assert_eq!(
            text.lines().nth(line - 1).unwrap().trim(),
            "\"rougeL_f1\": 0.5"
        );
    }

    #[test]
    fn changed_result_leaves_baseline_untouched() {
        let tmp = tempfile::tempdir().unwrap();
        let snap = snapshot_path(tmp.path(), "ds", "sys");
        let first = sync(&snap, &body(0.5), "x", true).unwrap().pending.unwrap();
        std::fs::rename(first, &snap).unwrap();
        let before = std::fs::read(&snap).unwrap();
        let s = sync(&snap, &body(0.4), "x", true).unwrap();
        assert_eq!(s.status, BaselineStatus::Present);
        assert!(s.pending.is_some());
        assert_eq!(std::fs::read(&snap).unwrap(), before);
        assert_eq!(s.baseline.unwrap().body.metrics["rougeL_f1"], 0.5);
    }
}

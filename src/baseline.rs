//! Baselines: one insta snapshot per dataset × system in `baselines/`, named
//! `<dataset>__<system>.snap`. The body is JSON: the fingerprint of what was measured, the
//! system's configuration, aggregate metrics and per-item values. A run never rewrites a
//! baseline: when its result differs it writes a pending `<name>.snap.new` beside it, which
//! `cargo insta review` / `cargo insta accept` promotes.
//!
//! Comparing a run with its baseline:
//! - the *fingerprint* (dataset, items, references, metric definitions and settings) must match,
//!   or the numbers measured something else and are not compared ([`BaselineStatus::FingerprintMismatch`]);
//! - the *system configuration* may differ — that is the change under test: the numbers are
//!   compared and the differences are named ([`Synced::system_changes`]);
//! - values of metrics that vary with the machine (latency) are kept but never make a pending
//!   snapshot by themselves: a pending snapshot means a quality result or the system changed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{BaselineError, Error, Result};

/// What a run measured, apart from the system: the dataset, the items, the references and the
/// metric definitions with their settings. A baseline whose fingerprint differs measured
/// something else, so its numbers are not compared. (The system is not part of it: a changed
/// system is what a run exists to compare; see `EvaluationResults::system_config` in the results.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// `sha256:` over the dataset's items (ids, input and reference hashes, metadata).
    pub dataset_hash: String,
    /// Item ids in order.
    pub item_ids: Vec<String>,
    /// Reference ids (`<item>#<n>` per reference text).
    pub reference_ids: Vec<String>,
    /// Version of the metric definitions (bumped whenever a metric's numbers change meaning),
    /// with `+plugins:<hash>` when plugin metrics report a configuration.
    pub metric_version: String,
    /// Per metric id, the suite settings that change its numbers: its `[metric_params.<id>]`,
    /// `stemmer` for ROUGE. Only metrics with settings appear. A metric whose settings changed
    /// is not comparable with its baseline value; the other metrics still are.
    #[serde(default)]
    pub metric_settings: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
}

/// State of an evaluation's baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BaselineStatus {
    /// A baseline exists and its fingerprint matches the run.
    Present,
    /// No baseline file yet.
    Missing,
    /// A baseline exists but measured something else: other data, items, references, metric
    /// definitions or metric settings.
    FingerprintMismatch,
    /// A baseline file exists, but the evaluation failed before it could be compared with it.
    NotCompared,
}

/// The body of a baseline snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineBody {
    /// What the numbers measured.
    pub fingerprint: Fingerprint,
    /// The system's configuration ([`crate::systems::System::fingerprint`]) that produced them.
    pub system_config: serde_json::Value,
    /// Aggregate metric values.
    pub metrics: BTreeMap<String, f64>,
    /// Per-item metric values: item id → metric id → value (`null` where not applicable). With
    /// several samples per item (the system's `samples`), each item's mean over its samples.
    pub items: serde_json::Map<String, serde_json::Value>,
    /// With several samples per item: item id → metric id → `[v0, v1, …]`, the value of each
    /// sample. Empty, and not written, with one sample (so such baselines read and render as
    /// before).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub samples: serde_json::Map<String, serde_json::Value>,
    /// Corpus-level metrics whose vs-baseline check runs a paired test: each item's sufficient
    /// statistics (metric id → item id → the numbers, space-separated), so the test can
    /// recompute the baseline's corpus value on resampled items. Absent otherwise.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub statistics: BTreeMap<String, BTreeMap<String, String>>,
    /// Each item's prediction (the output of sample 0), item id → text, for the word diffs of
    /// failing vs-baseline trials. Not written when empty (`[suite] store_predictions = false`,
    /// or a baseline made before predictions were kept). A changed text alone is no change of
    /// the result: it never makes a pending snapshot by itself (see [`sync`]), but a pending
    /// snapshot written for another reason carries the current texts.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub predictions: BTreeMap<String, String>,
}

impl BaselineBody {
    /// The snapshot body text (pretty JSON).
    pub fn render(&self) -> String {
        serde_json::to_string_pretty(self).expect("baseline serializes")
    }

    /// The body with the values of the metrics in `volatile` (values that vary with the machine)
    /// and the prediction texts blanked out, for deciding whether a result changed: a volatile
    /// metric that appears or disappears is still a change, a new value of one is not; likewise
    /// predictions kept or no longer kept are a change, a new text is not.
    fn without(&self, volatile: &BTreeSet<String>) -> serde_json::Value {
        let mut body = serde_json::to_value(self).expect("baseline serializes");
        if let Some(predictions) = body.get_mut("predictions").and_then(|v| v.as_object_mut()) {
            predictions
                .values_mut()
                .for_each(|text| *text = serde_json::Value::Null);
        }
        let blank = |map: &mut serde_json::Map<String, serde_json::Value>| {
            for (id, value) in map.iter_mut() {
                if volatile.contains(id) {
                    *value = serde_json::Value::Null;
                }
            }
        };
        if let Some(metrics) = body["metrics"].as_object_mut() {
            blank(metrics);
        }
        for part in ["items", "samples"] {
            if let Some(items) = body.get_mut(part).and_then(|v| v.as_object_mut()) {
                for values in items.values_mut() {
                    if let Some(map) = values.as_object_mut() {
                        blank(map);
                    }
                }
            }
        }
        body
    }

    /// Each item's sufficient statistics of a corpus-level metric, by item id; `None` when the
    /// baseline has none for it or one does not parse.
    pub fn item_statistics(&self, metric: &str) -> Option<BTreeMap<&str, Vec<f64>>> {
        self.statistics
            .get(metric)?
            .iter()
            .map(|(id, text)| {
                let numbers: Option<Vec<f64>> = text
                    .split_whitespace()
                    .map(|n| n.parse::<f64>().ok().filter(|x| x.is_finite()))
                    .collect();
                numbers.map(|n| (id.as_str(), n))
            })
            .collect()
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
pub fn read(path: &Path) -> Result<Option<Loaded>> {
    if !path.exists() {
        return Ok(None);
    }
    let snapshot = insta::Snapshot::from_file(path).map_err(|e| {
        Error::Baseline(BaselineError::new(
            path.display(),
            format!(
                "not a readable insta snapshot: {e}; restore it from git or delete it and run \
                 `cargo insta review` after the next run"
            ),
        ))
    })?;
    let contents = snapshot
        .as_text()
        .ok_or_else(|| Error::Baseline(BaselineError::new(path.display(), "is a binary snapshot")))?
        .to_string();
    let body: BaselineBody = match serde_json::from_str(&contents) {
        Ok(body) => body,
        Err(_) if is_older_format(&contents) => return Ok(Some(Loaded::OlderFormat)),
        Err(e) => {
            return Err(Error::Baseline(BaselineError::new(
                path.display(),
                format!(
                    "snapshot body is not an evalgate baseline (body line {}, column {}): {e}; \
                     restore it from git or accept a fresh pending snapshot",
                    e.line(),
                    e.column()
                ),
            )));
        }
    };
    let text = std::fs::read_to_string(path).map_err(|e| Error::read(path, e))?;
    Ok(Some(Loaded::Current(Box::new(LoadedBaseline {
        body,
        text,
    }))))
}

/// What [`read`] found in a baseline file.
#[derive(Debug, Clone)]
pub enum Loaded {
    /// A baseline in this version's format.
    Current(Box<LoadedBaseline>),
    /// A baseline written by another evalgate version in another format (a fingerprint that
    /// hashed the system configuration, settings not kept per metric, ...): it cannot be
    /// compared and is replaced by accepting a new one.
    OlderFormat,
}

/// An evalgate baseline (a JSON body with a `fingerprint` object) in a format this version does
/// not read.
fn is_older_format(body: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(body).is_ok_and(|v| v["fingerprint"].is_object())
}

/// The result of comparing a run with its baseline file.
#[derive(Debug, Clone)]
pub struct Synced {
    /// The baseline found (when present and readable in this version's format).
    pub baseline: Option<LoadedBaseline>,
    /// Present, missing, or fingerprint mismatch.
    pub status: BaselineStatus,
    /// With [`BaselineStatus::FingerprintMismatch`]: what differs, in words.
    pub mismatch: Vec<String>,
    /// What changed in the system's configuration since the baseline (see
    /// [`crate::systems::changes::describe`]); empty without a baseline.
    pub system_changes: Vec<String>,
    /// Metrics whose settings changed since the baseline, with how ([`settings_changes`]).
    pub changed_settings: BTreeMap<String, Vec<String>>,
    /// The pending file written by this run, when the result differs from the baseline.
    pub pending: Option<PathBuf>,
}

/// Compares `current` with the baseline at `path`. When they differ (or there is no baseline) it
/// writes the pending snapshot `path.snap.new` atomically; when they match it removes a stale
/// pending file, as insta does for passing snapshots. The baseline itself is never written.
/// Metrics in `volatile` (values that vary with the machine) are left out of that comparison.
///
/// With `write_pending` false (the run is incomplete) it only reads and compares.
pub fn sync(
    path: &Path,
    current: &BaselineBody,
    volatile: &BTreeSet<String>,
    header: &Header<'_>,
    write_pending: bool,
) -> Result<Synced> {
    let loaded = read(path)?;
    let rendered = current.render();
    let pending = pending_path(path);
    let (baseline, status, mismatch) = match loaded {
        None => (None, BaselineStatus::Missing, Vec::new()),
        Some(Loaded::OlderFormat) => (
            None,
            BaselineStatus::FingerprintMismatch,
            vec![
                "it was written by another evalgate version, in a format this one does not \
                 read"
                    .to_string(),
            ],
        ),
        Some(Loaded::Current(b)) => {
            let differences = fingerprint_differences(&b.body.fingerprint, &current.fingerprint);
            let status = if differences.is_empty() {
                BaselineStatus::Present
            } else {
                BaselineStatus::FingerprintMismatch
            };
            (Some(*b), status, differences)
        }
    };
    let system_changes = baseline
        .as_ref()
        .map(|b| crate::systems::changes::describe(&b.body.system_config, &current.system_config))
        .unwrap_or_default();
    let changed_settings = baseline
        .as_ref()
        .map(|b| settings_changes(&b.body.fingerprint, &current.fingerprint))
        .unwrap_or_default();
    let same = baseline.as_ref().is_some_and(|b| {
        equal_but_for_noise(&b.body.without(volatile), &current.without(volatile))
    });
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
        let text = format!(
            "---\nsource: {}\nexpression: {}\n---\n{rendered}\n",
            yaml_scalar(header.source),
            yaml_scalar(header.expression)
        );
        crate::fsutil::write_atomic(&pending, text.as_bytes())?;
        Some(pending)
    };
    Ok(Synced {
        baseline,
        status,
        mismatch,
        system_changes,
        changed_settings,
        pending,
    })
}

/// How far a number may be from the baseline's and still count as the same when deciding whether
/// a run leaves a pending snapshot: `1e-6 × max(1, |a|, |b|)`. Float noise between machines (the
/// embedding model's matrix products differ in their last bits between AVX2 and AVX-512 CPUs, by
/// about 1e-8) must not ask for a new baseline; no real change of a system moves every metric
/// and item value by less.
pub const NOISE: f64 = 1e-6;

/// Whether two baseline bodies (as JSON) are equal, numbers within [`NOISE`] of each other.
fn equal_but_for_noise(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => (x - y).abs() <= NOISE * 1f64.max(x.abs()).max(y.abs()),
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| equal_but_for_noise(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| equal_but_for_noise(v, w)))
        }
        _ => a == b,
    }
}

/// The metadata of a snapshot, as insta's header records it.
#[derive(Debug, Clone, Copy)]
pub struct Header<'a> {
    /// The test source that made the snapshot, relative to the cargo workspace root
    /// (`tests/benchmarks.rs`): insta's `source:`.
    pub source: &'a str,
    /// What the snapshot is of (`<dataset> × <system>`): insta's `expression:`.
    pub expression: &'a str,
}

/// A header value as cargo-insta writes it on accept (plain scalars unquoted, others as JSON
/// strings, which YAML reads), so accepting a pending snapshot changes nothing but its name.
/// Plain: letters, digits, spaces, `_-./×`, and nothing YAML would read as another type or
/// insta's emitter would quote (a leading `-`, `.` or space, a trailing space, a number, a
/// boolean or null word).
fn yaml_scalar(value: &str) -> String {
    const WORDS: [&str; 22] = [
        "yes", "Yes", "YES", "no", "No", "NO", "True", "TRUE", "true", "False", "FALSE", "false",
        "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL", "~",
    ];
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '_' | '-' | '.' | '×' | '/'))
        && !value.starts_with(['-', ' ', '.'])
        && !value.ends_with(' ')
        && !value.starts_with("0x")
        && !WORDS.contains(&value)
        && value.parse::<f64>().is_err();
    if plain {
        value.to_string()
    } else {
        serde_json::to_string(value).expect("string serializes")
    }
}

/// The 1-based line of a metric's aggregate value in a baseline snapshot text, for annotations.
pub fn metric_line(text: &str, metric: &str) -> Option<u32> {
    let needle = format!("\"{metric}\":");
    // The top-level `metrics` object (two spaces in), not a key of the system configuration.
    let metrics_start = text.find("\n  \"metrics\": {")?;
    let offset = metrics_start + text[metrics_start..].find(&needle)?;
    Some(text[..offset].matches('\n').count() as u32 + 1)
}

/// Describes what differs between two fingerprints, for the failure message; empty when equal.
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
        out.push(
            match (
                baseline.reference_ids.is_empty(),
                current.reference_ids.is_empty(),
            ) {
                (true, false) => "references added (the baseline's dataset had none)",
                (false, true) => "references removed (the dataset now has none)",
                _ => "reference ids differ",
            }
            .to_string(),
        );
    }
    if baseline.metric_version != current.metric_version {
        out.push(format!(
            "metric-definition version {} → {}",
            baseline.metric_version, current.metric_version
        ));
    }
    out
}

/// Per metric id, how its settings changed from `baseline` to `current` (only metrics whose
/// settings differ): those metrics measured something else, the others did not.
pub fn settings_changes(
    baseline: &Fingerprint,
    current: &Fingerprint,
) -> BTreeMap<String, Vec<String>> {
    let empty = BTreeMap::new();
    let ids: BTreeSet<&String> = baseline
        .metric_settings
        .keys()
        .chain(current.metric_settings.keys())
        .collect();
    ids.into_iter()
        .filter_map(|id| {
            let old = baseline.metric_settings.get(id).unwrap_or(&empty);
            let new = current.metric_settings.get(id).unwrap_or(&empty);
            (old != new).then(|| {
                let as_json = |m: &BTreeMap<String, serde_json::Value>| {
                    serde_json::to_value(m).unwrap_or_default()
                };
                let changes = crate::systems::changes::describe(&as_json(old), &as_json(new));
                (id.clone(), changes)
            })
        })
        .collect()
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
                metric_version: "1".into(),
                metric_settings: BTreeMap::new(),
            },
            system_config: serde_json::json!({"kind": "builtin", "params": {"sentences": 3}}),
            metrics,
            items,
            samples: serde_json::Map::new(),
            statistics: BTreeMap::new(),
            predictions: BTreeMap::from([("a".to_string(), "the summary".to_string())]),
        }
    }

    fn none() -> BTreeSet<String> {
        BTreeSet::new()
    }

    /// The snapshot path of `ds`/`sys` under `dir`, holding an accepted baseline of `body`
    /// (written as pending by [`sync`], then renamed as `cargo insta accept` would).
    fn accepted_baseline(dir: &Path, body: &BaselineBody) -> PathBuf {
        let snap = snapshot_path(dir, "ds", "sys");
        let first = sync(&snap, body, &none(), &header("x"), true)
            .unwrap()
            .pending
            .unwrap();
        std::fs::rename(first, &snap).unwrap();
        snap
    }

    fn header(expression: &str) -> Header<'_> {
        Header {
            source: "tests/benchmarks.rs",
            expression,
        }
    }

    #[test]
    fn float_noise_leaves_no_pending_snapshot_a_real_change_does() {
        let tmp = tempfile::tempdir().unwrap();
        let snap = accepted_baseline(tmp.path(), &body(0.1316160409359576));
        let noisy = sync(
            &snap,
            &body(0.1316160290947515),
            &none(),
            &header("x"),
            true,
        )
        .unwrap();
        assert!(noisy.pending.is_none(), "1.2e-8 is noise");
        for changed in [0.1316180409, 0.0, 0.2] {
            let s = sync(&snap, &body(changed), &none(), &header("x"), true).unwrap();
            assert!(s.pending.is_some(), "{changed} is a change");
        }
        // Relative beyond 1: BLEU 50 may move by 5e-5 at most.
        assert!(equal_but_for_noise(
            &serde_json::json!(50.0),
            &serde_json::json!(50.00004)
        ));
        assert!(!equal_but_for_noise(
            &serde_json::json!(50.0),
            &serde_json::json!(50.0001)
        ));
        assert!(!equal_but_for_noise(
            &serde_json::json!("0.5"),
            &serde_json::json!("0.5000001")
        ));
        assert!(!equal_but_for_noise(
            &serde_json::json!({"a": 1}),
            &serde_json::json!({"b": 1})
        ));
        assert!(!equal_but_for_noise(
            &serde_json::json!([1, 2]),
            &serde_json::json!([1])
        ));
    }

    #[test]
    fn missing_baseline_writes_pending_that_insta_reads_and_accept_clears() {
        let tmp = tempfile::tempdir().unwrap();
        let snap = snapshot_path(tmp.path(), "ds", "sys");
        let s = sync(&snap, &body(0.5), &none(), &header("ds × sys"), true).unwrap();
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
        let again = sync(&snap, &body(0.5), &none(), &header("ds × sys"), true).unwrap();
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
    fn the_header_names_the_test_source_as_cargo_insta_accept_writes_it() {
        let tmp = tempfile::tempdir().unwrap();
        for (source, expression) in [
            ("tests/benchmarks.rs", "ds × sys"),
            ("crates/app/tests/quality.rs", "ds_v1 × sys-2"),
            ("tests/odd name: x.rs", "true"),
            (".hidden/t.rs", "-x"),
        ] {
            let snap = snapshot_path(tmp.path(), "ds", "sys");
            let header = Header { source, expression };
            let pending = sync(&snap, &body(0.5), &none(), &header, true)
                .unwrap()
                .pending
                .unwrap();
            let parsed = insta::Snapshot::from_file(&pending).unwrap();
            assert_eq!(parsed.metadata().source(), Some(source));
            assert_eq!(parsed.metadata().expression(), Some(expression));
            // `cargo insta accept` writes the parsed snapshot back: byte for byte the same.
            parsed.save(&snap).unwrap();
            assert_eq!(
                std::fs::read_to_string(&snap).unwrap(),
                std::fs::read_to_string(&pending).unwrap(),
                "{source} / {expression}"
            );
            std::fs::remove_file(&snap).unwrap();
            std::fs::remove_file(&pending).unwrap();
        }
    }

    #[test]
    fn changed_result_leaves_baseline_untouched() {
        let tmp = tempfile::tempdir().unwrap();
        let snap = accepted_baseline(tmp.path(), &body(0.5));
        let before = std::fs::read(&snap).unwrap();
        let s = sync(&snap, &body(0.4), &none(), &header("x"), true).unwrap();
        assert_eq!(s.status, BaselineStatus::Present);
        assert!(s.pending.is_some());
        assert_eq!(std::fs::read(&snap).unwrap(), before);
        assert_eq!(s.baseline.unwrap().body.metrics["rougeL_f1"], 0.5);
    }

    #[test]
    fn a_changed_system_is_compared_and_named_a_changed_measurement_is_not() {
        let tmp = tempfile::tempdir().unwrap();
        let snap = accepted_baseline(tmp.path(), &body(0.5));

        let mut changed = body(0.5);
        changed.system_config = serde_json::json!({"kind": "builtin", "params": {"sentences": 2}});
        let s = sync(&snap, &changed, &none(), &header("x"), true).unwrap();
        assert_eq!(s.status, BaselineStatus::Present);
        assert_eq!(s.system_changes, ["params.sentences 3 → 2"]);
        assert!(
            s.pending.is_some(),
            "the new configuration is recorded by a pending snapshot"
        );

        let mut other_settings = body(0.5);
        other_settings.fingerprint.metric_settings = BTreeMap::from([(
            "rougeL_f1".to_string(),
            BTreeMap::from([("stemmer".to_string(), serde_json::json!(false))]),
        )]);
        let s = sync(&snap, &other_settings, &none(), &header("x"), true).unwrap();
        // The metric whose settings changed is not comparable; the evaluation as a whole is.
        assert_eq!(s.status, BaselineStatus::Present);
        assert_eq!(s.changed_settings["rougeL_f1"], ["stemmer added (false)"]);

        let mut other_data = body(0.5);
        other_data.fingerprint.dataset_hash = "sha256:e".into();
        let s = sync(&snap, &other_data, &none(), &header("x"), true).unwrap();
        assert_eq!(s.status, BaselineStatus::FingerprintMismatch);
        assert_eq!(s.mismatch.len(), 1, "{:?}", s.mismatch);
    }

    #[test]
    fn references_added_to_or_removed_from_a_dataset_are_named() {
        let with = body(0.5).fingerprint;
        let mut without = with.clone();
        without.reference_ids.clear();
        assert_eq!(
            fingerprint_differences(&without, &with),
            ["references added (the baseline's dataset had none)"]
        );
        assert_eq!(
            fingerprint_differences(&with, &without),
            ["references removed (the dataset now has none)"]
        );
        let mut other = with.clone();
        other.reference_ids.push("a#2".into());
        assert_eq!(
            fingerprint_differences(&with, &other),
            ["reference ids differ"]
        );
    }

    #[test]
    fn values_that_vary_by_machine_alone_leave_no_pending_snapshot() {
        let tmp = tempfile::tempdir().unwrap();
        let snap = snapshot_path(tmp.path(), "ds", "sys");
        let with_latency = |ms: f64| {
            let mut b = body(0.5);
            b.metrics.insert("latency_mean_ms".into(), ms);
            b.items["a"]["latency_mean_ms"] = serde_json::json!(ms);
            b
        };
        let volatile = BTreeSet::from(["latency_mean_ms".to_string()]);
        let first = sync(&snap, &with_latency(10.0), &volatile, &header("x"), true)
            .unwrap()
            .pending
            .unwrap();
        std::fs::rename(first, &snap).unwrap();
        let s = sync(&snap, &with_latency(12.5), &volatile, &header("x"), true).unwrap();
        assert!(s.pending.is_none());
        // A latency metric added since the baseline is a change, though its value is volatile.
        let mut added = with_latency(12.5);
        added.metrics.insert("latency_p50_ms".into(), 11.0);
        let s = sync(
            &snap,
            &added,
            &volatile
                .iter()
                .cloned()
                .chain(["latency_p50_ms".to_string()])
                .collect(),
            &header("x"),
            true,
        )
        .unwrap();
        assert!(s.pending.is_some(), "a new metric gets its baseline value");
        std::fs::remove_file(s.pending.unwrap()).unwrap();
        // A quality change writes it, with the new latency too.
        let mut worse = with_latency(12.5);
        worse.metrics.insert("rougeL_f1".into(), 0.4);
        let pending = sync(&snap, &worse, &volatile, &header("x"), true)
            .unwrap()
            .pending
            .unwrap();
        assert!(std::fs::read_to_string(pending).unwrap().contains("12.5"));
    }

    #[test]
    fn changed_predictions_alone_leave_no_pending_snapshot_but_a_pending_one_carries_them() {
        let tmp = tempfile::tempdir().unwrap();
        let snap = snapshot_path(tmp.path(), "ds", "sys");
        let first = sync(&snap, &body(0.5), &none(), &header("x"), true)
            .unwrap()
            .pending
            .unwrap();
        assert!(
            std::fs::read_to_string(&first)
                .unwrap()
                .contains("\"a\": \"the summary\"")
        );
        std::fs::rename(first, &snap).unwrap();
        let mut reworded = body(0.5);
        reworded
            .predictions
            .insert("a".into(), "another summary".into());
        let s = sync(&snap, &reworded, &none(), &header("x"), true).unwrap();
        assert!(s.pending.is_none(), "a new text alone is not a new result");
        // Another change writes a pending snapshot, with the new text.
        let mut worse = reworded.clone();
        worse.metrics.insert("rougeL_f1".into(), 0.4);
        let pending = sync(&snap, &worse, &none(), &header("x"), true)
            .unwrap()
            .pending
            .unwrap();
        assert!(
            std::fs::read_to_string(&pending)
                .unwrap()
                .contains("\"a\": \"another summary\"")
        );
        std::fs::remove_file(pending).unwrap();
        // Predictions no longer kept (or kept for the first time) are a change.
        let mut unkept = body(0.5);
        unkept.predictions.clear();
        let s = sync(&snap, &unkept, &none(), &header("x"), true).unwrap();
        assert!(s.pending.is_some());
        assert!(
            !std::fs::read_to_string(s.pending.unwrap())
                .unwrap()
                .contains("predictions")
        );
    }

    #[test]
    fn an_older_format_baseline_is_reported_and_replaced_by_a_pending_snapshot() {
        let tmp = tempfile::tempdir().unwrap();
        let snap = snapshot_path(tmp.path(), "ds", "sys");
        std::fs::write(
            &snap,
            "---\nsource: tests/benchmarks.rs\nexpression: x\n---\n{\"fingerprint\": \
             {\"dataset_hash\": \"d\", \"item_ids\": [], \"reference_ids\": [], \
             \"system_config_hash\": \"sha256:s\", \"metric_version\": \"1\"}, \
             \"metrics\": {}, \"items\": {}}\n",
        )
        .unwrap();
        let s = sync(&snap, &body(0.5), &none(), &header("x"), true).unwrap();
        assert_eq!(s.status, BaselineStatus::FingerprintMismatch);
        assert!(s.mismatch[0].contains("another evalgate version"));
        assert!(s.pending.is_some());
    }
}

//! The suite configuration (`evalgate.toml`): systems, datasets, tiers, metrics and checks.
//!
//! Parsing is strict: unknown keys, unknown metric or system names and bad values are errors that
//! name the key and its line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

pub use crate::checks::Check;
use crate::checks::{CheckKind, Severity};
use crate::error::{Error, Result};
use crate::metrics::{MetricDef, MetricRegistry};

/// The default suite file name, at the project root.
pub const CONFIG_FILE: &str = "evalgate.toml";

/// The suite file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    suite: RawSuite,
    #[serde(default)]
    tiers: BTreeMap<Spanned<String>, RawTier>,
    #[serde(default)]
    datasets: BTreeMap<Spanned<String>, RawDataset>,
    #[serde(default)]
    systems: BTreeMap<Spanned<String>, Spanned<toml::Table>>,
    #[serde(default)]
    metric_params: BTreeMap<Spanned<String>, toml::Table>,
    #[serde(default)]
    checks: BTreeMap<Spanned<String>, RawChecks>,
    #[serde(default)]
    overrides: Vec<Spanned<RawOverride>>,
    /// Read by `metrics::external::register_from_suite_text`; here only checked to be used.
    #[serde(default)]
    external_metrics: BTreeMap<Spanned<String>, toml::Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuite {
    name: Option<String>,
    datasets_dir: Option<String>,
    baselines_dir: Option<String>,
    cache_dir: Option<String>,
    pricing: Option<String>,
    stemmer: Option<bool>,
    #[serde(default)]
    metrics: Vec<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTier {
    datasets: Vec<Spanned<String>>,
    #[serde(default)]
    ignored: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDataset {
    path: Option<String>,
    systems: Vec<Spanned<String>>,
    metrics: Option<Vec<Spanned<String>>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChecks {
    min: Option<Spanned<RawBound>>,
    max: Option<Spanned<RawBound>>,
    vs_baseline: Option<Spanned<RawVsBaseline>>,
    item_min: Option<Spanned<RawItemBound>>,
    item_max: Option<Spanned<RawItemBound>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverride {
    dataset: Option<Spanned<String>>,
    system: Option<Spanned<String>>,
    metric: Spanned<String>,
    min: Option<Spanned<RawBound>>,
    max: Option<Spanned<RawBound>>,
    vs_baseline: Option<Spanned<RawVsBaseline>>,
    item_min: Option<Spanned<RawItemBound>>,
    item_max: Option<Spanned<RawItemBound>>,
}

/// `min = 0.2`, `min = { value = 0.2, severity = "warn" }`, or `min = false` (off).
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "toml::Value")]
enum RawBound {
    Off(bool),
    Value(f64),
    Full(RawBoundTable),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBoundTable {
    value: f64,
    #[serde(default)]
    severity: Severity,
}

/// `item_min = 0.2`, `item_min = { value = 0.2, max_failing_items = 2, severity = "warn",
/// per_item_trials = true }`, or `item_min = false` (off).
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "toml::Value")]
enum RawItemBound {
    Off(bool),
    Value(f64),
    Full(RawItemBoundTable),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItemBoundTable {
    value: f64,
    max_failing_items: Option<i64>,
    max_failing_pct: Option<f64>,
    #[serde(default)]
    severity: Severity,
    #[serde(default)]
    per_item_trials: bool,
}

/// `vs_baseline = { max_drop = 0.02, max_drop_pct = 5, severity = "error" }` or `false` (off).
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "toml::Value")]
enum RawVsBaseline {
    Off(bool),
    Full(RawVsBaselineTable),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVsBaselineTable {
    max_drop: Option<f64>,
    max_drop_pct: Option<f64>,
    #[serde(default)]
    severity: Severity,
}

/// Reads a check table (`{ value = .., severity = .. }`) with the table's own error, or says
/// what a check accepts when the value is not a table.
fn check_table<T: serde::de::DeserializeOwned>(
    value: toml::Value,
    accepted: &str,
) -> std::result::Result<T, String> {
    match value {
        toml::Value::Table(_) => value
            .try_into()
            .map_err(|e: toml::de::Error| format!("{}; a check accepts {accepted}", e.message())),
        other => Err(format!(
            "a check accepts {accepted}, found {} `{other}`",
            other.type_str()
        )),
    }
}

impl TryFrom<toml::Value> for RawBound {
    type Error = String;
    fn try_from(value: toml::Value) -> std::result::Result<Self, String> {
        const ACCEPTED: &str =
            "a number (`min = 0.2`), `{ value = 0.2, severity = \"warn\" }` or `false` (off)";
        match value {
            toml::Value::Boolean(b) => Ok(RawBound::Off(b)),
            toml::Value::Integer(i) => Ok(RawBound::Value(i as f64)),
            toml::Value::Float(f) => Ok(RawBound::Value(f)),
            other => check_table(other, ACCEPTED).map(RawBound::Full),
        }
    }
}

impl TryFrom<toml::Value> for RawItemBound {
    type Error = String;
    fn try_from(value: toml::Value) -> std::result::Result<Self, String> {
        const ACCEPTED: &str = "a number (`item_min = 0.2`), `{ value = 0.2, max_failing_items = \
                                2, max_failing_pct = 5, severity = \"warn\", per_item_trials = \
                                true }` or `false` (off)";
        match value {
            toml::Value::Boolean(b) => Ok(RawItemBound::Off(b)),
            toml::Value::Integer(i) => Ok(RawItemBound::Value(i as f64)),
            toml::Value::Float(f) => Ok(RawItemBound::Value(f)),
            other => check_table(other, ACCEPTED).map(RawItemBound::Full),
        }
    }
}

impl TryFrom<toml::Value> for RawVsBaseline {
    type Error = String;
    fn try_from(value: toml::Value) -> std::result::Result<Self, String> {
        const ACCEPTED: &str = "`{ max_drop = 0.02, max_drop_pct = 5, severity = \"error\" }` \
                                or `false` (off)";
        match value {
            toml::Value::Boolean(b) => Ok(RawVsBaseline::Off(b)),
            other => check_table(other, ACCEPTED).map(RawVsBaseline::Full),
        }
    }
}

/// A loaded, validated suite.
#[derive(Debug, Clone)]
pub struct Suite {
    /// Suite name.
    pub name: String,
    /// The project root (folder of the suite file).
    pub root: PathBuf,
    /// The suite file.
    pub config_path: PathBuf,
    /// `sha256:` of the suite file's bytes.
    pub config_hash: String,
    /// Folder of the datasets (`[suite] datasets_dir`, default `datasets`).
    pub datasets_dir: PathBuf,
    /// Folder of the baseline snapshots.
    pub baselines_dir: PathBuf,
    /// Folder of the output cache.
    pub cache_dir: Option<PathBuf>,
    /// The pricing table (`[suite] pricing`, default `pricing.toml` at the root when present).
    pub pricing: Option<PathBuf>,
    /// Apply the Porter stemmer in ROUGE.
    pub stemmer: bool,
    /// Tiers in file order of their names.
    pub tiers: Vec<Tier>,
    /// Datasets by id.
    pub datasets: BTreeMap<String, DatasetConfig>,
    /// Systems by name, with their raw tables.
    pub systems: BTreeMap<String, SystemConfig>,
    /// Per-metric parameters (`[metric_params.<id>]`).
    pub metric_params: BTreeMap<String, serde_json::Value>,
    /// Resolved checks per (dataset, system, metric).
    checks: CheckTable,
}

/// A tier: a named set of datasets; trials of an ignored tier are libtest-ignored by default.
#[derive(Debug, Clone)]
pub struct Tier {
    /// Tier name (first segment of trial names).
    pub name: String,
    /// Dataset ids.
    pub datasets: Vec<String>,
    /// Whether its trials are ignored unless `--ignored` / `--include-ignored`.
    pub ignored: bool,
}

/// A dataset entry of the suite.
#[derive(Debug, Clone)]
pub struct DatasetConfig {
    /// Dataset id.
    pub id: String,
    /// Folder of the dataset.
    pub dir: PathBuf,
    /// Systems run on it.
    pub systems: Vec<String>,
    /// Metrics computed on it.
    pub metrics: Vec<String>,
}

/// A system entry of the suite.
#[derive(Debug, Clone)]
pub struct SystemConfig {
    /// System name.
    pub name: String,
    /// `builtin`, `rust`, `command`, `openai`, `replay`.
    pub kind: String,
    /// The full table as written.
    pub table: toml::Table,
    /// Line of `[systems.<name>]`.
    pub line: u32,
}

/// Checks per kind; `None` switches a kind off.
type CheckSet = BTreeMap<CheckKind, Option<Check>>;

/// An `[[overrides]]` entry: dataset and system filters (`None` = any), metric, checks.
#[derive(Debug, Clone)]
struct Override {
    dataset: Option<String>,
    system: Option<String>,
    metric: String,
    checks: CheckSet,
}

#[derive(Debug, Clone, Default)]
struct CheckTable {
    per_metric: BTreeMap<String, CheckSet>,
    overrides: Vec<Override>,
}

/// The default allowed relative drop for reference-based metrics without configured checks.
pub const DEFAULT_MAX_DROP_PCT: f64 = 1.0;

impl Suite {
    /// Loads and validates the suite file against the known metrics and built-in system names.
    pub fn load(path: &Path, metrics: &MetricRegistry) -> Result<Suite> {
        Suite::parse(path, &read_suite_text(path)?, metrics)
    }

    /// Parses suite text (`path` is used for messages and as the project root's anchor).
    pub fn parse(path: &Path, text: &str, metrics: &MetricRegistry) -> Result<Suite> {
        let file = path.display().to_string();
        let raw: RawConfig = toml::from_str(text)
            .map_err(|e| Error::Config(format!("{file}: invalid suite configuration: {e}")))?;
        let lines = LineIndex::new(text);
        let at = |span: std::ops::Range<usize>| format!("{file}:{}", lines.line(span.start));
        let root = path
            .parent()
            .map(|p| {
                if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                }
            })
            .unwrap_or(Path::new("."))
            .to_path_buf();

        let check_metric = |id: &Spanned<String>, key: &str| -> Result<()> {
            if metrics.definition(id.get_ref()).is_none() {
                return Err(Error::Config(format!(
                    "{}: `{key}` names unknown metric `{}`; known metrics: {}",
                    at(id.span()),
                    id.get_ref(),
                    metrics.ids().collect::<Vec<_>>().join(", ")
                )));
            }
            Ok(())
        };

        // Systems.
        let mut systems = BTreeMap::new();
        for (name, table) in &raw.systems {
            let kind = match table.get_ref().get("kind") {
                Some(toml::Value::String(k)) => k.clone(),
                Some(other) => {
                    return Err(Error::Config(format!(
                        "{}: `systems.{}.kind` must be a string, found {}",
                        at(table.span()),
                        name.get_ref(),
                        other.type_str()
                    )));
                }
                None => {
                    return Err(Error::Config(format!(
                        "{}: `systems.{}` has no `kind`; use one of {}",
                        at(table.span()),
                        name.get_ref(),
                        SYSTEM_KINDS.join(", ")
                    )));
                }
            };
            if !SYSTEM_KINDS.contains(&kind.as_str()) {
                return Err(Error::Config(format!(
                    "{}: `systems.{}.kind` is `{kind}`; use one of {}",
                    at(table.span()),
                    name.get_ref(),
                    SYSTEM_KINDS.join(", ")
                )));
            }
            systems.insert(
                name.get_ref().clone(),
                SystemConfig {
                    name: name.get_ref().clone(),
                    kind,
                    table: table.get_ref().clone(),
                    line: lines.line(name.span().start),
                },
            );
        }

        // Default metric list.
        for m in &raw.suite.metrics {
            check_metric(m, "suite.metrics")?;
        }
        let default_metrics: Vec<String> = raw
            .suite
            .metrics
            .iter()
            .map(|m| m.get_ref().clone())
            .collect();

        // Datasets.
        let datasets_dir = root.join(raw.suite.datasets_dir.as_deref().unwrap_or("datasets"));
        let mut datasets = BTreeMap::new();
        for (id, ds) in &raw.datasets {
            let id_str = id.get_ref().clone();
            if ds.systems.is_empty() {
                return Err(Error::Config(format!(
                    "{}: `datasets.{id_str}.systems` is empty; list the systems to run on it",
                    at(id.span())
                )));
            }
            for s in &ds.systems {
                if !systems.contains_key(s.get_ref()) {
                    return Err(Error::Config(format!(
                        "{}: `datasets.{id_str}.systems` names unknown system `{}`; defined \
                         systems: {}",
                        at(s.span()),
                        s.get_ref(),
                        systems.keys().cloned().collect::<Vec<_>>().join(", ")
                    )));
                }
            }
            let metric_list = match &ds.metrics {
                Some(list) => {
                    for m in list {
                        check_metric(m, &format!("datasets.{id_str}.metrics"))?;
                    }
                    list.iter().map(|m| m.get_ref().clone()).collect::<Vec<_>>()
                }
                None => default_metrics.clone(),
            };
            if metric_list.is_empty() {
                return Err(Error::Config(format!(
                    "{}: dataset `{id_str}` has no metrics; set `datasets.{id_str}.metrics` or \
                     `suite.metrics`",
                    at(id.span())
                )));
            }
            let dir = match &ds.path {
                Some(p) => root.join(p),
                None => datasets_dir.join(&id_str),
            };
            datasets.insert(
                id_str.clone(),
                DatasetConfig {
                    id: id_str,
                    dir,
                    systems: ds.systems.iter().map(|s| s.get_ref().clone()).collect(),
                    metrics: metric_list,
                },
            );
        }

        // Tiers.
        let mut tiers = Vec::new();
        for (name, tier) in &raw.tiers {
            if !is_name_segment(name.get_ref()) {
                return Err(Error::Config(format!(
                    "{}: tier name `{}` may only use letters, digits, `_`, `-` and `.`",
                    at(name.span()),
                    name.get_ref()
                )));
            }
            for d in &tier.datasets {
                if !datasets.contains_key(d.get_ref()) {
                    return Err(Error::Config(format!(
                        "{}: `tiers.{}.datasets` names `{}`, which has no `[datasets.{}]` table",
                        at(d.span()),
                        name.get_ref(),
                        d.get_ref(),
                        d.get_ref()
                    )));
                }
            }
            tiers.push(Tier {
                name: name.get_ref().clone(),
                datasets: tier.datasets.iter().map(|d| d.get_ref().clone()).collect(),
                ignored: tier.ignored,
            });
        }
        if tiers.is_empty() {
            return Err(Error::Config(format!(
                "{file}: no tiers; add e.g. `[tiers.smoke]` with `datasets = [...]`"
            )));
        }
        // Names become trial-name segments and baseline file names (`<dataset>__<system>.snap`):
        // they must be plain, must not hold the separator, and must differ in more than case
        // (case-insensitive file systems would map two of them to one file).
        let named = raw
            .datasets
            .keys()
            .map(|k| ("dataset", k))
            .chain(raw.systems.keys().map(|k| ("system", k)));
        let mut seen_folded: BTreeMap<(&str, String), &str> = BTreeMap::new();
        for (what, name) in named {
            let text = name.get_ref();
            if !is_name_segment(text) || text.contains("__") {
                return Err(Error::Config(format!(
                    "{}: {what} name `{text}` may only use letters, digits, `_`, `-` and `.`, and \
                     not `__` (it becomes part of trial names and of baseline file names \
                     `<dataset>__<system>.snap`)",
                    at(name.span())
                )));
            }
            if let Some(other) = seen_folded.insert((what, text.to_ascii_lowercase()), text) {
                return Err(Error::Config(format!(
                    "{}: {what} names `{other}` and `{text}` differ only in case; their baseline \
                     files would be one file on a case-insensitive file system, so rename one",
                    at(name.span())
                )));
            }
        }

        // Everything configured must be used: a dataset no tier runs, a system no dataset runs,
        // checks or parameters of a metric nothing computes would silently do nothing.
        for (name, tier) in &raw.tiers {
            if tier.datasets.is_empty() {
                return Err(Error::Config(format!(
                    "{}: `tiers.{}.datasets` is empty, so the tier runs nothing; list its \
                     datasets or remove the tier",
                    at(name.span()),
                    name.get_ref()
                )));
            }
        }
        for id in raw.datasets.keys() {
            if !tiers.iter().any(|t| t.datasets.contains(id.get_ref())) {
                return Err(Error::Config(format!(
                    "{}: dataset `{}` is in no tier, so nothing runs it; add it to a tier's \
                     `datasets` or remove `[datasets.{}]`",
                    at(id.span()),
                    id.get_ref(),
                    id.get_ref()
                )));
            }
        }
        for (name, table) in &raw.systems {
            if !datasets
                .values()
                .any(|d: &DatasetConfig| d.systems.contains(name.get_ref()))
            {
                return Err(Error::Config(format!(
                    "{}: system `{}` runs on no dataset; add it to a dataset's `systems` or \
                     remove `[systems.{}]`",
                    at(table.span()),
                    name.get_ref(),
                    name.get_ref()
                )));
            }
        }
        let computed = |metric: &str| {
            datasets
                .values()
                .any(|d: &DatasetConfig| d.metrics.iter().any(|m| m == metric))
        };

        for id in raw.external_metrics.keys() {
            if !computed(id.get_ref()) {
                return Err(Error::Config(format!(
                    "{}: external metric `{}` is computed by no dataset; add it to a dataset's \
                     `metrics` or remove `[external_metrics.{}]`",
                    at(id.span()),
                    id.get_ref(),
                    id.get_ref()
                )));
            }
        }

        // Metric parameters.
        let mut metric_params = BTreeMap::new();
        for (id, table) in &raw.metric_params {
            check_metric(id, "metric_params")?;
            if !computed(id.get_ref()) {
                return Err(Error::Config(format!(
                    "{}: `[metric_params.{}]` sets parameters of a metric no dataset computes; \
                     add `{}` to a dataset's `metrics` or remove the table",
                    at(id.span()),
                    id.get_ref(),
                    id.get_ref()
                )));
            }
            let json = serde_json::to_value(table).map_err(|e| {
                Error::Config(format!(
                    "{}: `metric_params.{}`: {e}",
                    at(id.span()),
                    id.get_ref()
                ))
            })?;
            metric_params.insert(id.get_ref().clone(), json);
        }

        // Checks.
        let mut table = CheckTable::default();
        for (id, checks) in &raw.checks {
            check_metric(id, "checks")?;
            if !computed(id.get_ref()) {
                return Err(Error::Config(format!(
                    "{}: `[checks.{}]` checks a metric no dataset computes; add `{}` to a \
                     dataset's `metrics` or remove the table",
                    at(id.span()),
                    id.get_ref(),
                    id.get_ref()
                )));
            }
            let key = format!("checks.{}", id.get_ref());
            let resolved = resolve_checks(
                &key,
                RawCheckSet {
                    min: &checks.min,
                    max: &checks.max,
                    vs: &checks.vs_baseline,
                    item_min: &checks.item_min,
                    item_max: &checks.item_max,
                },
                &lines,
                &file,
            )?;
            table.per_metric.insert(id.get_ref().clone(), resolved);
        }
        for ov in &raw.overrides {
            let o = ov.get_ref();
            let key = "overrides";
            check_metric(&o.metric, key)?;
            if let Some(d) = &o.dataset {
                if !datasets.contains_key(d.get_ref()) {
                    return Err(Error::Config(format!(
                        "{}: `overrides.dataset` names unknown dataset `{}`",
                        at(d.span()),
                        d.get_ref()
                    )));
                }
            }
            if let Some(s) = &o.system {
                if !systems.contains_key(s.get_ref()) {
                    return Err(Error::Config(format!(
                        "{}: `overrides.system` names unknown system `{}`",
                        at(s.span()),
                        s.get_ref()
                    )));
                }
            }
            let matches = datasets.values().any(|d| {
                o.dataset.as_ref().is_none_or(|x| x.get_ref() == &d.id)
                    && o.system
                        .as_ref()
                        .is_none_or(|x| d.systems.contains(x.get_ref()))
                    && d.metrics.contains(o.metric.get_ref())
            });
            if !matches {
                return Err(Error::Config(format!(
                    "{}: this `[[overrides]]` entry matches nothing: no dataset{}{} computes `{}`; \
                     fix its `dataset`, `system` or `metric`, or remove it",
                    at(ov.span()),
                    o.dataset
                        .as_ref()
                        .map(|d| format!(" `{}`", d.get_ref()))
                        .unwrap_or_default(),
                    o.system
                        .as_ref()
                        .map(|x| format!(" running `{}`", x.get_ref()))
                        .unwrap_or_default(),
                    o.metric.get_ref()
                )));
            }
            let resolved = resolve_checks(
                key,
                RawCheckSet {
                    min: &o.min,
                    max: &o.max,
                    vs: &o.vs_baseline,
                    item_min: &o.item_min,
                    item_max: &o.item_max,
                },
                &lines,
                &file,
            )?;
            table.overrides.push(Override {
                dataset: o.dataset.as_ref().map(|d| d.get_ref().clone()),
                system: o.system.as_ref().map(|s| s.get_ref().clone()),
                metric: o.metric.get_ref().clone(),
                checks: resolved,
            });
        }

        Ok(Suite {
            name: raw
                .suite
                .name
                .clone()
                .unwrap_or_else(|| "evalgate".to_string()),
            config_path: path.to_path_buf(),
            config_hash: crate::fsutil::sha256_hex(text.as_bytes()),
            datasets_dir,
            baselines_dir: root.join(raw.suite.baselines_dir.as_deref().unwrap_or("baselines")),
            cache_dir: raw.suite.cache_dir.as_ref().map(|d| root.join(d)),
            pricing: match &raw.suite.pricing {
                Some(p) => Some(root.join(p)),
                None => Some(root.join("pricing.toml")).filter(|p| p.exists()),
            },
            stemmer: raw.suite.stemmer.unwrap_or(true),
            root,
            tiers,
            datasets,
            systems,
            metric_params,
            checks: table,
        })
    }

    /// `path` as shown in messages, results and JUnit: relative to the project root when it is
    /// inside it.
    pub fn display_path(&self, path: &Path) -> String {
        let shown = path
            .strip_prefix(&self.root)
            .unwrap_or(path)
            .to_string_lossy();
        shown.trim_start_matches("./").to_string()
    }

    /// The project paths that are never a command system's inputs by default: the datasets
    /// (fingerprinted on their own), the baselines, the output cache and the suite file.
    pub fn not_inputs(&self) -> Vec<PathBuf> {
        let mut paths: Vec<PathBuf> = self.datasets.values().map(|d| d.dir.clone()).collect();
        paths.push(self.datasets_dir.clone());
        paths.push(self.baselines_dir.clone());
        paths.push(
            self.cache_dir
                .clone()
                .unwrap_or_else(|| crate::cache::OutputCache::default_dir(&self.root)),
        );
        paths.push(self.config_path.clone());
        paths
    }

    /// The checks of one dataset × system × metric, in trial order (min, max, vs_baseline,
    /// item_min, item_max):
    /// built-in defaults, then `[checks.<metric>]`, then matching `[[overrides]]` in file order.
    pub fn checks_for(&self, dataset: &str, system: &str, def: &MetricDef) -> Vec<Check> {
        let mut merged = CheckSet::new();
        if def.reference_based {
            merged.insert(
                CheckKind::VsBaseline,
                Some(Check {
                    threshold_pct: Some(DEFAULT_MAX_DROP_PCT),
                    ..Check::new(CheckKind::VsBaseline, Severity::Error)
                }),
            );
        }
        if let Some(per) = self.checks.per_metric.get(&def.id) {
            merged.extend(per.clone());
        }
        for o in &self.checks.overrides {
            let applies = o.metric == def.id
                && o.dataset.as_deref().is_none_or(|d| d == dataset)
                && o.system.as_deref().is_none_or(|s| s == system);
            if applies {
                merged.extend(o.checks.clone());
            }
        }
        merged.into_values().flatten().collect()
    }
}

/// Reads the suite file, with an error that says where evalgate looked.
pub fn read_suite_text(path: &Path) -> Result<String> {
    crate::fsutil::read_text(path).map_err(|e| {
        Error::Config(format!(
            "suite file: {e}; run from the project root or pass its path"
        ))
    })
}

/// The system kinds a suite may use.
pub const SYSTEM_KINDS: &[&str] = &["builtin", "rust", "command", "openai", "replay"];

fn is_name_segment(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// The check keys of one `[checks.<metric>]` table or `[[overrides]]` entry, as written.
struct RawCheckSet<'a> {
    min: &'a Option<Spanned<RawBound>>,
    max: &'a Option<Spanned<RawBound>>,
    vs: &'a Option<Spanned<RawVsBaseline>>,
    item_min: &'a Option<Spanned<RawItemBound>>,
    item_max: &'a Option<Spanned<RawItemBound>>,
}

fn resolve_checks(
    key: &str,
    raw: RawCheckSet<'_>,
    lines: &LineIndex,
    file: &str,
) -> Result<CheckSet> {
    let RawCheckSet {
        min,
        max,
        vs,
        item_min,
        item_max,
    } = raw;
    let mut out = BTreeMap::new();
    for (kind, bound) in [(CheckKind::Min, min), (CheckKind::Max, max)] {
        let Some(bound) = bound else { continue };
        let line = lines.line(bound.span().start);
        let check = match bound.get_ref() {
            RawBound::Off(false) => None,
            RawBound::Off(true) => {
                return Err(Error::Config(format!(
                    "{file}:{line}: `{key}.{}` = true has no bound; give a number or \
                     {{ value = .., severity = \"error\" }}, or false to switch it off",
                    kind.as_str()
                )));
            }
            RawBound::Value(v) => Some((*v, Severity::Error)),
            RawBound::Full(t) => Some((t.value, t.severity)),
        };
        let check = match check {
            None => None,
            Some((value, severity)) => {
                if !value.is_finite() {
                    return Err(Error::Config(format!(
                        "{file}:{line}: `{key}.{}` must be a finite number, found {value}",
                        kind.as_str()
                    )));
                }
                Some(Check {
                    threshold: Some(value),
                    line: Some(line),
                    ..Check::new(kind, severity)
                })
            }
        };
        out.insert(kind, check);
    }
    for (kind, bound) in [
        (CheckKind::ItemMin, item_min),
        (CheckKind::ItemMax, item_max),
    ] {
        let Some(bound) = bound else { continue };
        let line = lines.line(bound.span().start);
        let name = kind.as_str();
        let table = match bound.get_ref() {
            RawItemBound::Off(false) => {
                out.insert(kind, None);
                continue;
            }
            RawItemBound::Off(true) => {
                return Err(Error::Config(format!(
                    "{file}:{line}: `{key}.{name}` = true has no bound; give a number or \
                     {{ value = .., max_failing_items = .. }}, or false to switch it off"
                )));
            }
            RawItemBound::Value(v) => RawItemBoundTable {
                value: *v,
                max_failing_items: None,
                max_failing_pct: None,
                severity: Severity::Error,
                per_item_trials: false,
            },
            RawItemBound::Full(t) => t.clone(),
        };
        if !table.value.is_finite() {
            return Err(Error::Config(format!(
                "{file}:{line}: `{key}.{name}` must be a finite number, found {}",
                table.value
            )));
        }
        let max_failing_items = match table.max_failing_items {
            None => None,
            Some(n) if n >= 0 => Some(n as usize),
            Some(n) => {
                return Err(Error::Config(format!(
                    "{file}:{line}: `{key}.{name}.max_failing_items` must be a whole number >= 0, \
                     found {n}"
                )));
            }
        };
        if let Some(p) = table.max_failing_pct {
            if !(0.0..=100.0).contains(&p) {
                return Err(Error::Config(format!(
                    "{file}:{line}: `{key}.{name}.max_failing_pct` must be a percentage from 0 to \
                     100, found {p}"
                )));
            }
        }
        out.insert(
            kind,
            Some(Check {
                threshold: Some(table.value),
                max_failing_items,
                max_failing_pct: table.max_failing_pct,
                per_item_trials: table.per_item_trials,
                line: Some(line),
                ..Check::new(kind, table.severity)
            }),
        );
    }
    if let Some(vs) = vs {
        let line = lines.line(vs.span().start);
        let check = match vs.get_ref() {
            RawVsBaseline::Off(false) => None,
            RawVsBaseline::Off(true) => {
                return Err(Error::Config(format!(
                    "{file}:{line}: `{key}.vs_baseline` = true has no bound; give \
                     {{ max_drop = .., max_drop_pct = .. }}, or false to switch it off"
                )));
            }
            RawVsBaseline::Full(t) => {
                if t.max_drop.is_none() && t.max_drop_pct.is_none() {
                    return Err(Error::Config(format!(
                        "{file}:{line}: `{key}.vs_baseline` needs `max_drop` (absolute) and/or \
                         `max_drop_pct` (percent of the baseline)"
                    )));
                }
                for (name, v) in [("max_drop", t.max_drop), ("max_drop_pct", t.max_drop_pct)] {
                    if let Some(v) = v {
                        if !v.is_finite() || v < 0.0 {
                            return Err(Error::Config(format!(
                                "{file}:{line}: `{key}.vs_baseline.{name}` must be a number >= 0, \
                                 found {v}"
                            )));
                        }
                    }
                }
                Some(Check {
                    threshold: t.max_drop,
                    threshold_pct: t.max_drop_pct,
                    line: Some(line),
                    ..Check::new(CheckKind::VsBaseline, t.severity)
                })
            }
        };
        out.insert(CheckKind::VsBaseline, check);
    }
    Ok(out)
}

/// Maps byte offsets to 1-based line numbers.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    fn line(&self, offset: usize) -> u32 {
        (self.starts.partition_point(|&s| s <= offset)) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Direction, Metric, MetricValues, ScoringItem, ScoringOptions};
    use std::sync::Arc;

    struct Fake;
    impl Metric for Fake {
        fn definitions(&self) -> Vec<MetricDef> {
            ["score", "leak"]
                .iter()
                .map(|id| MetricDef {
                    id: id.to_string(),
                    direction: if *id == "leak" {
                        Direction::LowerIsBetter
                    } else {
                        Direction::HigherIsBetter
                    },
                    reference_based: *id == "score",
                    varies_by_machine: false,
                    range: (None, None),
                    aggregation: "mean",
                    description: "test",
                })
                .collect()
        }
        fn score(
            &self,
            _: &[ScoringItem<'_>],
            _: &[&str],
            _: &ScoringOptions,
        ) -> Result<Vec<MetricValues>> {
            Ok(Vec::new())
        }
    }

    fn registry() -> MetricRegistry {
        let mut r = MetricRegistry::empty();
        r.register(Arc::new(Fake)).unwrap();
        r
    }

    const BASE: &str = r#"
[tiers.smoke]
datasets = ["d"]

[datasets.d]
systems = ["s"]
metrics = ["score", "leak"]

[systems.s]
kind = "builtin"
builtin = "lead_n"
"#;

    fn parse(extra: &str) -> Result<Suite> {
        Suite::parse(
            Path::new("evalgate.toml"),
            &format!("{BASE}{extra}"),
            &registry(),
        )
    }

    fn def(id: &str) -> MetricDef {
        registry().definition(id).unwrap().clone()
    }

    #[test]
    fn defaults_then_metric_checks_then_overrides() {
        let suite = parse(
            r#"
[checks.leak]
max = { value = 0.0, severity = "warn" }

[[overrides]]
system = "s"
metric = "score"
min = 0.3
vs_baseline = { max_drop = 0.05 }
"#,
        )
        .unwrap();
        // Reference-based metric: built-in vs_baseline default, replaced by the override.
        let score = suite.checks_for("d", "s", &def("score"));
        assert_eq!(score.len(), 2);
        assert_eq!(score[0].kind, CheckKind::Min);
        assert_eq!(score[0].threshold, Some(0.3));
        assert_eq!(score[1].threshold, Some(0.05));
        assert_eq!(score[1].line, Some(20));
        let leak = suite.checks_for("d", "s", &def("leak"));
        assert_eq!(leak.len(), 1);
        assert_eq!(leak[0].severity, Severity::Warn);
    }

    #[test]
    fn reference_metrics_get_a_vs_baseline_error_check_by_default() {
        let suite = parse("").unwrap();
        let checks = suite.checks_for("d", "s", &def("score"));
        assert_eq!(checks.len(), 1);
        assert_eq!(checks[0].kind, CheckKind::VsBaseline);
        assert_eq!(checks[0].severity, Severity::Error);
        assert!(suite.checks_for("d", "s", &def("leak")).is_empty());
    }

    #[test]
    fn errors_name_the_key_and_line() {
        let cases = [
            (
                "\n[checks.rouge9]\nmin = 0.1\n",
                "evalgate.toml:13: `checks` names unknown metric `rouge9`",
            ),
            (
                "\n[checks.score]\nminimum = 0.1\n",
                "unknown field `minimum`",
            ),
            (
                "\n[checks.score]\nvs_baseline = { max_drop = -1 }\n",
                "evalgate.toml:14: `checks.score.vs_baseline.max_drop` must be a number >= 0",
            ),
            (
                "\n[checks.score]\nvs_baseline = { severity = \"warn\" }\n",
                "needs `max_drop`",
            ),
            (
                "\n[[overrides]]\nsystem = \"nope\"\nmetric = \"score\"\nmin = 1\n",
                "evalgate.toml:14: `overrides.system` names unknown system `nope`",
            ),
            ("\n[colours]\nred = 1\n", "unknown field `colours`"),
            (
                "\n[checks.score]\nitem_min = { value = 0.1, max_failing_items = -1 }\n",
                "evalgate.toml:14: `checks.score.item_min.max_failing_items` must be a whole \
                 number >= 0",
            ),
            (
                "\n[checks.score]\nitem_max = { value = 0.1, max_failing_pct = 120 }\n",
                "evalgate.toml:14: `checks.score.item_max.max_failing_pct` must be a percentage",
            ),
            (
                "\n[checks.score]\nitem_min = true\n",
                "evalgate.toml:14: `checks.score.item_min` = true has no bound",
            ),
            (
                "\n[checks.score]\nmin = \"0.2\"\n",
                "a check accepts a number (`min = 0.2`)",
            ),
            (
                "\n[checks.score]\nmax = { value = 0.2, severity = \"fatal\" }\n",
                "unknown variant `fatal`, expected `error` or `warn`",
            ),
            (
                "\n[checks.score]\nvs_baseline = 0.02\n",
                "a check accepts `{ max_drop = 0.02",
            ),
        ];
        for (extra, expected) in cases {
            let err = parse(extra).unwrap_err().to_string();
            assert!(err.contains(expected), "expected `{expected}` in: {err}");
        }
        let err = Suite::parse(
            Path::new("evalgate.toml"),
            "[tiers.smoke]\ndatasets = [\"d\"]\n\n[datasets.d]\nsystems = [\"s\"]\nmetrics = [\"score\"]\n\n[systems.s]\nkind = \"magic\"\n",
            &registry(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("evalgate.toml:8: `systems.s.kind` is `magic`"),
            "{err}"
        );
        let err = parse("").map(|_| ()).and_then(|_| {
            Suite::parse(
                Path::new("evalgate.toml"),
                &BASE.replace("\"leak\"", "\"lek\""),
                &registry(),
            )
            .map(|_| ())
        });
        assert!(
            err.unwrap_err()
                .to_string()
                .contains("evalgate.toml:7: `datasets.d.metrics` names unknown metric `lek`")
        );
    }
}

//! The suite configuration (`evalgate.toml`): systems, datasets, tiers, metrics and checks.
//!
//! Parsing is strict: unknown keys, unknown metric or system names and bad values are errors that
//! name the key and its line.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

mod checks;
pub mod keys;
pub(crate) mod lines;
mod raw;
mod systems;

use toml::Spanned;

pub use self::checks::DEFAULT_MAX_DROP_PCT;
use self::checks::{CheckTable, Override, RawCheckSet, resolve_checks};
use self::lines::LineIndex;
use self::raw::RawConfig;
pub use self::systems::{ExternalMetricConfig, MAX_SAMPLES, SystemConfig, SystemKind};
pub use crate::checks::Check;
use crate::checks::CheckKind;
use crate::error::{ConfigError, Error, Result};
use crate::metrics::external::ExternalMetric;
use crate::metrics::{MetricDef, MetricRegistry};

/// The default suite file name, at the project root.
pub const CONFIG_FILE: &str = "evalgate.toml";

/// The test source named in snapshot headers and hints when the harness does not know its own.
pub const DEFAULT_SOURCE_FILE: &str = "tests/benchmarks.rs";

/// `path` with `.` segments dropped and `..` segments applied to the segments before them
/// (without touching the file system); `..` that climbs above the start is kept.
fn lexically_normal(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out.iter().collect()
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
    /// The repository root (see [`Suite::set_repository_root`]); `None` until set: paths are
    /// then shown relative to [`Suite::root`].
    pub repository_root: Option<PathBuf>,
    /// [`Suite::root`] relative to the repository root (empty when they are the same or unset).
    repository_prefix: PathBuf,
    /// The test source that runs the suite, as insta names it in a snapshot's `source:`
    /// (relative to the cargo workspace root, `/` separators): `tests/benchmarks.rs` unless the
    /// harness says otherwise.
    pub source_file: String,
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
    /// Keep each item's prediction in the baselines (`[suite] store_predictions`, default
    /// true), for the word diffs of failing vs-baseline trials.
    pub store_predictions: bool,
    /// Tiers in file order of their names.
    pub tiers: Vec<Tier>,
    /// Datasets by id.
    pub datasets: BTreeMap<String, DatasetConfig>,
    /// Systems by name, with their raw tables.
    pub systems: BTreeMap<String, SystemConfig>,
    /// The external metrics the suite declares (`[external_metrics.<id>]`), checked.
    pub external_metrics: Vec<ExternalMetric>,
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
    /// Where each of `metrics` is listed in the suite file.
    pub metric_listings: BTreeMap<String, MetricListing>,
    /// Where the suite file sets `dir`, for errors: "`datasets.<id>.path` at FILE:LINE", or
    /// "`[datasets.<id>]` at FILE:LINE" when the folder is the default one.
    pub defined_at: String,
}

/// Where the suite file lists a metric of a dataset: `datasets.<id>.metrics`, or `suite.metrics`
/// for a dataset without its own list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricListing {
    /// The dotted key of the list.
    pub key: String,
    /// The line of the metric's entry in the list.
    pub line: u32,
}

impl Suite {
    /// Loads and validates the suite file against the known metrics and built-in system names.
    pub fn load(path: &Path, metrics: &MetricRegistry) -> Result<Suite> {
        Suite::parse(path, &read_suite_text(path)?, metrics)
    }

    /// Parses suite text (`path` is used for messages and as the project root's anchor).
    pub fn parse(path: &Path, text: &str, metrics: &MetricRegistry) -> Result<Suite> {
        let file = path.display().to_string();
        let lines = LineIndex::new(text);
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            Error::Config(lines::syntax_error(
                &file,
                &lines,
                "suite configuration",
                &e,
            ))
        })?;
        let at = |span: std::ops::Range<usize>| lines.line(span.start);
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

        // External metrics: read and registered beside the known metrics, so the rest of the
        // suite can name them.
        let mut metrics = metrics.clone();
        let mut external_metrics = Vec::new();
        for (id, table) in &raw.external_metrics {
            let config = systems::external_metric(&file, &lines, id, table);
            let metric = ExternalMetric::from_keys(config.keys(), &root)?;
            if metrics.definition(id.get_ref()).is_some() {
                return Err(config.keys().table_error(&format!(
                    "names metric id `{0}`, which is already taken by a built-in or plugin \
                     metric; rename the external metric (e.g. `{0}_ext`) and use the new name in \
                     `metrics` lists and [checks]",
                    id.get_ref()
                )));
            }
            metrics.register(std::sync::Arc::new(metric.clone()))?;
            external_metrics.push(metric);
        }
        let metrics = &metrics;

        // A name listed twice would run its trials twice.
        let no_repeats = |list: &[Spanned<String>], key: &str| -> Result<()> {
            for (n, entry) in list.iter().enumerate() {
                if list[..n].iter().any(|e| e.get_ref() == entry.get_ref()) {
                    return Err(Error::Config(
                        ConfigError::at(
                            &file,
                            at(entry.span()),
                            format!("lists `{}` twice; list it once", entry.get_ref()),
                        )
                        .for_key(key),
                    ));
                }
            }
            Ok(())
        };
        no_repeats(&raw.suite().metrics, "suite.metrics")?;
        for (name, tier) in &raw.tiers {
            no_repeats(
                &tier.datasets,
                &format!("tiers.{}.datasets", name.get_ref()),
            )?;
        }
        for (id, ds) in &raw.datasets {
            no_repeats(&ds.systems, &format!("datasets.{}.systems", id.get_ref()))?;
            if let Some(metrics) = &ds.metrics {
                no_repeats(metrics, &format!("datasets.{}.metrics", id.get_ref()))?;
            }
        }

        let check_metric = |id: &Spanned<String>, key: &str| -> Result<()> {
            if metrics.definition(id.get_ref()).is_none() {
                return Err(Error::Config(
                    ConfigError::at(
                        &file,
                        at(id.span()),
                        format!(
                            "names unknown metric `{}`; known metrics: {}",
                            id.get_ref(),
                            metrics.ids().collect::<Vec<_>>().join(", "),
                        ),
                    )
                    .for_key(key),
                ));
            }
            Ok(())
        };

        // Systems: each table's kind; its keys are read by the kind when the suite is checked.
        let mut systems = BTreeMap::new();
        for (name, table) in &raw.systems {
            let system = systems::system(&file, &lines, name, table)?;
            systems.insert(name.get_ref().clone(), system);
        }

        // Default metric list.
        for m in &raw.suite().metrics {
            check_metric(m, "suite.metrics")?;
        }
        let default_metrics: Vec<String> = raw
            .suite()
            .metrics
            .iter()
            .map(|m| m.get_ref().clone())
            .collect();
        let listings = |list: &[Spanned<String>], key: &str| -> BTreeMap<String, MetricListing> {
            list.iter()
                .map(|m| {
                    let listing = MetricListing {
                        key: key.to_string(),
                        line: at(m.span()),
                    };
                    (m.get_ref().clone(), listing)
                })
                .collect()
        };
        let default_listings = listings(&raw.suite().metrics, "suite.metrics");

        // Datasets.
        let datasets_dir = root.join(raw.suite().datasets_dir.as_deref().unwrap_or("datasets"));
        let mut datasets = BTreeMap::new();
        for (id, ds) in &raw.datasets {
            let id_str = id.get_ref().clone();
            if ds.systems.is_empty() {
                return Err(Error::Config(
                    ConfigError::at(
                        &file,
                        at(id.span()),
                        "is empty; list the systems to run on it",
                    )
                    .for_key(format!("datasets.{id_str}.systems")),
                ));
            }
            for s in &ds.systems {
                if !systems.contains_key(s.get_ref()) {
                    return Err(Error::Config(
                        ConfigError::at(
                            &file,
                            at(s.span()),
                            format!(
                                "names unknown system `{}`; defined \
                                 systems: {}",
                                s.get_ref(),
                                systems.keys().cloned().collect::<Vec<_>>().join(", "),
                            ),
                        )
                        .for_key(format!("datasets.{id_str}.systems")),
                    ));
                }
            }
            let (metric_list, metric_listings) = match &ds.metrics {
                Some(list) => {
                    let key = format!("datasets.{id_str}.metrics");
                    for m in list {
                        check_metric(m, &key)?;
                    }
                    (
                        list.iter().map(|m| m.get_ref().clone()).collect::<Vec<_>>(),
                        listings(list, &key),
                    )
                }
                None => (default_metrics.clone(), default_listings.clone()),
            };
            if metric_list.is_empty() {
                return Err(Error::Config(ConfigError::at(
                    &file,
                    at(id.span()),
                    format!(
                        "dataset `{id_str}` has no metrics; set `datasets.{id_str}.metrics` or \
                         `suite.metrics`",
                    ),
                )));
            }
            let (dir, defined_at) = match &ds.path {
                Some(p) => (
                    root.join(p.get_ref()),
                    format!("`datasets.{id_str}.path` at {}:{}", file, at(p.span())),
                ),
                None => (
                    datasets_dir.join(&id_str),
                    format!("`[datasets.{id_str}]` at {}:{}", file, at(id.span())),
                ),
            };
            datasets.insert(
                id_str.clone(),
                DatasetConfig {
                    id: id_str,
                    dir,
                    systems: ds.systems.iter().map(|s| s.get_ref().clone()).collect(),
                    metrics: metric_list,
                    metric_listings,
                    defined_at,
                },
            );
        }

        // Tiers.
        let mut tiers = Vec::new();
        for (name, tier) in &raw.tiers {
            if !is_name_segment(name.get_ref()) {
                return Err(Error::Config(ConfigError::at(
                    &file,
                    at(name.span()),
                    format!(
                        "tier name `{}` may only use letters, digits, `_`, `-` and `.`",
                        crate::outside::escaped(name.get_ref(), 100),
                    ),
                )));
            }
            for d in &tier.datasets {
                if !datasets.contains_key(d.get_ref()) {
                    return Err(Error::Config(ConfigError::at(
                        &file,
                        at(d.span()),
                        format!(
                            "`tiers.{}.datasets` names `{}`, which has no `[datasets.{}]` table",
                            name.get_ref(),
                            d.get_ref(),
                            d.get_ref(),
                        ),
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
            // The line of `[suite]`, where a reader looks for the suite's shape.
            let line = raw.suite.as_ref().map_or(1, |s| at(s.span()));
            return Err(Error::Config(ConfigError::at(
                &file,
                line,
                "no tiers; add e.g. `[tiers.smoke]` with `datasets = [...]`",
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
            // `<dataset>__<system>` names one file per evaluation only when neither name holds
            // `__` nor starts or ends with `_` (`a_` × `b` and `a` × `_b` would both be `a___b`).
            let separable = !text.contains("__") && !text.starts_with('_') && !text.ends_with('_');
            if !is_name_segment(text) || !separable {
                return Err(Error::Config(ConfigError::at(
                    &file,
                    at(name.span()),
                    format!(
                        "{what} name `{}` may only use letters, digits, `_`, `-` and `.`, not \
                         `__` and not `_` at either end (it becomes part of trial names and of \
                     baseline file names `<dataset>__<system>.snap`)",
                        crate::outside::escaped(text, 100),
                    ),
                )));
            }
            if let Some(other) = seen_folded.insert((what, text.to_ascii_lowercase()), text) {
                return Err(Error::Config(ConfigError::at(
                    &file,
                    at(name.span()),
                    format!(
                        "{what} names `{other}` and `{text}` differ only in case; their baseline \
                         files would be one file on a case-insensitive file system, so rename one",
                    ),
                )));
            }
        }

        // Everything configured must be used: a dataset no tier runs, a system no dataset runs,
        // checks or parameters of a metric nothing computes would silently do nothing.
        for (name, tier) in &raw.tiers {
            if tier.datasets.is_empty() {
                return Err(Error::Config(ConfigError::at(
                    &file,
                    at(name.span()),
                    format!(
                        "`tiers.{}.datasets` is empty, so the tier runs nothing; list its \
                         datasets or remove the tier",
                        name.get_ref(),
                    ),
                )));
            }
        }
        for id in raw.datasets.keys() {
            if !tiers.iter().any(|t| t.datasets.contains(id.get_ref())) {
                return Err(Error::Config(ConfigError::at(
                    &file,
                    at(id.span()),
                    format!(
                        "dataset `{}` is in no tier, so nothing runs it; add it to a tier's \
                         `datasets` or remove `[datasets.{}]`",
                        id.get_ref(),
                        id.get_ref(),
                    ),
                )));
            }
        }
        for (name, table) in &raw.systems {
            if !datasets
                .values()
                .any(|d: &DatasetConfig| d.systems.contains(name.get_ref()))
            {
                return Err(Error::Config(ConfigError::at(
                    &file,
                    at(table.span()),
                    format!(
                        "system `{}` runs on no dataset; add it to a dataset's `systems` or \
                         remove `[systems.{}]`",
                        name.get_ref(),
                        name.get_ref(),
                    ),
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
                return Err(Error::Config(ConfigError::at(
                    &file,
                    at(id.span()),
                    format!(
                        "external metric `{}` is computed by no dataset; add it to a dataset's \
                         `metrics` or remove `[external_metrics.{}]`",
                        id.get_ref(),
                        id.get_ref(),
                    ),
                )));
            }
        }

        // Metric parameters.
        let mut metric_params = BTreeMap::new();
        for (id, table) in &raw.metric_params {
            check_metric(id, "metric_params")?;
            if !computed(id.get_ref()) {
                return Err(Error::Config(ConfigError::at(
                    &file,
                    at(id.span()),
                    format!(
                        "`[metric_params.{}]` sets parameters of a metric no dataset computes; \
                         add `{}` to a dataset's `metrics` or remove the table",
                        id.get_ref(),
                        id.get_ref(),
                    ),
                )));
            }
            let table: toml::Table = table
                .iter()
                .map(|(k, v)| (k.get_ref().clone(), v.clone()))
                .collect();
            let mut json = serde_json::to_value(&table).map_err(|e| {
                Error::Config(ConfigError::at(
                    &file,
                    at(id.span()),
                    format!("`metric_params.{}`: {e}", id.get_ref()),
                ))
            })?;
            // A model folder is relative to the suite file, like other paths.
            crate::metrics::semantic::resolve_paths(id.get_ref(), &mut json, &root);
            metric_params.insert(id.get_ref().clone(), json);
        }
        // Each metric checks its own parameters now, not when it first scores.
        let scoring = crate::metrics::ScoringOptions {
            stemmer: raw.suite().stemmer.unwrap_or(true),
            params: metric_params.clone(),
            ..Default::default()
        };
        for (id, table) in &raw.metric_params {
            // The line of the parameter at fault when the error names one, else of the table.
            // A key inside an inline table (`metric_params.<id>.endpoint.base_url`) is at the
            // line of the table's parameter (`endpoint`).
            let prefix = format!("metric_params.{}.", id.get_ref());
            let line_of = |e: &ConfigError| {
                let param = e
                    .key
                    .as_deref()
                    .and_then(|k| match k.strip_prefix(&prefix) {
                        Some(rest) => rest.split('.').next(),
                        None => k.rsplit_once('.').map(|(_, p)| p),
                    });
                table
                    .keys()
                    .find(|k| Some(k.get_ref().as_str()) == param)
                    .map_or(at(id.span()), |k| at(k.span()))
            };
            let line = at(id.span());
            metrics
                .check_params(id.get_ref(), &scoring)
                .map_err(|e| match e {
                    Error::Config(e) => {
                        let line = line_of(&e);
                        Error::Config(e.within(Some(&file), Some(line), None))
                    }
                    other => Error::Config(
                        ConfigError::at(&file, line, other.to_string())
                            .for_key(format!("metric_params.{}", id.get_ref())),
                    ),
                })?;
        }

        // A metric that needs parameters (a server, a model) and has no table at all is an
        // error now too, at the line that asks for the metric. Ids no registered family knows
        // (external metrics) are checked elsewhere.
        let untabled: BTreeSet<&str> = datasets
            .values()
            .flat_map(|d| d.metrics.iter().map(String::as_str))
            .filter(|id| !raw.metric_params.keys().any(|k| k.get_ref() == id))
            .filter(|id| metrics.knows(id))
            .collect();
        for id in untabled {
            if let Err(e) = metrics.check_params(id, &scoring) {
                let line = raw
                    .datasets
                    .values()
                    .filter_map(|d| d.metrics.as_ref())
                    .flatten()
                    .chain(raw.suite().metrics.iter())
                    .find(|m| m.get_ref() == id)
                    .map_or(1, |m| at(m.span()));
                let message = match e {
                    Error::Config(e) => e.problem,
                    other => other.to_string(),
                };
                return Err(Error::Config(
                    ConfigError::at(&file, line, message).for_key(format!("metric_params.{id}")),
                ));
            }
        }

        // Checks.
        let mut table = CheckTable::default();
        for (id, checks) in &raw.checks {
            check_metric(id, "checks")?;
            if !computed(id.get_ref()) {
                return Err(Error::Config(ConfigError::at(
                    &file,
                    at(id.span()),
                    format!(
                        "`[checks.{}]` checks a metric no dataset computes; add `{}` to a \
                         dataset's `metrics` or remove the table",
                        id.get_ref(),
                        id.get_ref(),
                    ),
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
                at(id.span()),
                &format!(
                    "`[checks.{}]` sets no check; give `min`, `max`, `vs_baseline`, \
                     `item_min` or `item_max`, or remove the table",
                    id.get_ref(),
                ),
            )?;
            table
                .per_metric
                .insert(id.get_ref().clone(), resolved.checks);
            table
                .per_metric_off_lines
                .insert(id.get_ref().clone(), resolved.off_lines);
        }
        for ov in &raw.overrides {
            let o = ov.get_ref();
            let key = "overrides";
            check_metric(&o.metric, key)?;
            if let Some(d) = &o.dataset
                && !datasets.contains_key(d.get_ref())
            {
                return Err(Error::Config(
                    ConfigError::at(
                        &file,
                        at(d.span()),
                        format!("names unknown dataset `{}`", d.get_ref()),
                    )
                    .for_key("overrides.dataset"),
                ));
            }
            if let Some(s) = &o.system
                && !systems.contains_key(s.get_ref())
            {
                return Err(Error::Config(
                    ConfigError::at(
                        &file,
                        at(s.span()),
                        format!("names unknown system `{}`", s.get_ref()),
                    )
                    .for_key("overrides.system"),
                ));
            }
            let matches = datasets.values().any(|d| {
                o.dataset.as_ref().is_none_or(|x| x.get_ref() == &d.id)
                    && o.system
                        .as_ref()
                        .is_none_or(|x| d.systems.contains(x.get_ref()))
                    && d.metrics.contains(o.metric.get_ref())
            });
            if !matches {
                return Err(Error::Config(ConfigError::at(
                    &file,
                    at(ov.span()),
                    format!(
                        "this `[[overrides]]` entry matches nothing: no dataset{}{} computes `{}`; \
                         fix its `dataset`, `system` or `metric`, or remove it",
                        o.dataset
                            .as_ref()
                            .map(|d| format!(" `{}`", d.get_ref()))
                            .unwrap_or_default(),
                        o.system
                            .as_ref()
                            .map(|x| format!(" running `{}`", x.get_ref()))
                            .unwrap_or_default(),
                        o.metric.get_ref(),
                    ),
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
                at(ov.span()),
                "this `[[overrides]]` entry sets no check; give `min`, `max`, \
                 `vs_baseline`, `item_min` or `item_max`, or remove it",
            )?;
            table.overrides.push(Override {
                dataset: o.dataset.as_ref().map(|d| d.get_ref().clone()),
                system: o.system.as_ref().map(|s| s.get_ref().clone()),
                metric: o.metric.get_ref().clone(),
                checks: resolved.checks,
                off_lines: resolved.off_lines,
            });
        }
        check_switches_off_something(&table, &datasets, metrics, &file)?;
        check_paired_tests(&table, metrics, &file)?;

        Ok(Suite {
            name: raw
                .suite()
                .name
                .clone()
                .unwrap_or_else(|| "evalgate".to_string()),
            config_path: path.to_path_buf(),
            repository_root: None,
            repository_prefix: PathBuf::new(),
            source_file: DEFAULT_SOURCE_FILE.to_string(),
            config_hash: crate::fsutil::sha256_hex(text.as_bytes()),
            datasets_dir,
            baselines_dir: root.join(raw.suite().baselines_dir.as_deref().unwrap_or("baselines")),
            cache_dir: raw.suite().cache_dir.as_ref().map(|d| root.join(d)),
            pricing: match &raw.suite().pricing {
                Some(p) => Some(root.join(p)),
                None => Some(root.join("pricing.toml")).filter(|p| p.exists()),
            },
            stemmer: raw.suite().stemmer.unwrap_or(true),
            store_predictions: raw.suite().store_predictions.unwrap_or(true),
            root,
            tiers,
            datasets,
            systems,
            external_metrics,
            metric_params,
            checks: table,
        })
    }

    /// Shows paths relative to `repository` (the git work tree root, say) instead of the suite
    /// folder, so that JUnit `file` attributes and results.json paths name the files GitHub
    /// annotates wherever the suite lives in the repository. A `repository` that does not hold
    /// the suite folder changes nothing.
    pub fn set_repository_root(&mut self, repository: &Path) {
        let (Ok(repo), Ok(root)) = (repository.canonicalize(), self.root.canonicalize()) else {
            return;
        };
        if let Ok(prefix) = root.strip_prefix(&repo) {
            self.repository_prefix = prefix.to_path_buf();
            self.repository_root = Some(repo);
        }
    }

    /// `path` as shown in messages, results and JUnit: relative to the repository root when one
    /// is set ([`Suite::set_repository_root`]), else to the project root, when it is inside it;
    /// as it is otherwise.
    pub fn display_path(&self, path: &Path) -> String {
        let shown = match path.strip_prefix(&self.root) {
            Ok(rel) => lexically_normal(&self.repository_prefix.join(rel)),
            Err(_) => match &self.repository_root {
                Some(repo) => path.strip_prefix(repo).unwrap_or(path).to_path_buf(),
                None => path.to_path_buf(),
            },
        };
        let shown = shown.to_string_lossy();
        shown.trim_start_matches("./").to_string()
    }

    /// Refuses the reference-based metrics of dataset `id` when that dataset is reference-free
    /// (no item has references, see [`crate::dataset`]): the error names the first such metric,
    /// the dataset and the line listing the metric.
    pub fn refuse_reference_metrics(&self, id: &str, metrics: &MetricRegistry) -> Result<()> {
        let ds = &self.datasets[id];
        let needing: Vec<&String> = ds
            .metrics
            .iter()
            .filter(|m| metrics.definition(m).is_some_and(|d| d.reference_based))
            .collect();
        let Some(first) = needing.first() else {
            return Ok(());
        };
        let listing = &ds.metric_listings[*first];
        let manifest = ds.dir.join(crate::dataset::DATASET_FILE);
        let manifest = manifest.display();
        let others = match &needing[1..] {
            [] => String::new(),
            rest => format!(
                " (so {} {})",
                if rest.len() == 1 { "does" } else { "do" },
                rest.iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let fix = if listing.key == "suite.metrics" {
            format!("give `[datasets.{id}]` its own `metrics` list without reference-based metrics")
        } else {
            "remove it from the list".to_string()
        };
        Err(Error::Config(
            ConfigError::at(
                self.config_path.display(),
                listing.line,
                format!(
                    "lists `{first}`, which needs references{others}, but dataset `{id}` is \
                     reference-free (no item of {manifest} has `references` or \
                     `reference_paths`); {fix} (gates, latency, cost and metrics without \
                     references run on it), or use a dataset version whose items have references",
                ),
            )
            .for_key(&listing.key),
        ))
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
        self.checks
            .merged(
                dataset,
                system,
                &def.id,
                def.reference_based,
                self.checks.overrides.len(),
            )
            .into_values()
            .flatten()
            .collect()
    }
}

/// A vs-baseline check that names a statistical test must be on a metric whose dataset value can
/// be recomputed on resampled items, and a permutation test needs per-item differences (corpus
/// metrics take the paired bootstrap).
fn check_paired_tests(table: &CheckTable, metrics: &MetricRegistry, file: &str) -> Result<()> {
    use crate::metrics::Resampling;
    let per_metric = table.per_metric.iter();
    let overrides = table.overrides.iter().map(|o| (&o.metric, &o.checks));
    for (metric, set) in per_metric.chain(overrides) {
        let Some(Some(check)) = set.get(&CheckKind::VsBaseline) else {
            continue;
        };
        let Some(test) = check.test else { continue };
        let problem = match (metrics.resampling(metric), test.method) {
            (Some(Resampling::NotResamplable), _) => Some(format!(
                "names a statistical test, but `{metric}` is not recomputable from resampled \
                 items (a percentile); remove `test`, or test `latency_mean_ms` instead"
            )),
            (Some(Resampling::CorpusStatistics), crate::stats::Method::Permutation) => {
                Some(format!(
                    "names the permutation test, which needs per-item differences, but `{metric}` \
                     is a corpus-level metric; use test = \"paired_bootstrap\" (it recomputes the \
                     corpus value on every resample)"
                ))
            }
            _ => None,
        };
        if let Some(problem) = problem {
            return Err(Error::Config(
                ConfigError::at(file, check.line.unwrap_or(1), problem)
                    .for_key(format!("checks.{metric}.vs_baseline.test")),
            ));
        }
    }
    Ok(())
}

/// `<kind> = false` must switch off a check that would otherwise run: a default, a
/// `[checks.<metric>]` entry, or an earlier override, for some dataset × system it applies to.
fn check_switches_off_something(
    table: &CheckTable,
    datasets: &BTreeMap<String, DatasetConfig>,
    metrics: &MetricRegistry,
    file: &str,
) -> Result<()> {
    let reference_based = |metric: &str| {
        metrics
            .definition(metric)
            .is_some_and(|d| d.reference_based)
    };
    let nothing = |kind: CheckKind, metric: &str, line: u32| {
        Error::Config(ConfigError::at(
            file,
            line,
            format!(
                "`{} = false` switches off a check `{metric}` does not have there \
                 ({}); remove it",
                kind.as_str(),
                match kind {
                    CheckKind::VsBaseline => "only reference-based metrics have one by default",
                    _ => "no check of this kind is set before this line",
                },
            ),
        ))
    };
    for (metric, offs) in &table.per_metric_off_lines {
        for (kind, line) in offs {
            let default = *kind == CheckKind::VsBaseline && reference_based(metric);
            if !default {
                return Err(nothing(*kind, metric, *line));
            }
        }
    }
    for (index, o) in table.overrides.iter().enumerate() {
        for (kind, line) in &o.off_lines {
            let switched = datasets.values().any(|d| {
                d.metrics.contains(&o.metric)
                    && d.systems.iter().any(|s| {
                        o.applies(&d.id, s, &o.metric)
                            && table
                                .merged(&d.id, s, &o.metric, reference_based(&o.metric), index)
                                .get(kind)
                                .is_some_and(Option::is_some)
                    })
            });
            if !switched {
                return Err(nothing(*kind, &o.metric, *line));
            }
        }
    }
    Ok(())
}

/// Reads the suite file, with an error that says where evalgate looked.
pub fn read_suite_text(path: &Path) -> Result<String> {
    crate::fsutil::read_text(path).map_err(|e| {
        Error::Config(ConfigError::new(format!(
            "suite file: {e}; run from the project root or pass its path"
        )))
    })
}

fn is_name_segment(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Severity;
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
                "\n[checks.leak]\n",
                "evalgate.toml:13: `[checks.leak]` sets no check",
            ),
            (
                "\n[checks.leak]\nvs_baseline = false\n",
                "evalgate.toml:14: `vs_baseline = false` switches off a check `leak` does not have",
            ),
            (
                "\n[checks.leak]\nmax = 0.1\n\n[[overrides]]\nmetric = \"leak\"\nmin = false\n",
                "evalgate.toml:18: `min = false` switches off a check `leak` does not have",
            ),
            (
                "\n[[overrides]]\nmetric = \"leak\"\n",
                "evalgate.toml:13: this `[[overrides]]` entry sets no check",
            ),
            (
                "\n[tiers.nightly]\ndatasets = [\"d\", \"d\"]\n",
                "evalgate.toml:14: `tiers.nightly.datasets` lists `d` twice",
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
            err.contains("evalgate.toml:9: `systems.s.kind` is `magic`"),
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

    #[test]
    fn a_suite_without_tiers_is_an_error_at_its_suite_table() {
        let error = |text: &str| {
            Suite::parse(Path::new("evalgate.toml"), text, &registry())
                .unwrap_err()
                .to_string()
        };
        let text = "# comment\n\n[suite]\nname = \"x\"\n\n[datasets.d]\nsystems = [\"s\"]\n\
                    metrics = [\"score\"]\n\
                    \n[systems.s]\nkind = \"builtin\"\nbuiltin = \"lead_n\"\n";
        assert!(
            error(text).starts_with("evalgate.toml:3: no tiers;"),
            "{}",
            error(text)
        );
        // Without a `[suite]` table, the first line.
        let text = "\n[datasets.d]\nsystems = [\"s\"]\nmetrics = [\"score\"]\n\n[systems.s]\n\
                    kind = \"builtin\"\nbuiltin = \"lead_n\"\n";
        assert!(
            error(text).starts_with("evalgate.toml:1: no tiers;"),
            "{}",
            error(text)
        );
    }

    #[test]
    fn toml_errors_name_the_line_and_the_cause_once() {
        let err = Suite::parse(
            Path::new("evalgate.toml"),
            "[suite]\nname = \"x\"\n\n[tiers.smoke]\ndatasets = [\"d\"\n",
            &registry(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("evalgate.toml:5: invalid suite configuration: ")
                && !err.contains('\n'),
            "{err}"
        );
    }
}

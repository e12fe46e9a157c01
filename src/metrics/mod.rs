//! Metrics: the trait every metric family implements, their definitions, and the registry.
//!
//! A *family* (ROUGE, BLEU, the WER family, one heuristic gate, ...) computes one or more metric
//! ids over a whole dataset at once, so corpus-level aggregation (BLEU, chrF, WER pool statistics
//! over items) lives inside the family. Adding a metric is adding one file with one type that
//! implements [`Metric`] and one line in [`MetricRegistry::builtin`].

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{ConfigError, Error, MetricError, Result};

pub mod bleu;
pub mod chrf;
pub mod cost;
pub mod embedding;
pub mod embedding_endpoint;
pub mod external;
pub mod gates;
pub mod latency;
pub mod levenshtein;
pub mod pass_k;
pub mod perplexity;
pub mod porter;
pub mod python_text;
pub mod rouge;
pub mod rouge_tokenize;
pub mod semantic;
pub mod tokenize_13a;
pub mod wer;

/// Version of the metric definitions, recorded in every baseline. Bump it whenever a metric's
/// numbers change meaning (tokenisation, aggregation, ...), so old baselines are recognised as
/// made by other definitions instead of being compared silently.
pub const METRIC_VERSION: &str = "2";

/// Which way is better for a metric. Every check consults it, so a rise in WER or latency is
/// never reported as an improvement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Larger values are better (ROUGE, BLEU, chrF).
    HigherIsBetter,
    /// Smaller values are better (WER, leak rates, latency, cost).
    LowerIsBetter,
}

impl Direction {
    /// How much worse `current` is than `baseline` (positive = worse, negative = better).
    pub fn worsening(self, baseline: f64, current: f64) -> f64 {
        match self {
            Direction::HigherIsBetter => baseline - current,
            Direction::LowerIsBetter => current - baseline,
        }
    }

    /// Short human label.
    pub fn label(self) -> &'static str {
        match self {
            Direction::HigherIsBetter => "higher is better",
            Direction::LowerIsBetter => "lower is better",
        }
    }
}

/// The definition of one metric id: what it means and how it aggregates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricDef {
    /// The id used in config, snapshots, results and CLI output (e.g. `rougeL_f1`).
    pub id: String,
    /// Which way is better.
    pub direction: Direction,
    /// True when the metric compares the output with reference text(s). Reference-based metrics
    /// get a vs-baseline `error` check by default, and a suite that lists one for a
    /// reference-free dataset (no item has references) is refused when it loads.
    pub reference_based: bool,
    /// True when the value depends on the machine and its load rather than on the outputs
    /// (latency). A change of such a value alone never leaves a pending baseline snapshot: a
    /// pending snapshot means a quality result changed.
    pub varies_by_machine: bool,
    /// Smallest and largest possible value, when bounded (`None` for unbounded, e.g. WER > 1).
    pub range: (Option<f64>, Option<f64>),
    /// How per-item values become the dataset value (e.g. "mean of items", "corpus statistics").
    pub aggregation: &'static str,
    /// One-line definition.
    pub description: &'static str,
}

/// One item as metrics see it: the system's output beside the dataset's input and references.
#[derive(Debug, Clone, Copy)]
pub struct ScoringItem<'a> {
    /// Dataset item id.
    pub id: &'a str,
    /// The system's input text.
    pub input: &'a str,
    /// The system's output (prediction).
    pub prediction: &'a str,
    /// Reference texts (at least one for reference-based metrics).
    pub references: &'a [String],
    /// Item metadata from the dataset (speaker names, expectations such as
    /// `allow_sponsor_content`, ...).
    pub metadata: &'a serde_json::Value,
    /// How the output was produced (latency, usage, cost), for metrics that measure it.
    pub generation: Option<&'a crate::systems::Generation>,
}

/// Options that change how metrics are computed, fixed per suite.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScoringOptions {
    /// Apply the Porter stemmer in ROUGE (rouge-score's `use_stemmer`).
    pub stemmer: bool,
    /// Per-metric parameters from the suite (`[metric_params.<id>]`), e.g. gate bounds.
    #[serde(default)]
    pub params: BTreeMap<String, serde_json::Value>,
    /// The run's cache folder (the output cache's, see [`crate::cache::OutputCache`]), for
    /// metrics that keep what servers answered (`perplexity` under `<dir>/perplexity/`);
    /// `None` when caching is off (`EVALGATE_CACHE=off`) or outside a run.
    #[serde(skip)]
    pub cache_dir: Option<std::path::PathBuf>,
    /// `EVALGATE_CACHE=refresh`: such metrics ask their server again and overwrite their cache
    /// entries.
    #[serde(skip)]
    pub refresh_cache: bool,
}

/// The values of one metric id over a dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricValues {
    /// Metric id.
    pub id: String,
    /// Dataset-level value (mean of items or corpus statistic, per the definition).
    pub aggregate: f64,
    /// One value per item, in dataset order; `None` where the metric does not apply to an item
    /// (e.g. a gate switched off by the item's expectations).
    pub per_item: Vec<Option<f64>>,
}

/// How a metric's dataset value is recomputed on a resample of the items, for the paired
/// statistical tests of vs-baseline checks (`test = "paired_bootstrap"` or `"permutation"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resampling {
    /// The dataset value is the mean of the items' values (items without a value left out):
    /// ROUGE, gate rates, mean latency, plugin metrics by default. The tests resample per-item
    /// differences.
    MeanOfItems,
    /// The dataset value is the sum of the items' values (cost, tokens). The tests resample
    /// per-item differences and scale by the item count.
    SumOfItems,
    /// The dataset value is computed from sufficient statistics summed over the items (corpus
    /// BLEU, chrF, pooled WER): [`Metric::item_statistics`] gives each item's statistics and
    /// [`Metric::corpus_value`] the value of any sum of them, as sacrebleu's paired bootstrap
    /// recomputes corpus scores.
    CorpusStatistics,
    /// Not recomputable from items (a percentile such as p95 latency): a statistical test on it
    /// is refused when the suite loads.
    NotResamplable,
}

/// A family of metrics computed together over a dataset.
pub trait Metric: Send + Sync {
    /// The metric ids this family produces.
    fn definitions(&self) -> Vec<MetricDef>;

    /// Computes the requested ids (a subset of [`Metric::definitions`]) over all items.
    /// Returns one [`MetricValues`] per requested id, `per_item` aligned with `items`.
    fn score(
        &self,
        items: &[ScoringItem<'_>],
        wanted: &[&str],
        options: &ScoringOptions,
    ) -> Result<Vec<MetricValues>>;

    /// Everything that determines this family's numbers beyond [`METRIC_VERSION`] (a plugin's
    /// script and its hash, say). It enters baseline fingerprints, so a baseline made with
    /// another configuration is recognised. Built-in families return `None`.
    fn fingerprint(&self) -> Option<serde_json::Value> {
        None
    }

    /// Checks the suite's `[metric_params.<id>]` table for `id` (in `options.params`) when the
    /// suite loads, so a bad parameter is an error naming its line before anything runs. The
    /// default accepts no parameters; a family with parameters reads them here as in
    /// [`Metric::score`].
    fn check_params(&self, id: &str, options: &ScoringOptions) -> Result<()> {
        reject_params(options, &[id])
    }

    /// The suite settings that change this family's numbers for the `wanted` ids, by name. They
    /// enter the baseline fingerprint, so a baseline computed with other settings is recognised
    /// instead of compared. The default is each wanted id's `[metric_params.<id>]` table, when
    /// the suite sets one; a family reading other options (ROUGE's stemmer) adds them.
    fn settings(
        &self,
        wanted: &[&str],
        options: &ScoringOptions,
    ) -> BTreeMap<String, serde_json::Value> {
        params_settings(wanted, options)
    }

    /// How the dataset value of `id` is recomputed on a resample of the items (see
    /// [`Resampling`]). The default, [`Resampling::MeanOfItems`], fits a family whose dataset
    /// value is the mean of its per-item values; a family aggregating otherwise overrides it.
    fn resampling(&self, _id: &str) -> Resampling {
        Resampling::MeanOfItems
    }

    /// For [`Resampling::CorpusStatistics`] ids: each item's sufficient statistics (one vector
    /// of the same length per item, in item order; counts as `f64`), whose element-wise sum over
    /// any multiset of items [`Metric::corpus_value`] turns into the dataset value. The default
    /// is an error: only corpus-level families provide statistics.
    fn item_statistics(
        &self,
        id: &str,
        _items: &[ScoringItem<'_>],
        _options: &ScoringOptions,
    ) -> Result<Vec<Vec<f64>>> {
        Err(Error::Metric(MetricError::of(
            id,
            "has no per-item sufficient statistics (it is not a corpus-level metric)",
        )))
    }

    /// For [`Resampling::CorpusStatistics`] ids: the dataset value of summed item statistics
    /// ([`Metric::item_statistics`] added element-wise). The default is NaN, which a test
    /// reports as an error.
    fn corpus_value(&self, _id: &str, _totals: &[f64]) -> f64 {
        f64::NAN
    }
}

/// The `[metric_params.<id>]` tables the suite sets for `wanted`, keyed by metric id (the
/// default of [`Metric::settings`]).
pub fn params_settings(
    wanted: &[&str],
    options: &ScoringOptions,
) -> BTreeMap<String, serde_json::Value> {
    wanted
        .iter()
        .filter_map(|id| {
            options
                .params
                .get(*id)
                .map(|v| (format!("metric_params.{id}"), v.clone()))
        })
        .collect()
}

/// All metric families known to a run: the built-in ones plus any registered by the user.
#[derive(Clone)]
pub struct MetricRegistry {
    families: Vec<Arc<dyn Metric>>,
    by_id: BTreeMap<String, (usize, MetricDef)>,
}

impl MetricRegistry {
    /// An empty registry.
    pub fn empty() -> Self {
        MetricRegistry {
            families: Vec::new(),
            by_id: BTreeMap::new(),
        }
    }

    /// The built-in metrics.
    pub fn builtin() -> Self {
        let mut registry = MetricRegistry::empty();
        // Built-in families are registered here, one line each.
        for family in gates::families() {
            registry
                .register(family)
                .expect("built-in metric ids are unique");
        }
        registry
            .register(Arc::new(latency::Latency))
            .expect("built-in metric ids are unique");
        registry
            .register(Arc::new(cost::CostAndTokens))
            .expect("built-in metric ids are unique");
        registry
            .register(Arc::new(rouge::RougeMetric))
            .expect("built-in metric ids are unique");
        registry
            .register(Arc::new(bleu::BleuMetric))
            .expect("built-in ids are unique");
        registry
            .register(Arc::new(chrf::ChrfMetric))
            .expect("built-in ids are unique");
        registry
            .register(Arc::new(wer::WerMetric))
            .expect("built-in ids are unique");
        registry
            .register(Arc::new(pass_k::PassK))
            .expect("built-in ids are unique");
        registry
            .register(Arc::new(perplexity::Perplexity))
            .expect("built-in ids are unique");
        registry
            .register(Arc::new(semantic::SemanticMetric))
            .expect("built-in ids are unique");
        registry
    }

    /// Adds a metric family. Fails when one of its ids is already taken.
    pub fn register(&mut self, family: Arc<dyn Metric>) -> Result<()> {
        let index = self.families.len();
        for def in family.definitions() {
            if self.by_id.contains_key(&def.id) {
                return Err(Error::Metric(MetricError::new(format!(
                    "metric id `{}` is registered twice; rename the plugin metric",
                    def.id
                ))));
            }
            self.by_id.insert(def.id.clone(), (index, def));
        }
        self.families.push(family);
        Ok(())
    }

    /// The definition of a metric id.
    pub fn definition(&self, id: &str) -> Option<&MetricDef> {
        self.by_id.get(id).map(|(_, d)| d)
    }

    /// All known metric ids, sorted.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.by_id.keys().map(String::as_str)
    }

    /// Computes the given metric ids over the items, each family once, families in parallel.
    /// Unknown ids, and any family's failure (its error as the family raised it), are errors.
    pub fn score(
        &self,
        items: &[ScoringItem<'_>],
        wanted: &[&str],
        options: &ScoringOptions,
    ) -> Result<BTreeMap<String, MetricValues>> {
        let item_ids: Vec<&str> = items.iter().map(|i| i.id).collect();
        let mut out = BTreeMap::new();
        for (ids, values) in self.score_families(items, wanted, options)? {
            collect_family(&mut out, &ids, values?, &item_ids, |id| self.definition(id))?;
        }
        Ok(out)
    }

    /// Like [`MetricRegistry::score`], but a failing family fails only its own ids: the map holds
    /// each wanted id with its values or the family's error. Unknown ids are an error.
    pub fn score_each(
        &self,
        items: &[ScoringItem<'_>],
        wanted: &[&str],
        options: &ScoringOptions,
    ) -> Result<BTreeMap<String, std::result::Result<MetricValues, MetricError>>> {
        let item_ids: Vec<&str> = items.iter().map(|i| i.id).collect();
        let mut out = BTreeMap::new();
        for (ids, values) in self.score_families(items, wanted, options)? {
            let mut family = BTreeMap::new();
            match values.and_then(|v| {
                collect_family(&mut family, &ids, v, &item_ids, |id| self.definition(id))
            }) {
                Ok(()) => out.extend(family.into_iter().map(|(id, v)| (id, Ok(v)))),
                Err(e) if ids.len() == 1 => {
                    out.insert(ids[0].to_string(), Err(metric_error(e)));
                }
                // The family failed on one of several ids (a cost without a price beside token
                // counts that are there): ask for each id alone, so only the failing ones fail.
                Err(_) => {
                    for id in &ids {
                        out.insert(id.to_string(), self.score_alone(items, id, options));
                    }
                }
            }
        }
        Ok(out)
    }

    /// Computes one metric id on its own.
    fn score_alone(
        &self,
        items: &[ScoringItem<'_>],
        id: &str,
        options: &ScoringOptions,
    ) -> std::result::Result<MetricValues, MetricError> {
        let item_ids: Vec<&str> = items.iter().map(|i| i.id).collect();
        let mut alone = BTreeMap::new();
        self.score_families(items, &[id], options)
            .and_then(|mut runs| {
                let (_, values) = runs.pop().expect("one family runs for one id");
                collect_family(&mut alone, &[id], values?, &item_ids, |id| {
                    self.definition(id)
                })
            })
            .map_err(metric_error)?;
        alone
            .remove(id)
            .ok_or_else(|| MetricError::of(id, "was not computed"))
    }

    /// Runs each family needed for `wanted` once (in parallel): its ids and its result.
    fn score_families<'w>(
        &self,
        items: &[ScoringItem<'_>],
        wanted: &[&'w str],
        options: &ScoringOptions,
    ) -> Result<Vec<FamilyRun<'w>>> {
        use rayon::prelude::*;
        let mut per_family: BTreeMap<usize, Vec<&'w str>> = BTreeMap::new();
        for id in wanted {
            let (family, _) = self.by_id.get(*id).ok_or_else(|| {
                Error::Metric(MetricError::new(format!(
                    "unknown metric `{id}`; known metrics: {}",
                    self.ids().collect::<Vec<_>>().join(", ")
                )))
            })?;
            per_family.entry(*family).or_default().push(id);
        }
        let jobs: Vec<(usize, Vec<&'w str>)> = per_family.into_iter().collect();
        let computed: Vec<Result<Vec<MetricValues>>> = jobs
            .par_iter()
            .map(|(family, ids)| {
                // A plugin that panics fails its own metrics, like one that returns an error.
                let run = || self.families[*family].score(items, ids, options);
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).unwrap_or_else(
                    |panic| {
                        Err(Error::Metric(MetricError::new(format!(
                            "metric family of `{}` panicked: {}",
                            ids.join("`, `"),
                            panic_message(panic.as_ref())
                        ))))
                    },
                )
            })
            .collect();
        Ok(jobs.into_iter().map(|(_, ids)| ids).zip(computed).collect())
    }

    /// How the dataset value of `id` is recomputed on a resample ([`Metric::resampling`]);
    /// `None` for an unknown id.
    pub fn resampling(&self, id: &str) -> Option<Resampling> {
        self.by_id
            .get(id)
            .map(|(family, _)| self.families[*family].resampling(id))
    }

    /// Each item's sufficient statistics for a corpus-level `id` ([`Metric::item_statistics`]),
    /// checked to be one finite vector of one length per item.
    pub fn item_statistics(
        &self,
        id: &str,
        items: &[ScoringItem<'_>],
        options: &ScoringOptions,
    ) -> std::result::Result<Vec<Vec<f64>>, MetricError> {
        let (family, _) = self
            .by_id
            .get(id)
            .ok_or_else(|| MetricError::of(id, "is not a known metric"))?;
        let stats = self.families[*family]
            .item_statistics(id, items, options)
            .map_err(metric_error)?;
        let width = stats.first().map_or(0, Vec::len);
        if stats.len() != items.len()
            || stats
                .iter()
                .any(|s| s.len() != width || s.iter().any(|x| !x.is_finite()))
        {
            return Err(MetricError::of(
                id,
                format!(
                    "gave sufficient statistics that are not one finite vector of one length per \
                     item ({} vectors for {} items)",
                    stats.len(),
                    items.len()
                ),
            ));
        }
        Ok(stats)
    }

    /// The dataset value of `id` from summed item statistics ([`Metric::corpus_value`]).
    pub fn corpus_value(&self, id: &str, totals: &[f64]) -> f64 {
        self.by_id.get(id).map_or(f64::NAN, |(family, _)| {
            self.families[*family].corpus_value(id, totals)
        })
    }

    /// Whether a registered family computes metric `id`.
    pub fn knows(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    /// Checks the parameters the suite sets for metric `id` ([`Metric::check_params`]).
    pub fn check_params(&self, id: &str, options: &ScoringOptions) -> Result<()> {
        match self.by_id.get(id) {
            Some((family, _)) => self.families[*family].check_params(id, options),
            None => Err(Error::Metric(MetricError::new(format!(
                "unknown metric `{id}`"
            )))),
        }
    }

    /// Per metric id, the settings that change its numbers ([`Metric::settings`] of its
    /// family); ids without settings are left out.
    pub fn settings_per_metric(
        &self,
        ids: &[&str],
        options: &ScoringOptions,
    ) -> BTreeMap<String, BTreeMap<String, serde_json::Value>> {
        ids.iter()
            .filter_map(|id| {
                let (family, _) = self.by_id.get(*id)?;
                let settings = self.families[*family].settings(&[id], options);
                (!settings.is_empty()).then(|| (id.to_string(), settings))
            })
            .collect()
    }

    /// A hash over the configuration fingerprints of the families producing `ids` (plugins
    /// that report one, e.g. external command metrics), or `None` when no family has one.
    pub fn configuration_hash(&self, ids: &[&str]) -> Option<String> {
        let mut families: Vec<usize> = ids
            .iter()
            .filter_map(|id| self.by_id.get(*id).map(|(f, _)| *f))
            .collect();
        families.sort_unstable();
        families.dedup();
        let prints: Vec<serde_json::Value> = families
            .iter()
            .filter_map(|f| self.families[*f].fingerprint())
            .collect();
        (!prints.is_empty()).then(|| {
            crate::fsutil::sha256_hex(serde_json::Value::from(prints).to_string().as_bytes())
        })
    }
}

/// Fails when the suite sets `[metric_params.<id>]` for one of `ids`, for metrics that take no
/// parameters (fixed to their reference package's settings): a parameter would be ignored
/// silently otherwise.
pub fn reject_params(options: &ScoringOptions, ids: &[&str]) -> Result<()> {
    for id in ids {
        if let Some(value) = options.params.get(*id) {
            let empty = value.is_null() || value.as_object().is_some_and(|o| o.is_empty());
            if !empty {
                return Err(Error::Config(
                    ConfigError::new(format!(
                        "is set to {value}, but metric `{id}` takes no parameters; remove the \
                         table"
                    ))
                    .for_key(format!("metric_params.{id}")),
                ));
            }
        }
    }
    Ok(())
}

/// A family's error as a metric error (an I/O or configuration error met while scoring keeps its
/// message).
fn metric_error(error: Error) -> MetricError {
    match error {
        Error::Metric(e) => e,
        other => MetricError::new(other.to_string()),
    }
}

/// One family's run: the ids asked of it and what it returned.
type FamilyRun<'w> = (Vec<&'w str>, Result<Vec<MetricValues>>);

/// Files a family's values by id, failing when it left out one of the ids asked of it, gave
/// per-item values that do not align with the items, or gave a value that is not finite.
fn collect_family<'d>(
    out: &mut BTreeMap<String, MetricValues>,
    ids: &[&str],
    values: Vec<MetricValues>,
    item_ids: &[&str],
    defs: impl Fn(&str) -> Option<&'d MetricDef>,
) -> Result<()> {
    for v in values {
        if v.per_item.len() != item_ids.len() {
            return Err(Error::Metric(MetricError::of(
                &v.id,
                format!(
                    "gave {} per-item values for {} items; a family must return one value (or \
                     null) per item, in item order",
                    v.per_item.len(),
                    item_ids.len()
                ),
            )));
        }
        check_finite(&v, item_ids)?;
        if let Some(def) = defs(&v.id) {
            check_range(&v, def, item_ids)?;
        }
        out.insert(v.id.clone(), v);
    }
    match ids.iter().find(|id| !out.contains_key(**id)) {
        Some(id) => Err(Error::Metric(MetricError::of(
            *id,
            "was not produced by its metric family",
        ))),
        None => Ok(()),
    }
}

/// Checks that a family's values lie in the range its definition declares (with float noise
/// allowed): `Err` names the metric, the item and the range.
fn check_range(values: &MetricValues, def: &MetricDef, item_ids: &[&str]) -> Result<()> {
    let (low, high) = def.range;
    let noise = |bound: f64| 1e-9 * bound.abs().max(1.0);
    let outside =
        |x: f64| low.is_some_and(|l| x < l - noise(l)) || high.is_some_and(|h| x > h + noise(h));
    let range = || {
        let shown = |b: Option<f64>| b.map_or("∞".to_string(), |b| b.to_string());
        format!("[{}, {}]", shown(low).replace('∞', "-∞"), shown(high))
    };
    for (index, value) in values.per_item.iter().enumerate() {
        if let Some(x) = value
            && outside(*x)
        {
            let item = item_ids.get(index).copied().unwrap_or("?");
            return Err(Error::Metric(
                MetricError::of(
                    &values.id,
                    format!("gave {x}, outside its declared range {}", range()),
                )
                .item(item),
            ));
        }
    }
    if outside(values.aggregate) {
        return Err(Error::Metric(MetricError::of(
            &values.id,
            format!(
                "gave {} as its dataset value, outside its declared range {}",
                values.aggregate,
                range()
            ),
        )));
    }
    Ok(())
}

/// The message of a caught panic payload.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_string())
}

/// Mean of the present values; 0 when there are none.
pub fn mean_of(values: &[Option<f64>]) -> f64 {
    let present: Vec<f64> = values.iter().flatten().copied().collect();
    mean(&present)
}

/// Mean of `values` (0 when empty), as NumPy computes it (sum, then divide) — except that finite
/// values whose sum overflows (`1.7e308` twice) are summed pre-divided instead, so finite inputs
/// never give an infinite mean. Non-finite inputs give a non-finite mean, which scoring reports
/// as an error.
pub fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let n = values.len() as f64;
    let plain = values.iter().sum::<f64>() / n;
    if plain.is_finite() || !values.iter().all(|v| v.is_finite()) {
        plain
    } else {
        values.iter().map(|v| v / n).sum()
    }
}

/// Checks that a family's values are finite numbers: `Err` names the metric and the item (or
/// the aggregate) holding NaN or ±infinity.
pub fn check_finite(values: &MetricValues, item_ids: &[&str]) -> Result<()> {
    for (index, value) in values.per_item.iter().enumerate() {
        if let Some(v) = value
            && !v.is_finite()
        {
            let item = item_ids.get(index).copied().unwrap_or("?");
            return Err(Error::Metric(
                MetricError::of(
                    &values.id,
                    format!(
                        "gave {v}; a metric value must be a finite number (fix the metric, \
                             or return null where it does not apply)"
                    ),
                )
                .item(item),
            ));
        }
    }
    if !values.aggregate.is_finite() {
        return Err(Error::Metric(MetricError::of(
            &values.id,
            format!(
                "gave {} as its dataset value; a metric value must be a finite number",
                values.aggregate
            ),
        )));
    }
    Ok(())
}

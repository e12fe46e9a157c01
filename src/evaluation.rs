//! One dataset × system: generate outputs, score every configured metric, compare with the
//! baseline. Computed once per process and shared by all trials of the evaluation.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::baseline::Fingerprint;
use crate::baseline::{self, BaselineBody, Synced};
use crate::cache::OutputCache;
use crate::config::Suite;
use crate::dataset::Dataset;
use crate::error::{Error, Result, SystemError};
use crate::generate::CacheUse;
use crate::generate::{GenerateOptions, GenerationStats, generate_all};
use crate::metrics::{METRIC_VERSION, MetricRegistry, MetricValues, ScoringItem, ScoringOptions};
use crate::pricing::PriceTable;
use crate::systems::{Generation, System, SystemRequest};

/// Everything computed for a dataset × system.
#[derive(Debug)]
pub struct Evaluation {
    /// The dataset.
    pub dataset: Arc<Dataset>,
    /// System name.
    pub system: String,
    /// What this run measured (compared with the baseline's).
    pub fingerprint: Fingerprint,
    /// The system's configuration ([`System::fingerprint`]).
    pub system_config: serde_json::Value,
    /// How the outputs relate to the output cache.
    pub cache_use: CacheUse,
    /// Outputs in item order.
    pub generations: Vec<Generation>,
    /// Outputs per item (the system's `samples`; 1 when it sets none).
    pub samples: usize,
    /// Cache statistics.
    pub stats: GenerationStats,
    /// Set when the system's model has no price in the pricing table.
    pub pricing_warning: Option<String>,
    /// Metric values by id.
    pub metrics: BTreeMap<String, MetricValues>,
    /// Metrics that could not be computed, with the reason.
    pub metric_errors: BTreeMap<String, String>,
    /// Corpus-level metrics checked by a paired test: each item's sufficient statistics, in
    /// item order ([`crate::metrics::Metric::item_statistics`]).
    pub item_statistics: BTreeMap<String, Vec<Vec<f64>>>,
    /// Baseline comparison.
    pub baseline: Synced,
    /// Baseline file path relative to the project root.
    pub baseline_file: String,
}

/// Items generated at once for a system that sets no `concurrency` of its own.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// The configuration of a system as evalgate records it (results, baselines, cache keys): its
/// [`System::fingerprint`] without secrets ([`crate::outside::scrub_config`]).
pub fn system_config(system: &dyn System) -> serde_json::Value {
    crate::outside::scrub_config(&system.fingerprint())
}

/// How outputs are produced for an evaluation: cache use and pricing.
#[derive(Clone, Copy)]
pub struct GenerationSetup<'a> {
    /// The cache, or `None` to bypass it.
    pub cache: Option<&'a OutputCache>,
    /// The system's configuration as recorded ([`system_config`]).
    pub system_config: &'a serde_json::Value,
    /// What keys the cache: the system's configuration, or more (see
    /// [`System::fingerprint_covers_code`]).
    pub cache_fingerprint: &'a serde_json::Value,
    /// How outputs relate to the cache, for the results.
    pub cache_use: CacheUse,
    /// Regenerate every output and overwrite the cached entries.
    pub refresh: bool,
    /// The system's limit on generations at once, shared by all its evaluations in the run.
    pub limiter: Option<&'a crate::generate::Limiter>,
    /// Prices for systems that name a model.
    pub pricing: Option<&'a PriceTable>,
}

/// The metrics an evaluation computes.
#[derive(Debug, Clone, Copy)]
pub struct MetricPlan<'a> {
    /// Metric ids, in the suite's order.
    pub ids: &'a [String],
    /// Corpus-level ids among them whose vs-baseline check runs a paired test: their per-item
    /// sufficient statistics are computed and kept with the baseline.
    pub statistics_for: &'a [String],
}

/// Runs `system` over `dataset`, scores the planned metrics, and syncs the baseline snapshot.
pub fn compute(
    suite: &Suite,
    registry: &MetricRegistry,
    dataset: Arc<Dataset>,
    system_name: &str,
    system: &dyn System,
    metrics: MetricPlan<'_>,
    setup: GenerationSetup<'_>,
) -> Result<Evaluation> {
    let MetricPlan {
        ids: metric_ids,
        statistics_for,
    } = metrics;
    let requests: Vec<SystemRequest<'_>> = dataset
        .items
        .iter()
        .map(|i| SystemRequest {
            item_id: &i.id,
            input: &i.input,
            metadata: &i.metadata,
        })
        .collect();
    let input_hashes: Vec<String> = dataset
        .items
        .iter()
        .map(|i| i.hashes.input.clone())
        .collect();
    let ids: Vec<&str> = dataset.items.iter().map(|i| i.id.as_str()).collect();
    system.check_items(&ids).map_err(|e| match e {
        Error::System(e) => Error::System(e.on_dataset(system_name, &dataset.id)),
        other => {
            Error::System(SystemError::new(other.to_string()).on_dataset(system_name, &dataset.id))
        }
    })?;
    let system_config = setup.system_config.clone();
    let label = format!("{}::{}", dataset.id, system_name);
    let options = GenerateOptions {
        cache: setup.cache,
        refresh_cache: setup.refresh,
        concurrency: DEFAULT_CONCURRENCY,
        progress_label: &label,
        limiter: setup.limiter,
    };
    let (results, mut stats) = generate_all(
        system,
        setup.cache_fingerprint,
        &requests,
        &input_hashes,
        &options,
    );
    let mut generations = Vec::with_capacity(results.len());
    let mut failures = Vec::new();
    for (item, r) in dataset.items.iter().zip(results) {
        match r {
            Ok(mut g) => {
                stats.warnings.append(&mut g.generation.warnings);
                generations.push(g.generation);
            }
            // The summary names the system and dataset once; each line names its item.
            Err(Error::System(e)) => failures.push(format!("item `{}`: {}", item.id, e.problem)),
            Err(other) => failures.push(format!("item `{}`: {other}", item.id)),
        }
    }
    let pricing_warning = match (setup.pricing, system.model()) {
        (Some(table), model) => table.apply_all(model, generations.iter_mut()),
        (None, Some(model)) => Some(format!(
            "the suite has no pricing table, so the cost of model `{model}` is unknown (not \
             $0); add pricing.toml at the project root or set `[suite] pricing`"
        )),
        (None, None) => None,
    };
    if let Some(w) = &pricing_warning {
        stats.warnings.push(w.clone());
    }
    if !failures.is_empty() {
        return Err(Error::System(
            SystemError::new(format!(
                "failed on {} of {} items:\n  {}",
                failures.len(),
                dataset.items.len(),
                failures.join("\n  ")
            ))
            .on_dataset(system_name, &dataset.id),
        ));
    }
    let scoring: Vec<ScoringItem<'_>> = dataset
        .items
        .iter()
        .zip(&generations)
        .map(|(item, g)| ScoringItem {
            id: &item.id,
            input: &item.input,
            prediction: &g.output,
            references: &item.references,
            metadata: &item.metadata,
            generation: Some(g),
        })
        .collect();
    let options = ScoringOptions {
        stemmer: suite.stemmer,
        params: suite.metric_params.clone(),
    };
    let wanted: Vec<&str> = metric_ids.iter().map(String::as_str).collect();
    // A failing metric fails only its own trials; the other metrics are still judged.
    let mut metrics = BTreeMap::new();
    let mut metric_errors = BTreeMap::new();
    for (id, result) in registry.score_each(&scoring, &wanted, &options)? {
        match result {
            Ok(values) => {
                metrics.insert(id, values);
            }
            Err(e) => {
                // The message names the metric and the evaluation once.
                let detail = match &e.item {
                    Some(item) => format!("item `{item}`: {}", e.problem),
                    None => e.problem.clone(),
                };
                metric_errors.insert(
                    id.clone(),
                    format!(
                        "metric `{id}` failed on `{}` × `{system_name}`: {detail}",
                        dataset.id
                    ),
                );
            }
        }
    }
    // Sufficient statistics for the paired tests of corpus-level metrics.
    let mut item_statistics = BTreeMap::new();
    let with_values: Vec<&String> = statistics_for
        .iter()
        .filter(|id| metrics.contains_key(*id))
        .collect();
    for id in with_values {
        match registry.item_statistics(id, &scoring, &options) {
            Ok(stats) => {
                item_statistics.insert(id.clone(), stats);
            }
            Err(e) => {
                metrics.remove(id);
                metric_errors.insert(
                    id.clone(),
                    format!(
                        "metric `{id}` failed on `{}` × `{system_name}`: {}",
                        dataset.id, e.problem
                    ),
                );
            }
        }
    }
    let metric_version = match registry.configuration_hash(&wanted) {
        Some(hash) => format!("{METRIC_VERSION}+plugins:{}", &hash[7..19]),
        None => METRIC_VERSION.to_string(),
    };

    let fingerprint = Fingerprint {
        dataset_hash: dataset.content_hash.clone(),
        item_ids: dataset.items.iter().map(|i| i.id.clone()).collect(),
        reference_ids: dataset
            .items
            .iter()
            .flat_map(|i| (1..=i.references.len()).map(move |n| format!("{}#{n}", i.id)))
            .collect(),
        metric_version,
        metric_settings: registry.settings_per_metric(&wanted, &options),
    };
    let body = baseline_body(
        &fingerprint,
        &system_config,
        &dataset,
        &metrics,
        &item_statistics,
    );
    let path = baseline::snapshot_path(&suite.baselines_dir, &dataset.id, system_name);
    // With a metric missing, a pending snapshot would drop its baseline values: compare only.
    let write_pending = metric_errors.is_empty();
    let expression = format!("{} × {}", dataset.id, system_name);
    let volatile: BTreeSet<String> = wanted
        .iter()
        .filter(|id| registry.definition(id).is_some_and(|d| d.varies_by_machine))
        .map(|id| id.to_string())
        .collect();
    let synced = baseline::sync(
        &path,
        &body,
        &volatile,
        &baseline::Header {
            source: &suite.source_file,
            expression: &expression,
        },
        write_pending,
    )?;
    let baseline_file = suite.display_path(&path);
    Ok(Evaluation {
        dataset,
        system: system_name.to_string(),
        fingerprint,
        system_config,
        cache_use: setup.cache_use,
        generations,
        samples: 1,
        stats,
        pricing_warning,
        metrics,
        metric_errors,
        item_statistics,
        baseline: synced,
        baseline_file,
    })
}

fn baseline_body(
    fingerprint: &Fingerprint,
    system_config: &serde_json::Value,
    dataset: &Dataset,
    metrics: &BTreeMap<String, MetricValues>,
    item_statistics: &BTreeMap<String, Vec<Vec<f64>>>,
) -> BaselineBody {
    let aggregate = metrics
        .iter()
        .map(|(id, v)| (id.clone(), v.aggregate))
        .collect();
    let mut items = serde_json::Map::new();
    for (n, item) in dataset.items.iter().enumerate() {
        let mut per = serde_json::Map::new();
        for (id, v) in metrics {
            let value = v.per_item.get(n).copied().flatten();
            per.insert(
                id.clone(),
                value.map_or(serde_json::Value::Null, serde_json::Value::from),
            );
        }
        items.insert(item.id.clone(), serde_json::Value::Object(per));
    }
    let statistics = item_statistics
        .iter()
        .map(|(id, per_item)| {
            let rows = dataset
                .items
                .iter()
                .zip(per_item)
                .map(|(item, stats)| {
                    let text: Vec<String> = stats.iter().map(|x| x.to_string()).collect();
                    (item.id.clone(), text.join(" "))
                })
                .collect();
            (id.clone(), rows)
        })
        .collect();
    BaselineBody {
        fingerprint: fingerprint.clone(),
        system_config: system_config.clone(),
        metrics: aggregate,
        items,
        statistics,
    }
}

//! One dataset × system: generate outputs, score every configured metric, compare with the
//! baseline. Computed once per process and shared by all trials of the evaluation.
//!
//! **Samples.** A system with `samples = N` (N > 1) gets every item N times (sample k with seed
//! k, see [`SystemRequest`]); all N × items outputs go through the one generation run (cache,
//! concurrency, progress). The metric registry then scores the N × items outputs at once, item
//! by item and sample by sample, sample k of item `id` under the scoring id `id@k` (so messages
//! name the sample). For every metric:
//! - an item's value is the mean of its samples' values (`None` when no sample has one), and
//!   each sample's value is kept ([`Evaluation::per_sample`]);
//! - the dataset value is the family's own aggregate over all N × items outputs: for metrics
//!   aggregated as a mean it equals the mean of the items' means when every value is present;
//!   for corpus metrics (BLEU, chrF, WER, ...) it is the corpus statistic pooled over every
//!   output; percentiles and totals (latency, cost, tokens) are over every output.
//!
//! With several samples, an item is *flaky* for a pass/fail gate when its samples are judged
//! differently ([`Evaluation::flaky`]), and [`crate::metrics::pass_k`]'s `pass_all_k` /
//! `pass_any_k` are computed here from the gates' per-sample values. With one sample the scoring
//! ids are the item ids and everything is as without samples.

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
use crate::metrics::pass_k::{PASS_ALL_K, PASS_ANY_K};
use crate::metrics::{METRIC_VERSION, MetricRegistry, MetricValues, ScoringItem, ScoringOptions};
use crate::pricing::PriceTable;
use crate::results::FlakyItem;
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
    /// Outputs per item in item order, each item's samples in sample order (one per item with
    /// one sample; where one output per item is shown, it is sample 0).
    pub generations: Vec<Vec<Generation>>,
    /// Whether each output came from the output cache, aligned with `generations`.
    pub cached: Vec<Vec<bool>>,
    /// Outputs generated per item (the system's `samples`, at least 1).
    pub samples: u32,
    /// Cache statistics.
    pub stats: GenerationStats,
    /// Set when the system's model has no price in the pricing table.
    pub pricing_warning: Option<String>,
    /// Metric values by id (with several samples, `per_item` holds each item's mean over its
    /// samples).
    pub metrics: BTreeMap<String, MetricValues>,
    /// Per metric id, every sample's value: per item (item order), per sample (sample order).
    /// With one sample each item has one value, its `per_item` value.
    pub per_sample: BTreeMap<String, Vec<Vec<Option<f64>>>>,
    /// Items whose samples a pass/fail gate judges differently, by gate then item order (empty
    /// with one sample).
    pub flaky: Vec<FlakyItem>,
    /// Metrics that could not be computed, with the reason.
    pub metric_errors: BTreeMap<String, String>,
    /// Corpus-level metrics checked by a paired test: each item's sufficient statistics (summed
    /// over its samples), in item order ([`crate::metrics::Metric::item_statistics`]).
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

/// The configuration recorded in results and baselines for a system run with `samples` outputs
/// per item: [`system_config`], plus `"samples": N` when N > 1 (so a configuration with one
/// sample is recorded as before). The cache is keyed on [`system_config`] alone: a sample's
/// output does not depend on how many others there are.
pub fn recorded_config(system: &dyn System, samples: u32) -> serde_json::Value {
    with_samples(system_config(system), samples)
}

/// `config` with `"samples": N` added when N > 1 (see [`recorded_config`]).
pub fn with_samples(mut config: serde_json::Value, samples: u32) -> serde_json::Value {
    if samples > 1
        && let Some(map) = config.as_object_mut()
    {
        map.insert("samples".into(), serde_json::Value::from(samples));
    }
    config
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
    /// The run's cache folder for metrics that keep what servers answered (`perplexity`),
    /// whether or not this system's outputs are cached; `None` under `EVALGATE_CACHE=off`.
    pub metric_cache: Option<&'a std::path::Path>,
    /// The system's limit on generations at once, shared by all its evaluations in the run.
    pub limiter: Option<&'a crate::generate::Limiter>,
    /// Prices for systems that name a model.
    pub pricing: Option<&'a PriceTable>,
    /// Outputs generated per item (the system's `samples`; 0 counts as 1).
    pub samples: u32,
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
    let samples = setup.samples.max(1);
    let per = samples as usize;
    // Item-major: item i's sample k is at i × N + k.
    let requests: Vec<SystemRequest<'_>> = dataset
        .items
        .iter()
        .flat_map(|i| {
            let request = SystemRequest::new(&i.id, &i.input, &i.metadata);
            (0..samples).map(move |k| request.sampled(k, samples))
        })
        .collect();
    let input_hashes: Vec<String> = dataset
        .items
        .iter()
        .flat_map(|i| std::iter::repeat_n(i.hashes.input.clone(), per))
        .collect();
    let output_ids: Vec<String> = requests.iter().map(SystemRequest::output_id).collect();
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
    let mut outputs = Vec::with_capacity(results.len());
    let mut from_cache = Vec::with_capacity(results.len());
    let mut failures = Vec::new();
    for (output_id, r) in output_ids.iter().zip(results) {
        match r {
            Ok(mut g) => {
                stats.warnings.append(&mut g.generation.warnings);
                outputs.push(g.generation);
                from_cache.push(g.cached);
            }
            // The summary names the system and dataset once; each line names its item.
            Err(Error::System(e)) => failures.push(format!("item `{output_id}`: {}", e.problem)),
            Err(other) => failures.push(format!("item `{output_id}`: {other}")),
        }
    }
    let pricing_warning = match (setup.pricing, system.model()) {
        (Some(table), model) => table.apply_all(model, outputs.iter_mut()),
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
        let of = if samples > 1 {
            format!(
                "{} outputs ({} items × {samples} samples)",
                requests.len(),
                dataset.items.len()
            )
        } else {
            format!("{} items", dataset.items.len())
        };
        return Err(Error::System(
            SystemError::new(format!(
                "failed on {} of {of}:\n  {}",
                failures.len(),
                failures.join("\n  ")
            ))
            .on_dataset(system_name, &dataset.id),
        ));
    }
    let scoring: Vec<ScoringItem<'_>> = outputs
        .iter()
        .enumerate()
        .map(|(n, g)| {
            let item = &dataset.items[n / per];
            ScoringItem {
                id: &output_ids[n],
                input: &item.input,
                prediction: &g.output,
                references: &item.references,
                metadata: &item.metadata,
                generation: Some(g),
            }
        })
        .collect();
    let options = ScoringOptions {
        stemmer: suite.stemmer,
        params: suite.metric_params.clone(),
        cache_dir: setup.metric_cache.map(std::path::Path::to_path_buf),
        refresh_cache: setup.refresh,
    };
    let wanted: Vec<&str> = metric_ids.iter().map(String::as_str).collect();
    // pass_all_k / pass_any_k need every sample of an item and the gates' values: computed
    // below from the other metrics, not by the registry.
    let registry_wanted: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|id| ![PASS_ALL_K, PASS_ANY_K].contains(id))
        .collect();
    // A failing metric fails only its own trials; the other metrics are still judged.
    let mut metrics = BTreeMap::new();
    let mut per_sample = BTreeMap::new();
    let mut metric_errors = BTreeMap::new();
    for (id, result) in registry.score_each(&scoring, &registry_wanted, &options)? {
        match result {
            Ok(values) => {
                let (values, samples_of) = by_item(values, per);
                per_sample.insert(id.clone(), samples_of);
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
    let gates: Vec<&str> = registry_wanted
        .iter()
        .copied()
        .filter(|id| {
            registry
                .definition(id)
                .is_some_and(crate::metrics::pass_k::is_pass_fail)
        })
        .collect();
    for id in wanted
        .iter()
        .copied()
        .filter(|id| [PASS_ALL_K, PASS_ANY_K].contains(id))
    {
        match pass_k(id, &gates, &per_sample, &metric_errors, dataset.items.len()) {
            Ok((values, samples_of)) => {
                per_sample.insert(id.to_string(), samples_of);
                metrics.insert(id.to_string(), values);
            }
            Err(problem) => {
                metric_errors.insert(
                    id.to_string(),
                    format!(
                        "metric `{id}` failed on `{}` × `{system_name}`: {problem}",
                        dataset.id
                    ),
                );
            }
        }
    }
    // Sufficient statistics for the paired tests of corpus-level metrics: per output, then
    // summed over each item's samples (the item is the unit the test resamples).
    let mut item_statistics = BTreeMap::new();
    let with_values: Vec<&String> = statistics_for
        .iter()
        .filter(|id| metrics.contains_key(*id))
        .collect();
    for id in with_values {
        match registry.item_statistics(id, &scoring, &options) {
            Ok(stats) => {
                let per_item: Vec<Vec<f64>> = stats
                    .chunks(per)
                    .map(|samples| {
                        let mut total = vec![0.0; samples[0].len()];
                        for s in samples {
                            for (t, x) in total.iter_mut().zip(s) {
                                *t += x;
                            }
                        }
                        total
                    })
                    .collect();
                item_statistics.insert(id.clone(), per_item);
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
    let flaky = if samples > 1 {
        flaky_items(&gates, &per_sample, &ids, samples)
    } else {
        Vec::new()
    };
    let mut generations: Vec<Vec<Generation>> = Vec::with_capacity(dataset.items.len());
    let mut outputs = outputs.into_iter();
    for _ in &dataset.items {
        generations.push(outputs.by_ref().take(per).collect());
    }
    let cached: Vec<Vec<bool>> = from_cache.chunks(per).map(<[bool]>::to_vec).collect();
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
    // Sample 0's output per item, unless the suite keeps no predictions.
    let predictions: BTreeMap<String, String> = if suite.store_predictions {
        dataset
            .items
            .iter()
            .zip(&generations)
            .filter_map(|(item, g)| g.first().map(|g| (item.id.clone(), g.output.clone())))
            .collect()
    } else {
        BTreeMap::new()
    };
    let mut body = baseline_body(
        &fingerprint,
        &system_config,
        &dataset,
        &metrics,
        (samples > 1).then_some(&per_sample),
        &item_statistics,
    );
    body.predictions = predictions;
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
        cached,
        samples,
        stats,
        pricing_warning,
        metrics,
        per_sample,
        flaky,
        metric_errors,
        item_statistics,
        baseline: synced,
        baseline_file,
    })
}

/// Values per item (item order), per sample (sample order).
type PerSample = Vec<Vec<Option<f64>>>;

/// A metric's values over the item-major N × items outputs, as the item values (each item's
/// mean over its samples; the family's aggregate kept) and the values per item per sample.
fn by_item(values: MetricValues, per: usize) -> (MetricValues, PerSample) {
    let samples_of: PerSample = values
        .per_item
        .chunks(per.max(1))
        .map(<[Option<f64>]>::to_vec)
        .collect();
    if per <= 1 {
        return (values, samples_of);
    }
    let per_item = samples_of
        .iter()
        .map(|samples| {
            let present: Vec<f64> = samples.iter().flatten().copied().collect();
            (!present.is_empty()).then(|| crate::metrics::mean(&present))
        })
        .collect();
    (
        MetricValues {
            id: values.id,
            aggregate: values.aggregate,
            per_item,
        },
        samples_of,
    )
}

/// `pass_all_k` or `pass_any_k` from the gates' values per item per sample: a sample passes
/// when no gate flags it; per item, all (or any) samples pass; the mean over items. `Err` says
/// why it cannot be computed.
fn pass_k(
    id: &str,
    gates: &[&str],
    per_sample: &BTreeMap<String, Vec<Vec<Option<f64>>>>,
    metric_errors: &BTreeMap<String, String>,
    items: usize,
) -> std::result::Result<(MetricValues, PerSample), String> {
    use crate::metrics::pass_k::fails;
    if gates.is_empty() {
        return Err(format!(
            "it judges samples by the pass/fail gates of the dataset's metric list, and the list \
             has none; add one (boilerplate_leak, speaker_label_leak, speaker_name_leak, \
             truncation, short_output, repetition) or remove `{id}`"
        ));
    }
    if let Some(gate) = gates.iter().find(|g| metric_errors.contains_key(**g)) {
        return Err(format!(
            "gate `{gate}`, which it judges samples by, could not be computed"
        ));
    }
    let samples_of: PerSample = (0..items)
        .map(|item| {
            let count = per_sample[gates[0]][item].len();
            (0..count)
                .map(|k| {
                    let pass = gates.iter().all(|g| !fails(per_sample[*g][item][k]));
                    Some(if pass { 1.0 } else { 0.0 })
                })
                .collect()
        })
        .collect();
    let all = id == PASS_ALL_K;
    let per_item: Vec<Option<f64>> = samples_of
        .iter()
        .map(|samples| {
            let pass = if all {
                samples.iter().all(|v| *v == Some(1.0))
            } else {
                samples.contains(&Some(1.0))
            };
            Some(if pass { 1.0 } else { 0.0 })
        })
        .collect();
    let values = MetricValues {
        id: id.to_string(),
        aggregate: crate::metrics::mean_of(&per_item),
        per_item,
    };
    Ok((values, samples_of))
}

/// Items whose samples a gate judges differently, gate by gate, items in dataset order.
fn flaky_items(
    gates: &[&str],
    per_sample: &BTreeMap<String, Vec<Vec<Option<f64>>>>,
    ids: &[&str],
    samples: u32,
) -> Vec<FlakyItem> {
    let mut flaky = Vec::new();
    for gate in gates {
        let Some(values) = per_sample.get(*gate) else {
            continue;
        };
        for (id, item) in ids.iter().zip(values) {
            let failed = item
                .iter()
                .filter(|v| crate::metrics::pass_k::fails(**v))
                .count();
            if failed > 0 && failed < item.len() {
                flaky.push(FlakyItem {
                    id: id.to_string(),
                    metric: gate.to_string(),
                    passed_samples: (item.len() - failed) as u32,
                    samples,
                });
            }
        }
    }
    flaky
}

fn baseline_body(
    fingerprint: &Fingerprint,
    system_config: &serde_json::Value,
    dataset: &Dataset,
    metrics: &BTreeMap<String, MetricValues>,
    per_sample: Option<&BTreeMap<String, Vec<Vec<Option<f64>>>>>,
    item_statistics: &BTreeMap<String, Vec<Vec<f64>>>,
) -> BaselineBody {
    let aggregate = metrics
        .iter()
        .map(|(id, v)| (id.clone(), v.aggregate))
        .collect();
    let mut items = serde_json::Map::new();
    let mut samples = serde_json::Map::new();
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
        if let Some(per_sample) = per_sample {
            let mut of_item = serde_json::Map::new();
            for id in metrics.keys() {
                let values = per_sample
                    .get(id)
                    .and_then(|v| v.get(n))
                    .map(|v| {
                        v.iter()
                            .map(|x| x.map_or(serde_json::Value::Null, serde_json::Value::from))
                            .collect()
                    })
                    .unwrap_or_default();
                of_item.insert(id.clone(), serde_json::Value::Array(values));
            }
            samples.insert(item.id.clone(), serde_json::Value::Object(of_item));
        }
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
        samples,
        statistics,
        predictions: BTreeMap::new(),
    }
}

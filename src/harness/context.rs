//! What the trials of one run share: the suite, each dataset, each system and each dataset ×
//! system outcome, computed at most once and only when a selected trial needs it, and the
//! records of the trials that ran.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

use crate::cache::OutputCache;
use crate::config::{Suite, SystemKind};
use crate::dataset::Dataset;
use crate::error::{ConfigError, Error, Result};
use crate::evaluation::Evaluation;
use crate::metrics::MetricRegistry;
use crate::pricing::PriceTable;
use crate::results::{CacheUse, CheckResult};
use crate::systems::System;

/// A value computed once per run; the error is kept as its message for every trial that asks.
type Shared<T> = OnceLock<std::result::Result<Arc<T>, String>>;

/// `EVALGATE_CACHE`: `on` (default), `off` (bypass: nothing read or written) or `refresh`
/// (regenerate every output and overwrite the cache).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheMode {
    /// Read and write the cache.
    On,
    /// Bypass the cache.
    Off,
    /// Regenerate and overwrite.
    Refresh,
}

impl CacheMode {
    /// Reads `EVALGATE_CACHE`.
    pub fn from_env() -> Result<CacheMode> {
        match std::env::var("EVALGATE_CACHE").unwrap_or_default().as_str() {
            "" | "on" => Ok(CacheMode::On),
            "off" => Ok(CacheMode::Off),
            "refresh" => Ok(CacheMode::Refresh),
            other => Err(Error::Config(ConfigError::new(format!(
                "EVALGATE_CACHE is `{other}`; use `on`, `off` or `refresh`"
            )))),
        }
    }
}

/// Where a trial's record belongs in the results.
pub(crate) enum RecordPlace {
    /// With its dataset × system.
    Evaluation { dataset: String, system: String },
    /// Among the checks of no computed evaluation (`stale_baseline`).
    Other,
}

/// State shared by all trials of a run.
pub(crate) struct RunContext {
    pub suite: Suite,
    pub metrics: MetricRegistry,
    /// Rust systems registered with `Harness::system`.
    pub registered: BTreeMap<String, Arc<dyn System>>,
    pub systems: BTreeMap<String, Shared<dyn System>>,
    /// Each system's limit on generations at once, across its evaluations.
    limiters: BTreeMap<String, OnceLock<crate::generate::Limiter>>,
    pub datasets: BTreeMap<String, Shared<Dataset>>,
    pub evaluations: BTreeMap<(String, String), Shared<Evaluation>>,
    pub records: Mutex<Vec<(RecordPlace, CheckResult)>>,
    pub cache: Option<OutputCache>,
    pub cache_mode: CacheMode,
    pub pricing: Option<PriceTable>,
    /// Where results.json and junit.xml go.
    pub output_dir: std::path::PathBuf,
    executable: OnceLock<std::result::Result<String, String>>,
}

impl RunContext {
    /// A context for the given datasets and evaluations; nothing is computed yet.
    pub fn new(
        suite: Suite,
        metrics: MetricRegistry,
        registered: BTreeMap<String, Arc<dyn System>>,
        plan: &super::plan::Plan,
        cache_mode: CacheMode,
        pricing: Option<PriceTable>,
        output_dir: std::path::PathBuf,
    ) -> RunContext {
        let cache = (cache_mode != CacheMode::Off).then(|| {
            OutputCache::new(
                suite
                    .cache_dir
                    .clone()
                    .unwrap_or_else(|| OutputCache::default_dir(&suite.root)),
            )
        });
        RunContext {
            systems: suite
                .systems
                .keys()
                .map(|s| (s.clone(), OnceLock::new()))
                .collect(),
            limiters: suite
                .systems
                .keys()
                .map(|s| (s.clone(), OnceLock::new()))
                .collect(),
            datasets: plan
                .datasets
                .iter()
                .map(|d| (d.clone(), OnceLock::new()))
                .collect(),
            evaluations: plan
                .evaluations
                .iter()
                .map(|p| (p.clone(), OnceLock::new()))
                .collect(),
            records: Mutex::new(Vec::new()),
            executable: OnceLock::new(),
            cache,
            cache_mode,
            pricing,
            output_dir,
            suite,
            metrics,
            registered,
        }
    }

    /// The suite file as shown in messages.
    pub fn config_file(&self) -> String {
        self.suite.display_path(&self.suite.config_path)
    }

    /// Stores the record of a trial that ran.
    pub fn record(&self, place: RecordPlace, check: CheckResult) {
        self.records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((place, check));
    }

    /// The dataset, loaded and verified once.
    pub fn dataset(&self, id: &str) -> std::result::Result<Arc<Dataset>, String> {
        self.datasets[id]
            .get_or_init(|| {
                let cfg = &self.suite.datasets[id];
                Dataset::load(&cfg.dir).map(Arc::new).map_err(|e| {
                    if cfg.dir.join(crate::dataset::DATASET_FILE).is_file() {
                        // The manifest's own errors name it (and its line).
                        return e.to_string();
                    }
                    // No manifest: the suite file names the wrong folder, or the dataset was
                    // never written.
                    format!(
                        "dataset `{id}` ({}): {e}; write one there from a JSON-lines file \
                         (`evalgate dataset import FILE --out {}`) or point \
                         `datasets.{id}.path` at a dataset folder",
                        cfg.defined_at,
                        self.suite.display_path(&cfg.dir)
                    )
                })
            })
            .clone()
    }

    /// The system, built once (a command system fingerprints its input files then).
    pub fn system(&self, name: &str) -> std::result::Result<Arc<dyn System>, String> {
        self.systems[name]
            .get_or_init(|| {
                let mut not_inputs = self.suite.not_inputs();
                not_inputs.push(self.output_dir.clone());
                crate::systems::factory::build(
                    &self.suite.systems[name],
                    &self.registered,
                    &self.suite.root,
                    &not_inputs,
                    &self.suite.source_file,
                )
                .map_err(|e| e.to_string())
            })
            .clone()
    }

    /// The outcome of a dataset × system: outputs, metrics and the baseline comparison.
    pub fn evaluation(
        &self,
        dataset: &str,
        system: &str,
    ) -> std::result::Result<Arc<Evaluation>, String> {
        let key = (dataset.to_string(), system.to_string());
        self.evaluations[&key]
            .get_or_init(|| {
                let ds = self.dataset(dataset)?;
                let sys = self.system(system)?;
                let cfg = &self.suite.systems[system];
                let cached = sys.cacheable();
                let cache_use = match (cached, self.cache_mode) {
                    (false, _) => CacheUse::NotCached,
                    (true, CacheMode::Off) => CacheUse::Off,
                    (true, CacheMode::Refresh) => CacheUse::Refreshed,
                    (true, CacheMode::On) => CacheUse::Used,
                };
                // The cache is keyed without `samples`: sample k is the same request whatever
                // the number of samples (see `OutputCache::key`).
                let unsampled = crate::evaluation::system_config(sys.as_ref());
                let mut cache_fingerprint = unsampled.clone();
                let system_config = crate::evaluation::with_samples(unsampled, cfg.samples);
                if cached && cfg.kind == SystemKind::Rust && !sys.fingerprint_covers_code() {
                    let executable = self.executable_hash()?;
                    cache_fingerprint = serde_json::json!({
                        "system": cache_fingerprint,
                        "executable": executable,
                    });
                }
                let limiter = self.limiters[system].get_or_init(|| {
                    crate::generate::Limiter::new(
                        sys.max_concurrency()
                            .unwrap_or(crate::evaluation::DEFAULT_CONCURRENCY),
                    )
                });
                let setup = crate::evaluation::GenerationSetup {
                    limiter: Some(limiter),
                    system_config: &system_config,
                    cache: if cached { self.cache.as_ref() } else { None },
                    cache_fingerprint: &cache_fingerprint,
                    cache_use,
                    refresh: self.cache_mode == CacheMode::Refresh,
                    metric_cache: self.cache.as_ref().map(OutputCache::dir),
                    pricing: self.pricing.as_ref(),
                    samples: cfg.samples,
                };
                let metric_ids = &self.suite.datasets[dataset].metrics;
                let statistics_for = self.statistics_for(dataset, system, metric_ids);
                let compute = || {
                    crate::evaluation::compute(
                        &self.suite,
                        &self.metrics,
                        ds,
                        system,
                        sys.as_ref(),
                        crate::evaluation::MetricPlan {
                            ids: metric_ids,
                            statistics_for: &statistics_for,
                        },
                        setup,
                    )
                };
                // A panicking Rust system or plugin fails this evaluation's trials, not the run.
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(compute)) {
                    Ok(result) => result.map(Arc::new).map_err(|e| e.to_string()),
                    Err(panic) => Err(format!(
                        "`{dataset}` × `{system}` could not be computed: it panicked: {}",
                        crate::metrics::panic_message(panic.as_ref())
                    )),
                }
            })
            .clone()
    }

    /// The corpus-level metrics of a dataset × system whose vs-baseline check runs a paired
    /// test: their per-item sufficient statistics are computed and kept with the baseline.
    fn statistics_for(&self, dataset: &str, system: &str, metric_ids: &[String]) -> Vec<String> {
        metric_ids
            .iter()
            .filter(|id| {
                self.metrics.resampling(id) == Some(crate::metrics::Resampling::CorpusStatistics)
                    && self.metrics.definition(id).is_some_and(|def| {
                        self.suite.checks_for(dataset, system, def).iter().any(|c| {
                            c.kind == crate::checks::CheckKind::VsBaseline && c.test.is_some()
                        })
                    })
            })
            .cloned()
            .collect()
    }

    /// `sha256:` of the running executable (the test binary holding Rust systems), once.
    fn executable_hash(&self) -> std::result::Result<String, String> {
        self.executable
            .get_or_init(|| {
                let exe = std::env::current_exe()
                    .map_err(|e| format!("cannot locate the running test executable: {e}"))?;
                crate::fsutil::sha256_file(&exe).map_err(|e| {
                    format!(
                        "cannot hash the test executable for the output cache of Rust systems: \
                         {e}; run with EVALGATE_CACHE=off"
                    )
                })
            })
            .clone()
    }
}

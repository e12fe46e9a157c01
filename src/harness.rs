//! The test harness: builds one libtest-mimic trial per tier × dataset × system × metric × check,
//! runs them, and writes JUnit XML and the results file.
//!
//! `tests/benchmarks.rs` (with `harness = false`) is a few lines:
//!
//! ```no_run
//! fn main() -> std::process::ExitCode {
//!     evalgate::Harness::new().main()
//! }
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use libtest_mimic::{Arguments, Completion, Failed, Trial};

use crate::cache::OutputCache;
use crate::checks::{CheckInput, evaluate};
use crate::config::{CONFIG_FILE, Check, Suite};
use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::junit::SkippedTrial;
use crate::metrics::{Metric, MetricDef, MetricRegistry};
use crate::pair::PairOutcome;
use crate::pricing::PriceTable;
use crate::results::{
    BaselineInfo, BaselineStatus, CheckKind, CheckResult, CheckStatus, GenerationSummary,
    MetricResult, PairResults, RESULTS_SCHEMA, RunInfo, RunResults, Severity, Summary,
};
use crate::systems::System;

/// Builder and entry point of a benchmark run.
pub struct Harness {
    config_path: Option<PathBuf>,
    output_dir: Option<PathBuf>,
    metrics: MetricRegistry,
    systems: BTreeMap<String, Arc<dyn System>>,
    setup_errors: Vec<String>,
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

/// What a run produced, for callers that embed the harness.
#[derive(Debug)]
pub struct RunOutcome {
    /// libtest's counts.
    pub conclusion: libtest_mimic::Conclusion,
    /// The results written (absent for `--list`).
    pub results: Option<RunResults>,
    /// Where results.json was written.
    pub results_path: Option<PathBuf>,
    /// Where JUnit was written.
    pub junit_path: Option<PathBuf>,
}

impl Harness {
    /// A harness with the built-in metrics, reading `evalgate.toml` from the package root
    /// (`CARGO_MANIFEST_DIR`, or the current folder).
    pub fn new() -> Self {
        Harness {
            config_path: None,
            output_dir: None,
            metrics: MetricRegistry::builtin(),
            systems: BTreeMap::new(),
            setup_errors: Vec::new(),
        }
    }

    /// Uses another suite file.
    pub fn config(mut self, path: impl Into<PathBuf>) -> Self {
        self.config_path = Some(path.into());
        self
    }

    /// Writes results.json and junit.xml into `dir` instead of `<target>/evalgate`.
    pub fn output_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.output_dir = Some(dir.into());
        self
    }

    /// Registers an in-process metric family (a plugin).
    pub fn metric(mut self, metric: impl Metric + 'static) -> Self {
        if let Err(e) = self.metrics.register(Arc::new(metric)) {
            self.setup_errors.push(e.to_string());
        }
        self
    }

    /// Registers an in-process Rust system, used by `[systems.<name>] kind = "rust"`.
    pub fn system(mut self, name: impl Into<String>, system: impl System + 'static) -> Self {
        self.systems.insert(name.into(), Arc::new(system));
        self
    }

    /// Parses libtest arguments from the command line, runs, and returns the exit code.
    pub fn main(self) -> ExitCode {
        let args = Arguments::from_args();
        match self.run(&args) {
            Ok(outcome) => outcome.conclusion.exit_code(),
            Err(e) => {
                eprintln!("evalgate: {e}");
                ExitCode::from(2)
            }
        }
    }

    /// Runs with the given libtest arguments. Errors are setup errors (bad suite file, unknown
    /// names); regressions are failing trials in the conclusion.
    pub fn run(mut self, args: &Arguments) -> Result<RunOutcome> {
        if !self.setup_errors.is_empty() {
            return Err(Error::Config(self.setup_errors.join("\n")));
        }
        let config_path = self.config_path.clone().unwrap_or_else(default_config_path);
        let text = crate::config::read_suite_text(&config_path)?;
        // External metrics come from the suite text itself; they must be known before the
        // suite is validated against the registry.
        crate::metrics::external::register_from_suite_text(&text, &config_path, &mut self.metrics)?;
        let suite = Suite::parse(&config_path, &text, &self.metrics)?;
        for (name, cfg) in &suite.systems {
            if cfg.kind == "rust" && !self.systems.contains_key(name) {
                return Err(Error::Config(format!(
                    "{}:{}: system `{name}` has kind = \"rust\" but nothing is registered under \
                     that name; add `.system(\"{name}\", MySystem)` in tests/benchmarks.rs",
                    config_path.display(),
                    cfg.line
                )));
            }
        }
        let started = SystemTime::now();
        let self_output_dir = self.output_dir.clone();
        let plan = plan_trials(&suite, &self.metrics);
        let cache_mode = CacheMode::from_env()?;
        let cache = (cache_mode != CacheMode::Off).then(|| {
            OutputCache::new(
                suite
                    .cache_dir
                    .clone()
                    .unwrap_or_else(|| OutputCache::default_dir(&suite.root)),
            )
        });
        let pricing = match &suite.pricing {
            Some(path) => Some(PriceTable::load(path)?),
            None => None,
        };
        let ctx = Arc::new(RunContext {
            pricing,
            cache,
            cache_mode,
            suite,
            metrics: self.metrics,
            systems: self.systems,
            datasets: plan
                .datasets
                .iter()
                .map(|d| (d.clone(), OnceLock::new()))
                .collect(),
            pairs: plan
                .pairs
                .iter()
                .map(|p| (p.clone(), OnceLock::new()))
                .collect(),
            records: Mutex::new(Vec::new()),
        });

        let mut skipped = Vec::new();
        let mut trials = Vec::with_capacity(plan.trials.len());
        for spec in plan.trials {
            let name = spec.name.clone();
            let ignored_tier = spec.ignored_tier;
            let ctx = Arc::clone(&ctx);
            let trial = Trial::ignorable_test(name.clone(), move || ctx.run_trial(&spec))
                .with_ignored_flag(ignored_tier);
            if !args.list && !args.is_filtered_out(&trial) && args.is_ignored(&trial) {
                skipped.push(SkippedTrial {
                    name,
                    reason: "ignored tier: run it with `-- --include-ignored` or `-- --ignored`"
                        .to_string(),
                });
            }
            trials.push(trial);
        }

        let conclusion = libtest_mimic::run(args, trials);
        if args.list {
            return Ok(RunOutcome {
                conclusion,
                results: None,
                results_path: None,
                junit_path: None,
            });
        }
        let ctx =
            Arc::try_unwrap(ctx).unwrap_or_else(|_| panic!("trials still hold the run context"));
        let results = ctx.results(started, args);
        let out_dir = match &self_output_dir {
            Some(dir) => dir.clone(),
            None => output_dir(&ctx.suite.root),
        };
        let under_nextest = std::env::var_os("NEXTEST").is_some();
        let (results_path, junit_path) = if under_nextest {
            // nextest runs one trial per process and writes JUnit itself; each process leaves
            // its part of the results for `evalgate report merge`.
            let name = args.filter.clone().unwrap_or_else(|| "all".to_string());
            let file = out_dir
                .join("parts")
                .join(format!("{}.json", sanitize(&name)));
            results.write(&file)?;
            (file, None)
        } else {
            let file = out_dir.join("results.json");
            results.write(&file)?;
            let junit = out_dir.join("junit.xml");
            let checks: Vec<CheckResult> = results
                .pairs
                .iter()
                .flat_map(|p| p.checks.iter().cloned())
                .collect();
            crate::junit::write(&junit, &ctx.suite.name, &checks, &skipped)?;
            (file, Some(junit))
        };
        Ok(RunOutcome {
            conclusion,
            results: Some(results),
            results_path: Some(results_path),
            junit_path,
        })
    }
}

fn default_config_path() -> PathBuf {
    match std::env::var_os("CARGO_MANIFEST_DIR") {
        Some(dir) => PathBuf::from(dir).join(CONFIG_FILE),
        None => PathBuf::from(CONFIG_FILE),
    }
}

/// `$CARGO_TARGET_DIR/evalgate`, else the target folder of the running test binary, else
/// `<root>/target/evalgate`.
pub fn output_dir(root: &Path) -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        let dir = PathBuf::from(dir);
        let dir = if dir.is_absolute() {
            dir
        } else {
            root.join(dir)
        };
        return dir.join("evalgate");
    }
    if let Ok(exe) = std::env::current_exe() {
        // <target>/<profile>/deps/<binary>
        if let Some(deps) = exe.parent() {
            if deps.file_name().is_some_and(|n| n == "deps") {
                if let Some(target) = deps.parent().and_then(Path::parent) {
                    return target.join("evalgate");
                }
            }
        }
    }
    root.join("target").join("evalgate")
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// One planned trial.
#[derive(Debug, Clone)]
struct TrialSpec {
    name: String,
    tier: String,
    ignored_tier: bool,
    dataset: String,
    system: String,
    def: MetricDef,
    check: Check,
}

struct Plan {
    trials: Vec<TrialSpec>,
    datasets: Vec<String>,
    pairs: Vec<(String, String)>,
}

fn plan_trials(suite: &Suite, metrics: &MetricRegistry) -> Plan {
    let mut trials = Vec::new();
    let mut datasets = Vec::new();
    let mut pairs = Vec::new();
    for tier in &suite.tiers {
        for ds_id in &tier.datasets {
            let ds = &suite.datasets[ds_id];
            if !datasets.contains(ds_id) {
                datasets.push(ds_id.clone());
            }
            for system in &ds.systems {
                let key = (ds_id.clone(), system.clone());
                if !pairs.contains(&key) {
                    pairs.push(key);
                }
                if suite.systems[system].kind == "openai" {
                    if let Some(def) = metrics.definition("cost_usd") {
                        trials.push(TrialSpec {
                            name: format!(
                                "{}::{}::{}::cost_usd::pricing",
                                tier.name, ds_id, system
                            ),
                            tier: tier.name.clone(),
                            ignored_tier: tier.ignored,
                            dataset: ds_id.clone(),
                            system: system.clone(),
                            def: def.clone(),
                            check: Check {
                                kind: CheckKind::Pricing,
                                severity: Severity::Warn,
                                threshold: None,
                                threshold_pct: None,
                                line: Some(suite.systems[system].line),
                            },
                        });
                    }
                }
                for metric in &ds.metrics {
                    let def = metrics
                        .definition(metric)
                        .expect("validated by Suite::load")
                        .clone();
                    for check in suite.checks_for(ds_id, system, &def) {
                        trials.push(TrialSpec {
                            name: format!(
                                "{}::{}::{}::{}::{}",
                                tier.name,
                                ds_id,
                                system,
                                metric,
                                check.kind.as_str()
                            ),
                            tier: tier.name.clone(),
                            ignored_tier: tier.ignored,
                            dataset: ds_id.clone(),
                            system: system.clone(),
                            def: def.clone(),
                            check,
                        });
                    }
                }
            }
        }
    }
    Plan {
        trials,
        datasets,
        pairs,
    }
}

type Shared<T> = OnceLock<std::result::Result<Arc<T>, String>>;

/// State shared by all trials of a run: each dataset and pair is computed at most once, and only
/// when a selected trial needs it.
struct RunContext {
    suite: Suite,
    metrics: MetricRegistry,
    systems: BTreeMap<String, Arc<dyn System>>,
    datasets: BTreeMap<String, Shared<Dataset>>,
    pairs: BTreeMap<(String, String), Shared<PairOutcome>>,
    records: Mutex<Vec<(String, String, CheckResult)>>,
    cache: Option<OutputCache>,
    cache_mode: CacheMode,
    pricing: Option<PriceTable>,
}

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
            other => Err(Error::Config(format!(
                "EVALGATE_CACHE is `{other}`; use `on`, `off` or `refresh`"
            ))),
        }
    }
}

impl RunContext {
    fn dataset(&self, id: &str) -> std::result::Result<Arc<Dataset>, String> {
        self.datasets[id]
            .get_or_init(|| {
                let cfg = &self.suite.datasets[id];
                Dataset::load(&cfg.dir)
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            })
            .clone()
    }

    fn pair(&self, dataset: &str, system: &str) -> std::result::Result<Arc<PairOutcome>, String> {
        let key = (dataset.to_string(), system.to_string());
        self.pairs[&key]
            .get_or_init(|| {
                let ds = self.dataset(dataset)?;
                let cfg = &self.suite.systems[system];
                let sys = crate::systems::factory::build(cfg, &self.systems, &self.suite.root)
                    .map_err(|e| e.to_string())?;
                let metric_ids = &self.suite.datasets[dataset].metrics;
                let setup = crate::pair::GenerationSetup {
                    cache: if cfg.kind != "builtin" && sys.cacheable() {
                        self.cache.as_ref()
                    } else {
                        None
                    },
                    refresh: self.cache_mode == CacheMode::Refresh,
                    pricing: self.pricing.as_ref(),
                };
                crate::pair::compute(
                    &self.suite,
                    &self.metrics,
                    ds,
                    system,
                    sys.as_ref(),
                    metric_ids,
                    setup,
                )
                .map(Arc::new)
                .map_err(|e| e.to_string())
            })
            .clone()
    }

    fn run_trial(&self, spec: &TrialSpec) -> std::result::Result<Completion, Failed> {
        let (record, completion) = match self.pair(&spec.dataset, &spec.system) {
            Ok(pair) => self.judge(spec, &pair),
            Err(message) => {
                let record = self.record(
                    spec,
                    CheckStatus::Failed,
                    message.clone(),
                    self.config_file(),
                    spec.check.line,
                );
                (record, Err(Failed::from(message)))
            }
        };
        self.records.lock().expect("records lock").push((
            spec.dataset.clone(),
            spec.system.clone(),
            record,
        ));
        completion
    }

    fn config_file(&self) -> String {
        self.suite.display_path(&self.suite.config_path)
    }

    fn record(
        &self,
        spec: &TrialSpec,
        status: CheckStatus,
        message: String,
        file: String,
        line: Option<u32>,
    ) -> CheckResult {
        CheckResult {
            trial: spec.name.clone(),
            tier: spec.tier.clone(),
            metric: spec.def.id.clone(),
            kind: spec.check.kind,
            severity: spec.check.severity,
            status,
            direction: spec.def.direction,
            value: None,
            baseline: None,
            delta: None,
            threshold: spec.check.threshold,
            threshold_pct: spec.check.threshold_pct,
            message,
            worst_items: Vec::new(),
            file,
            line,
        }
    }

    /// A pricing trial: passes when the model has a price, otherwise a warning.
    fn judge_pricing(
        &self,
        spec: &TrialSpec,
        pair: &PairOutcome,
    ) -> (CheckResult, std::result::Result<Completion, Failed>) {
        let mut record = self.record(
            spec,
            CheckStatus::Passed,
            String::new(),
            self.config_file(),
            spec.check.line,
        );
        match &pair.pricing_warning {
            Some(warning) => {
                record.status = CheckStatus::Warned;
                record.message = warning.clone();
                (
                    record,
                    Ok(Completion::ignored_with(format!("warning: {warning}"))),
                )
            }
            None => {
                record.message = "the model has a price in the pricing table".to_string();
                (record, Ok(Completion::Completed))
            }
        }
    }

    fn judge(
        &self,
        spec: &TrialSpec,
        pair: &PairOutcome,
    ) -> (CheckResult, std::result::Result<Completion, Failed>) {
        if spec.check.kind == CheckKind::Pricing {
            return self.judge_pricing(spec, pair);
        }
        if let Some(error) = pair.metric_errors.get(&spec.def.id) {
            let file = self.config_file();
            let record = self.record(
                spec,
                CheckStatus::Failed,
                error.clone(),
                file,
                spec.check.line,
            );
            return (record, Err(Failed::from(error.clone())));
        }
        let values = &pair.metrics[&spec.def.id];
        let is_vs = spec.check.kind == CheckKind::VsBaseline;
        let (file, line) = if is_vs {
            let line = pair
                .baseline
                .baseline
                .as_ref()
                .and_then(|b| crate::baseline::metric_line(&b.text, &spec.def.id));
            (pair.baseline_file.clone(), line)
        } else {
            (self.config_file(), spec.check.line)
        };
        let mut record = self.record(spec, CheckStatus::Passed, String::new(), file, line);
        record.value = Some(values.aggregate);
        let pending_hint = match &pair.baseline.pending {
            Some(p) => format!("pending snapshot {}", self.suite.display_path(p)),
            None => "no pending snapshot".to_string(),
        };
        let mut baseline_value = None;
        let mut baseline_items = None;
        if is_vs {
            match (&pair.baseline.status, &pair.baseline.baseline) {
                (BaselineStatus::Missing, _) | (_, None) => {
                    record.status = CheckStatus::Ignored;
                    record.message = format!(
                        "no baseline: run `cargo insta review` to accept {} ({pending_hint})",
                        pair.baseline_file
                    );
                    let reason = record.message.clone();
                    return (record, Ok(Completion::ignored_with(reason)));
                }
                (BaselineStatus::FingerprintMismatch, Some(b)) => {
                    let diffs = crate::baseline::fingerprint_differences(
                        &b.body.fingerprint,
                        &pair.fingerprint,
                    );
                    record.status = CheckStatus::Failed;
                    record.message = format!(
                        "baseline {} was made on something else, so its numbers are not comparable: \
                         {}. If this change is intended, review and accept the {pending_hint} with \
                         `cargo insta review`",
                        pair.baseline_file,
                        diffs.join("; ")
                    );
                    let msg = record.message.clone();
                    return (record, Err(Failed::from(msg)));
                }
                (BaselineStatus::Present, Some(b)) => match b.body.metrics.get(&spec.def.id) {
                    Some(v) => {
                        baseline_value = Some(*v);
                        baseline_items = Some(b.body.item_values(&spec.def.id));
                    }
                    None => {
                        record.status = CheckStatus::Ignored;
                        record.message = format!(
                            "no baseline value for `{}` in {}: run `cargo insta review` to accept \
                             the {pending_hint}",
                            spec.def.id, pair.baseline_file
                        );
                        let reason = record.message.clone();
                        return (record, Ok(Completion::ignored_with(reason)));
                    }
                },
            }
        }
        let items: Vec<(&str, Option<f64>)> = pair
            .dataset
            .items
            .iter()
            .zip(&values.per_item)
            .map(|(i, v)| (i.id.as_str(), *v))
            .collect();
        let owned_items: Option<BTreeMap<&str, f64>> = baseline_items
            .as_ref()
            .map(|m| m.iter().map(|(k, v)| (*k, *v)).collect());
        let input = CheckInput {
            def: &spec.def,
            value: values.aggregate,
            baseline: baseline_value,
            items,
            baseline_items: owned_items,
        };
        let verdict = evaluate(&spec.check, &input);
        record.status = verdict.status;
        record.baseline = baseline_value;
        record.delta = verdict.delta;
        record.worst_items = verdict.worst_items;
        let location = match record.line {
            Some(l) => format!("{}:{l}", record.file),
            None => record.file.clone(),
        };
        record.message = match verdict.status {
            CheckStatus::Passed => verdict.message,
            _ => format!("{} [{}; see {location}]", verdict.message, spec.name),
        };
        let completion = match verdict.status {
            CheckStatus::Passed => Ok(Completion::Completed),
            CheckStatus::Failed => Err(Failed::from(record.message.clone())),
            CheckStatus::Warned => Ok(Completion::ignored_with(format!(
                "warning: {}",
                record.message
            ))),
            CheckStatus::Ignored => Ok(Completion::ignored_with(record.message.clone())),
        };
        (record, completion)
    }

    fn results(&self, started: SystemTime, args: &Arguments) -> RunResults {
        let records = self.records.lock().expect("records lock");
        let mut pairs = Vec::new();
        for ((dataset, system), cell) in &self.pairs {
            let Some(outcome) = cell.get() else { continue };
            let mut checks: Vec<CheckResult> = records
                .iter()
                .filter(|(d, s, _)| d == dataset && s == system)
                .map(|(_, _, r)| r.clone())
                .collect();
            checks.sort_by(|a, b| a.trial.cmp(&b.trial));
            let entry = match outcome {
                Ok(pair) => PairResults {
                    dataset: dataset.clone(),
                    dataset_version: pair.dataset.version,
                    system: system.clone(),
                    fingerprint: pair.fingerprint.clone(),
                    error: (!pair.metric_errors.is_empty()).then(|| {
                        pair.metric_errors
                            .values()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join("\n")
                    }),
                    items: pair.dataset.items.iter().map(|i| i.id.clone()).collect(),
                    metrics: pair
                        .metrics
                        .iter()
                        .map(|(id, v)| {
                            let direction = self
                                .metrics
                                .definition(id)
                                .map(|d| d.direction)
                                .expect("known metric");
                            (
                                id.clone(),
                                MetricResult {
                                    value: v.aggregate,
                                    direction,
                                    per_item: v.per_item.clone(),
                                },
                            )
                        })
                        .collect(),
                    baseline: BaselineInfo {
                        file: pair.baseline_file.clone(),
                        status: pair.baseline.status,
                        metrics: pair
                            .baseline
                            .baseline
                            .as_ref()
                            .map(|b| b.body.metrics.clone())
                            .unwrap_or_default(),
                        pending_file: pair
                            .baseline
                            .pending
                            .as_ref()
                            .map(|p| self.suite.display_path(p)),
                    },
                    checks,
                    generation: Some(GenerationSummary {
                        cache_hits: pair.stats.hits,
                        cache_misses: pair.stats.misses,
                        saved_ms: pair.stats.saved_ms,
                        warnings: pair.stats.warnings.clone(),
                    }),
                },
                Err(message) => PairResults {
                    dataset: dataset.clone(),
                    dataset_version: 0,
                    system: system.clone(),
                    fingerprint: crate::results::Fingerprint {
                        dataset_hash: String::new(),
                        item_ids: Vec::new(),
                        reference_ids: Vec::new(),
                        system_config_hash: String::new(),
                        metric_version: crate::metrics::METRIC_VERSION.to_string(),
                    },
                    error: Some(message.clone()),
                    items: Vec::new(),
                    metrics: BTreeMap::new(),
                    baseline: BaselineInfo {
                        file: self.suite.display_path(&crate::baseline::snapshot_path(
                            &self.suite.baselines_dir,
                            dataset,
                            system,
                        )),
                        status: BaselineStatus::Missing,
                        metrics: BTreeMap::new(),
                        pending_file: None,
                    },
                    checks,
                    generation: None,
                },
            };
            pairs.push(entry);
        }
        let mut filters = Vec::new();
        filters.extend(args.filter.clone());
        filters.extend(args.skip.iter().map(|s| format!("--skip {s}")));
        let mut results = RunResults {
            schema: RESULTS_SCHEMA.to_string(),
            run: RunInfo {
                evalgate_version: env!("CARGO_PKG_VERSION").to_string(),
                started_at: humantime::format_rfc3339_seconds(started).to_string(),
                finished_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
                git_commit: git_commit(&self.suite.root),
                config_path: self.config_file(),
                config_hash: self.suite.config_hash.clone(),
                filters,
                shard: std::env::var("EVALGATE_SHARD").ok(),
            },
            pairs,
            summary: Summary::default(),
        };
        results.recount();
        results
    }
}

/// The commit under test: `GITHUB_SHA` in GitHub Actions, else `git rev-parse HEAD`.
fn git_commit(root: &Path) -> Option<String> {
    if let Ok(sha) = std::env::var("GITHUB_SHA") {
        if !sha.is_empty() {
            return Some(sha);
        }
    }
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["rev-parse", "HEAD"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

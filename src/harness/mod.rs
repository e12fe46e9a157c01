//! The test harness: builds one libtest-mimic trial per tier × dataset × system × metric × check,
//! runs them, and writes JUnit XML and the results file.
//!
//! The pipeline, one file each: `plan` lists the trials from the suite; `context` computes
//! each dataset, system and dataset × system outcome once, when a selected trial needs it;
//! `judge` turns one trial's numbers into a verdict; `assemble` gathers the verdicts into
//! `results.json` and JUnit.
//!
//! `tests/benchmarks.rs` (with `harness = false`) is a few lines:
//!
//! ```no_run
//! fn main() -> std::process::ExitCode {
//!     evalgate::Harness::new().main()
//! }
//! ```

mod assemble;
mod context;
mod judge;
mod plan;
mod predictions;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::SystemTime;

use libtest_mimic::{Arguments, Trial};

pub use context::CacheMode;

use crate::config::{CONFIG_FILE, Suite};
use crate::error::{ConfigError, Error, Result};
use crate::junit::SkippedTrial;
use crate::metrics::{Metric, MetricRegistry};
use crate::pricing::PriceTable;
use crate::results::RunResults;
use crate::systems::System;

/// Builder and entry point of a benchmark run.
pub struct Harness {
    config_path: Option<PathBuf>,
    /// The file that called [`Harness::new`] (`file!()` there).
    source_file: &'static str,
    output_dir: Option<PathBuf>,
    metrics: MetricRegistry,
    systems: BTreeMap<String, Arc<dyn System>>,
    setup_errors: Vec<String>,
}

impl Default for Harness {
    #[track_caller]
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
    ///
    /// The file that calls `new` (usually `tests/benchmarks.rs`) is the test source that
    /// baseline snapshots name in their `source:` header and that hints about registering
    /// systems point at: as the compiler names it, relative to the cargo workspace root, as
    /// insta records it for its own snapshots. Call `new` in the test target's own file, not in a
    /// helper module, for the header to name the test target.
    #[track_caller]
    pub fn new() -> Self {
        Harness {
            config_path: None,
            source_file: std::panic::Location::caller().file(),
            output_dir: None,
            metrics: MetricRegistry::builtin(),
            systems: BTreeMap::new(),
            setup_errors: Vec::new(),
        }
    }

    /// Uses another suite file, e.g. `bench/evalgate.toml` for a suite in a subfolder. A
    /// relative path is relative to the package root (`CARGO_MANIFEST_DIR`, which cargo and
    /// nextest set when they run a test), else to the current folder.
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
                eprintln!("evalgate: {}", crate::outside::inert(&e.to_string()));
                ExitCode::from(2)
            }
        }
    }

    /// Runs with the given libtest arguments. Errors are setup errors (bad suite file, unknown
    /// names); regressions are failing trials in the conclusion.
    pub fn run(mut self, args: &Arguments) -> Result<RunOutcome> {
        if !self.setup_errors.is_empty() {
            return Err(Error::Config(ConfigError::new(
                self.setup_errors.join("\n"),
            )));
        }
        let config_path = match self.config_path.take() {
            Some(path) => in_package(path),
            None => in_package(PathBuf::from(CONFIG_FILE)),
        };
        let text = crate::config::read_suite_text(&config_path)?;
        let mut suite = Suite::parse(&config_path, &text, &self.metrics)?;
        if let Some(repository) = repository_root(&suite.root) {
            suite.set_repository_root(&repository);
        }
        suite.source_file = source_file_name(self.source_file, suite.repository_root.as_deref());
        for metric in &suite.external_metrics {
            self.metrics.register(Arc::new(metric.clone()))?;
        }
        // Every system table is checked now, whatever trials are selected.
        for cfg in suite.systems.values() {
            crate::systems::factory::check(cfg, &self.systems, &suite.root, &suite.source_file)?;
        }
        let started = SystemTime::now();
        let self_output_dir = self.output_dir.clone();
        let plan = plan::plan_trials(&suite, &self.metrics);
        check_references(&suite, &self.metrics, &plan.datasets)?;
        let cache_mode = CacheMode::from_env()?;
        let pricing = match &suite.pricing {
            Some(path) => Some(PriceTable::load(path)?),
            None => None,
        };
        let out_dir = match &self_output_dir {
            Some(dir) => dir.clone(),
            None => output_dir(&suite.root),
        };
        let ctx = Arc::new(context::RunContext::new(
            suite,
            self.metrics,
            self.systems,
            &plan,
            cache_mode,
            pricing,
            out_dir,
        ));

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
        print_generation_warnings(&results);
        let out_dir = ctx.output_dir.clone();
        let under_nextest = std::env::var_os("NEXTEST").is_some();
        // Every computed evaluation's outputs, named by results.json. A failed one writes none,
        // and an earlier run's file is removed so that it is not taken for this run's (not under
        // nextest, where another process may have computed the evaluation).
        for ((dataset, system), cell) in &ctx.evaluations {
            match cell.get() {
                Some(Ok(evaluation)) => {
                    predictions::write(&out_dir, evaluation)?;
                }
                Some(Err(_)) if !under_nextest => {
                    let _ = std::fs::remove_file(predictions::path(&out_dir, dataset, system));
                }
                _ => {}
            }
        }
        let (results_path, junit_path) = if under_nextest {
            // nextest runs one trial per process and writes JUnit itself; each process leaves
            // its part of the results for `evalgate report merge`.
            let name = args.filter.clone().unwrap_or_else(|| "all".to_string());
            let file = out_dir
                .join("parts")
                .join(format!("{}.json", part_file_name(&name)));
            results.write(&file)?;
            (file, None)
        } else {
            let file = out_dir.join("results.json");
            results.write(&file)?;
            let junit = out_dir.join("junit.xml");
            crate::junit::write(&junit, &ctx.suite.name, &results, &skipped)?;
            (file, Some(junit))
        };
        if !under_nextest {
            // On stderr: stdout is libtest's (`--format json` / `terse` are parsed by tools).
            eprint!("{}", crate::report::console::render(&results));
        }
        Ok(RunOutcome {
            conclusion,
            results: Some(results),
            results_path: Some(results_path),
            junit_path,
        })
    }
}

/// Refuses reference-based metrics on reference-free datasets, before any trial runs (also for
/// `--list`). Only the manifests are read; a dataset that cannot be read is left to its trials,
/// which report the dataset's error.
fn check_references(suite: &Suite, metrics: &MetricRegistry, datasets: &[String]) -> Result<()> {
    for id in datasets {
        let reference_free = crate::dataset::Dataset::peek(&suite.datasets[id].dir)
            .is_ok_and(|manifest| manifest.is_reference_free());
        if reference_free {
            suite.refuse_reference_metrics(id, metrics)?;
        }
    }
    Ok(())
}

/// Shows the problems met while producing outputs on the console (stderr), so a local run sees
/// what results.json and the reports record.
fn print_generation_warnings(results: &RunResults) {
    for evaluation in &results.evaluations {
        for warning in evaluation.generation.iter().flat_map(|g| &g.warnings) {
            eprintln!(
                "evalgate: warning: {} × {}: {warning}",
                evaluation.dataset, evaluation.system
            );
        }
    }
}

/// A relative suite path, relative to the package root (`CARGO_MANIFEST_DIR`) when known.
fn in_package(path: PathBuf) -> PathBuf {
    match std::env::var_os("CARGO_MANIFEST_DIR") {
        Some(dir) if path.is_relative() => PathBuf::from(dir).join(path),
        _ => path,
    }
}

/// The folder that paths in results.json and JUnit are relative to, so that CI annotations land
/// on the repository's files: the git work tree holding the suite (`git rev-parse
/// --show-toplevel`), else the package root (`CARGO_MANIFEST_DIR`) when it holds the suite;
/// `None` (the suite folder) otherwise.
fn repository_root(suite_root: &Path) -> Option<PathBuf> {
    crate::systems::inputs::work_tree_root(suite_root).or_else(|| {
        let package = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
        let (package, root) = (
            package.canonicalize().ok()?,
            suite_root.canonicalize().ok()?,
        );
        root.starts_with(&package).then_some(package)
    })
}

/// The caller's `file!()` as a snapshot's `source:` names it: relative paths (the compiler's,
/// relative to the cargo workspace root) as they are; an absolute one relative to the repository
/// root when inside it; `/` separators, as insta writes them.
fn source_file_name(file: &str, repository: Option<&Path>) -> String {
    let path = Path::new(file);
    let shown = match repository {
        Some(repo) if path.is_absolute() => path.strip_prefix(repo).unwrap_or(path),
        _ => path,
    };
    let shown = shown.to_string_lossy();
    if cfg!(windows) {
        shown.replace('\\', "/")
    } else {
        shown.into_owned()
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
        if let Some(deps) = exe.parent()
            && deps.file_name().is_some_and(|n| n == "deps")
            && let Some(target) = deps.parent().and_then(Path::parent)
        {
            return target.join("evalgate");
        }
    }
    root.join("target").join("evalgate")
}

/// The file name of a nextest part for the trial filter `name`: letters, digits, `-` and `.`
/// as they are, every other character as `_` and its UTF-8 bytes in hex (`:` → `_3a`, `_` →
/// `_5f`), so two filters never share a file; long names end in a hash of the whole name.
fn part_file_name(name: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(name.len() + 8);
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "_{b:02x}");
            }
        }
    }
    if out.len() > 180 {
        let hash = crate::fsutil::sha256_hex(name.as_bytes());
        out.truncate(120);
        out.push('-');
        out.push_str(&hash[7..39]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::part_file_name;

    #[test]
    fn part_file_names_are_injective() {
        let names = [
            "smoke::d1::x__lead3::m::min",
            "smoke::d1__x::lead3::m::min",
            "smoke_3a_3ad1",
            "smoke::d1",
            "a.b",
            "a_b",
            "a:b",
            "ä",
        ];
        let files: std::collections::BTreeSet<String> =
            names.iter().map(|n| part_file_name(n)).collect();
        assert_eq!(files.len(), names.len(), "{files:?}");
        assert_eq!(part_file_name("smoke::d::s"), "smoke_3a_3ad_3a_3as");
        let long = "x".repeat(300);
        assert!(part_file_name(&long).len() <= 160);
        assert_ne!(part_file_name(&long), part_file_name(&"x".repeat(301)));
    }
}

//! Merging partial results (nextest parts, CI shards) into one run.
//!
//! Under nextest every test process runs one trial and writes a complete results file holding
//! just its dataset × system evaluation and one check; shards merge their parts, and the final job
//! merges the shards. Merging refuses inputs that describe different runs (git commit,
//! configuration hash, evalgate version) and parts of one evaluation whose fingerprints, items or
//! baselines differ. Checks are unioned; the same trial may appear twice only with identical
//! content.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, ReportError, Result};
use crate::results::{CheckResult, EvaluationResults, RESULTS_SCHEMA, RunResults, Summary};

/// Expands the command-line inputs: files are taken as given, folders contribute their
/// `*.json` files (sorted). Errors when nothing is left.
pub fn expand_inputs(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(input)
                .map_err(|e| Error::read(input, e))?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(input.clone());
        }
    }
    if files.is_empty() {
        return Err(Error::Report(ReportError::new(format!(
            "no results files to merge in {}; check that the shard ran its trials and wrote \
             target/evalgate/parts/*.json",
            inputs
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))));
    }
    Ok(files)
}

/// Reads and merges results files (see [`merge`]).
pub fn merge_files(paths: &[PathBuf]) -> Result<RunResults> {
    let mut inputs = Vec::with_capacity(paths.len());
    for path in paths {
        inputs.push((path.clone(), RunResults::read(path)?));
    }
    merge(inputs)
}

/// Merges runs; each comes with the path it was read from, used in error messages.
pub fn merge(inputs: Vec<(PathBuf, RunResults)>) -> Result<RunResults> {
    let mut iter = inputs.into_iter();
    let Some((first_path, first)) = iter.next() else {
        return Err(Error::Report(ReportError::new("no results to merge")));
    };
    let mut run = first.run.clone();
    run.shard = None;
    let mut evaluations: BTreeMap<(String, String), (PathBuf, EvaluationResults)> = BTreeMap::new();
    let mut trial_sources: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut other_checks: BTreeMap<String, (PathBuf, CheckResult)> = BTreeMap::new();
    add_other_checks(&mut other_checks, &first_path, &first.other_checks)?;
    add_evaluations(&mut evaluations, &mut trial_sources, &first_path, first)?;

    for (path, results) in iter {
        same_run(&first_path, &run, &path, &results)?;
        if results.run.started_at < run.started_at {
            run.started_at = results.run.started_at.clone();
        }
        if results.run.finished_at > run.finished_at {
            run.finished_at = results.run.finished_at.clone();
        }
        for filter in &results.run.filters {
            if !run.filters.contains(filter) {
                run.filters.push(filter.clone());
            }
        }
        add_other_checks(&mut other_checks, &path, &results.other_checks)?;
        add_evaluations(&mut evaluations, &mut trial_sources, &path, results)?;
    }

    let mut merged = RunResults {
        schema: RESULTS_SCHEMA.to_string(),
        run,
        evaluations: evaluations
            .into_values()
            .map(|(_, mut evaluation)| {
                evaluation.checks.sort_by(|a, b| a.trial.cmp(&b.trial));
                evaluation
            })
            .collect(),
        other_checks: other_checks.into_values().map(|(_, c)| c).collect(),
        summary: Summary::default(),
    };
    merged.recount();
    Ok(merged)
}

/// Adds checks that belong to no evaluation (`stale_baseline`), once per trial.
fn add_other_checks(
    seen: &mut BTreeMap<String, (PathBuf, CheckResult)>,
    path: &Path,
    checks: &[CheckResult],
) -> Result<()> {
    for check in checks {
        match seen.get(&check.trial) {
            Some((_, earlier)) if earlier == check => {}
            Some((earlier_path, _)) => {
                return Err(duplicate_trial(&check.trial, path, earlier_path));
            }
            None => {
                seen.insert(check.trial.clone(), (path.to_path_buf(), check.clone()));
            }
        }
    }
    Ok(())
}

fn same_run(
    first_path: &Path,
    first: &crate::results::RunInfo,
    path: &Path,
    other: &RunResults,
) -> Result<()> {
    let o = &other.run;
    let mismatch = |what: &str, a: &str, b: &str| {
        Error::Report(ReportError::new(format!(
            "cannot merge {} into {}: they come from different {what} (`{b}` vs `{a}`); merge \
             only shards of one run (same commit and evalgate.toml), and rerun stale shards",
            path.display(),
            first_path.display()
        )))
    };
    let commit = |c: &Option<String>| c.clone().unwrap_or_else(|| "unknown".to_string());
    if first.git_commit != o.git_commit {
        return Err(mismatch(
            "commits",
            &commit(&first.git_commit),
            &commit(&o.git_commit),
        ));
    }
    if first.config_hash != o.config_hash {
        return Err(mismatch(
            "configurations",
            &first.config_hash,
            &o.config_hash,
        ));
    }
    if first.config_path != o.config_path {
        return Err(mismatch(
            "configuration files",
            &first.config_path,
            &o.config_path,
        ));
    }
    if first.evalgate_version != o.evalgate_version {
        return Err(mismatch(
            "evalgate versions",
            &first.evalgate_version,
            &o.evalgate_version,
        ));
    }
    Ok(())
}

fn add_evaluations(
    evaluations: &mut BTreeMap<(String, String), (PathBuf, EvaluationResults)>,
    trial_sources: &mut BTreeMap<String, PathBuf>,
    path: &Path,
    results: RunResults,
) -> Result<()> {
    for evaluation in results.evaluations {
        let key = (evaluation.dataset.clone(), evaluation.system.clone());
        match evaluations.get_mut(&key) {
            None => {
                for check in &evaluation.checks {
                    trial_sources.insert(check.trial.clone(), path.to_path_buf());
                }
                let mut evaluation = evaluation;
                dedupe_checks(&mut evaluation.checks, path, trial_sources)?;
                evaluations.insert(key, (path.to_path_buf(), evaluation));
            }
            Some((first_path, existing)) => {
                merge_evaluation(existing, first_path, evaluation, path, trial_sources)?;
            }
        }
    }
    Ok(())
}

fn dedupe_checks(
    checks: &mut Vec<CheckResult>,
    path: &Path,
    trial_sources: &BTreeMap<String, PathBuf>,
) -> Result<()> {
    let mut seen: BTreeMap<String, CheckResult> = BTreeMap::new();
    let mut kept = Vec::with_capacity(checks.len());
    for check in checks.drain(..) {
        match seen.get(&check.trial) {
            Some(earlier) if *earlier == check => {}
            Some(_) => {
                return Err(duplicate_trial(
                    &check.trial,
                    path,
                    trial_sources
                        .get(&check.trial)
                        .map(|p| p.as_path())
                        .unwrap_or(path),
                ));
            }
            None => {
                seen.insert(check.trial.clone(), check.clone());
                kept.push(check);
            }
        }
    }
    *checks = kept;
    Ok(())
}

fn duplicate_trial(trial: &str, path: &Path, earlier: &Path) -> Error {
    Error::Report(ReportError::new(format!(
        "trial `{trial}` appears in both {} and {} with different results; a trial ran twice \
         (overlapping shards or a stale parts folder). Clear target/evalgate/parts and rerun",
        earlier.display(),
        path.display()
    )))
}

fn merge_evaluation(
    existing: &mut EvaluationResults,
    existing_path: &Path,
    part: EvaluationResults,
    path: &Path,
    trial_sources: &mut BTreeMap<String, PathBuf>,
) -> Result<()> {
    let refuse = |what: &str| {
        Error::Report(ReportError::new(format!(
            "cannot merge {} into {}: dataset `{}` × system `{}` has a different {what} in each; \
             the parts were computed on different data or system configuration — rerun the \
             whole run from one commit",
            path.display(),
            existing_path.display(),
            existing.dataset,
            existing.system
        )))
    };
    if existing.fingerprint != part.fingerprint {
        return Err(refuse("fingerprint"));
    }
    if existing.system_config != part.system_config {
        return Err(refuse("system configuration"));
    }
    if existing.dataset_version != part.dataset_version {
        return Err(refuse("dataset version"));
    }
    if existing.items != part.items {
        return Err(refuse("item list"));
    }
    if existing.baseline.file != part.baseline.file
        || existing.baseline.status != part.baseline.status
    {
        return Err(refuse("baseline"));
    }
    for (id, value) in &part.baseline.metrics {
        match existing.baseline.metrics.get(id) {
            Some(v) if v.to_bits() != value.to_bits() => return Err(refuse("baseline value")),
            Some(_) => {}
            None => {
                existing.baseline.metrics.insert(id.clone(), *value);
            }
        }
    }
    if existing.baseline.pending_file.is_none() {
        existing.baseline.pending_file = part.baseline.pending_file.clone();
    }
    match (&mut existing.error, part.error) {
        (Some(a), Some(b)) if *a != b => {
            a.push_str("; ");
            a.push_str(&b);
        }
        (slot @ None, Some(b)) => *slot = Some(b),
        _ => {}
    }
    // Metric values: a part's own check was judged on the value in that part, so the metrics a
    // part checks come from that part; others fill in where missing.
    let checked: Vec<&str> = part.checks.iter().map(|c| c.metric.as_str()).collect();
    let existing_checked: Vec<String> = existing.checks.iter().map(|c| c.metric.clone()).collect();
    for (id, metric) in part.metrics {
        let part_checks_it = checked.contains(&id.as_str());
        let existing_checks_it = existing_checked.contains(&id);
        if !existing.metrics.contains_key(&id) || (part_checks_it && !existing_checks_it) {
            existing.metrics.insert(id, metric);
        }
    }
    for check in part.checks {
        match existing.checks.iter().find(|c| c.trial == check.trial) {
            Some(earlier) if *earlier == check => {}
            Some(_) => {
                let earlier_path = trial_sources
                    .get(&check.trial)
                    .cloned()
                    .unwrap_or_else(|| existing_path.to_path_buf());
                return Err(duplicate_trial(&check.trial, path, &earlier_path));
            }
            None => {
                trial_sources.insert(check.trial.clone(), path.to_path_buf());
                existing.checks.push(check);
            }
        }
    }
    Ok(())
}

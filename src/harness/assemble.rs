//! Gathering a run's verdicts into the results file: one entry per dataset × system computed,
//! the checks of other tiers' baselines, and the run's metadata.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::SystemTime;

use libtest_mimic::Arguments;

use super::context::{RecordPlace, RunContext};
use crate::evaluation::Evaluation;
use crate::results::{
    BaselineInfo, BaselineStatus, CacheUse, CheckResult, EvaluationResults, Fingerprint,
    GenerationSummary, MetricResult, RESULTS_SCHEMA, RunInfo, RunResults, Summary,
};

impl RunContext {
    /// The results of the trials that ran (evaluations no selected trial needed are left out).
    pub(crate) fn results(&self, started: SystemTime, args: &Arguments) -> RunResults {
        let records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        let mut by_evaluation: BTreeMap<(&str, &str), Vec<CheckResult>> = BTreeMap::new();
        let mut other_checks = Vec::new();
        for (place, record) in records.iter() {
            match place {
                RecordPlace::Evaluation { dataset, system } => by_evaluation
                    .entry((dataset.as_str(), system.as_str()))
                    .or_default()
                    .push(record.clone()),
                RecordPlace::Other => other_checks.push(record.clone()),
            }
        }
        other_checks.sort_by(|a, b| a.trial.cmp(&b.trial));
        let mut evaluations = Vec::new();
        for ((dataset, system), cell) in &self.evaluations {
            let Some(outcome) = cell.get() else { continue };
            let mut checks = by_evaluation
                .remove(&(dataset.as_str(), system.as_str()))
                .unwrap_or_default();
            checks.sort_by(|a, b| a.trial.cmp(&b.trial));
            evaluations.push(match outcome {
                Ok(evaluation) => self.evaluation_results(evaluation, checks),
                Err(message) => self.failed_evaluation_results(dataset, system, message, checks),
            });
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
            evaluations,
            other_checks,
            summary: Summary::default(),
        };
        results.recount();
        results
    }

    fn evaluation_results(
        &self,
        evaluation: &Evaluation,
        checks: Vec<CheckResult>,
    ) -> EvaluationResults {
        let dataset = &evaluation.dataset;
        EvaluationResults {
            dataset: dataset.id.clone(),
            dataset_version: dataset.version,
            system: evaluation.system.clone(),
            fingerprint: evaluation.fingerprint.clone(),
            system_config: evaluation.system_config.clone(),
            error: (!evaluation.metric_errors.is_empty()).then(|| {
                evaluation
                    .metric_errors
                    .values()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("\n")
            }),
            items: dataset.items.iter().map(|i| i.id.clone()).collect(),
            samples: evaluation.samples,
            flaky_items: evaluation.flaky.clone(),
            metrics: evaluation
                .metrics
                .iter()
                .map(|(id, v)| {
                    let direction = self
                        .metrics
                        .definition(id)
                        .map(|d| d.direction)
                        .expect("computed metrics are registered");
                    let per_sample = if evaluation.samples > 1 {
                        evaluation.per_sample.get(id).cloned().unwrap_or_default()
                    } else {
                        Vec::new()
                    };
                    let result = MetricResult {
                        value: v.aggregate,
                        direction,
                        per_item: v.per_item.clone(),
                        per_sample,
                    };
                    (id.clone(), result)
                })
                .collect(),
            baseline: BaselineInfo {
                file: evaluation.baseline_file.clone(),
                status: evaluation.baseline.status,
                metrics: evaluation
                    .baseline
                    .baseline
                    .as_ref()
                    .map(|b| b.body.metrics.clone())
                    .unwrap_or_default(),
                pending_file: evaluation
                    .baseline
                    .pending
                    .as_ref()
                    .map(|p| self.suite.display_path(p)),
                system_changes: evaluation.baseline.system_changes.clone(),
            },
            checks,
            generation: Some(GenerationSummary {
                cache: evaluation.cache_use,
                cache_hits: evaluation.stats.hits,
                cache_misses: match evaluation.cache_use {
                    CacheUse::NotCached => 0,
                    _ => evaluation.stats.misses,
                },
                saved_ms: evaluation.stats.saved_ms,
                warnings: evaluation.stats.warnings.clone(),
            }),
            predictions_file: Some(self.suite.display_path(&super::predictions::path(
                &self.output_dir,
                &dataset.id,
                &evaluation.system,
            ))),
        }
    }

    fn failed_evaluation_results(
        &self,
        dataset: &str,
        system: &str,
        message: &str,
        checks: Vec<CheckResult>,
    ) -> EvaluationResults {
        let snapshot = crate::baseline::snapshot_path(&self.suite.baselines_dir, dataset, system);
        EvaluationResults {
            dataset: dataset.to_string(),
            dataset_version: 0,
            system: system.to_string(),
            fingerprint: Fingerprint {
                dataset_hash: String::new(),
                item_ids: Vec::new(),
                reference_ids: Vec::new(),
                metric_version: crate::metrics::METRIC_VERSION.to_string(),
                metric_settings: BTreeMap::new(),
            },
            system_config: serde_json::Value::Null,
            error: Some(message.to_string()),
            items: Vec::new(),
            samples: self
                .suite
                .systems
                .get(system)
                .map_or(1, |config| config.samples),
            flaky_items: Vec::new(),
            metrics: BTreeMap::new(),
            baseline: BaselineInfo {
                file: self.suite.display_path(&snapshot),
                status: if snapshot.exists() {
                    BaselineStatus::NotCompared
                } else {
                    BaselineStatus::Missing
                },
                metrics: BTreeMap::new(),
                pending_file: None,
                system_changes: Vec::new(),
            },
            checks,
            generation: None,
            predictions_file: None,
        }
    }
}

/// The commit under test: `GITHUB_SHA` in GitHub Actions, else `git rev-parse HEAD`.
fn git_commit(root: &Path) -> Option<String> {
    if let Ok(sha) = std::env::var("GITHUB_SHA")
        && !sha.is_empty()
    {
        return Some(sha);
    }
    crate::systems::inputs::rev_parse(root, &["HEAD"])
}

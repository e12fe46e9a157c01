//! Judging one trial: its check evaluated on the computed numbers, recorded as a
//! [`CheckResult`] and answered to libtest as passed, failed, or ignored with a reason.

use std::collections::BTreeMap;

use libtest_mimic::{Completion, Failed};

use super::context::{RecordPlace, RunContext};
use super::plan::{Subject, TrialSpec};
use crate::checks::{CheckInput, beyond_item_bound, evaluate, evaluate_items};
use crate::config::Check;
use crate::evaluation::Evaluation;
use crate::metrics::MetricDef;
use crate::numbers::fmt;
use crate::results::{BaselineStatus, CheckKind, CheckResult, CheckStatus};

/// What libtest is told about a trial.
type Answer = std::result::Result<Completion, Failed>;

impl RunContext {
    /// Runs one trial: judges it, records it, and answers libtest. Every trial that runs is
    /// recorded, whatever happens to it (a panic while judging is a failed record).
    pub(crate) fn run_trial(&self, spec: &TrialSpec) -> Answer {
        let judged = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.judge(spec)));
        let (place, record) = judged.unwrap_or_else(|panic| {
            let mut record = match &spec.subject {
                Subject::Metric { def, check, .. } => self.new_record(spec, Some(def), check),
                Subject::StaleBaseline { .. } => self.new_record(
                    spec,
                    None,
                    &Check::new(CheckKind::StaleBaseline, crate::results::Severity::Warn),
                ),
            };
            record.status = CheckStatus::Failed;
            record.message = format!(
                "evalgate panicked while judging this trial: {}",
                crate::metrics::panic_message(panic.as_ref())
            );
            (place_of(spec), record)
        });
        // Messages quote outside text (file names, keys, ids, program output): one last pass
        // makes them safe for the console, CI logs and XML, whatever path they took here.
        let mut record = record;
        record.message = crate::outside::inert(&record.message).into_owned();
        let answer = answer(&record);
        self.record(place, record);
        answer
    }

    fn judge(&self, spec: &TrialSpec) -> (RecordPlace, CheckResult) {
        match &spec.subject {
            Subject::StaleBaseline { tiers, line } => {
                (place_of(spec), self.judge_stale(spec, tiers, *line))
            }
            Subject::Metric { def, check, item } => {
                let record = match self.evaluation(&spec.dataset, &spec.system) {
                    Ok(evaluation) => {
                        let mut record =
                            self.judge_metric(spec, def, check, item.as_deref(), &evaluation);
                        add_flaky(&mut record, &evaluation, item.as_deref());
                        record
                    }
                    Err(message) => {
                        let mut r = self.new_record(spec, Some(def), check);
                        r.status = CheckStatus::Failed;
                        r.message = message;
                        r
                    }
                };
                (place_of(spec), record)
            }
        }
    }

    /// A record for `spec` with nothing judged yet, annotated at the check's line.
    fn new_record(&self, spec: &TrialSpec, def: Option<&MetricDef>, check: &Check) -> CheckResult {
        CheckResult {
            trial: spec.name.clone(),
            tier: spec.tier.clone(),
            metric: def
                .map(|d| d.id.clone())
                .unwrap_or_else(|| super::plan::SYSTEM_SEGMENT.to_string()),
            kind: check.kind,
            severity: check.severity,
            status: CheckStatus::Passed,
            direction: def.map(|d| d.direction),
            value: None,
            baseline: None,
            delta: None,
            threshold: check.threshold,
            threshold_pct: check.threshold_pct,
            test: None,
            message: String::new(),
            worst_items: Vec::new(),
            failing_items: Vec::new(),
            item: None,
            file: self.config_file(),
            line: check.line,
        }
    }

    fn judge_metric(
        &self,
        spec: &TrialSpec,
        def: &MetricDef,
        check: &Check,
        item: Option<&str>,
        evaluation: &Evaluation,
    ) -> CheckResult {
        let mut record = self.new_record(spec, Some(def), check);
        if check.kind == CheckKind::Pricing {
            match &evaluation.pricing_warning {
                Some(warning) => {
                    record.status = CheckStatus::Warned;
                    record.message = warning.clone();
                }
                None => record.message = "the model has a price in the pricing table".to_string(),
            }
            return record;
        }
        if let Some(error) = evaluation.metric_errors.get(&def.id) {
            record.status = CheckStatus::Failed;
            record.message = error.clone();
            return record;
        }
        let values = &evaluation.metrics[&def.id];
        let dataset_level = !matches!(check.kind, CheckKind::ItemMin | CheckKind::ItemMax);
        if dataset_level
            && !values.per_item.is_empty()
            && values.per_item.iter().all(Option::is_none)
        {
            // The dataset value of a metric that applies to no item is a mean of nothing: no
            // value, and a check of it judges nothing, which fails (as item checks do).
            let items = values.per_item.len();
            if check.kind == CheckKind::Computed {
                record.message = format!(
                    "{} applies to none of the {items} items, so it has no value",
                    def.id
                );
            } else {
                record.status = CheckStatus::Failed;
                record.message = crate::checks::judged_no_item(&def.id, check.kind, items);
            }
            return locate(spec, record);
        }
        record.value = Some(values.aggregate);
        let items: Vec<(&str, Option<f64>)> = evaluation
            .dataset
            .items
            .iter()
            .zip(&values.per_item)
            .map(|(i, v)| (i.id.as_str(), *v))
            .collect();
        let baseline = evaluation.baseline.baseline.as_ref().filter(|_| {
            // Only a baseline that measured the same things lends its item values.
            evaluation.baseline.status == BaselineStatus::Present
        });
        let baseline_items: Option<BTreeMap<&str, f64>> =
            baseline.map(|b| b.body.item_values(&def.id));
        let input = CheckInput {
            def,
            value: values.aggregate,
            baseline: None,
            items,
            baseline_items,
        };
        match check.kind {
            CheckKind::VsBaseline => self.judge_vs_baseline(spec, check, evaluation, input, record),
            CheckKind::ItemMin | CheckKind::ItemMax => match item {
                Some(item) => judge_one_item(spec, check, &input, item, record),
                None => {
                    let verdict = evaluate_items(check, &input);
                    record.status = verdict.status;
                    record.message = verdict.message;
                    record.failing_items = verdict.failing;
                    record.worst_items = record
                        .failing_items
                        .iter()
                        .take(crate::checks::WORST_ITEMS)
                        .cloned()
                        .collect();
                    locate(spec, record)
                }
            },
            CheckKind::Computed => {
                record.message = format!("{} = {}", def.id, fmt(values.aggregate));
                record
            }
            CheckKind::Min | CheckKind::Max | CheckKind::Pricing | CheckKind::StaleBaseline => {
                let verdict = evaluate(check, &input);
                record.status = verdict.status;
                record.message = verdict.message;
                record.worst_items = verdict.worst_items;
                locate(spec, record)
            }
        }
    }

    fn judge_vs_baseline(
        &self,
        spec: &TrialSpec,
        check: &Check,
        evaluation: &Evaluation,
        mut input: CheckInput<'_>,
        mut record: CheckResult,
    ) -> CheckResult {
        let def = input.def;
        let synced = &evaluation.baseline;
        record.file = evaluation.baseline_file.clone();
        record.line = synced
            .baseline
            .as_ref()
            .and_then(|b| crate::baseline::metric_line(&b.text, &def.id));
        let pending = match &synced.pending {
            Some(p) => format!(
                "run `cargo insta review` (or `cargo insta accept`) to accept the pending \
                 snapshot {} as {}",
                self.suite.display_path(p),
                evaluation.baseline_file
            ),
            None if !evaluation.metric_errors.is_empty() => {
                "no pending snapshot was written because a metric failed to compute; fix it and \
                 rerun"
                    .to_string()
            }
            None => format!(
                "no pending snapshot was written because the results equal {}",
                evaluation.baseline_file
            ),
        };
        match synced.status {
            // Only an evaluation that failed goes uncompared, and its trials fail before this.
            BaselineStatus::NotCompared => {
                record.status = CheckStatus::Failed;
                record.message = format!("{} was not compared", evaluation.baseline_file);
                return record;
            }
            BaselineStatus::Missing => {
                record.status = CheckStatus::Ignored;
                record.message = format!("no baseline: {pending}");
                return record;
            }
            BaselineStatus::FingerprintMismatch => {
                record.status = CheckStatus::Failed;
                record.message = format!(
                    "baseline {} measured something else, so its numbers are not comparable: {}. \
                     If this change is intended, {pending}",
                    evaluation.baseline_file,
                    synced.mismatch.join("; ")
                );
                return record;
            }
            BaselineStatus::Present => {}
        }
        // A metric the baseline never measured is new, not measured differently: its settings
        // appear "added" too, but the reason to report is that there is nothing to compare with.
        let Some(baseline_value) = synced
            .baseline
            .as_ref()
            .and_then(|b| b.body.metrics.get(&def.id).copied())
        else {
            record.status = CheckStatus::Ignored;
            record.message = format!(
                "no baseline value for `{}` in {} (a metric added since): {pending}",
                def.id, evaluation.baseline_file
            );
            return record;
        };
        if let Some(changes) = synced.changed_settings.get(&def.id) {
            record.status = CheckStatus::Failed;
            record.message = format!(
                "baseline {} measured {} with other settings, so its value is not comparable: {}. \
                 If this change is intended, {pending}",
                evaluation.baseline_file,
                def.id,
                changes.join(", ")
            );
            return record;
        }
        input.baseline = Some(baseline_value);
        let verdict = match check.test {
            None => evaluate(check, &input),
            Some(settings) => match self.paired_test(check, &settings, evaluation, &input) {
                Ok(test) => {
                    let verdict = crate::checks::evaluate_paired(check, &input, &test);
                    record.test = Some(test);
                    verdict
                }
                Err((status, message)) => {
                    record.status = status;
                    record.baseline = Some(baseline_value);
                    record.delta = Some(values_delta(&input, baseline_value));
                    record.message = message;
                    return locate(spec, record);
                }
            },
        };
        record.status = verdict.status;
        record.baseline = Some(baseline_value);
        record.delta = verdict.delta;
        record.worst_items = verdict.worst_items;
        record.message = verdict.message;
        if !synced.system_changes.is_empty() {
            record.message.push_str(&format!(
                "; system {} changed since the baseline: {}",
                spec.system,
                synced.system_changes.join(", ")
            ));
        }
        if self.suite.store_predictions {
            add_diffs(&mut record, evaluation);
        }
        locate(spec, record)
    }

    /// The paired test of a vs-baseline check: the current per-item values (or sufficient
    /// statistics) against the baseline's, paired by item id. `Err` holds the trial's status and
    /// message when the test cannot run: an ignored trial when the baseline lacks the
    /// statistics (a pending snapshot has them), a failed one when the numbers do not allow it.
    fn paired_test(
        &self,
        check: &Check,
        settings: &crate::stats::Settings,
        evaluation: &Evaluation,
        input: &CheckInput<'_>,
    ) -> std::result::Result<crate::checks::PairedTest, (CheckStatus, String)> {
        use crate::metrics::Resampling;
        use crate::stats::Paired;
        let def = input.def;
        let baseline_value = input.baseline.unwrap_or(input.value);
        let allowed = crate::checks::allowed_worsening(check, baseline_value);
        let Some(baseline) = evaluation.baseline.baseline.as_ref() else {
            return Err((
                CheckStatus::Failed,
                "the baseline is not loaded".to_string(),
            ));
        };
        let failed = |problem: String| {
            (
                CheckStatus::Failed,
                format!(
                    "the paired test of {} against {} could not run: {problem}",
                    def.id, evaluation.baseline_file
                ),
            )
        };
        let n_samples = evaluation.samples.max(1) as usize;
        let interval = match self.metrics.resampling(&def.id) {
            Some(Resampling::CorpusStatistics) => {
                let Some(current) = evaluation.item_statistics.get(&def.id) else {
                    return Err(failed(format!(
                        "no per-item statistics were computed for `{}`",
                        def.id
                    )));
                };
                let Some(stored) = baseline.body.item_statistics(&def.id) else {
                    let pending = match &evaluation.baseline.pending {
                        Some(p) => format!(
                            "accept the pending snapshot {} (`cargo insta review`), which has them",
                            self.suite.display_path(p)
                        ),
                        None => "rerun, then accept the pending snapshot".to_string(),
                    };
                    return Err((
                        CheckStatus::Ignored,
                        format!(
                            "the baseline {} has no per-item statistics of `{}`, which its paired \
                             test needs (it was made before the check named a test): {pending}",
                            evaluation.baseline_file, def.id
                        ),
                    ));
                };
                // Paired by item id: items present in both.
                let mut base = Vec::new();
                let mut cur = Vec::new();
                for (item, stats) in evaluation.dataset.items.iter().zip(current) {
                    if let Some(b) = stored.get(item.id.as_str())
                        && b.len() == stats.len()
                    {
                        base.push(b.clone());
                        cur.push(stats.clone());
                    }
                }
                let registry = &self.metrics;
                let direction = def.direction;
                let id = def.id.as_str();
                let worsening = move |b: &[f64], c: &[f64]| {
                    direction.worsening(registry.corpus_value(id, b), registry.corpus_value(id, c))
                };
                crate::stats::interval(
                    &Paired::Corpus {
                        baseline: &base,
                        current: &cur,
                        worsening: &worsening,
                    },
                    allowed,
                    settings,
                )
            }
            Some(Resampling::NotResamplable) | None => {
                return Err(failed(format!(
                    "`{}` cannot be recomputed on resampled items",
                    def.id
                )));
            }
            Some(resampling) => {
                let baseline_items = input.baseline_items.clone().unwrap_or_default();
                let mut differences: Vec<f64> = input
                    .items
                    .iter()
                    .filter_map(|(id, v)| {
                        let c = (*v)?;
                        let b = baseline_items.get(id)?;
                        Some(def.direction.worsening(*b, c))
                    })
                    .collect();
                // A sum over outputs moves by the output count (items × samples) times the mean
                // difference of the items' per-sample means.
                if resampling == Resampling::SumOfItems {
                    let outputs = (differences.len() * n_samples) as f64;
                    differences.iter_mut().for_each(|d| *d *= outputs);
                }
                crate::stats::interval(&Paired::Differences(&differences), allowed, settings)
            }
        };
        let interval = interval.map_err(|e| failed(e.to_string()))?;
        Ok(crate::checks::PairedTest::new(
            &interval,
            def.direction,
            allowed,
            n_samples,
        ))
    }

    /// Whether the baseline of another tier's evaluation was made with the current configuration.
    fn judge_stale(&self, spec: &TrialSpec, tiers: &[String], line: u32) -> CheckResult {
        let check = Check {
            line: Some(line),
            ..Check::new(CheckKind::StaleBaseline, crate::results::Severity::Warn)
        };
        let mut record = self.new_record(spec, None, &check);
        let path =
            crate::baseline::snapshot_path(&self.suite.baselines_dir, &spec.dataset, &spec.system);
        let shown = self.suite.display_path(&path);
        let tier_list = tiers
            .iter()
            .map(|t| format!("`{t}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let current = match self.system(&spec.system) {
            Ok(system) => crate::evaluation::recorded_config(
                system.as_ref(),
                self.suite.systems[&spec.system].samples,
            ),
            Err(message) => {
                record.status = CheckStatus::Failed;
                record.message = message;
                return record;
            }
        };
        let refresh = format!(
            "refresh it with `cargo test --test benchmarks -- --include-ignored {}::{}::{}` and \
             `cargo insta accept`",
            tiers[0], spec.dataset, spec.system
        );
        match crate::baseline::read(&path) {
            Err(e) => {
                record.status = CheckStatus::Warned;
                record.message = format!("the baseline of tier {tier_list} cannot be read: {e}");
            }
            Ok(None) => {
                record.status = CheckStatus::Ignored;
                record.message = format!(
                    "tier {tier_list} has no baseline {shown} yet; {}",
                    refresh.replace("refresh it", "make it")
                );
            }
            Ok(Some(crate::baseline::Loaded::OlderFormat)) => {
                record.status = CheckStatus::Warned;
                record.message = format!(
                    "the baseline {shown} of tier {tier_list} was written by another evalgate version; \
                     {refresh}"
                );
            }
            Ok(Some(crate::baseline::Loaded::Current(b))) => {
                let changes = crate::systems::changes::describe(&b.body.system_config, &current);
                record.file = shown.clone();
                if changes.is_empty() {
                    record.message = format!(
                        "the baseline {shown} of tier {tier_list} was made with the current \
                         configuration of system {}",
                        spec.system
                    );
                } else {
                    record.status = CheckStatus::Warned;
                    record.message = format!(
                        "the baseline {shown} of tier {tier_list} was made with an older \
                         configuration of system {} ({}); {refresh}",
                        spec.system,
                        changes.join(", ")
                    );
                }
            }
        }
        record
    }
}

/// `current − baseline` of the dataset values.
fn values_delta(input: &CheckInput<'_>, baseline: f64) -> f64 {
    input.value - baseline
}

/// Where a trial's record goes in the results.
fn place_of(spec: &TrialSpec) -> RecordPlace {
    match spec.subject {
        Subject::StaleBaseline { .. } => RecordPlace::Other,
        Subject::Metric { .. } => RecordPlace::Evaluation {
            dataset: spec.dataset.clone(),
            system: spec.system.clone(),
        },
    }
}

/// A per-item trial of an item check: this item against the bound, and the count of all items
/// beyond it against the allowance.
fn judge_one_item(
    spec: &TrialSpec,
    check: &Check,
    input: &CheckInput<'_>,
    item: &str,
    mut record: CheckResult,
) -> CheckResult {
    let def = input.def;
    record.item = Some(item.to_string());
    let verdict = evaluate_items(check, input);
    let side = if check.kind == CheckKind::ItemMax {
        ("above the maximum", "≤")
    } else {
        ("below the minimum", "≥")
    };
    let bound = fmt(check.threshold.unwrap_or(f64::NAN));
    if verdict.applicable == 0 {
        // The metric applies to no item at all: every per-item trial says so and fails.
        record.status = CheckStatus::Failed;
        record.message = verdict.message;
        return locate(spec, record);
    }
    match input.items.iter().find(|(id, _)| *id == item) {
        None => {
            record.status = CheckStatus::Failed;
            record.message = format!("item `{item}` is no longer in the dataset");
        }
        Some((_, None)) => {
            record.status = CheckStatus::Ignored;
            record.message = format!("{} does not apply to item `{item}`", def.id);
        }
        Some((_, Some(value))) => {
            record.value = Some(*value);
            if !beyond_item_bound(check, *value) {
                record.message = format!(
                    "item `{item}`: {} = {} {} {bound}",
                    def.id,
                    fmt(*value),
                    side.1
                );
            } else {
                let count = format!(
                    "{} of {} items are beyond the bound, {} allowed",
                    verdict.failing.len(),
                    verdict.applicable,
                    verdict.allowed
                );
                let what = format!(
                    "item `{item}`: {} = {} is {} {bound}",
                    def.id,
                    fmt(*value),
                    side.0
                );
                if verdict.failing.len() <= verdict.allowed {
                    record.status = CheckStatus::Warned;
                    record.message = format!("{what}; within the allowance ({count})");
                } else {
                    record.status = verdict.status;
                    record.message = format!("{what}; {count}");
                }
            }
        }
    }
    locate(spec, record)
}

/// Appends the trial name and the file to look at to a failing or warning message.
fn locate(spec: &TrialSpec, mut record: CheckResult) -> CheckResult {
    if record.status != CheckStatus::Passed {
        let location = match record.line {
            Some(l) => format!("{}:{l}", record.file),
            None => record.file.clone(),
        };
        record.message = format!("{} [{}; see {location}]", record.message, spec.name);
    }
    record
}

/// libtest's view of a record: failed, ignored with the reason (warnings start `warning:`), or
/// passed.
fn answer(record: &CheckResult) -> Answer {
    match record.status {
        CheckStatus::Passed => Ok(Completion::Completed),
        CheckStatus::Failed => Err(Failed::from(record.message.clone())),
        CheckStatus::Warned => Ok(Completion::ignored_with(format!(
            "warning: {}",
            record.message
        ))),
        // The message starts `inconclusive:`; it is a warning like the others.
        CheckStatus::Inconclusive => Ok(Completion::ignored_with(format!(
            "warning: {}",
            record.message
        ))),
        CheckStatus::Ignored => Ok(Completion::ignored_with(record.message.clone())),
    }
}

/// How many worst items of a vs-baseline trial get a word diff of their outputs.
const DIFFED_ITEMS: usize = 3;

/// For a vs-baseline trial that failed, warned or was inconclusive: the word diff of the
/// baseline's prediction → the current one ([`crate::diff::word_diff`]) of its first
/// [`DIFFED_ITEMS`] worst items, in `worst_items[].diff` (made inert, as outside text) and at the
/// end of the message (`; output diffs (baseline → current): ep03: … | ep05: …`). Items whose
/// prediction the baseline does not keep, or whose words did not change, get none.
fn add_diffs(record: &mut CheckResult, evaluation: &Evaluation) {
    if !matches!(
        record.status,
        CheckStatus::Failed | CheckStatus::Warned | CheckStatus::Inconclusive
    ) {
        return;
    }
    let Some(baseline) = evaluation.baseline.baseline.as_ref() else {
        return;
    };
    let predictions = &baseline.body.predictions;
    if predictions.is_empty() {
        return;
    }
    let mut shown = Vec::new();
    for item in record.worst_items.iter_mut().take(DIFFED_ITEMS) {
        let Some(old) = predictions.get(&item.id) else {
            continue;
        };
        let Some(new) = evaluation
            .dataset
            .items
            .iter()
            .position(|i| i.id == item.id)
            .and_then(|n| evaluation.generations.get(n))
            .and_then(|g| g.first())
        else {
            continue;
        };
        if let Some(diff) = crate::diff::word_diff(old, &new.output) {
            let diff = crate::outside::inert(&diff).into_owned();
            shown.push(format!("{}: {diff}", item.id));
            item.diff = Some(diff);
        }
    }
    if !shown.is_empty() {
        record.message.push_str(&format!(
            "; output diffs (baseline → current): {}",
            shown.join(" | ")
        ));
    }
}

/// Names, in the message of a failed or warning trial of a pass/fail gate, the items whose
/// samples the gate judged differently: `flaky: ep03 (2 of 5 samples pass)` (for a per-item
/// trial, only its item).
fn add_flaky(record: &mut CheckResult, evaluation: &Evaluation, item: Option<&str>) {
    if !matches!(record.status, CheckStatus::Failed | CheckStatus::Warned) {
        return;
    }
    let flaky: Vec<String> = evaluation
        .flaky
        .iter()
        .filter(|f| f.metric == record.metric && item.is_none_or(|i| i == f.id))
        .map(ToString::to_string)
        .collect();
    if flaky.is_empty() {
        return;
    }
    const SHOWN: usize = 10;
    let mut shown: Vec<String> = flaky.iter().take(SHOWN).cloned().collect();
    if flaky.len() > SHOWN {
        shown.push(format!("and {} more", flaky.len() - SHOWN));
    }
    let note = format!("; flaky: {}", shown.join(", "));
    // Before the location `locate` appended, when it did.
    match record.message.rfind(&format!(" [{}; see ", record.trial)) {
        Some(at) => record.message.insert_str(at, &note),
        None => record.message.push_str(&note),
    }
}

//! Report sections shared by the PR comment and the job summary: the headline counts, one
//! comparison table per dataset × system, and the list of failed and warning checks.

use std::collections::BTreeSet;

use crate::metrics::Direction;
use crate::report::markdown::{code, number, percent_change, signed, text};
use crate::results::{
    BaselineStatus, CheckKind, CheckResult, CheckStatus, EvaluationResults, RunResults,
};

/// Tables with more rows than this fold their unchanged rows into `<details>`.
pub const FOLD_ROWS_ABOVE: usize = 8;

/// Worst items listed per check.
const WORST_ITEMS_SHOWN: usize = 5;

/// Flaky items listed per dataset × system.
const FLAKY_ITEMS_SHOWN: usize = 20;

/// Items beyond the bound listed per item check.
const FAILING_ITEMS_SHOWN: usize = 30;

/// Counts the headline is made of.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Checks that passed.
    pub passed: usize,
    /// Error-level regressions (failed trials).
    pub failed: usize,
    /// Warning-level regressions.
    pub warned: usize,
    /// Vs-baseline checks whose paired test could not tell (warnings that name an interval).
    pub inconclusive: usize,
    /// Checks not evaluated (no baseline yet, ...).
    pub ignored: usize,
    /// Evaluations that could not be computed and have no failed check of their own.
    pub broken_evaluations: usize,
}

impl Counts {
    /// Counts over every check of the run (the stored summary is not trusted).
    pub fn of(results: &RunResults) -> Self {
        let mut c = Counts::default();
        for check in &results.other_checks {
            c.add(check.status);
        }
        for evaluation in &results.evaluations {
            let mut evaluation_failed = false;
            for check in &evaluation.checks {
                c.add(check.status);
                evaluation_failed |= check.status == CheckStatus::Failed;
            }
            if evaluation.error.is_some() && !evaluation_failed {
                c.broken_evaluations += 1;
            }
        }
        c
    }

    fn add(&mut self, status: CheckStatus) {
        match status {
            CheckStatus::Passed => self.passed += 1,
            CheckStatus::Failed => self.failed += 1,
            CheckStatus::Warned => self.warned += 1,
            CheckStatus::Inconclusive => self.inconclusive += 1,
            CheckStatus::Ignored => self.ignored += 1,
        }
    }

    /// True when nothing fails the gate.
    pub fn gate_passes(&self) -> bool {
        self.failed == 0 && self.broken_evaluations == 0
    }
}

/// `1 regression`, `2 regressions`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The one-line verdict: all clear, N regressions, M warnings.
pub fn headline(counts: &Counts) -> String {
    let not_checked = if counts.ignored > 0 {
        format!(", {} not checked (no baseline yet)", counts.ignored)
    } else {
        String::new()
    };
    if !counts.gate_passes() {
        let mut parts = Vec::new();
        if counts.failed > 0 {
            parts.push(plural(counts.failed, "regression", "regressions"));
        }
        if counts.broken_evaluations > 0 {
            parts.push(plural(
                counts.broken_evaluations,
                "dataset × system not computed",
                "evaluations (dataset × system) not computed",
            ));
        }
        let warnings = match (counts.warned, counts.inconclusive) {
            (0, 0) => String::new(),
            (w, 0) => format!(" and {}", plural(w, "warning", "warnings")),
            (0, i) => format!(" and {i} inconclusive"),
            (w, i) => format!(
                ", {} and {i} inconclusive",
                plural(w, "warning", "warnings")
            ),
        };
        format!(
            "❌ **evalgate: {}**{warnings} — the benchmark gate fails; see *What failed and why*.",
            parts.join(", ")
        )
    } else if counts.passed + counts.warned + counts.inconclusive + counts.ignored == 0 {
        "⚪ **evalgate: no checks ran** — the results hold no trial; check the tier filter and \
         that the benchmarks ran."
            .to_string()
    } else if counts.warned + counts.inconclusive > 0 {
        let mut parts = Vec::new();
        if counts.warned > 0 {
            parts.push(plural(counts.warned, "warning", "warnings"));
        }
        if counts.inconclusive > 0 {
            parts.push(format!("{} inconclusive", counts.inconclusive));
        }
        format!(
            "⚠️ **evalgate: {}**, no regressions — the gate passes; review the warnings below{not_checked}.",
            parts.join(", ")
        )
    } else {
        format!(
            "✅ **evalgate: all clear** — {} passed{not_checked}.",
            plural(counts.passed, "check", "checks")
        )
    }
}

/// A one-line count table.
pub fn counts_table(counts: &Counts) -> String {
    format!(
        "| passed | ❌ regressions | ⚠️ warnings | ❔ inconclusive | not checked |\n| ---: | ---: | ---: | ---: | ---: |\n| {} | {} | {} | {} | {} |\n",
        counts.passed, counts.failed, counts.warned, counts.inconclusive, counts.ignored
    )
}

/// The tiers the run's checks belong to, comma-separated and escaped (`smoke`).
pub fn tiers(results: &RunResults) -> String {
    let tiers: BTreeSet<&str> = results.all_checks().map(|c| c.tier.as_str()).collect();
    if tiers.is_empty() {
        "no".to_string()
    } else {
        tiers.into_iter().map(code).collect::<Vec<_>>().join(", ")
    }
}

/// How a metric row compares with its baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RowMark {
    /// An error-level check on the metric failed.
    Regression,
    /// A warning-level check on the metric warned.
    Warning,
    /// The paired test of the metric's vs-baseline check could not tell.
    Inconclusive,
    /// Worse than the baseline, within tolerance.
    Worse,
    /// Better than the baseline.
    Better,
    /// No baseline value to compare with.
    NoBaseline,
    /// In the baseline but not computed in this run.
    NotComputed,
    /// Same value as the baseline.
    Unchanged,
}

impl RowMark {
    fn label(self) -> &'static str {
        match self {
            RowMark::Regression => "❌ **regression**",
            RowMark::Warning => "⚠️ **warning**",
            RowMark::Inconclusive => "❔ **inconclusive**",
            RowMark::Worse => "worse, within tolerance",
            RowMark::Better => "better",
            RowMark::NoBaseline => "🆕 no baseline",
            RowMark::NotComputed => "not computed",
            RowMark::Unchanged => "unchanged",
        }
    }

    /// The mark as plain words, for the console (`regression`, `no baseline`, ...).
    pub fn plain(self) -> &'static str {
        match self {
            RowMark::Regression => "regression",
            RowMark::Warning => "warning",
            RowMark::Inconclusive => "inconclusive",
            RowMark::Worse => "worse, within tolerance",
            RowMark::Better => "better",
            RowMark::NoBaseline => "no baseline",
            RowMark::NotComputed => "not computed",
            RowMark::Unchanged => "unchanged",
        }
    }
}

/// One table row.
#[derive(Debug, Clone)]
pub struct MetricRow {
    /// Metric id (raw).
    pub metric: String,
    /// Which way is better, when known.
    pub direction: Option<Direction>,
    /// Baseline value.
    pub baseline: Option<f64>,
    /// This run's value.
    pub current: Option<f64>,
    /// Verdict.
    pub mark: RowMark,
    /// Δ's confidence interval, when the vs-baseline check ran a paired test.
    pub delta_interval: Option<String>,
}

/// The rows of an evaluation: every metric computed or in the baseline, in id order.
pub fn metric_rows(evaluation: &EvaluationResults) -> Vec<MetricRow> {
    let baseline_usable = evaluation.baseline.status == BaselineStatus::Present;
    let ids: BTreeSet<&String> = evaluation
        .metrics
        .keys()
        .chain(evaluation.baseline.metrics.keys())
        .chain(evaluation.checks.iter().map(|c| &c.metric))
        .collect();
    ids.into_iter()
        .map(|id| {
            let checks: Vec<&CheckResult> = evaluation
                .checks
                .iter()
                .filter(|c| &c.metric == id)
                .collect();
            let metric = evaluation.metrics.get(id);
            let current = metric
                .map(|m| m.value)
                .or_else(|| checks.iter().find_map(|c| c.value));
            let direction = metric
                .map(|m| m.direction)
                .or_else(|| checks.iter().find_map(|c| c.direction));
            let baseline = if baseline_usable {
                evaluation
                    .baseline
                    .metrics
                    .get(id)
                    .copied()
                    .or_else(|| checks.iter().find_map(|c| c.baseline))
            } else {
                None
            };
            // A metric without a value was not computed, whatever its checks say about that.
            let mark = if current.is_none() {
                RowMark::NotComputed
            } else if checks.iter().any(|c| c.status == CheckStatus::Failed) {
                RowMark::Regression
            } else if checks.iter().any(|c| c.status == CheckStatus::Warned) {
                RowMark::Warning
            } else if checks.iter().any(|c| c.status == CheckStatus::Inconclusive) {
                RowMark::Inconclusive
            } else {
                match (baseline, current, direction) {
                    (_, None, _) => RowMark::NotComputed,
                    (None, Some(_), _) => RowMark::NoBaseline,
                    (Some(b), Some(c), dir) => {
                        if is_unchanged(b, c) {
                            RowMark::Unchanged
                        } else {
                            let worsening =
                                dir.unwrap_or(Direction::HigherIsBetter).worsening(b, c);
                            if worsening > 0.0 {
                                RowMark::Worse
                            } else {
                                RowMark::Better
                            }
                        }
                    }
                }
            };
            let delta_interval = checks
                .iter()
                .find_map(|c| c.test.as_ref())
                .map(|t| t.interval_text());
            MetricRow {
                metric: id.clone(),
                direction,
                baseline,
                current,
                mark,
                delta_interval,
            }
        })
        .collect()
}

fn is_unchanged(baseline: f64, current: f64) -> bool {
    (current - baseline).abs() <= 1e-12 * baseline.abs().max(1.0)
}

fn row_line(row: &MetricRow) -> String {
    let arrow = match row.direction {
        Some(Direction::HigherIsBetter) => " ↑",
        Some(Direction::LowerIsBetter) => " ↓",
        None => "",
    };
    let value = |v: Option<f64>| v.map(number).unwrap_or_else(|| "—".to_string());
    let delta = match (row.baseline, row.current) {
        (Some(b), Some(c)) => {
            let d = c - b;
            match percent_change(d, b) {
                Some(p) if !is_unchanged(b, c) => format!("{} ({p})", signed(d)),
                _ => signed(d),
            }
        }
        _ => "—".to_string(),
    };
    let delta = match &row.delta_interval {
        Some(interval) if row.baseline.is_some() => format!("{delta} {interval}"),
        _ => delta,
    };
    format!(
        "| {}{arrow} | {} | {} | {delta} | {} |\n",
        text(&row.metric),
        value(row.baseline),
        value(row.current),
        row.mark.label()
    )
}

fn table(rows: &[&MetricRow], current_label: &str) -> String {
    let mut out = format!(
        "| metric | baseline | {current_label} | Δ | |\n| --- | ---: | ---: | ---: | --- |\n"
    );
    for row in rows {
        out.push_str(&row_line(row));
    }
    out
}

/// The section for one dataset × system: heading, baseline state, and the comparison table
/// (`current_label` names the current column, e.g. `this PR`). Unchanged rows fold into
/// `<details>` when the table has more than [`FOLD_ROWS_ABOVE`] rows.
pub fn evaluation_section(evaluation: &EvaluationResults, current_label: &str) -> String {
    let rows = metric_rows(evaluation);
    let failed = evaluation
        .checks
        .iter()
        .any(|c| c.status == CheckStatus::Failed)
        || evaluation.error.is_some();
    let warned = evaluation
        .checks
        .iter()
        .any(|c| matches!(c.status, CheckStatus::Warned | CheckStatus::Inconclusive));
    let icon = if failed {
        "❌"
    } else if warned {
        "⚠️"
    } else {
        "✅"
    };
    let mut out = format!(
        "### {icon} {} · {}\n\n",
        text(&evaluation.dataset),
        text(&evaluation.system)
    );
    if let Some(error) = &evaluation.error {
        out.push_str(&format!(
            "**Could not be computed:** {}\n\n",
            crate::report::markdown::text_limited(error, 1000)
        ));
    }
    match evaluation.baseline.status {
        // The error above says why; the baseline is there and was not looked at.
        BaselineStatus::Present | BaselineStatus::NotCompared => {}
        BaselineStatus::Missing => out.push_str(&format!(
            "🆕 No baseline yet ({}): these numbers are not compared; see *How to promote*.\n\n",
            code(&evaluation.baseline.file)
        )),
        BaselineStatus::FingerprintMismatch => out.push_str(&format!(
            "⚠️ The baseline {} measured something else (other data, items, references, metric \
             definitions or metric settings), so its numbers are not compared; promote a new \
             baseline.\n\n",
            code(&evaluation.baseline.file)
        )),
    }
    let system_changed = !evaluation.baseline.system_changes.is_empty();
    if system_changed {
        let changes: Vec<String> = evaluation
            .baseline
            .system_changes
            .iter()
            .map(|c| code(c))
            .collect();
        out.push_str(&format!(
            "🔧 **System {} changed since the baseline:** {}. The values below compare {current_label} \
             with the baseline made before the change; if the change is intended, promote the \
             pending baseline with it.\n\n",
            code(&evaluation.system),
            changes.join(", ")
        ));
    }
    if evaluation.samples > 1 {
        out.push_str(&format!(
            "🎲 {} samples per item: each item's value is the mean over its samples.\n\n",
            evaluation.samples
        ));
    }
    if !evaluation.flaky_items.is_empty() {
        let shown: Vec<String> = evaluation
            .flaky_items
            .iter()
            .take(FLAKY_ITEMS_SHOWN)
            .map(|f| {
                format!(
                    "{} {} ({} of {} samples pass)",
                    code(&f.id),
                    text(&f.metric),
                    f.passed_samples,
                    f.samples
                )
            })
            .collect();
        let more = evaluation
            .flaky_items
            .len()
            .saturating_sub(FLAKY_ITEMS_SHOWN);
        let more = if more > 0 {
            format!(", and {more} more in results.json")
        } else {
            String::new()
        };
        out.push_str(&format!(
            "**Flaky items** (a gate's verdict differs between samples): {}{more}.\n\n",
            shown.join(", ")
        ));
    }
    if rows.is_empty() {
        out.push_str("_No metrics computed._\n");
        return out;
    }
    // A changed system shows every metric: the reader wants the whole comparison.
    let (shown, folded): (Vec<&MetricRow>, Vec<&MetricRow>) =
        if rows.len() > FOLD_ROWS_ABOVE && !system_changed {
            rows.iter().partition(|r| r.mark != RowMark::Unchanged)
        } else {
            (rows.iter().collect(), Vec::new())
        };
    if !shown.is_empty() {
        out.push_str(&table(&shown, current_label));
    }
    if !folded.is_empty() {
        if !shown.is_empty() {
            out.push('\n');
        }
        out.push_str(&format!(
            "<details><summary>{} unchanged</summary>\n\n{}\n</details>\n",
            plural(folded.len(), "metric", "metrics"),
            table(&folded, current_label)
        ));
    }
    out
}

/// What a check's bound is, in words.
fn threshold_words(check: &CheckResult) -> Option<String> {
    let t = check.threshold;
    let direction = check.direction.map_or("", |d| d.label());
    match check.kind {
        CheckKind::Pricing => Some("the model must have a price in the pricing table".into()),
        CheckKind::Min => t.map(|t| format!("must be at least {}", number(t))),
        CheckKind::Max => t.map(|t| format!("must be at most {}", number(t))),
        CheckKind::ItemMin => t.map(|t| format!("every item must be at least {}", number(t))),
        CheckKind::ItemMax => t.map(|t| format!("every item must be at most {}", number(t))),
        CheckKind::Computed => Some("the metric must compute".into()),
        CheckKind::StaleBaseline => Some(
            "the baselines of other tiers must be made with the system's current configuration"
                .into(),
        ),
        CheckKind::VsBaseline => match (t, check.threshold_pct) {
            (Some(t), Some(p)) => Some(format!(
                "may worsen by at most {} ({}%) versus the baseline ({})",
                number(t),
                number(p),
                direction
            )),
            (Some(t), None) => Some(format!(
                "may worsen by at most {} versus the baseline ({})",
                number(t),
                direction
            )),
            (None, Some(p)) => Some(format!(
                "may worsen by at most {}% versus the baseline ({})",
                number(p),
                direction
            )),
            (None, None) => None,
        },
    }
}

/// One list entry for a failed or warning check: trial, message, numbers, threshold, worst
/// items and the file it is annotated on.
pub fn check_entry(check: &CheckResult) -> String {
    let icon = match check.status {
        CheckStatus::Failed => "❌",
        CheckStatus::Warned => "⚠️",
        CheckStatus::Inconclusive => "❔",
        _ => "•",
    };
    let mut out = format!(
        "- {icon} {} — {}\n",
        code(&check.trial),
        crate::report::markdown::text_limited(&check.message, 1000)
    );
    match (check.value, check.baseline) {
        (Some(v), Some(b)) => {
            let d = check.delta.unwrap_or(v - b);
            let pct = percent_change(d, b)
                .map(|p| format!(" ({p})"))
                .unwrap_or_default();
            out.push_str(&format!(
                "  - value {} vs baseline {}: Δ {}{pct}\n",
                number(v),
                number(b),
                signed(d)
            ));
        }
        (Some(v), None) => out.push_str(&format!("  - value {}\n", number(v))),
        _ => {}
    }
    if let Some(words) = threshold_words(check) {
        out.push_str(&format!("  - threshold: {words}\n"));
    }
    if let Some(t) = &check.test {
        out.push_str(&format!(
            "  - {}; allowed worsening {}; minimum detectable effect {}\n",
            t.describe(),
            number(t.allowed_worsening),
            number(t.mde)
        ));
    }
    let item = |i: &crate::results::ItemValue| match i.baseline {
        Some(b) if number(b) != number(i.value) => {
            format!("{} ({} → {})", code(&i.id), number(b), number(i.value))
        }
        _ => format!("{} ({})", code(&i.id), number(i.value)),
    };
    if !check.failing_items.is_empty() {
        let mut items: Vec<String> = check
            .failing_items
            .iter()
            .take(FAILING_ITEMS_SHOWN)
            .map(item)
            .collect();
        if check.failing_items.len() > FAILING_ITEMS_SHOWN {
            items.push(format!(
                "and {} more",
                check.failing_items.len() - FAILING_ITEMS_SHOWN
            ));
        }
        out.push_str(&format!(
            "  - items beyond the bound ({}): {}\n",
            check.failing_items.len(),
            items.join(", ")
        ));
    } else if !check.worst_items.is_empty() {
        let items: Vec<String> = check
            .worst_items
            .iter()
            .take(WORST_ITEMS_SHOWN)
            .map(item)
            .collect();
        out.push_str(&format!("  - worst items: {}\n", items.join(", ")));
    }
    if !check.file.is_empty() {
        let location = match check.line {
            Some(line) => format!("{}:{line}", check.file),
            None => check.file.clone(),
        };
        out.push_str(&format!("  - see {}\n", code(&location)));
    }
    out
}

/// Most generation warnings listed per dataset × system.
const GENERATION_WARNINGS_SHOWN: usize = 10;

/// The problems met while producing outputs (cache entries repaired or not written, waits on
/// other runs' locks, retried HTTP calls), per dataset × system; empty when there were none.
pub fn generation_warnings(results: &RunResults) -> String {
    let mut out = String::new();
    for evaluation in &results.evaluations {
        let Some(generation) = &evaluation.generation else {
            continue;
        };
        if generation.warnings.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "- {} · {}: {}\n",
            text(&evaluation.dataset),
            text(&evaluation.system),
            plural(generation.warnings.len(), "warning", "warnings")
        ));
        for warning in generation.warnings.iter().take(GENERATION_WARNINGS_SHOWN) {
            out.push_str(&format!(
                "  - {}\n",
                crate::report::markdown::text_limited(warning, 500)
            ));
        }
        if generation.warnings.len() > GENERATION_WARNINGS_SHOWN {
            out.push_str(&format!(
                "  - … and {} more in results.json\n",
                generation.warnings.len() - GENERATION_WARNINGS_SHOWN
            ));
        }
    }
    if out.is_empty() {
        out
    } else {
        format!("## Generation warnings\n\n{out}")
    }
}

/// Checks with the given status, in trial order.
pub fn checks_with(results: &RunResults, status: CheckStatus) -> Vec<&CheckResult> {
    let mut checks: Vec<&CheckResult> = results
        .all_checks()
        .filter(|c| c.status == status)
        .collect();
    checks.sort_by(|a, b| a.trial.cmp(&b.trial));
    checks
}

/// Evaluations sorted by dataset, then system; failing evaluations first, then warning ones.
pub fn evaluations_in_report_order(results: &RunResults) -> Vec<&EvaluationResults> {
    let rank = |p: &EvaluationResults| {
        if p.error.is_some() || p.checks.iter().any(|c| c.status == CheckStatus::Failed) {
            0
        } else if p
            .checks
            .iter()
            .any(|c| matches!(c.status, CheckStatus::Warned | CheckStatus::Inconclusive))
        {
            1
        } else {
            2
        }
    };
    let mut evaluations: Vec<&EvaluationResults> = results.evaluations.iter().collect();
    evaluations
        .sort_by(|a, b| (rank(a), &a.dataset, &a.system).cmp(&(rank(b), &b.dataset, &b.system)));
    evaluations
}

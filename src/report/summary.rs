//! The job summary (`$GITHUB_STEP_SUMMARY`) of a run: verdict, run facts, per dataset × system
//! tables and the failing and warning checks; with the run history, a text sparkline per failing
//! metric.

use crate::history::HistoryRecord;
use crate::report::chart;
use crate::report::markdown::{BoundedDocument, code, number};
use crate::report::sections::{
    Counts, check_entry, checks_with, counts_table, evaluation_section,
    evaluations_in_report_order, generation_warnings, headline, tiers,
};
use crate::results::{CheckStatus, RunResults};

/// GitHub accepts up to 1 MiB of job summary per step; 250,000 UTF-16 units stay below that
/// even when every character takes four bytes.
pub const MAX_SUMMARY_UNITS: usize = 250_000;

/// Runs shown in a failing metric's sparkline.
pub const SPARKLINE_RUNS: usize = 20;

/// Renders the job summary Markdown for a run.
pub fn render(results: &RunResults) -> String {
    render_inner(results, None)
}

/// [`render`], plus a *Trends of failing metrics* section from the run history: for each
/// failing metric (dataset × system × metric with a failed trial), a text sparkline of its last
/// [`SPARKLINE_RUNS`] values (the history's, then this run's unless the history already ends
/// with it), since a job summary cannot show SVG charts.
pub fn render_with_history(results: &RunResults, history: &[HistoryRecord]) -> String {
    render_inner(results, Some(history))
}

/// The trend lines of the failing metrics, one Markdown list item each.
fn failing_trends(results: &RunResults, history: &[HistoryRecord]) -> Vec<String> {
    let recorded = history
        .last()
        .is_some_and(|r| r.started_at == results.run.started_at);
    let mut lines = Vec::new();
    let mut seen = Vec::new();
    for evaluation in &results.evaluations {
        for check in &evaluation.checks {
            if check.status != CheckStatus::Failed
                || !evaluation.metrics.contains_key(&check.metric)
            {
                continue;
            }
            let key = (&evaluation.dataset, &evaluation.system, &check.metric);
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            let mut values: Vec<f64> = chart::trend_series(
                history,
                Some(&check.metric),
                Some((&evaluation.dataset, &evaluation.system)),
            )
            .first()
            .map(|s| s.points.iter().map(|p| p.value).collect())
            .unwrap_or_default();
            if !recorded {
                values.push(evaluation.metrics[&check.metric].value);
            }
            let shown = &values[values.len().saturating_sub(SPARKLINE_RUNS)..];
            let first = shown.first().copied().unwrap_or(f64::NAN);
            let last = shown.last().copied().unwrap_or(f64::NAN);
            lines.push(format!(
                "- {} on {} × {}: `{}` {} → {} (last {} runs)\n",
                code(&check.metric),
                code(&evaluation.dataset),
                code(&evaluation.system),
                chart::sparkline(shown, SPARKLINE_RUNS),
                number(first),
                number(last),
                shown.len()
            ));
        }
    }
    lines
}

fn render_inner(results: &RunResults, history: Option<&[HistoryRecord]>) -> String {
    let counts = Counts::of(results);
    let run = &results.run;
    let mut head = format!("## evalgate\n\n{}\n\n", headline(&counts));
    head.push_str("| | |\n| --- | --- |\n");
    head.push_str(&format!("| tiers | {} |\n", tiers(results)));
    if let Some(commit) = &run.git_commit {
        head.push_str(&format!("| commit | {} |\n", code(commit)));
    }
    head.push_str(&format!(
        "| configuration | {} ({}) |\n",
        code(&run.config_path),
        code(&run.config_hash)
    ));
    head.push_str(&format!(
        "| started / finished | {} / {} |\n",
        code(&run.started_at),
        code(&run.finished_at)
    ));
    head.push_str(&format!(
        "| evalgate | {} |\n| evaluations (dataset × system) | {} |\n\n",
        code(&run.evalgate_version),
        results.evaluations.len()
    ));
    head.push_str(&counts_table(&counts));
    head.push_str("\n↑ higher is better, ↓ lower is better.\n\n");

    let mut doc = BoundedDocument::new(head);
    let failed = checks_with(results, CheckStatus::Failed);
    if !failed.is_empty() {
        doc.push("### What failed and why\n".to_string());
        for check in failed {
            doc.push(check_entry(check));
        }
    }
    if let Some(history) = history {
        let trends = failing_trends(results, history);
        if !trends.is_empty() {
            doc.push(format!(
                "### Trends of failing metrics\n\n{}",
                trends.concat()
            ));
        }
    }
    let warned = checks_with(results, CheckStatus::Warned);
    if !warned.is_empty() {
        doc.push("### Warnings\n".to_string());
        for check in warned {
            doc.push(check_entry(check));
        }
    }
    let inconclusive = checks_with(results, CheckStatus::Inconclusive);
    if !inconclusive.is_empty() {
        doc.push("### Inconclusive\n".to_string());
        for check in inconclusive {
            doc.push(check_entry(check));
        }
    }
    let generation = generation_warnings(results);
    if !generation.is_empty() {
        doc.push(generation.replacen("## ", "### ", 1));
    }
    for evaluation in evaluations_in_report_order(results) {
        doc.push(evaluation_section(evaluation, "this run"));
    }
    doc.render(MAX_SUMMARY_UNITS, |omitted| {
        format!(
            "> ✂️ **Summary truncated:** {omitted} more section(s) left out; the merged \
             `results.json` artifact has everything."
        )
    })
}

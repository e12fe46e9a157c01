//! The table a benchmark run prints at its end: per dataset × system computed, each metric's
//! value, the baseline's, Δ with its direction and, when the vs-baseline check ran a paired
//! test, Δ's confidence interval, and a plain-word mark. Plain text within 100 columns, no
//! colours; the harness prints it on stderr, after libtest's summary (stdout is libtest's).

use std::fmt::Write as _;

use crate::metrics::Direction;
use crate::numbers::{fmt, fmt_signed};
use crate::report::sections::{Counts, MetricRow, metric_rows, plural};
use crate::results::{BaselineStatus, EvaluationResults, RunResults};

/// Longest error excerpt shown for an evaluation that could not be computed.
const ERROR_CHARS: usize = 160;

/// The end-of-run table; empty when the run computed no evaluation.
pub fn render(results: &RunResults) -> String {
    if results.evaluations.is_empty() {
        return String::new();
    }
    let counts = Counts::of(results);
    let mut parts = vec![plural(counts.passed, "check passed", "checks passed")];
    if counts.failed > 0 {
        parts.push(plural(counts.failed, "regression", "regressions"));
    }
    if counts.broken_evaluations > 0 {
        parts.push(format!("{} not computed", counts.broken_evaluations));
    }
    if counts.warned > 0 {
        parts.push(plural(counts.warned, "warning", "warnings"));
    }
    if counts.inconclusive > 0 {
        parts.push(format!("{} inconclusive", counts.inconclusive));
    }
    if counts.ignored > 0 {
        parts.push(format!("{} not checked", counts.ignored));
    }
    let mut out = format!("\nevalgate: {}\n", parts.join(", "));
    for evaluation in &results.evaluations {
        out.push('\n');
        out.push_str(&evaluation_table(evaluation));
    }
    crate::outside::inert(&out).into_owned()
}

fn evaluation_table(evaluation: &EvaluationResults) -> String {
    let mut out = format!("{} × {}", evaluation.dataset, evaluation.system);
    if evaluation.samples > 1 {
        let _ = write!(out, " ({} samples per item)", evaluation.samples);
    }
    match evaluation.baseline.status {
        BaselineStatus::Present | BaselineStatus::NotCompared => {}
        BaselineStatus::Missing => {
            let _ = write!(out, " — no baseline yet ({})", evaluation.baseline.file);
        }
        BaselineStatus::FingerprintMismatch => {
            let _ = write!(
                out,
                " — baseline measured something else, not compared ({})",
                evaluation.baseline.file
            );
        }
    }
    out.push('\n');
    if !evaluation.baseline.system_changes.is_empty() {
        let _ = writeln!(
            out,
            "  system changed since the baseline: {}",
            evaluation.baseline.system_changes.join(", ")
        );
    }
    if let Some(error) = &evaluation.error {
        let line = error.lines().next().unwrap_or_default();
        let mut shown: String = line.chars().take(ERROR_CHARS).collect();
        if shown.len() < line.len() || error.lines().nth(1).is_some() {
            shown.push_str(" …");
        }
        let _ = writeln!(
            out,
            "  could not be computed: {}",
            crate::outside::inert(&shown)
        );
    }
    let rows = metric_rows(evaluation);
    if rows.is_empty() {
        return out;
    }
    let header = ["metric", "value", "baseline", "Δ", ""];
    let cells: Vec<[String; 5]> = rows.iter().map(row_cells).collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    out.push_str(&line(&header.map(str::to_string), &widths));
    for row in &cells {
        out.push_str(&line(row, &widths));
    }
    out
}

/// metric with its arrow, value, baseline, Δ (with its interval), mark.
fn row_cells(row: &MetricRow) -> [String; 5] {
    let arrow = match row.direction {
        Some(Direction::HigherIsBetter) => " ↑",
        Some(Direction::LowerIsBetter) => " ↓",
        None => "",
    };
    let value = |v: Option<f64>| v.map(fmt).unwrap_or_else(|| "—".to_string());
    let delta = match (row.baseline, row.current) {
        (Some(b), Some(c)) => {
            let d = fmt_signed(c - b);
            match &row.delta_interval {
                Some(interval) => format!("{d} {interval}"),
                None => d,
            }
        }
        _ => "—".to_string(),
    };
    [
        format!("{}{arrow}", row.metric),
        value(row.current),
        value(row.baseline),
        delta,
        row.mark.plain().to_string(),
    ]
}

/// Left-aligned first and last columns, right-aligned numbers, two spaces apart.
fn line(cells: &[String; 5], widths: &[usize; 5]) -> String {
    let pad = |s: &str, w: usize| " ".repeat(w.saturating_sub(s.chars().count()));
    let mut out = String::from("  ");
    out.push_str(&cells[0]);
    out.push_str(&pad(&cells[0], widths[0]));
    for (cell, &width) in cells[1..4].iter().zip(&widths[1..4]) {
        out.push_str("  ");
        out.push_str(&pad(cell, width));
        out.push_str(cell);
    }
    out.push_str("  ");
    out.push_str(&cells[4]);
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

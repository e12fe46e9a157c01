//! Evaluating one check (min, max, or versus baseline) on a metric value, direction-aware.

use crate::config::Check;
use crate::metrics::{Direction, MetricDef};
use crate::results::{CheckKind, CheckStatus, ItemValue, Severity};

/// Float noise allowed before a bound counts as crossed.
const EPSILON: f64 = 1e-12;

/// How many worst items a message names.
pub const WORST_ITEMS: usize = 5;

/// The numbers a check is judged on.
#[derive(Debug, Clone)]
pub struct CheckInput<'a> {
    /// Metric definition.
    pub def: &'a MetricDef,
    /// Current dataset value.
    pub value: f64,
    /// Baseline dataset value (vs-baseline checks; `None` when there is no usable baseline).
    pub baseline: Option<f64>,
    /// Current per-item values with their ids.
    pub items: Vec<(&'a str, Option<f64>)>,
    /// Baseline per-item values by id (to rank items by how much they worsened).
    pub baseline_items: Option<std::collections::BTreeMap<&'a str, f64>>,
}

/// The verdict of one check.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Passed, failed (error regression), warned (warning regression).
    pub status: CheckStatus,
    /// `value - baseline`, for vs-baseline checks.
    pub delta: Option<f64>,
    /// Human-readable explanation.
    pub message: String,
    /// Worst items first.
    pub worst_items: Vec<ItemValue>,
}

/// Judges `input` against `check`. A vs-baseline check without a baseline value must not be
/// evaluated (the caller ignores that trial).
pub fn evaluate(check: &Check, input: &CheckInput<'_>) -> Verdict {
    let def = input.def;
    let value = input.value;
    let (regressed, delta, detail) = match check.kind {
        CheckKind::Min => {
            let bound = check.threshold.unwrap_or(f64::NEG_INFINITY);
            let short = bound - value;
            (
                value < bound - EPSILON,
                None,
                format!(
                    "{} = {} is below the minimum {} by {}",
                    def.id,
                    fmt(value),
                    fmt(bound),
                    fmt(short)
                ),
            )
        }
        CheckKind::Max => {
            let bound = check.threshold.unwrap_or(f64::INFINITY);
            (
                value > bound + EPSILON,
                None,
                format!(
                    "{} = {} is above the maximum {} by {}",
                    def.id,
                    fmt(value),
                    fmt(bound),
                    fmt(value - bound)
                ),
            )
        }
        // Pricing checks are judged by the harness, never here.
        CheckKind::Pricing => (false, None, String::new()),
        CheckKind::VsBaseline => {
            let baseline = input.baseline.unwrap_or(value);
            let worsening = def.direction.worsening(baseline, value);
            let allowed_abs = check.threshold;
            let allowed_pct = check.threshold_pct.map(|p| baseline.abs() * p / 100.0);
            let over_abs = allowed_abs.is_some_and(|a| worsening > a + EPSILON);
            let over_pct = allowed_pct.is_some_and(|a| worsening > a + EPSILON);
            let pct = if baseline != 0.0 {
                format!(" ({:+.2}%)", (value - baseline) / baseline.abs() * 100.0)
            } else {
                String::new()
            };
            let verb = if worsening > 0.0 {
                "worsened"
            } else {
                "changed"
            };
            (
                over_abs || over_pct,
                Some(value - baseline),
                format!(
                    "{} {verb} from {} (baseline) to {} (Δ {:+}{pct}); allowed worsening: {} \
                     ({})",
                    def.id,
                    fmt(baseline),
                    fmt(value),
                    fmt_signed(value - baseline),
                    allowed_text(check),
                    def.direction.label()
                ),
            )
        }
    };
    let status = match (regressed, check.severity) {
        (false, _) => CheckStatus::Passed,
        (true, Severity::Error) => CheckStatus::Failed,
        (true, Severity::Warn) => CheckStatus::Warned,
    };
    let worst_items = if regressed {
        worst_items(input)
    } else {
        Vec::new()
    };
    let message = if regressed {
        let mut m = detail;
        if !worst_items.is_empty() {
            let list: Vec<String> = worst_items
                .iter()
                .map(|i| format!("{} = {}", i.id, fmt(i.value)))
                .collect();
            m.push_str(&format!("; worst items: {}", list.join(", ")));
        }
        m
    } else {
        match check.kind {
            CheckKind::VsBaseline | CheckKind::Pricing => detail,
            CheckKind::Min => format!(
                "{} = {} ≥ minimum {}",
                def.id,
                fmt(value),
                fmt(check.threshold.unwrap_or(0.0))
            ),
            CheckKind::Max => format!(
                "{} = {} ≤ maximum {}",
                def.id,
                fmt(value),
                fmt(check.threshold.unwrap_or(0.0))
            ),
        }
    };
    Verdict {
        status,
        delta,
        message,
        worst_items,
    }
}

fn allowed_text(check: &Check) -> String {
    match (check.threshold, check.threshold_pct) {
        (Some(a), Some(p)) => format!(
            "{} absolute or {}% of the baseline, whichever is hit first",
            fmt(a),
            p
        ),
        (Some(a), None) => format!("{} absolute", fmt(a)),
        (None, Some(p)) => format!("{p}% of the baseline"),
        (None, None) => "none".to_string(),
    }
}

/// Items ordered worst first: by how much each worsened against its baseline value when known,
/// otherwise by value in the metric's bad direction.
fn worst_items(input: &CheckInput<'_>) -> Vec<ItemValue> {
    let dir = input.def.direction;
    let mut scored: Vec<(f64, f64, &str, f64)> = input
        .items
        .iter()
        .filter_map(|(id, v)| v.map(|v| (id, v)))
        .map(|(id, v)| {
            let worsened = input
                .baseline_items
                .as_ref()
                .and_then(|b| b.get(id))
                .map_or(0.0, |base| dir.worsening(*base, v).max(0.0));
            let badness = match dir {
                Direction::HigherIsBetter => -v,
                Direction::LowerIsBetter => v,
            };
            (worsened, badness, *id, v)
        })
        .collect();
    // Most worsened against the baseline first, then the worst values.
    scored.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then(b.1.total_cmp(&a.1))
            .then_with(|| a.2.cmp(b.2))
    });
    // Name only items that explain the regression: those that worsened when any did, otherwise
    // those worse than the best item (a rate of 0.2 over five items names the one leaking item).
    if scored.iter().any(|s| s.0 > 0.0) {
        scored.retain(|s| s.0 > 0.0);
    } else {
        let best = scored.iter().map(|s| s.1).fold(f64::INFINITY, f64::min);
        scored.retain(|s| s.1 > best);
    }
    scored
        .into_iter()
        .take(WORST_ITEMS)
        .map(|(_, _, id, value)| ItemValue {
            id: id.to_string(),
            value,
        })
        .collect()
}

/// Formats a metric value for messages (4 significant decimals, no trailing noise).
pub fn fmt(v: f64) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s.is_empty() || s == "0" {
        format!("{v:.3e}")
    } else {
        s.to_string()
    }
}

fn fmt_signed(v: f64) -> String {
    let s = fmt(v);
    if v > 0.0 { format!("+{s}") } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(direction: Direction) -> MetricDef {
        MetricDef {
            id: "m".into(),
            direction,
            reference_based: true,
            range: (None, None),
            aggregation: "mean",
            description: "test",
        }
    }

    fn check(
        kind: CheckKind,
        threshold: Option<f64>,
        pct: Option<f64>,
        severity: Severity,
    ) -> Check {
        Check {
            kind,
            severity,
            threshold,
            threshold_pct: pct,
            line: None,
        }
    }

    fn input(d: &MetricDef, value: f64, baseline: Option<f64>) -> CheckInput<'_> {
        CheckInput {
            def: d,
            value,
            baseline,
            items: vec![("a", Some(value)), ("b", Some(1.0))],
            baseline_items: None,
        }
    }

    #[test]
    fn direction_decides_what_is_a_drop() {
        let hi = def(Direction::HigherIsBetter);
        let lo = def(Direction::LowerIsBetter);
        let c = check(CheckKind::VsBaseline, Some(0.01), None, Severity::Error);
        assert_eq!(
            evaluate(&c, &input(&hi, 0.30, Some(0.35))).status,
            CheckStatus::Failed
        );
        assert_eq!(
            evaluate(&c, &input(&hi, 0.40, Some(0.35))).status,
            CheckStatus::Passed
        );
        // A rise in WER is worse, never an improvement.
        assert_eq!(
            evaluate(&c, &input(&lo, 0.40, Some(0.35))).status,
            CheckStatus::Failed
        );
        assert_eq!(
            evaluate(&c, &input(&lo, 0.30, Some(0.35))).status,
            CheckStatus::Passed
        );
    }

    #[test]
    fn relative_threshold_and_warning_severity() {
        let hi = def(Direction::HigherIsBetter);
        let c = check(CheckKind::VsBaseline, None, Some(10.0), Severity::Warn);
        assert_eq!(
            evaluate(&c, &input(&hi, 0.46, Some(0.5))).status,
            CheckStatus::Passed
        );
        let v = evaluate(&c, &input(&hi, 0.44, Some(0.5)));
        assert_eq!(v.status, CheckStatus::Warned);
        assert!(
            v.message.contains("from 0.5 (baseline) to 0.44"),
            "{}",
            v.message
        );
        assert!(v.message.contains("10% of the baseline"), "{}", v.message);
        assert_eq!(v.worst_items[0].id, "a");
    }

    #[test]
    fn min_and_max_bounds() {
        let hi = def(Direction::HigherIsBetter);
        let min = check(CheckKind::Min, Some(0.2), None, Severity::Error);
        assert_eq!(
            evaluate(&min, &input(&hi, 0.2, None)).status,
            CheckStatus::Passed
        );
        let v = evaluate(&min, &input(&hi, 0.1, None));
        assert_eq!(v.status, CheckStatus::Failed);
        assert!(
            v.message.contains("below the minimum 0.2 by 0.1"),
            "{}",
            v.message
        );
        let max = check(CheckKind::Max, Some(0.0), None, Severity::Error);
        assert_eq!(
            evaluate(&max, &input(&hi, 0.5, None)).status,
            CheckStatus::Failed
        );
    }
}

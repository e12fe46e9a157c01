//! Evaluating one check on a metric: `min`/`max` on the dataset value, `vs_baseline` against the
//! baseline (direction-aware), and `item_min`/`item_max` on every item's value.

use serde::{Deserialize, Serialize};

use crate::metrics::{Direction, MetricDef};

use crate::numbers::{fmt, fmt_signed};

/// One configured check.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// Kind.
    pub kind: CheckKind,
    /// Severity.
    pub severity: Severity,
    /// Bound for min/max and item_min/item_max; allowed absolute worsening for vs-baseline.
    pub threshold: Option<f64>,
    /// Allowed relative worsening in percent of the baseline (vs-baseline).
    pub threshold_pct: Option<f64>,
    /// Item checks: how many items may be beyond the bound (default 0).
    pub max_failing_items: Option<usize>,
    /// Item checks: which share of the items the metric applies to may be beyond the bound, in
    /// percent. With both limits set, whichever is hit first fails.
    pub max_failing_pct: Option<f64>,
    /// Item checks: one trial per item (`…::item_min::<item id>`) instead of one per metric.
    pub per_item_trials: bool,
    /// Vs-baseline checks: the paired statistical test deciding the verdict (`None`: the
    /// plain comparison of the two dataset values).
    pub test: Option<crate::stats::Settings>,
    /// Line in the suite file where it was defined (`None` for built-in defaults).
    pub line: Option<u32>,
}

impl Check {
    /// A check of `kind` with `severity` and no bounds or line yet.
    pub fn new(kind: CheckKind, severity: Severity) -> Check {
        Check {
            kind,
            severity,
            threshold: None,
            threshold_pct: None,
            max_failing_items: None,
            max_failing_pct: None,
            per_item_trials: false,
            test: None,
            line: None,
        }
    }
}

/// Kinds of check; the last segment of a trial name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    /// The value must be at least the threshold.
    Min,
    /// The value must be at most the threshold.
    Max,
    /// The value must not worsen versus the baseline by more than the allowed drop.
    VsBaseline,
    /// The system's model has a price in the pricing table (a warning when it has none).
    Pricing,
    /// Every item's value must be at least the threshold (up to the allowed failing items).
    ItemMin,
    /// Every item's value must be at most the threshold (up to the allowed failing items).
    ItemMax,
    /// Another tier's baseline of this dataset × system was made with the system's current
    /// configuration (a warning when it was made with an older one).
    StaleBaseline,
    /// The metric was computed (for metrics without other checks, so a failure to compute
    /// always fails a trial).
    Computed,
}

impl CheckKind {
    /// The name used in trial names (`min`, `max`, `vs_baseline`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            CheckKind::Min => "min",
            CheckKind::Max => "max",
            CheckKind::VsBaseline => "vs_baseline",
            CheckKind::Pricing => "pricing",
            CheckKind::ItemMin => "item_min",
            CheckKind::ItemMax => "item_max",
            CheckKind::StaleBaseline => "stale_baseline",
            CheckKind::Computed => "computed",
        }
    }

    /// True for the checks that judge each item (`item_min`, `item_max`).
    pub fn is_per_item(self) -> bool {
        matches!(self, CheckKind::ItemMin | CheckKind::ItemMax)
    }
}

/// Severity of a check: an `error` regression fails its trial, a `warn` one ignores it with the
/// reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Regression fails the trial.
    #[default]
    Error,
    /// Regression is an ignored trial with its reason.
    Warn,
}

/// Outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// Within bounds.
    Passed,
    /// Error-level regression, or the pair could not be computed.
    Failed,
    /// Warning-level regression.
    Warned,
    /// A paired statistical test could not tell whether the metric worsened by more than
    /// allowed: always a warning (an ignored trial with the interval and the minimum detectable
    /// effect), whatever the check's severity.
    Inconclusive,
    /// Not evaluated (no baseline yet).
    Ignored,
}

/// An item id with its value (and its baseline value, where one is known).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemValue {
    /// Item id.
    pub id: String,
    /// Value for that item in this run.
    pub value: f64,
    /// Value for that item in the baseline, when the baseline has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<f64>,
    /// Vs-baseline trials that fail, warn or are inconclusive: the word diff of the baseline's
    /// prediction for the item against the current one ([`crate::diff::word_diff`]), when the
    /// baseline keeps predictions and they differ.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

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

impl CheckInput<'_> {
    /// Item `id` with its current `value` and its baseline value, if any (no diff yet).
    fn item_value(&self, id: &str, value: f64) -> ItemValue {
        ItemValue {
            id: id.to_string(),
            value,
            baseline: self
                .baseline_items
                .as_ref()
                .and_then(|b| b.get(id))
                .copied(),
            diff: None,
        }
    }
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

/// The message of a check of a metric that applies to none of the dataset's `items` items: it
/// judges nothing, which fails (dataset-level and item checks alike).
pub fn judged_no_item(metric: &str, kind: CheckKind, items: usize) -> String {
    format!(
        "{metric} {} judged no item: the metric applies to none of the {items} items, so it has \
         no value; remove the check or fix the metric's parameters",
        kind.as_str()
    )
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
        // Pricing, stale-baseline and item checks are judged elsewhere, never here.
        CheckKind::Pricing
        | CheckKind::StaleBaseline
        | CheckKind::ItemMin
        | CheckKind::ItemMax
        | CheckKind::Computed => (false, None, String::new()),
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
            let list: Vec<String> = worst_items.iter().map(item_text).collect();
            m.push_str(&format!("; worst items: {}", list.join(", ")));
        }
        m
    } else {
        match check.kind {
            CheckKind::VsBaseline
            | CheckKind::Pricing
            | CheckKind::StaleBaseline
            | CheckKind::ItemMin
            | CheckKind::ItemMax
            | CheckKind::Computed => detail,
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
        .map(|(_, _, id, value)| input.item_value(id, value))
        .collect()
}

/// `id = value`, or `id baseline → value` when the baseline value is known and differs.
pub fn item_text(item: &ItemValue) -> String {
    match item.baseline {
        Some(b) if fmt(b) != fmt(item.value) => {
            format!("{} {} → {}", item.id, fmt(b), fmt(item.value))
        }
        _ => format!("{} = {}", item.id, fmt(item.value)),
    }
}

/// The outcome of a paired statistical test of a vs-baseline check, as results.json, JUnit and
/// the reports carry it. Worsening is direction-aware (positive = worse); Δ is `current −
/// baseline` in the metric's own units, so for a higher-is-better metric Δ's interval is the
/// worsening's, negated and swapped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairedTest {
    /// `paired_bootstrap` or `permutation`.
    pub method: crate::stats::Method,
    /// Two-sided confidence level of the interval, in (0, 1).
    pub confidence: f64,
    /// Resamples drawn (bootstrap) or sign vectors used (permutation; `2^n` when exact).
    pub resamples: usize,
    /// True when the permutation test enumerated every sign vector.
    pub exact: bool,
    /// Items paired with the baseline (both values present).
    pub n_items: usize,
    /// Outputs per item (the system's `samples`).
    pub n_samples: usize,
    /// The allowed worsening, absolute (`max_drop`, or `max_drop_pct` of the baseline value,
    /// whichever is smaller).
    pub allowed_worsening: f64,
    /// Worsening on all items.
    pub worsening: f64,
    /// Lower end of the worsening's confidence interval.
    pub worsening_lo: f64,
    /// Upper end of the worsening's confidence interval.
    pub worsening_hi: f64,
    /// `current − baseline` on all items.
    pub delta: f64,
    /// Lower end of Δ's confidence interval.
    pub delta_lo: f64,
    /// Upper end of Δ's confidence interval.
    pub delta_hi: f64,
    /// Minimum detectable effect: the smallest true worsening the test detects with 80 % power
    /// at this item count (see `evalgate::unstable::stats`).
    pub mde: f64,
    /// One-sided p-value of "the worsening is at most the allowed one" (permutation test only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_value: Option<f64>,
    /// `pass`, `regression` or `inconclusive`.
    pub decision: PairedDecision,
}

/// What a paired test decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PairedDecision {
    /// The whole interval is within the allowed worsening.
    Pass,
    /// The whole interval is beyond the allowed worsening.
    Regression,
    /// The interval straddles the allowed worsening.
    Inconclusive,
}

/// The allowed worsening of a vs-baseline check as one absolute number: `max_drop`, or
/// `max_drop_pct` percent of `|baseline|`, the smaller when both are set (whichever is hit
/// first); 0 when neither is.
pub fn allowed_worsening(check: &Check, baseline: f64) -> f64 {
    let pct = check.threshold_pct.map(|p| baseline.abs() * p / 100.0);
    match (check.threshold, pct) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) => a,
        (None, Some(b)) => b,
        (None, None) => 0.0,
    }
}

impl PairedTest {
    /// The record of `interval` (of the worsening) for a metric going `direction`.
    pub fn new(
        interval: &crate::stats::Interval,
        direction: Direction,
        allowed_worsening: f64,
        n_samples: usize,
    ) -> PairedTest {
        let decision = match crate::stats::decide(interval, allowed_worsening) {
            crate::stats::Decision::Pass => PairedDecision::Pass,
            crate::stats::Decision::Regression => PairedDecision::Regression,
            crate::stats::Decision::Inconclusive => PairedDecision::Inconclusive,
        };
        // `+ 0.0` turns the -0 of a negated zero into 0.
        let (delta, delta_lo, delta_hi) = match direction {
            Direction::HigherIsBetter => (
                -interval.estimate + 0.0,
                -interval.hi + 0.0,
                -interval.lo + 0.0,
            ),
            Direction::LowerIsBetter => (interval.estimate, interval.lo, interval.hi),
        };
        PairedTest {
            method: interval.method,
            confidence: interval.confidence,
            resamples: interval.resamples,
            exact: interval.exact,
            n_items: interval.n_items,
            n_samples,
            allowed_worsening,
            worsening: interval.estimate,
            worsening_lo: interval.lo,
            worsening_hi: interval.hi,
            delta,
            delta_lo,
            delta_hi,
            mde: interval.mde,
            p_value: interval.p_value,
            decision,
        }
    }

    /// `Δ -0.021 [-0.035, -0.008], paired bootstrap 95 % over 30 items × 5 samples` (with
    /// `, p = 0.012` for the permutation test).
    pub fn describe(&self) -> String {
        let method = match self.method {
            crate::stats::Method::PairedBootstrap => "paired bootstrap",
            crate::stats::Method::Permutation if self.exact => "exact permutation test",
            crate::stats::Method::Permutation => "permutation test",
        };
        let samples = if self.n_samples > 1 {
            format!(" × {} samples", self.n_samples)
        } else {
            String::new()
        };
        let p = self
            .p_value
            .map(|p| format!(", p = {}", fmt(p)))
            .unwrap_or_default();
        format!(
            "Δ {} {}, {method} {}% over {} items{samples}{p}",
            fmt_signed(self.delta),
            self.interval_text(),
            fmt(self.confidence * 100.0),
            self.n_items
        )
    }

    /// Δ's interval: `[-0.035, -0.008]`.
    pub fn interval_text(&self) -> String {
        format!(
            "[{}, {}]",
            fmt_signed(self.delta_lo),
            fmt_signed(self.delta_hi)
        )
    }
}

/// Judges a vs-baseline check by its paired test: regression (the check's severity) when the
/// whole interval of the worsening is beyond the allowed worsening, pass when it is all within,
/// inconclusive otherwise. The message gives Δ with its interval, the allowed worsening and,
/// when inconclusive, the minimum detectable effect.
pub fn evaluate_paired(check: &Check, input: &CheckInput<'_>, test: &PairedTest) -> Verdict {
    let def = input.def;
    let baseline = input.baseline.unwrap_or(input.value);
    let allowed = format!(
        "{} ({}; {})",
        fmt(test.allowed_worsening),
        allowed_text(check),
        def.direction.label()
    );
    let moved = format!(
        "{} {} from {} (baseline) to {} ({})",
        def.id,
        if def.direction.worsening(baseline, input.value) > 0.0 {
            "worsened"
        } else {
            "changed"
        },
        fmt(baseline),
        fmt(input.value),
        test.describe()
    );
    let (status, message) = match test.decision {
        PairedDecision::Pass => (
            CheckStatus::Passed,
            format!(
                "{moved}; the worsening is at most {} at {}% confidence, within the allowed {allowed}",
                fmt(test.worsening_hi.max(0.0)),
                fmt(test.confidence * 100.0)
            ),
        ),
        PairedDecision::Regression => (
            match check.severity {
                Severity::Error => CheckStatus::Failed,
                Severity::Warn => CheckStatus::Warned,
            },
            format!(
                "{moved}; the worsening is at least {} at {}% confidence, beyond the allowed \
                 {allowed}",
                fmt(test.worsening_lo),
                fmt(test.confidence * 100.0)
            ),
        ),
        PairedDecision::Inconclusive => (
            CheckStatus::Inconclusive,
            format!(
                "inconclusive: {moved}; the interval of the worsening [{}, {}] straddles the \
                 allowed {allowed}: with {} items a worsening below {} cannot be told from \
                 noise; add items or samples",
                fmt_signed(test.worsening_lo),
                fmt_signed(test.worsening_hi),
                test.n_items,
                fmt(test.mde)
            ),
        ),
    };
    let worst_items = if status == CheckStatus::Passed {
        Vec::new()
    } else {
        worst_items(input)
    };
    let mut message = message;
    if !worst_items.is_empty() {
        let list: Vec<String> = worst_items.iter().map(item_text).collect();
        message.push_str(&format!("; worst items: {}", list.join(", ")));
    }
    Verdict {
        status,
        delta: Some(input.value - baseline),
        message,
        worst_items,
    }
}

/// The verdict of an item check (`item_min`, `item_max`) over all items.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemVerdict {
    /// Passed (at most the allowed number of items beyond the bound), failed or warned (more,
    /// by the check's severity); failed also when the metric applies to no item.
    pub status: CheckStatus,
    /// Every item beyond the bound, worst first.
    pub failing: Vec<ItemValue>,
    /// How many items may be beyond the bound.
    pub allowed: usize,
    /// Items the metric applies to (with a value).
    pub applicable: usize,
    /// Human-readable explanation listing every failing item with its value.
    pub message: String,
}

/// How many of `applicable` items an item check lets be beyond its bound: `max_failing_items`,
/// `max_failing_pct` percent of them (rounded down), the smaller of the two when both are set,
/// 0 when neither is.
pub fn allowed_failing(check: &Check, applicable: usize) -> usize {
    let by_pct = check
        .max_failing_pct
        .map(|p| (p / 100.0 * applicable as f64 + EPSILON).floor() as usize);
    match (check.max_failing_items, by_pct) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) => a,
        (None, Some(b)) => b,
        (None, None) => 0,
    }
}

/// True when `value` is beyond an item check's bound.
pub fn beyond_item_bound(check: &Check, value: f64) -> bool {
    let bound = check.threshold.unwrap_or(f64::NAN);
    match check.kind {
        CheckKind::ItemMin => value < bound - EPSILON,
        CheckKind::ItemMax => value > bound + EPSILON,
        _ => false,
    }
}

/// Judges an item check on every item of `input` (items without a value are not counted).
pub fn evaluate_items(check: &Check, input: &CheckInput<'_>) -> ItemVerdict {
    let def = input.def;
    let bound = check.threshold.unwrap_or(f64::NAN);
    let side = if check.kind == CheckKind::ItemMax {
        "above the maximum"
    } else {
        "below the minimum"
    };
    let present: Vec<(&str, f64)> = input
        .items
        .iter()
        .filter_map(|(id, v)| v.map(|v| (*id, v)))
        .collect();
    let applicable = present.len();
    let not_applicable = input.items.len() - applicable;
    let allowed = allowed_failing(check, applicable);
    let mut failing: Vec<ItemValue> = present
        .iter()
        .filter(|(_, v)| beyond_item_bound(check, *v))
        .map(|(id, v)| input.item_value(id, *v))
        .collect();
    // Worst first: farthest beyond the bound.
    failing.sort_by(|a, b| {
        let dist = |i: &ItemValue| (i.value - bound).abs();
        dist(b).total_cmp(&dist(a)).then_with(|| a.id.cmp(&b.id))
    });
    let skipped = if not_applicable > 0 {
        format!(
            " ({not_applicable} item(s) where {} does not apply not counted)",
            def.id
        )
    } else {
        String::new()
    };
    let allowance = allowance_text(check, allowed);
    let listed = || {
        failing
            .iter()
            .map(|i| format!("{} = {}", i.id, fmt(i.value)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (status, message) = if applicable == 0 {
        (
            CheckStatus::Failed,
            judged_no_item(&def.id, check.kind, input.items.len()),
        )
    } else if failing.len() > allowed {
        let status = match check.severity {
            Severity::Error => CheckStatus::Failed,
            Severity::Warn => CheckStatus::Warned,
        };
        (
            status,
            format!(
                "{} of {applicable} items have {} {side} {}, more than {allowance}{skipped}: {}",
                failing.len(),
                def.id,
                fmt(bound),
                listed()
            ),
        )
    } else if failing.is_empty() {
        let relation = if check.kind == CheckKind::ItemMax {
            "≤"
        } else {
            "≥"
        };
        (
            CheckStatus::Passed,
            format!(
                "all {applicable} items have {} {relation} {}{skipped}",
                def.id,
                fmt(bound)
            ),
        )
    } else {
        (
            CheckStatus::Passed,
            format!(
                "{} of {applicable} items have {} {side} {}, within {allowance}{skipped}: {}",
                failing.len(),
                def.id,
                fmt(bound),
                listed()
            ),
        )
    };
    ItemVerdict {
        status,
        failing,
        allowed,
        applicable,
        message,
    }
}

fn allowance_text(check: &Check, allowed: usize) -> String {
    let setting = match (check.max_failing_items, check.max_failing_pct) {
        (Some(n), Some(p)) => format!("max_failing_items = {n}, max_failing_pct = {p}"),
        (Some(n), None) => format!("max_failing_items = {n}"),
        (None, Some(p)) => format!("max_failing_pct = {p}"),
        (None, None) => "none by default; set max_failing_items".to_string(),
    };
    format!("the {allowed} allowed ({setting})")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(direction: Direction) -> MetricDef {
        MetricDef {
            id: "m".into(),
            direction,
            reference_based: true,
            varies_by_machine: false,
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
            threshold,
            threshold_pct: pct,
            ..Check::new(kind, severity)
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
        // The status of `value` against the baseline 0.35.
        let status = |d: &MetricDef, value: f64| evaluate(&c, &input(d, value, Some(0.35))).status;
        assert_eq!(status(&hi, 0.30), CheckStatus::Failed);
        assert_eq!(status(&hi, 0.40), CheckStatus::Passed);
        // A rise in WER is worse, never an improvement.
        assert_eq!(status(&lo, 0.40), CheckStatus::Failed);
        assert_eq!(status(&lo, 0.30), CheckStatus::Passed);
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

    fn items_input<'a>(d: &'a MetricDef, values: &[(&'a str, Option<f64>)]) -> CheckInput<'a> {
        CheckInput {
            def: d,
            value: 0.0,
            baseline: None,
            items: values.to_vec(),
            baseline_items: None,
        }
    }

    #[test]
    fn item_checks_list_every_failing_item_and_honour_the_allowance() {
        let hi = def(Direction::HigherIsBetter);
        let values = [
            ("a", Some(0.30)),
            ("b", Some(0.10)),
            ("c", Some(0.05)),
            ("d", None),
            ("e", Some(0.20)),
        ];
        let strict = check(CheckKind::ItemMin, Some(0.2), None, Severity::Error);
        let v = evaluate_items(&strict, &items_input(&hi, &values));
        assert_eq!(v.status, CheckStatus::Failed);
        assert_eq!(v.applicable, 4);
        let ids: Vec<&str> = v.failing.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["c", "b"], "worst first; 0.20 is on the bound");
        assert!(
            v.message
                .starts_with("2 of 4 items have m below the minimum 0.2, more than the 0 allowed"),
            "{}",
            v.message
        );
        assert!(v.message.contains("c = 0.05, b = 0.1"), "{}", v.message);
        assert!(v.message.contains("1 item(s) where m does not apply"));

        let two = Check {
            max_failing_items: Some(2),
            ..strict.clone()
        };
        assert_eq!(
            evaluate_items(&two, &items_input(&hi, &values)).status,
            CheckStatus::Passed
        );
        // 50 % of 4 = 2 allowed; 49 % rounds down to 1; with both, the smaller wins.
        let pct = |p: f64| Check {
            max_failing_pct: Some(p),
            ..strict.clone()
        };
        assert_eq!(allowed_failing(&pct(50.0), 4), 2);
        assert_eq!(allowed_failing(&pct(49.0), 4), 1);
        let both = Check {
            max_failing_items: Some(3),
            ..pct(25.0)
        };
        assert_eq!(allowed_failing(&both, 4), 1);

        let warn = Check {
            severity: Severity::Warn,
            ..strict.clone()
        };
        assert_eq!(
            evaluate_items(&warn, &items_input(&hi, &values)).status,
            CheckStatus::Warned
        );

        // item_max on a lower-is-better metric.
        let lo = def(Direction::LowerIsBetter);
        let max = check(CheckKind::ItemMax, Some(0.1), None, Severity::Error);
        let v = evaluate_items(&max, &items_input(&lo, &values));
        assert_eq!(v.failing.len(), 2);
        assert!(v.message.contains("above the maximum 0.1"), "{}", v.message);

        // A metric that applies to no item judges nothing: that fails.
        let none = [("a", None), ("b", None)];
        let v = evaluate_items(&strict, &items_input(&hi, &none));
        assert_eq!(v.status, CheckStatus::Failed);
        assert!(v.message.contains("judged no item"), "{}", v.message);
    }

    #[test]
    fn worst_items_show_baseline_and_current_sorted_by_the_change() {
        let hi = def(Direction::HigherIsBetter);
        let c = check(CheckKind::VsBaseline, Some(0.01), None, Severity::Error);
        let input = CheckInput {
            def: &hi,
            value: 0.3,
            baseline: Some(0.5),
            items: vec![("a", Some(0.4)), ("b", Some(0.1)), ("c", Some(0.9))],
            baseline_items: Some([("a", 0.5), ("b", 0.6), ("c", 0.4)].into_iter().collect()),
        };
        let v = evaluate(&c, &input);
        assert_eq!(v.status, CheckStatus::Failed);
        let ids: Vec<&str> = v.worst_items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["b", "a"]);
        assert!(
            v.message.contains("worst items: b 0.6 → 0.1, a 0.5 → 0.4"),
            "{}",
            v.message
        );
    }
}

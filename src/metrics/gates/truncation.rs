//! `truncation`: outputs cut short.
//!
//! An item fails when its output ends (after trailing whitespace) with one of
//! [`TRUNCATION_MARKERS`], or when its word count divided by the input's word count is below
//! param `min_ratio` (default 0.02; the ratio test is skipped for inputs without words). An
//! empty output therefore fails.

use super::{GateParams, flag, score_single};
use crate::error::Result;
use crate::metrics::{Direction, Metric, MetricDef, MetricValues, ScoringItem, ScoringOptions};
use crate::text;

/// Endings that mark an output as cut off (compared case-insensitively).
pub const TRUNCATION_MARKERS: &[&str] = &["...", "…", "[truncated]"];

/// Default lower bound on output words / input words.
pub const DEFAULT_MIN_RATIO: f64 = 0.02;

/// The truncation gate.
#[derive(Debug, Clone, Copy, Default)]
pub struct Truncation;

/// `min_ratio` from `[metric_params.truncation]`.
fn read_params(options: &ScoringOptions) -> Result<f64> {
    let params = GateParams::read(options, "truncation", &["min_ratio"])?;
    params.number("min_ratio", DEFAULT_MIN_RATIO, 0.0)
}

impl Metric for Truncation {
    fn definitions(&self) -> Vec<MetricDef> {
        vec![MetricDef {
            id: "truncation".into(),
            direction: Direction::LowerIsBetter,
            reference_based: false,
            varies_by_machine: false,
            range: (Some(0.0), Some(1.0)),
            aggregation: "rate of failing items",
            description: "share of outputs ending in a truncation marker or far shorter than the input (min_ratio)",
        }]
    }

    fn check_params(&self, _id: &str, options: &ScoringOptions) -> Result<()> {
        read_params(options).map(|_| ())
    }

    fn score(
        &self,
        items: &[ScoringItem<'_>],
        wanted: &[&str],
        options: &ScoringOptions,
    ) -> Result<Vec<MetricValues>> {
        let min_ratio = read_params(options)?;
        let def = &self.definitions()[0];
        score_single(def, items, wanted, |item| {
            Ok(Some(flag(is_truncated(
                item.input,
                item.prediction,
                min_ratio,
            ))))
        })
    }
}

/// True when `output` ends in a truncation marker or is shorter than `min_ratio` of `input`.
pub fn is_truncated(input: &str, output: &str, min_ratio: f64) -> bool {
    let end = output.trim_end().to_lowercase();
    if TRUNCATION_MARKERS.iter().any(|m| end.ends_with(m)) {
        return true;
    }
    let input_words = text::word_count(input);
    input_words > 0 && (text::word_count(output) as f64 / input_words as f64) < min_ratio
}

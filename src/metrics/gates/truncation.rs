//! `truncation`: outputs cut short.
//!
//! An item fails when its output ends (after trailing whitespace) with one of
//! [`TRUNCATION_MARKERS`], or when its word count divided by the input's word count is below
//! param `min_ratio` (default 0.02; the ratio test is skipped for inputs without words). An
//! empty output therefore fails.

use super::{Gate, GateParams, flag, rate_definition};
use crate::error::Result;
use crate::metrics::{MetricDef, ScoringItem, ScoringOptions};
use crate::text;

/// Endings that mark an output as cut off (compared case-insensitively).
pub const TRUNCATION_MARKERS: &[&str] = &["...", "…", "[truncated]"];

/// Default lower bound on output words / input words.
pub const DEFAULT_MIN_RATIO: f64 = 0.02;

/// The truncation gate.
#[derive(Debug, Clone, Copy, Default)]
pub struct Truncation;

impl Gate for Truncation {
    /// `min_ratio`.
    type Params = f64;

    fn definition(&self) -> MetricDef {
        rate_definition(
            "truncation",
            "share of outputs ending in a truncation marker or far shorter than the input (min_ratio)",
        )
    }

    fn params(&self, options: &ScoringOptions) -> Result<f64> {
        GateParams::read(options, "truncation", &["min_ratio"])?.number(
            "min_ratio",
            DEFAULT_MIN_RATIO,
            0.0,
        )
    }

    fn value(&self, item: &ScoringItem<'_>, min_ratio: &f64) -> Result<Option<f64>> {
        Ok(Some(flag(is_truncated(
            item.input,
            item.prediction,
            *min_ratio,
        ))))
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

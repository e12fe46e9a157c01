//! Length gates: `short_output`, `compression_ratio`, `coverage_ratio` and `output_words_mean`.
//!
//! Words are [`text::words`]: whitespace-separated tokens containing a letter or digit.
//!
//! - `short_output` fails (1) an item whose output words / input words is below param
//!   `min_ratio` (default 0.002, i.e. 0.2 %); `None` for an input without words. An empty output
//!   fails (with any `min_ratio` above 0). Human summaries of long meetings are near-constant in
//!   length (70–190 words for 2,500–21,000-word QMSum transcripts: ratios down to 0.36 %), so the
//!   default only catches outputs that are next to nothing; set `min_ratio` for your task (a
//!   short-input task such as cleaning can use 0.5), or bound `output_words_mean` /
//!   `coverage_ratio`.
//! - `compression_ratio` = input words / output words per item, mean over items; `None` for an
//!   empty output (the `truncation` and `short_output` gates flag those). It is a bounded
//!   quantity meant to be checked with `min` and `max`. Its direction is **higher is better**:
//!   the job of a summary is to compress, so a drop against the baseline means outputs grew
//!   verbose; over-compression is what the `max` bound and the `short_output` gate catch. (For
//!   transcript cleaning, where the ratio sits near 1, prefer bounds over the baseline check.)
//! - `coverage_ratio` = output words / reference words (mean length of the item's references)
//!   per item, mean over items; `None` without reference words. **Higher is better**: a drop
//!   means outputs shrank relative to what a human wrote; overshoot is caught by a `max` bound.
//! - `output_words_mean` = mean output words. **Lower is better** (verbosity and cost grow with
//!   length); use `min`/`max` bounds for a target range.

use super::{Gate, GateParams, flag, mean_definition, no_params, rate_definition};
use crate::error::Result;
use crate::metrics::{Direction, MetricDef, ScoringItem, ScoringOptions};
use crate::text;

/// Default lower bound on output words / input words of `short_output`.
pub const DEFAULT_MIN_RATIO: f64 = 0.002;

/// Outputs far shorter than their input.
#[derive(Debug, Clone, Copy, Default)]
pub struct ShortOutput;

impl Gate for ShortOutput {
    /// `min_ratio`.
    type Params = f64;

    fn definition(&self) -> MetricDef {
        rate_definition(
            "short_output",
            "share of outputs with fewer words than min_ratio of the input's words",
        )
    }

    fn params(&self, options: &ScoringOptions) -> Result<f64> {
        GateParams::read(options, "short_output", &["min_ratio"])?.number(
            "min_ratio",
            DEFAULT_MIN_RATIO,
            0.0,
        )
    }

    fn value(&self, item: &ScoringItem<'_>, min_ratio: &f64) -> Result<Option<f64>> {
        let input_words = text::word_count(item.input);
        Ok((input_words > 0).then(|| {
            let ratio = text::word_count(item.prediction) as f64 / input_words as f64;
            flag(ratio < *min_ratio)
        }))
    }
}

/// Input words over output words.
#[derive(Debug, Clone, Copy, Default)]
pub struct CompressionRatio;

/// Output words over reference words.
#[derive(Debug, Clone, Copy, Default)]
pub struct CoverageRatio;

/// Mean output length in words.
#[derive(Debug, Clone, Copy, Default)]
pub struct OutputWordsMean;

impl Gate for CompressionRatio {
    type Params = ();

    fn definition(&self) -> MetricDef {
        mean_definition(
            "compression_ratio",
            Direction::HigherIsBetter,
            false,
            (Some(0.0), None),
            "input words / output words; check with min and max bounds",
        )
    }

    fn params(&self, options: &ScoringOptions) -> Result<()> {
        no_params(options, "compression_ratio")
    }

    fn value(&self, item: &ScoringItem<'_>, _: &()) -> Result<Option<f64>> {
        let out = text::word_count(item.prediction);
        Ok((out > 0).then(|| text::word_count(item.input) as f64 / out as f64))
    }
}

impl Gate for CoverageRatio {
    type Params = ();

    fn definition(&self) -> MetricDef {
        mean_definition(
            "coverage_ratio",
            Direction::HigherIsBetter,
            true,
            (Some(0.0), None),
            "output words / reference words; check with min and max bounds",
        )
    }

    fn params(&self, options: &ScoringOptions) -> Result<()> {
        no_params(options, "coverage_ratio")
    }

    fn value(&self, item: &ScoringItem<'_>, _: &()) -> Result<Option<f64>> {
        if item.references.is_empty() {
            return Ok(None);
        }
        let reference_words = item
            .references
            .iter()
            .map(|r| text::word_count(r) as f64)
            .sum::<f64>()
            / item.references.len() as f64;
        Ok((reference_words > 0.0)
            .then(|| text::word_count(item.prediction) as f64 / reference_words))
    }
}

impl Gate for OutputWordsMean {
    type Params = ();

    fn definition(&self) -> MetricDef {
        mean_definition(
            "output_words_mean",
            Direction::LowerIsBetter,
            false,
            (Some(0.0), None),
            "mean number of words per output",
        )
    }

    fn params(&self, options: &ScoringOptions) -> Result<()> {
        no_params(options, "output_words_mean")
    }

    fn value(&self, item: &ScoringItem<'_>, _: &()) -> Result<Option<f64>> {
        Ok(Some(text::word_count(item.prediction) as f64))
    }
}

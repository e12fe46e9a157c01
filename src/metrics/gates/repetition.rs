//! `repetition`: degenerate, looping outputs.
//!
//! An item fails when some word n-gram (lowercased [`text::tokens`], param `n`, default 3)
//! occurs more than param `max_repeats` times (default 2) in its output.

use std::collections::HashMap;

use super::{Gate, GateParams, flag, rate_definition};
use crate::error::Result;
use crate::metrics::{MetricDef, ScoringItem, ScoringOptions};
use crate::text;

/// Default n-gram length.
pub const DEFAULT_N: usize = 3;
/// Default largest allowed number of occurrences of one n-gram.
pub const DEFAULT_MAX_REPEATS: usize = 2;

/// The repetition gate.
#[derive(Debug, Clone, Copy, Default)]
pub struct Repetition;

impl Gate for Repetition {
    /// `n` and `max_repeats`.
    type Params = (usize, usize);

    fn definition(&self) -> MetricDef {
        rate_definition(
            "repetition",
            "share of outputs repeating one word n-gram (n) more than max_repeats times",
        )
    }

    fn params(&self, options: &ScoringOptions) -> Result<(usize, usize)> {
        let params = GateParams::read(options, "repetition", &["n", "max_repeats"])?;
        Ok((
            params.integer("n", DEFAULT_N, 1)?,
            params.integer("max_repeats", DEFAULT_MAX_REPEATS, 1)?,
        ))
    }

    fn value(
        &self,
        item: &ScoringItem<'_>,
        (n, max_repeats): &(usize, usize),
    ) -> Result<Option<f64>> {
        Ok(Some(flag(
            most_repeated(item.prediction, *n) > *max_repeats,
        )))
    }
}

/// How often the most frequent word n-gram of `text` occurs (0 when it has fewer than n words).
pub fn most_repeated(output: &str, n: usize) -> usize {
    let tokens = text::tokens(output);
    let mut counts: HashMap<&[String], usize> = HashMap::new();
    for gram in tokens.windows(n) {
        *counts.entry(gram).or_default() += 1;
    }
    counts.values().copied().max().unwrap_or(0)
}

//! `repetition`: degenerate, looping outputs.
//!
//! An item fails when some word n-gram (lowercased [`text::tokens`], param `n`, default 3)
//! occurs more than param `max_repeats` times (default 2) in its output.

use std::collections::HashMap;

use super::{GateParams, flag, score_single};
use crate::error::Result;
use crate::metrics::{Direction, Metric, MetricDef, MetricValues, ScoringItem, ScoringOptions};
use crate::text;

/// Default n-gram length.
pub const DEFAULT_N: usize = 3;
/// Default largest allowed number of occurrences of one n-gram.
pub const DEFAULT_MAX_REPEATS: usize = 2;

/// The repetition gate.
#[derive(Debug, Clone, Copy, Default)]
pub struct Repetition;

/// `n` and `max_repeats` from `[metric_params.repetition]`.
fn read_params(options: &ScoringOptions) -> Result<(usize, usize)> {
    let params = GateParams::read(options, "repetition", &["n", "max_repeats"])?;
    Ok((
        params.integer("n", DEFAULT_N, 1)?,
        params.integer("max_repeats", DEFAULT_MAX_REPEATS, 1)?,
    ))
}

impl Metric for Repetition {
    fn definitions(&self) -> Vec<MetricDef> {
        vec![MetricDef {
            id: "repetition".into(),
            direction: Direction::LowerIsBetter,
            reference_based: false,
            varies_by_machine: false,
            range: (Some(0.0), Some(1.0)),
            aggregation: "rate of failing items",
            description: "share of outputs repeating one word n-gram (n) more than max_repeats times",
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
        let (n, max_repeats) = read_params(options)?;
        let def = &self.definitions()[0];
        score_single(def, items, wanted, |item| {
            Ok(Some(flag(most_repeated(item.prediction, n) > max_repeats)))
        })
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

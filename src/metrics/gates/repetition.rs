//! `repetition`: degenerate, looping outputs.
//!
//! An item fails when some word n-gram (lowercased [`text::tokens`], param `n`, default 5)
//! occurs in its output more often than its allowance: param `max_repeats` (default 2) plus one
//! for every full param `per_words` tokens of the output (default 200; 0 keeps the allowance at
//! `max_repeats` whatever the length). A 150-word summary may use one 5-gram twice; a 1,000-word
//! one seven times.
//!
//! Why these defaults: a model that loops repeats whole spans, so every n-gram of the span
//! recurs and long n-grams catch it as surely as short ones; human text re-uses short phrases
//! (a topic's name, "gave a presentation on") but rarely a five-word span three times. Human
//! meeting summaries (QMSum) repeat a 3-gram up to six times ("the Welsh bac") and a 4-gram three
//! times, but no 5-gram more than twice; long outputs re-use phrases more, hence the allowance
//! that grows with length.

use std::collections::HashMap;

use super::{Gate, GateParams, flag, rate_definition};
use crate::error::Result;
use crate::metrics::{MetricDef, ScoringItem, ScoringOptions};
use crate::text;

/// Default n-gram length.
pub const DEFAULT_N: usize = 5;
/// Default largest allowed number of occurrences of one n-gram (in outputs under `per_words`).
pub const DEFAULT_MAX_REPEATS: usize = 2;
/// Default number of output tokens per extra allowed occurrence.
pub const DEFAULT_PER_WORDS: usize = 200;

/// The repetition gate's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepetitionParams {
    /// N-gram length.
    pub n: usize,
    /// Allowed occurrences of one n-gram in a short output.
    pub max_repeats: usize,
    /// Output tokens per extra allowed occurrence (0: no extra).
    pub per_words: usize,
}

impl RepetitionParams {
    /// How often one n-gram may occur in an output of `tokens` tokens.
    pub fn allowance(&self, tokens: usize) -> usize {
        self.max_repeats + tokens.checked_div(self.per_words).unwrap_or(0)
    }
}

impl Default for RepetitionParams {
    fn default() -> Self {
        RepetitionParams {
            n: DEFAULT_N,
            max_repeats: DEFAULT_MAX_REPEATS,
            per_words: DEFAULT_PER_WORDS,
        }
    }
}

/// The repetition gate.
#[derive(Debug, Clone, Copy, Default)]
pub struct Repetition;

impl Gate for Repetition {
    type Params = RepetitionParams;

    fn definition(&self) -> MetricDef {
        rate_definition(
            "repetition",
            "share of outputs repeating one word n-gram (n) more than max_repeats times, plus once per per_words tokens",
        )
    }

    fn params(&self, options: &ScoringOptions) -> Result<RepetitionParams> {
        let params = GateParams::read(options, "repetition", &["n", "max_repeats", "per_words"])?;
        Ok(RepetitionParams {
            n: params.integer("n", DEFAULT_N, 1)?,
            max_repeats: params.integer("max_repeats", DEFAULT_MAX_REPEATS, 1)?,
            per_words: params.integer("per_words", DEFAULT_PER_WORDS, 0)?,
        })
    }

    fn value(&self, item: &ScoringItem<'_>, params: &RepetitionParams) -> Result<Option<f64>> {
        Ok(Some(flag(is_repetitive(item.prediction, params))))
    }
}

/// True when some word n-gram of `output` occurs more often than `params` allow.
pub fn is_repetitive(output: &str, params: &RepetitionParams) -> bool {
    let tokens = text::tokens(output);
    most_repeated_in(&tokens, params.n) > params.allowance(tokens.len())
}

/// How often the most frequent word n-gram of `tokens` occurs (0 when there are fewer than n).
fn most_repeated_in(tokens: &[String], n: usize) -> usize {
    let mut counts: HashMap<&[String], usize> = HashMap::new();
    for gram in tokens.windows(n) {
        *counts.entry(gram).or_default() += 1;
    }
    counts.values().copied().max().unwrap_or(0)
}

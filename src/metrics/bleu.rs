//! BLEU exactly as sacrebleu 2.6.0 computes it: `13a` tokenization, n-grams up to 4, clipped
//! counts against the per-n-gram maximum over references, closest reference length (shorter on
//! ties), `exp` smoothing. Sentence BLEU uses effective order; corpus BLEU sums the statistics of
//! all segments first and does not (sacrebleu's `corpus_bleu` defaults).

use foldhash::{HashMap, HashMapExt};

use super::python_text::{py_rstrip, py_split};
use super::tokenize_13a::tokenize_13a;
use super::{Direction, Metric, MetricDef, MetricValues, ScoringItem, ScoringOptions};
use crate::error::{Error, MetricError, Result};

/// Highest n-gram order.
const MAX_ORDER: usize = 4;

/// The sufficient statistics of one segment (or a summed corpus).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BleuStats {
    /// Hypothesis length in tokens.
    pub hyp_len: u64,
    /// Length of the reference closest in length to the hypothesis.
    pub ref_len: u64,
    /// Clipped n-gram matches per order (1..=4).
    pub correct: [u64; MAX_ORDER],
    /// Hypothesis n-grams per order.
    pub total: [u64; MAX_ORDER],
}

impl BleuStats {
    /// Adds another segment's statistics.
    pub fn add(&mut self, other: &BleuStats) {
        self.hyp_len += other.hyp_len;
        self.ref_len += other.ref_len;
        for n in 0..MAX_ORDER {
            self.correct[n] += other.correct[n];
            self.total[n] += other.total[n];
        }
    }

    /// The BLEU score (0–100) of these statistics with `exp` smoothing, as sacrebleu's
    /// `BLEU.compute_bleu`.
    pub fn score(&self, effective_order: bool) -> f64 {
        let bp = if self.hyp_len < self.ref_len {
            if self.hyp_len > 0 {
                (1.0 - self.ref_len as f64 / self.hyp_len as f64).exp()
            } else {
                0.0
            }
        } else {
            1.0
        };
        if self.correct.iter().all(|&c| c == 0) {
            return 0.0;
        }
        let mut precisions = [0.0f64; MAX_ORDER];
        let mut smooth_mteval = 1.0f64;
        let mut eff_order = MAX_ORDER;
        for (n, (&total, &correct)) in self.total.iter().zip(&self.correct).enumerate() {
            if total == 0 {
                break;
            }
            if effective_order {
                eff_order = n + 1;
            }
            precisions[n] = if correct == 0 {
                smooth_mteval *= 2.0;
                100.0 / (smooth_mteval * total as f64)
            } else {
                100.0 * correct as f64 / total as f64
            };
        }
        let log_sum: f64 = precisions[..eff_order]
            .iter()
            .map(|&p| floored_log(p))
            .sum();
        bp * (log_sum / eff_order as f64).exp()
    }
}

/// sacrebleu's `my_log`: the natural log, with log(0) floored to -9999999999.
fn floored_log(x: f64) -> f64 {
    if x == 0.0 { -9_999_999_999.0 } else { x.ln() }
}

/// Interns tokens (as dense ids) of the segments of one sentence.
#[derive(Default)]
struct Interner<'a> {
    ids: HashMap<&'a str, u32>,
}

/// Counts of the n-grams of one order, keyed by up to four packed 32-bit token ids.
type NgramCounts = HashMap<u128, u64>;

impl<'a> Interner<'a> {
    /// Token ids of a (13a-tokenized) segment.
    fn token_ids(&mut self, tokenized: &'a str) -> Vec<u32> {
        py_split(tokenized)
            .map(|t| {
                let next = self.ids.len() as u32;
                *self.ids.entry(t).or_insert(next)
            })
            .collect()
    }
}

/// Counts of all n-grams of orders 1..=4, one map per order.
fn ngrams(ids: &[u32]) -> [NgramCounts; MAX_ORDER] {
    std::array::from_fn(|n| {
        let mut counts = NgramCounts::with_capacity(ids.len());
        for window in ids.windows(n + 1) {
            let key = window
                .iter()
                .fold(0u128, |key, &id| (key << 32) | u128::from(id));
            *counts.entry(key).or_insert(0) += 1;
        }
        counts
    })
}

/// sacrebleu's `_preprocess_segment` for BLEU (no lowercasing): right-strip, then `13a`.
fn preprocess(segment: &str) -> String {
    tokenize_13a(py_rstrip(segment))
}

/// The closest reference length to `hyp_len`, preferring the shorter one on ties.
fn closest_ref_len(hyp_len: u64, ref_lens: &[u64]) -> u64 {
    let mut best: Option<(u64, u64)> = None; // (diff, len)
    for &len in ref_lens {
        let diff = hyp_len.abs_diff(len);
        best = match best {
            None => Some((diff, len)),
            Some((d, l)) if diff < d || (diff == d && len < l) => Some((diff, len)),
            keep => keep,
        };
    }
    best.map_or(0, |(_, len)| len)
}

/// The BLEU statistics of one hypothesis against its references.
pub fn segment_stats(hypothesis: &str, references: &[&str]) -> BleuStats {
    let tokenized_refs: Vec<String> = references.iter().map(|r| preprocess(r)).collect();
    let tokenized_hyp = preprocess(hypothesis);
    let mut interner = Interner::default();
    let mut ref_ngrams: [NgramCounts; MAX_ORDER] = Default::default();
    let mut ref_lens = Vec::with_capacity(references.len());
    for tokenized in &tokenized_refs {
        let ids = interner.token_ids(tokenized);
        ref_lens.push(ids.len() as u64);
        for (merged, counts) in ref_ngrams.iter_mut().zip(ngrams(&ids)) {
            for (key, count) in counts {
                let slot = merged.entry(key).or_insert(0);
                *slot = (*slot).max(count);
            }
        }
    }
    let hyp_ids = interner.token_ids(&tokenized_hyp);
    let hyp_len = hyp_ids.len() as u64;
    let mut stats = BleuStats {
        hyp_len,
        ref_len: closest_ref_len(hyp_len, &ref_lens),
        ..BleuStats::default()
    };
    for (n, counts) in ngrams(&hyp_ids).iter().enumerate() {
        for (key, &count) in counts {
            stats.total[n] += count;
            if let Some(&in_ref) = ref_ngrams[n].get(key) {
                stats.correct[n] += count.min(in_ref);
            }
        }
    }
    stats
}

/// Sentence BLEU (0–100) as `sacrebleu.sentence_bleu(hypothesis, references)`: `13a`, `exp`
/// smoothing, effective order. All references are used.
pub fn sentence_bleu(hypothesis: &str, references: &[&str]) -> f64 {
    segment_stats(hypothesis, references).score(true)
}

/// Corpus BLEU (0–100) as `sacrebleu.corpus_bleu`: statistics summed over segments, effective
/// order off. `references[i]` holds the references of `hypotheses[i]` (any number each).
///
/// # Panics
/// When `hypotheses` and `references` differ in length (a caller bug).
pub fn corpus_bleu(hypotheses: &[&str], references: &[Vec<&str>]) -> f64 {
    corpus_stats(hypotheses, references).score(false)
}

/// Summed statistics of a corpus (see [`corpus_bleu`]).
///
/// # Panics
/// When `hypotheses` and `references` differ in length (a caller bug).
pub fn corpus_stats(hypotheses: &[&str], references: &[Vec<&str>]) -> BleuStats {
    assert_eq!(
        hypotheses.len(),
        references.len(),
        "corpus BLEU needs one reference list per hypothesis"
    );
    let mut total = BleuStats::default();
    for (hypothesis, refs) in hypotheses.iter().zip(references) {
        total.add(&segment_stats(hypothesis, refs));
    }
    total
}

/// The `bleu` metric: sentence BLEU per item, corpus BLEU for the dataset.
#[derive(Debug, Clone, Copy, Default)]
pub struct BleuMetric;

impl Metric for BleuMetric {
    fn definitions(&self) -> Vec<MetricDef> {
        vec![MetricDef {
            id: "bleu".to_string(),
            direction: Direction::HigherIsBetter,
            reference_based: true,
            varies_by_machine: false,
            range: (Some(0.0), Some(100.0)),
            aggregation: "corpus BLEU (n-gram statistics summed over items)",
            description: "sacrebleu BLEU: 13a tokens, 4-grams, exp smoothing; per item sentence BLEU with effective order",
        }]
    }

    fn score(
        &self,
        items: &[ScoringItem<'_>],
        wanted: &[&str],
        options: &ScoringOptions,
    ) -> Result<Vec<MetricValues>> {
        if !wanted.contains(&"bleu") {
            return Ok(Vec::new());
        }
        super::reject_params(options, &["bleu"])?;
        let stats = per_item_with_references(items, "bleu", segment_stats)?;
        let mut total = BleuStats::default();
        for s in &stats {
            total.add(s);
        }
        Ok(vec![MetricValues {
            id: "bleu".to_string(),
            aggregate: total.score(false),
            per_item: stats.iter().map(|s| Some(s.score(true))).collect(),
        }])
    }

    fn resampling(&self, _id: &str) -> super::Resampling {
        super::Resampling::CorpusStatistics
    }

    /// `[hyp_len, ref_len, correct 1..=4, total 1..=4]` per item.
    fn item_statistics(
        &self,
        _id: &str,
        items: &[ScoringItem<'_>],
        _options: &ScoringOptions,
    ) -> Result<Vec<Vec<f64>>> {
        per_item_with_references(items, "bleu", |prediction, refs| {
            let s = segment_stats(prediction, refs);
            [s.hyp_len, s.ref_len]
                .into_iter()
                .chain(s.correct)
                .chain(s.total)
                .map(|c| c as f64)
                .collect()
        })
    }

    fn corpus_value(&self, _id: &str, totals: &[f64]) -> f64 {
        if totals.len() != 2 + 2 * MAX_ORDER {
            return f64::NAN;
        }
        let count = |i: usize| totals[i] as u64;
        let stats = BleuStats {
            hyp_len: count(0),
            ref_len: count(1),
            correct: std::array::from_fn(|n| count(2 + n)),
            total: std::array::from_fn(|n| count(2 + MAX_ORDER + n)),
        };
        stats.score(false)
    }
}

/// The references of every item, or an error naming the first item without one.
pub(crate) fn references_of<'a>(
    items: &[ScoringItem<'a>],
    metric: &str,
) -> Result<Vec<Vec<&'a str>>> {
    items
        .iter()
        .map(|item| {
            if item.references.is_empty() {
                Err(Error::Metric(MetricError::new(format!(
                    "item `{}` has no reference text, but metric `{metric}` compares the output \
                     with references; add `references` or `reference_paths` to the item, or drop \
                     `{metric}` from the suite",
                    item.id
                ))))
            } else {
                Ok(item.references.iter().map(String::as_str).collect())
            }
        })
        .collect()
}

/// `per_item(prediction, references)` of every item, in order; the error of [`references_of`]
/// when an item has no reference.
pub(crate) fn per_item_with_references<T>(
    items: &[ScoringItem<'_>],
    metric: &str,
    per_item: impl Fn(&str, &[&str]) -> T,
) -> Result<Vec<T>> {
    let references = references_of(items, metric)?;
    Ok(items
        .iter()
        .zip(&references)
        .map(|(item, refs)| per_item(item.prediction, refs))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_sentences_score_100() {
        assert!(
            (sentence_bleu("The cat sat on the mat.", &["The cat sat on the mat."]) - 100.0).abs()
                < 1e-9
        );
    }

    #[test]
    fn empty_and_disjoint_hypotheses_score_0() {
        assert_eq!(sentence_bleu("", &["a b c"]), 0.0);
        assert_eq!(sentence_bleu("x y z", &["a b c"]), 0.0);
        assert_eq!(sentence_bleu("", &[""]), 0.0);
    }

    #[test]
    fn closest_reference_length_prefers_shorter_on_ties() {
        assert_eq!(closest_ref_len(5, &[4, 6]), 4);
        assert_eq!(closest_ref_len(5, &[6, 4]), 4);
        assert_eq!(closest_ref_len(5, &[9, 6]), 6);
    }

    #[test]
    fn smoothing_and_effective_order_match_sacrebleu() {
        // sacrebleu.sentence_bleu("the cat", ["the cat is on the mat"]).score
        let s = sentence_bleu("the cat", &["the cat is on the mat"]);
        assert!((s - 13.533528323661276).abs() < 1e-9, "{s}");
        // sacrebleu.sentence_bleu("x y z w", ["z y x w"]).score (unigrams only, exp smoothing)
        let s = sentence_bleu("x y z w", &["z y x w"]);
        assert!((s - 22.59005009024613).abs() < 1e-9, "{s}");
    }

    #[test]
    fn corpus_bleu_sums_statistics() {
        let hyps = ["the cat sat", "a dog ran fast"];
        let refs = vec![vec!["the cat sat down"], vec!["a dog ran fast"]];
        let s = corpus_bleu(&hyps, &refs);
        // sacrebleu.corpus_bleu(hyps, [["the cat sat down", "a dog ran fast"]]).score
        assert!((s - 86.6877899750182).abs() < 1e-9, "{s}");
    }
}

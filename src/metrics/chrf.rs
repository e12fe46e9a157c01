//! chrF and chrF++ exactly as sacrebleu 2.6.0's `CHRF` (defaults: character n-grams up to 6 with
//! whitespace removed, beta 2, no lowercasing, effective-order averaging rather than epsilon
//! smoothing). `word_order` 0 is chrF, 2 is chrF++. With several references the one giving the
//! best sentence F-score supplies the statistics; the corpus score sums statistics over items.

use std::hash::Hash;

use foldhash::{HashMap, HashMapExt};

use super::bleu::per_item_with_references;
use super::python_text::py_split;
use super::reject_params;
use super::{Direction, Metric, MetricDef, MetricValues, ScoringItem, ScoringOptions};
use crate::error::Result;

/// Character n-gram order.
const CHAR_ORDER: usize = 6;
/// Recall weight.
const BETA: f64 = 2.0;
/// `string.punctuation`, which chrF++'s word splitter separates from word edges.
const ASCII_PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/// Per-order statistics: `[hyp n-grams, ref n-grams, matches]` for each character order, then
/// each word order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChrfStats(pub Vec<[u64; 3]>);

impl ChrfStats {
    fn zero(orders: usize) -> Self {
        ChrfStats(vec![[0; 3]; orders])
    }

    /// Adds another segment's statistics (same word order).
    pub fn add(&mut self, other: &ChrfStats) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            for k in 0..3 {
                a[k] += b[k];
            }
        }
    }

    /// The chrF score (0–100): precision and recall averaged over the orders where both the
    /// hypothesis and the reference have n-grams, then F-beta.
    pub fn score(&self) -> f64 {
        let factor = BETA * BETA;
        let (mut avg_prec, mut avg_rec, mut effective) = (0.0f64, 0.0f64, 0u32);
        for &[n_hyp, n_ref, n_match] in &self.0 {
            if n_hyp > 0 && n_ref > 0 {
                avg_prec += n_match as f64 / n_hyp as f64;
                avg_rec += n_match as f64 / n_ref as f64;
                effective += 1;
            }
        }
        if effective == 0 {
            return 0.0;
        }
        avg_prec /= effective as f64;
        avg_rec /= effective as f64;
        if avg_prec + avg_rec == 0.0 {
            return 0.0;
        }
        let mut score = (1.0 + factor) * avg_prec * avg_rec;
        score /= factor * avg_prec + avg_rec;
        100.0 * score
    }
}

/// All n-gram counters of one segment: character orders 1..=6 (keys: up to six packed 21-bit
/// code points), then word orders (keys: slices of word ids).
struct SegmentNgrams<'a> {
    chars: Vec<HashMap<u128, u64>>,
    words: Vec<HashMap<&'a [u32], u64>>,
}

fn count_char_ngrams(chars: &[char], n: usize) -> HashMap<u128, u64> {
    let mut counts = HashMap::with_capacity(chars.len());
    for window in chars.windows(n) {
        let key = window
            .iter()
            .fold(0u128, |key, &c| (key << 21) | u128::from(c as u32));
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
}

fn count_ngrams<T: Eq + Hash>(seq: &[T], n: usize) -> HashMap<&[T], u64> {
    let mut counts = HashMap::with_capacity(seq.len());
    for window in seq.windows(n) {
        *counts.entry(window).or_insert(0) += 1;
    }
    counts
}

/// The characters of a segment with all (Python) whitespace removed.
fn chars_without_whitespace(segment: &str) -> Vec<char> {
    py_split(segment).flat_map(str::chars).collect()
}

/// chrF++'s word splitter: words on whitespace, with one ASCII punctuation character split off
/// the end (or else the start) of every word longer than one character.
fn split_punctuation(segment: &str) -> Vec<&str> {
    let is_punct = |c: char| ASCII_PUNCTUATION.contains(c);
    let mut out = Vec::new();
    for w in py_split(segment) {
        let mut chars = w.chars();
        let first = chars.next();
        let last = chars.next_back();
        match (first, last) {
            (Some(_), None) => out.push(w),
            (Some(f), Some(l)) => {
                if is_punct(l) {
                    let cut = w.len() - l.len_utf8();
                    out.push(&w[..cut]);
                    out.push(&w[cut..]);
                } else if is_punct(f) {
                    let cut = f.len_utf8();
                    out.push(&w[..cut]);
                    out.push(&w[cut..]);
                } else {
                    out.push(w);
                }
            }
            (None, _) => {}
        }
    }
    out
}

impl<'a> SegmentNgrams<'a> {
    fn new(chars: &[char], words: &'a [u32], word_order: usize) -> Self {
        SegmentNgrams {
            chars: (1..=CHAR_ORDER)
                .map(|n| count_char_ngrams(chars, n))
                .collect(),
            words: (1..=word_order).map(|n| count_ngrams(words, n)).collect(),
        }
    }
}

fn match_stats<K: Eq + Hash>(hyp: &HashMap<K, u64>, reference: &HashMap<K, u64>) -> [u64; 3] {
    let mut hyp_count = 0;
    let mut matches = 0;
    for (ngram, &count) in hyp {
        hyp_count += count;
        if let Some(&r) = reference.get(ngram) {
            matches += count.min(r);
        }
    }
    let ref_count = reference.values().sum();
    // sacrebleu does not count hypothesis n-grams of an order the reference lacks.
    [
        if reference.is_empty() { 0 } else { hyp_count },
        ref_count,
        matches,
    ]
}

/// Word ids for chrF++ word n-grams, shared by a hypothesis and its references.
#[derive(Default)]
struct WordIds<'a> {
    ids: HashMap<&'a str, u32>,
}

impl<'a> WordIds<'a> {
    fn of(&mut self, segment: &'a str, word_order: usize) -> Vec<u32> {
        if word_order == 0 {
            return Vec::new();
        }
        split_punctuation(segment)
            .into_iter()
            .map(|w| {
                let next = self.ids.len() as u32;
                *self.ids.entry(w).or_insert(next)
            })
            .collect()
    }
}

/// The chrF statistics of one hypothesis against its best-matching reference.
pub fn segment_stats(hypothesis: &str, references: &[&str], word_order: usize) -> ChrfStats {
    let mut word_ids = WordIds::default();
    let hyp_chars = chars_without_whitespace(hypothesis);
    let hyp_words = word_ids.of(hypothesis, word_order);
    let hyp = SegmentNgrams::new(&hyp_chars, &hyp_words, word_order);
    let mut best: Option<(f64, ChrfStats)> = None;
    for reference in references {
        let ref_chars = chars_without_whitespace(reference);
        let ref_words = word_ids.of(reference, word_order);
        let r = SegmentNgrams::new(&ref_chars, &ref_words, word_order);
        let mut stats = Vec::with_capacity(CHAR_ORDER + word_order);
        for (h, rr) in hyp.chars.iter().zip(&r.chars) {
            stats.push(match_stats(h, rr));
        }
        for (h, rr) in hyp.words.iter().zip(&r.words) {
            stats.push(match_stats(h, rr));
        }
        let stats = ChrfStats(stats);
        let f = stats.score();
        if best.as_ref().is_none_or(|(b, _)| f > *b) {
            best = Some((f, stats));
        }
    }
    best.map_or_else(|| ChrfStats::zero(CHAR_ORDER + word_order), |(_, s)| s)
}

/// Sentence chrF (0–100) as sacrebleu's `CHRF(word_order=word_order).sentence_score`.
pub fn sentence_chrf(hypothesis: &str, references: &[&str], word_order: usize) -> f64 {
    segment_stats(hypothesis, references, word_order).score()
}

/// Corpus chrF (0–100) as sacrebleu's `CHRF(word_order=word_order).corpus_score`: statistics
/// summed over items. `references[i]` holds the references of `hypotheses[i]`.
///
/// # Panics
/// When `hypotheses` and `references` differ in length (a caller bug).
pub fn corpus_chrf(hypotheses: &[&str], references: &[Vec<&str>], word_order: usize) -> f64 {
    assert_eq!(
        hypotheses.len(),
        references.len(),
        "corpus chrF needs one reference list per hypothesis"
    );
    let mut total = ChrfStats::zero(CHAR_ORDER + word_order);
    for (hypothesis, refs) in hypotheses.iter().zip(references) {
        total.add(&segment_stats(hypothesis, refs, word_order));
    }
    total.score()
}

/// The `chrf` (chrF, word order 0) and `chrf_pp` (chrF++, word order 2) metrics.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChrfMetric;

impl Metric for ChrfMetric {
    fn definitions(&self) -> Vec<MetricDef> {
        let def = |id: &str, description: &'static str| MetricDef {
            id: id.to_string(),
            direction: Direction::HigherIsBetter,
            reference_based: true,
            varies_by_machine: false,
            range: (Some(0.0), Some(100.0)),
            aggregation: "corpus chrF (n-gram statistics summed over items)",
            description,
        };
        vec![
            def(
                "chrf",
                "sacrebleu chrF: character 6-grams without whitespace, beta 2",
            ),
            def("chrf_pp", "sacrebleu chrF++: chrF plus word 1- and 2-grams"),
        ]
    }

    fn score(
        &self,
        items: &[ScoringItem<'_>],
        wanted: &[&str],
        options: &ScoringOptions,
    ) -> Result<Vec<MetricValues>> {
        reject_params(options, wanted)?;
        let mut out = Vec::new();
        for (id, word_order) in [("chrf", 0usize), ("chrf_pp", 2)] {
            if !wanted.contains(&id) {
                continue;
            }
            let stats: Vec<ChrfStats> = per_item_with_references(items, id, |prediction, refs| {
                segment_stats(prediction, refs, word_order)
            })?;
            let mut total = ChrfStats::zero(CHAR_ORDER + word_order);
            for s in &stats {
                total.add(s);
            }
            out.push(MetricValues {
                id: id.to_string(),
                aggregate: total.score(),
                per_item: stats.iter().map(|s| Some(s.score())).collect(),
            });
        }
        Ok(out)
    }

    fn resampling(&self, _id: &str) -> super::Resampling {
        super::Resampling::CorpusStatistics
    }

    /// `[hyp n-grams, ref n-grams, matches]` per order (character orders, then word orders),
    /// flattened, per item.
    fn item_statistics(
        &self,
        id: &str,
        items: &[ScoringItem<'_>],
        _options: &ScoringOptions,
    ) -> Result<Vec<Vec<f64>>> {
        let word_order = if id == "chrf_pp" { 2 } else { 0 };
        per_item_with_references(items, id, |prediction, refs| {
            segment_stats(prediction, refs, word_order)
                .0
                .iter()
                .flatten()
                .map(|&c| c as f64)
                .collect()
        })
    }

    fn corpus_value(&self, _id: &str, totals: &[f64]) -> f64 {
        if totals.is_empty() || !totals.len().is_multiple_of(3) {
            return f64::NAN;
        }
        ChrfStats(
            totals
                .chunks(3)
                .map(|c| [c[0] as u64, c[1] as u64, c[2] as u64])
                .collect(),
        )
        .score()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_is_ignored_in_character_ngrams() {
        assert_eq!(sentence_chrf("a b c", &["abc"], 0), 100.0);
        assert_eq!(sentence_chrf("abcdefg", &["hijklmnop"], 0), 0.0);
        assert_eq!(sentence_chrf("", &["abc"], 0), 0.0);
    }

    #[test]
    fn chrf_plus_plus_matches_sacrebleu() {
        // sacrebleu.sentence_chrf("The cat sat.", ["The cat sat on the mat."], word_order=2)
        let s = sentence_chrf("The cat sat.", &["The cat sat on the mat."], 2);
        assert!((s - 49.4057766710878).abs() < 1e-9, "{s}");
    }

    #[test]
    fn punctuation_is_split_from_one_word_edge_only() {
        assert_eq!(
            split_punctuation("(hi) end. x ,a"),
            ["(hi", ")", "end", ".", "x", ",", "a"]
        );
    }
}

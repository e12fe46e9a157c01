//! The WER family exactly as jiwer 4.0.0: `wer`, `mer`, `wil` on words, `cer` on characters,
//! plus `wer_norm` / `cer_norm` on normalized text.
//!
//! * Words (jiwer's `wer_default`): every run of two or more whitespace characters becomes one
//!   space, the text is stripped, then split on the space character only. A *single* tab,
//!   newline or no-break space between two words therefore does not separate them, as in jiwer.
//! * Characters (`cer_default`): the stripped text, one Unicode code point per token (spaces
//!   included).
//! * Normalized (`wer_norm`, `cer_norm`): lower-cased (Unicode full lowercase); every character
//!   of Unicode general category `P*` deleted (jiwer's `RemovePunctuation`, so `don't` becomes
//!   `dont` and `state-of-the-art` becomes `stateoftheart`; symbols such as `$`, `+`, `<`, `=`,
//!   `^`, `|`, `~`, `€` and emoji are not punctuation and stay); every run of whitespace (Python
//!   `str.isspace`) replaced by one space; stripped; then words / characters as above. The jiwer
//!   equivalent (used to generate the conformance data) is
//!   `Compose([ToLowerCase(), RemovePunctuation(), SubstituteRegexes({r"\s+": " "}), Strip(),
//!   ReduceToListOfListOfWords()])`, or `ReduceToListOfListOfChars()` for `cer_norm`.
//! * Alignment: see [`super::levenshtein`]; hits depend on rapidfuzz's choice among optimal
//!   alignments and are reproduced.
//! * Empty reference: as jiwer, WER (and CER) = number of inserted tokens, MER = WIL = 0 when the
//!   hypothesis is empty too, else 1. jiwer 4.0.0 returns these numbers rather than raising.
//! * Several references: only the first is used (jiwer has no multi-reference mode).
//! * Dataset value: pooled like jiwer given lists — hits and errors summed over items first.

use std::collections::HashMap as StdHashMap;
use std::hash::Hash;

use foldhash::{HashMap, HashMapExt};

use super::bleu::{per_item_with_references, references_of};
use super::levenshtein::align_counts;
use super::python_text::{is_py_space, is_unicode_punctuation, py_strip};
use super::reject_params;
use super::{Direction, Metric, MetricDef, MetricValues, ScoringItem, ScoringOptions};
use crate::error::Result;

/// Hits and edit operations of a reference/hypothesis alignment (one item or pooled).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WerCounts {
    /// Reference tokens matched exactly.
    pub hits: usize,
    /// Reference tokens replaced by another token.
    pub substitutions: usize,
    /// Reference tokens missing from the hypothesis.
    pub deletions: usize,
    /// Hypothesis tokens with no reference counterpart.
    pub insertions: usize,
}

impl WerCounts {
    /// Number of reference tokens (hits + substitutions + deletions).
    pub fn reference_len(&self) -> usize {
        self.hits + self.substitutions + self.deletions
    }

    /// Number of hypothesis tokens (hits + substitutions + insertions).
    pub fn hypothesis_len(&self) -> usize {
        self.hits + self.substitutions + self.insertions
    }

    /// Adds another item's counts (pooling, as jiwer does for lists).
    pub fn add(&mut self, other: &WerCounts) {
        self.hits += other.hits;
        self.substitutions += other.substitutions;
        self.deletions += other.deletions;
        self.insertions += other.insertions;
    }

    fn errors(&self) -> usize {
        self.substitutions + self.deletions + self.insertions
    }

    /// Error rate: (S + D + I) / (H + S + D); the number of insertions when the reference is
    /// empty (jiwer's convention). Used for both WER and CER.
    pub fn wer(&self) -> f64 {
        if self.reference_len() == 0 {
            self.insertions as f64
        } else {
            self.errors() as f64 / self.reference_len() as f64
        }
    }

    /// Match error rate: (S + D + I) / (H + S + D + I); for an empty reference 0 when the
    /// hypothesis is empty too, else 1.
    pub fn mer(&self) -> f64 {
        if self.reference_len() == 0 {
            if self.hypothesis_len() == 0 { 0.0 } else { 1.0 }
        } else {
            self.errors() as f64 / (self.hits + self.errors()) as f64
        }
    }

    /// Word information lost: 1 − (H / N_ref) · (H / N_hyp); 1 for an empty hypothesis; for an
    /// empty reference 0 when the hypothesis is empty too, else 1.
    pub fn wil(&self) -> f64 {
        let wip = if self.reference_len() == 0 {
            if self.hypothesis_len() == 0 { 1.0 } else { 0.0 }
        } else if self.hypothesis_len() >= 1 {
            let h = self.hits as f64;
            (h / self.reference_len() as f64) * (h / self.hypothesis_len() as f64)
        } else {
            0.0
        };
        1.0 - wip
    }
}

impl From<super::levenshtein::EditCounts> for WerCounts {
    fn from(c: super::levenshtein::EditCounts) -> Self {
        WerCounts {
            hits: c.hits,
            substitutions: c.substitutions,
            deletions: c.deletions,
            insertions: c.insertions,
        }
    }
}

/// jiwer's `RemoveMultipleSpaces` (`\s\s+` → one space) followed by `Strip`.
fn collapse_multiple_spaces(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let mut run_len = 0;
    for c in text.chars() {
        if is_py_space(c) {
            run.push(c);
            run_len += 1;
        } else {
            flush_run(&mut out, &mut run, &mut run_len);
            out.push(c);
        }
    }
    flush_run(&mut out, &mut run, &mut run_len);
    py_strip(&out).to_string()
}

fn flush_run(out: &mut String, run: &mut String, run_len: &mut usize) {
    match *run_len {
        0 => {}
        1 => out.push_str(run),
        _ => out.push(' '),
    }
    run.clear();
    *run_len = 0;
}

/// jiwer's default word tokens: see the module documentation.
pub fn words(text: &str) -> Vec<String> {
    split_on_space(&collapse_multiple_spaces(text))
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// jiwer's default character tokens: the stripped text's code points.
pub fn chars(text: &str) -> Vec<char> {
    py_strip(text).chars().collect()
}

/// The normalized text behind `wer_norm` / `cer_norm`: lower-cased, punctuation deleted,
/// whitespace runs turned into one space, stripped.
pub fn normalize(text: &str) -> String {
    let lowered = text.to_lowercase();
    let mut out = String::with_capacity(lowered.len());
    let mut in_space = false;
    for c in lowered.chars().filter(|&c| !is_unicode_punctuation(c)) {
        if is_py_space(c) {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            out.push(c);
            in_space = false;
        }
    }
    py_strip(&out).to_string()
}

/// Maps the tokens of both sides to dense ids and counts the alignment.
fn count_tokens<T: Eq + Hash>(reference: &[T], hypothesis: &[T]) -> WerCounts {
    let mut ids: HashMap<&T, u32> = HashMap::with_capacity(reference.len() + hypothesis.len());
    let r = encode(reference, &mut ids);
    let h = encode(hypothesis, &mut ids);
    align_counts(&r, &h).into()
}

/// The edit distance between two token sequences (see [`levenshtein::distance`]).
fn token_distance<T: Eq + Hash>(reference: &[T], hypothesis: &[T]) -> usize {
    let mut ids: HashMap<&T, u32> = HashMap::with_capacity(reference.len() + hypothesis.len());
    let r = encode(reference, &mut ids);
    let h = encode(hypothesis, &mut ids);
    super::levenshtein::distance(&r, &h)
}

/// Edit count and reference length: all an error rate needs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ErrorCount {
    /// Substitutions + deletions + insertions of an optimal alignment.
    pub errors: usize,
    /// Reference tokens.
    pub reference_len: usize,
}

impl ErrorCount {
    /// Adds another item's counts (pooling).
    pub fn add(&mut self, other: &ErrorCount) {
        self.errors += other.errors;
        self.reference_len += other.reference_len;
    }

    /// errors / reference length; the number of errors (all insertions) when the reference is
    /// empty, as [`WerCounts::wer`].
    pub fn rate(&self) -> f64 {
        if self.reference_len == 0 {
            self.errors as f64
        } else {
            self.errors as f64 / self.reference_len as f64
        }
    }
}

/// Character error count with jiwer's default transform: the same CER as
/// `char_counts(..).wer()`, without choosing an alignment (faster).
pub fn char_errors(reference: &str, hypothesis: &str) -> ErrorCount {
    let (r, h) = (chars(reference), chars(hypothesis));
    ErrorCount {
        errors: token_distance(&r, &h),
        reference_len: r.len(),
    }
}

/// Token ids, assigning the next free id to unseen tokens.
fn encode<'a, T: Eq + Hash>(tokens: &'a [T], ids: &mut HashMap<&'a T, u32>) -> Vec<u32> {
    tokens
        .iter()
        .map(|t| {
            let next = ids.len() as u32;
            *ids.entry(t).or_insert(next)
        })
        .collect()
}

/// Word-level counts with jiwer's default transform (`jiwer.process_words(reference,
/// hypothesis)`).
pub fn word_counts(reference: &str, hypothesis: &str) -> WerCounts {
    let (r, h) = (
        collapse_multiple_spaces(reference),
        collapse_multiple_spaces(hypothesis),
    );
    count_tokens(&split_on_space(&r), &split_on_space(&h))
}

/// jiwer's `ReduceToListOfListOfWords`: split on the space character, drop empty strings.
fn split_on_space(text: &str) -> Vec<&str> {
    text.split(' ').filter(|w| !w.is_empty()).collect()
}

/// Character-level counts with jiwer's default transform (`jiwer.process_characters`).
pub fn char_counts(reference: &str, hypothesis: &str) -> WerCounts {
    count_tokens(&chars(reference), &chars(hypothesis))
}

/// Word-level counts on [`normalize`]d text.
pub fn normalized_word_counts(reference: &str, hypothesis: &str) -> WerCounts {
    word_counts(&normalize(reference), &normalize(hypothesis))
}

/// Character-level counts on [`normalize`]d text.
pub fn normalized_char_counts(reference: &str, hypothesis: &str) -> WerCounts {
    char_counts(&normalize(reference), &normalize(hypothesis))
}

/// Pooled counts over a corpus (`references[i]` pairs with `hypotheses[i]`), as jiwer computes
/// them when given lists: the sum of every item's counts. `counts` is one of [`word_counts`],
/// [`char_counts`], [`normalized_word_counts`], [`normalized_char_counts`].
///
/// # Panics
/// When `references` and `hypotheses` differ in length (a caller bug).
pub fn pooled_counts(
    references: &[&str],
    hypotheses: &[&str],
    counts: fn(&str, &str) -> WerCounts,
) -> WerCounts {
    assert_eq!(
        references.len(),
        hypotheses.len(),
        "pooled WER needs one reference per hypothesis"
    );
    let mut total = WerCounts::default();
    for (r, h) in references.iter().zip(hypotheses) {
        total.add(&counts(r, h));
    }
    total
}

/// Pooled word counts (`jiwer.process_words(list, list)`).
pub fn corpus_word_counts(references: &[&str], hypotheses: &[&str]) -> WerCounts {
    pooled_counts(references, hypotheses, word_counts)
}

/// Pooled character counts (`jiwer.process_characters(list, list)`).
pub fn corpus_char_counts(references: &[&str], hypotheses: &[&str]) -> WerCounts {
    pooled_counts(references, hypotheses, char_counts)
}

/// The WER family: `wer`, `mer`, `wil`, `cer`, `wer_norm`, `cer_norm`.
#[derive(Debug, Clone, Copy, Default)]
pub struct WerMetric;

/// (id, tokenization name, tokenization, value from counts, description)
type WerVariant = (
    &'static str,
    &'static str,
    fn(&str, &str) -> WerCounts,
    fn(&WerCounts) -> f64,
    &'static str,
);

const VARIANTS: [WerVariant; 6] = [
    (
        "wer",
        "words",
        word_counts,
        WerCounts::wer,
        "jiwer word error rate (S+D+I)/N on whitespace words",
    ),
    (
        "mer",
        "words",
        word_counts,
        WerCounts::mer,
        "jiwer match error rate (S+D+I)/(H+S+D+I)",
    ),
    (
        "wil",
        "words",
        word_counts,
        WerCounts::wil,
        "jiwer word information lost 1-(H/N_ref)(H/N_hyp)",
    ),
    (
        "cer",
        "chars",
        char_counts,
        WerCounts::wer,
        "jiwer character error rate on the stripped text",
    ),
    (
        "wer_norm",
        "normalized words",
        normalized_word_counts,
        WerCounts::wer,
        "WER after lowercasing, removing Unicode punctuation and collapsing whitespace",
    ),
    (
        "cer_norm",
        "normalized chars",
        normalized_char_counts,
        WerCounts::wer,
        "CER after lowercasing, removing Unicode punctuation and collapsing whitespace",
    ),
];

impl Metric for WerMetric {
    fn definitions(&self) -> Vec<MetricDef> {
        VARIANTS
            .iter()
            .map(|&(id, _, _, _, description)| MetricDef {
                id: id.to_string(),
                direction: Direction::LowerIsBetter,
                reference_based: true,
                varies_by_machine: false,
                range: if id == "mer" || id == "wil" {
                    (Some(0.0), Some(1.0))
                } else {
                    (Some(0.0), None)
                },
                aggregation: "pooled over items (hits and edits summed, as jiwer on lists); first reference only",
                description,
            })
            .collect()
    }

    fn score(
        &self,
        items: &[ScoringItem<'_>],
        wanted: &[&str],
        options: &ScoringOptions,
    ) -> Result<Vec<MetricValues>> {
        reject_params(options, wanted)?;
        let mut out = Vec::new();
        // Tokenizations are shared: wer/mer/wil reuse one word alignment per item.
        let mut cache: StdHashMap<&str, Vec<WerCounts>> = StdHashMap::new();
        for (id, tokenization, counts, value, _) in VARIANTS {
            if !wanted.contains(&id) {
                continue;
            }
            let references = references_of(items, id)?;
            let per_item = cache.entry(tokenization).or_insert_with(|| {
                items
                    .iter()
                    .zip(&references)
                    .map(|(item, refs)| counts(refs[0], item.prediction))
                    .collect()
            });
            let mut pooled = WerCounts::default();
            for c in per_item.iter() {
                pooled.add(c);
            }
            out.push(MetricValues {
                id: id.to_string(),
                aggregate: value(&pooled),
                per_item: per_item.iter().map(|c| Some(value(c))).collect(),
            });
        }
        Ok(out)
    }

    fn resampling(&self, _id: &str) -> super::Resampling {
        super::Resampling::CorpusStatistics
    }

    /// `[hits, substitutions, deletions, insertions]` of the item's alignment (first reference).
    fn item_statistics(
        &self,
        id: &str,
        items: &[ScoringItem<'_>],
        _options: &ScoringOptions,
    ) -> Result<Vec<Vec<f64>>> {
        let Some((_, _, counts, _, _)) = VARIANTS.iter().find(|v| v.0 == id) else {
            return Err(crate::error::Error::Metric(crate::error::MetricError::of(
                id,
                "is not a WER-family metric",
            )));
        };
        per_item_with_references(items, id, |prediction, refs| {
            let c = counts(refs[0], prediction);
            [c.hits, c.substitutions, c.deletions, c.insertions]
                .iter()
                .map(|&n| n as f64)
                .collect()
        })
    }

    fn corpus_value(&self, id: &str, totals: &[f64]) -> f64 {
        match (VARIANTS.iter().find(|v| v.0 == id), totals) {
            (Some((_, _, _, value, _)), [h, s, d, i]) => value(&WerCounts {
                hits: *h as usize,
                substitutions: *s as usize,
                deletions: *d as usize,
                insertions: *i as usize,
            }),
            _ => f64::NAN,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jiwer_word_tokens_keep_single_tabs_inside_words() {
        assert_eq!(words("one\ttwo\t\tthree"), ["one\ttwo", "three"]);
        assert_eq!(words("  hello    world  "), ["hello", "world"]);
        assert_eq!(words(" \t "), Vec::<String>::new());
        assert_eq!(chars(" a b\n"), ['a', ' ', 'b']);
    }

    #[test]
    fn jiwer_readme_values() {
        let c = word_counts("This is a test", "This is not a test");
        assert_eq!(
            (c.hits, c.substitutions, c.deletions, c.insertions),
            (4, 0, 0, 1)
        );
        assert_eq!(c.wer(), 0.25);
        // jiwer.process_words("i am a python developer", "i like python")
        let c = word_counts("i am a python developer", "i like python");
        assert_eq!(
            (c.hits, c.substitutions, c.deletions, c.insertions),
            (2, 1, 2, 0)
        );
        assert_eq!(c.wer(), 0.6);
        assert_eq!(c.mer(), 0.6);
        assert!((c.wil() - (1.0 - (2.0 / 5.0) * (2.0 / 3.0))).abs() < 1e-15);
    }

    #[test]
    fn empty_reference_follows_jiwer() {
        let c = word_counts("", "a b");
        assert_eq!((c.wer(), c.mer(), c.wil()), (2.0, 1.0, 1.0));
        let c = word_counts("  ", "");
        assert_eq!((c.wer(), c.mer(), c.wil()), (0.0, 0.0, 0.0));
        let c = word_counts("a b", "");
        assert_eq!((c.wer(), c.mer(), c.wil()), (1.0, 1.0, 1.0));
        assert_eq!(char_counts("", "ab").wer(), 2.0);
    }

    #[test]
    fn normalization_lowercases_and_drops_punctuation_only() {
        assert_eq!(
            normalize("  Hello,   World!\tIt's $5 "),
            "hello world its $5"
        );
        assert_eq!(normalize("10\u{a0}km — ok"), "10 km ok");
        assert_eq!(
            normalized_word_counts("Hello, world!", "hello world").wer(),
            0.0
        );
    }
}

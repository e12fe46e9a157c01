//! ROUGE-1, ROUGE-2, ROUGE-L and ROUGE-Lsum exactly as Google's `rouge-score` 0.1.2:
//! `RougeScorer([...], use_stemmer=S).score(target=reference, prediction=prediction)`.
//!
//! - Tokens: [`super::rouge_tokenize`] (lowercase, `[a-z0-9]+`), Porter-stemmed with NLTK's
//!   rules ([`super::porter`]) when the stemmer is on and the token is longer than 3 characters.
//! - ROUGE-N: clipped n-gram overlap; precision = overlap / max(prediction n-grams, 1), recall =
//!   overlap / max(reference n-grams, 1).
//! - ROUGE-L: longest common subsequence of the whole token sequences.
//! - ROUGE-Lsum: sentences are the non-empty `\n`-separated lines; for each reference sentence
//!   the union of one LCS (picked by rouge-score's backtrack, ties broken the same way) with
//!   each prediction sentence, counted without double counting as in ROUGE 1.5.5.
//! - F1 = 2PR / (P + R), 0 when P + R = 0.
//! - Several references: per ROUGE type the reference with the best F1 is used (first one on
//!   ties), like `RougeScorer.score_multi`.
//!
//! Speed: tokens are interned to integers (stems memoized per distinct token, per scorer), and
//! LCS lengths use the bit-parallel algorithm of Hyyrö (2004), 64 table cells per machine word;
//! the ROUGE-Lsum backtrack reads table cells off the stored bit rows with popcounts.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Mutex;

use rayon::prelude::*;

use super::rouge_tokenize::Tokens;
use super::{Direction, Metric, MetricDef, MetricValues, ScoringItem, ScoringOptions, mean_of};
use crate::error::{Error, MetricError, Result};

/// Precision, recall and F1 of one ROUGE type.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RougeScore {
    /// Matched units / prediction units.
    pub precision: f64,
    /// Matched units / reference units.
    pub recall: f64,
    /// Harmonic mean of precision and recall (0 when both are 0).
    pub f1: f64,
}

impl RougeScore {
    fn from_counts(matched: usize, prediction_units: usize, reference_units: usize) -> Self {
        let precision = matched as f64 / prediction_units.max(1) as f64;
        let recall = matched as f64 / reference_units.max(1) as f64;
        RougeScore {
            precision,
            recall,
            f1: fmeasure(precision, recall),
        }
    }
}

/// rouge-score's `scoring.fmeasure`, with the same operation order.
fn fmeasure(precision: f64, recall: f64) -> f64 {
    if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    }
}

/// The four ROUGE types of one reference/prediction pair.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RougeScores {
    /// Unigram overlap.
    pub rouge1: RougeScore,
    /// Bigram overlap.
    pub rouge2: RougeScore,
    /// Longest common subsequence over the whole texts.
    pub rouge_l: RougeScore,
    /// Summary-level LCS over `\n`-separated sentences.
    pub rouge_lsum: RougeScore,
}

/// Computes ROUGE scores like `rouge_score.rouge_scorer.RougeScorer`.
///
/// Keeps a memo of token stems and reusable buffers. It is `Sync`; concurrent calls on one
/// scorer never block (a call that finds the memo busy uses a fresh one), but one scorer per
/// thread is fastest.
pub struct RougeScorer {
    stemmer: bool,
    state: Mutex<State>,
}

impl std::fmt::Debug for RougeScorer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RougeScorer")
            .field("stemmer", &self.stemmer)
            .finish_non_exhaustive()
    }
}

impl RougeScorer {
    /// A scorer; `stemmer` is rouge-score's `use_stemmer`.
    pub fn new(stemmer: bool) -> Self {
        RougeScorer {
            stemmer,
            state: Mutex::new(State::default()),
        }
    }

    /// Scores `prediction` against one `reference` (rouge-score's `target`).
    pub fn score(&self, reference: &str, prediction: &str) -> RougeScores {
        match self.state.try_lock() {
            Ok(mut state) => state.score(self.stemmer, reference, prediction),
            Err(_) => State::default().score(self.stemmer, reference, prediction),
        }
    }

    /// Scores `prediction` against several references: per ROUGE type, the scores of the
    /// reference with the highest F1 (the first on ties), like rouge-score's `score_multi`.
    /// `None` when there are no references.
    pub fn score_multi<S: AsRef<str>>(
        &self,
        references: &[S],
        prediction: &str,
    ) -> Option<RougeScores> {
        let mut best: Option<RougeScores> = None;
        for reference in references {
            let s = self.score(reference.as_ref(), prediction);
            best = Some(match best {
                None => s,
                Some(b) => RougeScores {
                    rouge1: better(b.rouge1, s.rouge1),
                    rouge2: better(b.rouge2, s.rouge2),
                    rouge_l: better(b.rouge_l, s.rouge_l),
                    rouge_lsum: better(b.rouge_lsum, s.rouge_lsum),
                },
            });
        }
        best
    }
}

/// `np.argmax` over F1: a later reference wins only with a strictly higher F1.
fn better(current: RougeScore, candidate: RougeScore) -> RougeScore {
    if candidate.f1 > current.f1 {
        candidate
    } else {
        current
    }
}

/// FxHash (as in rustc): fast, deterministic, fine for short token keys.
#[derive(Default, Clone, Copy)]
struct FxHasher {
    hash: u64,
}

impl FxHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn write_u128(&mut self, n: u128) {
        self.add(n as u64);
        self.add((n >> 64) as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Above this many memoized tokens the memo starts over (bounds memory on huge corpora).
const MEMO_LIMIT: usize = 1 << 20;
const NO_LOCAL: u32 = u32::MAX;

/// Memo and scratch buffers of a scorer.
#[derive(Default)]
struct State {
    /// Lowercased token of at most 16 bytes, packed by [`short_key`] -> id of its final form
    /// (stemmed or not, per `memo_stemmed`).
    short_token_ids: FxMap<u128, u32>,
    /// Longer lowercased token -> id of its final form.
    token_ids: FxMap<Box<[u8]>, u32>,
    /// Final form -> id.
    form_ids: FxMap<Box<[u8]>, u32>,
    /// Whether `token_ids` was built with the stemmer on.
    memo_stemmed: bool,
    stem_buf: Vec<u8>,
    /// Form id -> dense id within the current pair (`NO_LOCAL` when unused).
    local_of: Vec<u32>,
    /// Form ids given a dense id in the current pair (to reset `local_of`).
    touched: Vec<u32>,
    reference: Side,
    prediction: Side,
    count_ref: Vec<u32>,
    count_pred: Vec<u32>,
    bigrams_ref: Vec<u64>,
    bigrams_pred: Vec<u64>,
    in_union: Vec<bool>,
    union_count: Vec<u32>,
    lcs: Lcs,
}

/// One tokenized text: dense token ids, and its non-empty sentences as ranges of `ids`.
#[derive(Default)]
struct Side {
    ids: Vec<u32>,
    sentences: Vec<(usize, usize)>,
}

impl State {
    fn score(&mut self, stemmer: bool, reference: &str, prediction: &str) -> RougeScores {
        let memo_size = self.short_token_ids.len() + self.token_ids.len();
        if self.memo_stemmed != stemmer || memo_size > MEMO_LIMIT {
            self.short_token_ids.clear();
            self.token_ids.clear();
            self.form_ids.clear();
            self.local_of.clear();
            self.memo_stemmed = stemmer;
        }
        let mut reference_side = std::mem::take(&mut self.reference);
        let mut prediction_side = std::mem::take(&mut self.prediction);
        self.tokenize(stemmer, reference, &mut reference_side);
        self.tokenize(stemmer, prediction, &mut prediction_side);
        let vocabulary = self.touched.len();
        let scores = self.score_sides(&reference_side, &prediction_side, vocabulary);
        for &form in &self.touched {
            self.local_of[form as usize] = NO_LOCAL;
        }
        self.touched.clear();
        self.reference = reference_side;
        self.prediction = prediction_side;
        scores
    }

    /// Fills `side` with the dense ids of `text`'s tokens and its sentence ranges.
    fn tokenize(&mut self, stemmer: bool, text: &str, side: &mut Side) {
        side.ids.clear();
        side.sentences.clear();
        let mut tokens = Tokens::new(text);
        let mut current_line = usize::MAX;
        let mut sentence_start = 0;
        while let Some((token, line)) = tokens.next_token() {
            let form = if let Some(key) = short_key(token) {
                match self.short_token_ids.get(&key) {
                    Some(&form) => form,
                    None => {
                        let form = self.new_token(stemmer, token);
                        self.short_token_ids.insert(key, form);
                        form
                    }
                }
            } else {
                match self.token_ids.get(token) {
                    Some(&form) => form,
                    None => {
                        let form = self.new_token(stemmer, token);
                        self.token_ids.insert(token.into(), form);
                        form
                    }
                }
            };
            if form == NO_LOCAL {
                continue; // the stem is empty: rouge-score drops it
            }
            let local = match self.local_of[form as usize] {
                NO_LOCAL => {
                    let local = self.touched.len() as u32;
                    self.local_of[form as usize] = local;
                    self.touched.push(form);
                    local
                }
                local => local,
            };
            if line != current_line {
                if side.ids.len() > sentence_start {
                    side.sentences.push((sentence_start, side.ids.len()));
                }
                sentence_start = side.ids.len();
                current_line = line;
            }
            side.ids.push(local);
        }
        if side.ids.len() > sentence_start {
            side.sentences.push((sentence_start, side.ids.len()));
        }
    }

    /// The form id of a token not seen before (stemming it when asked).
    fn new_token(&mut self, stemmer: bool, token: &[u8]) -> u32 {
        let form: &[u8] = if stemmer && token.len() > 3 {
            super::porter::stem_into(token, &mut self.stem_buf);
            &self.stem_buf
        } else {
            token
        };
        if form.is_empty() {
            return NO_LOCAL;
        }
        if let Some(&id) = self.form_ids.get(form) {
            return id;
        }
        let id = self.form_ids.len() as u32;
        self.form_ids.insert(form.into(), id);
        self.local_of.push(NO_LOCAL);
        id
    }

    fn score_sides(
        &mut self,
        reference: &Side,
        prediction: &Side,
        vocabulary: usize,
    ) -> RougeScores {
        let (r, p) = (&reference.ids, &prediction.ids);

        // ROUGE-1.
        self.count_ref.clear();
        self.count_ref.resize(vocabulary, 0);
        self.count_pred.clear();
        self.count_pred.resize(vocabulary, 0);
        for &t in r {
            self.count_ref[t as usize] += 1;
        }
        for &t in p {
            self.count_pred[t as usize] += 1;
        }
        let unigram_overlap: usize = self
            .count_ref
            .iter()
            .zip(&self.count_pred)
            .map(|(&a, &b)| a.min(b) as usize)
            .sum();
        let rouge1 = RougeScore::from_counts(unigram_overlap, p.len(), r.len());

        // ROUGE-2.
        fill_bigrams(r, &mut self.bigrams_ref);
        fill_bigrams(p, &mut self.bigrams_pred);
        let bigram_overlap = sorted_overlap(&self.bigrams_ref, &self.bigrams_pred);
        let rouge2 = RougeScore::from_counts(
            bigram_overlap,
            self.bigrams_pred.len(),
            self.bigrams_ref.len(),
        );

        // ROUGE-L.
        let rouge_l = if r.is_empty() || p.is_empty() {
            RougeScore::default()
        } else {
            self.lcs.prepare(p, vocabulary);
            let length = self.lcs.length(r);
            RougeScore::from_counts(length, p.len(), r.len())
        };

        // ROUGE-Lsum.
        let rouge_lsum = if r.is_empty() || p.is_empty() {
            RougeScore::default()
        } else {
            self.in_union.clear();
            self.in_union.resize(r.len(), false);
            for &(cs, ce) in &prediction.sentences {
                let candidate = &p[cs..ce];
                self.lcs.prepare(candidate, vocabulary);
                for &(rs, re) in &reference.sentences {
                    self.lcs
                        .mark_lcs(&r[rs..re], candidate, &mut self.in_union[rs..re]);
                }
            }
            // rouge-score walks each reference sentence's union LCS and counts a hit while the
            // token is still available on both sides. The union positions of a token never
            // outnumber its reference count, so hits(t) = min(union count, prediction count).
            self.union_count.clear();
            self.union_count.resize(vocabulary, 0);
            for (&t, &marked) in r.iter().zip(&self.in_union) {
                if marked {
                    self.union_count[t as usize] += 1;
                }
            }
            let hits: usize = self
                .union_count
                .iter()
                .zip(&self.count_pred)
                .map(|(&u, &c)| u.min(c) as usize)
                .sum();
            RougeScore::from_counts(hits, p.len(), r.len())
        };

        RougeScores {
            rouge1,
            rouge2,
            rouge_l,
            rouge_lsum,
        }
    }
}

/// A token of at most 16 bytes packed into an integer (zero-padded; tokens never contain a
/// zero byte, so the packing is unique), for cheap hashing and comparison.
fn short_key(token: &[u8]) -> Option<u128> {
    if token.len() > 16 {
        return None;
    }
    let mut key = 0u128;
    for (k, &b) in token.iter().enumerate() {
        key |= u128::from(b) << (8 * k);
    }
    Some(key)
}

/// The sorted bigrams of `ids`, packed in a `u64` each.
fn fill_bigrams(ids: &[u32], out: &mut Vec<u64>) {
    out.clear();
    out.extend(
        ids.windows(2)
            .map(|w| (u64::from(w[0]) << 32) | u64::from(w[1])),
    );
    out.sort_unstable();
}

/// Size of the multiset intersection of two sorted lists.
fn sorted_overlap(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// Bit-parallel LCS (Hyyrö 2004) against one prepared candidate sequence.
///
/// Row `i` of rouge-score's table `t[i][j]` (reference prefix of length `i` against candidate
/// prefix of length `j`) is kept as a bit vector `V` over the candidate positions, where a zero
/// bit at `j - 1` means `t[i][j] = t[i][j - 1] + 1`; so `t[i][j]` = zeros of `V` below `j`.
/// With `U = V & M` (M: the positions holding the reference token),
/// `V' = (V + U) | (V - U)`, and `V - U = V & !M` since `U` is a subset of `V`.
#[derive(Default)]
struct Lcs {
    /// Length of the prepared candidate.
    len: usize,
    /// 64-bit words per row (at least 1).
    words: usize,
    /// Candidates of at most 64 tokens: one-word match mask per dense token id (0 = absent).
    short_masks: Vec<u64>,
    /// Token ids whose `short_masks` entry is set (to clear them on the next `prepare`).
    short_set: Vec<u32>,
    /// Longer candidates: match masks, `words` each, one per distinct candidate token.
    masks: Vec<u64>,
    /// Dense token id -> index of its mask in `masks` (`NO_LOCAL` when absent).
    slot: Vec<u32>,
    /// Stored rows `V_0 ..= V_m` of the last `mark_lcs` call.
    rows: Vec<u64>,
}

impl Lcs {
    /// Builds the match masks of `candidate` (dense ids below `vocabulary`).
    fn prepare(&mut self, candidate: &[u32], vocabulary: usize) {
        self.len = candidate.len();
        self.words = candidate.len().div_ceil(64).max(1);
        for &t in &self.short_set {
            self.short_masks[t as usize] = 0;
        }
        self.short_set.clear();
        if self.words == 1 {
            if self.short_masks.len() < vocabulary {
                self.short_masks.resize(vocabulary, 0);
            }
            for (j, &t) in candidate.iter().enumerate() {
                let mask = &mut self.short_masks[t as usize];
                if *mask == 0 {
                    self.short_set.push(t);
                }
                *mask |= 1u64 << j;
            }
            return;
        }
        self.masks.clear();
        self.slot.clear();
        self.slot.resize(vocabulary, NO_LOCAL);
        for (j, &t) in candidate.iter().enumerate() {
            let slot = match self.slot[t as usize] {
                NO_LOCAL => {
                    let slot = (self.masks.len() / self.words) as u32;
                    self.slot[t as usize] = slot;
                    self.masks.resize(self.masks.len() + self.words, 0);
                    slot
                }
                slot => slot,
            };
            self.masks[slot as usize * self.words + j / 64] |= 1u64 << (j % 64);
        }
    }

    /// `V_next` from `V` for a reference token with match mask `mask` (`None`: no match).
    fn advance(current: &[u64], next: &mut [u64], mask: Option<&[u64]>) {
        let Some(mask) = mask else {
            next.copy_from_slice(current);
            return;
        };
        let mut carry = false;
        for ((next, &v), &m) in next.iter_mut().zip(current).zip(mask) {
            let u = v & m;
            let (sum, c1) = v.overflowing_add(u);
            let (sum, c2) = sum.overflowing_add(u64::from(carry));
            carry = c1 | c2;
            *next = sum | (v & !m);
        }
    }

    /// The match mask of token `t` in a long candidate.
    fn mask(&self, t: u32) -> Option<&[u64]> {
        match self.slot[t as usize] {
            NO_LOCAL => None,
            slot => {
                let start = slot as usize * self.words;
                Some(&self.masks[start..start + self.words])
            }
        }
    }

    /// Fills `self.rows` with `V_0 ..= V_m` for `reference`.
    fn fill_rows(&mut self, reference: &[u32]) {
        let words = self.words;
        self.rows.clear();
        self.rows.resize((reference.len() + 1) * words, u64::MAX);
        if words == 1 {
            let mut v = u64::MAX;
            for (row, &t) in self.rows[1..].iter_mut().zip(reference) {
                let m = self.short_masks[t as usize];
                v = v.wrapping_add(v & m) | (v & !m);
                *row = v;
            }
            return;
        }
        let mut rows = std::mem::take(&mut self.rows);
        for (i, &t) in reference.iter().enumerate() {
            let (done, rest) = rows.split_at_mut((i + 1) * words);
            Self::advance(&done[i * words..], &mut rest[..words], self.mask(t));
        }
        self.rows = rows;
    }

    /// LCS length of `reference` and the prepared candidate.
    fn length(&mut self, reference: &[u32]) -> usize {
        let words = self.words;
        if words == 1 {
            let mut v = u64::MAX;
            for &t in reference {
                let m = self.short_masks[t as usize];
                v = v.wrapping_add(v & m) | (v & !m);
            }
            return self.len - ones_below(&[v], self.len);
        }
        let mut rows = std::mem::take(&mut self.rows);
        rows.clear();
        rows.resize(2 * words, u64::MAX);
        for &t in reference {
            let (current, next) = rows.split_at_mut(words);
            Self::advance(current, next, self.mask(t));
            current.copy_from_slice(next);
        }
        let length = self.len - ones_below(&rows[..words], self.len);
        self.rows = rows;
        length
    }

    /// Marks in `marked` the reference positions of the LCS that rouge-score's
    /// `_backtrack_norec(_lcs_table(reference, candidate), reference, candidate)` returns.
    fn mark_lcs(&mut self, reference: &[u32], candidate: &[u32], marked: &mut [bool]) {
        debug_assert_eq!(candidate.len(), self.len);
        self.fill_rows(reference);
        let words = self.words;
        let rows = &self.rows;
        let row = |i: usize| &rows[i * words..(i + 1) * words];
        // t[i][j] = j - ones of V_i below j (one popcount per row change), and
        // t[i][j] - t[i][j - 1] = 1 - bit j - 1 of V_i (free when moving left).
        let cell = |i: usize, j: usize| j - ones_below(row(i), j);
        let step = |i: usize, j: usize| {
            let bit = (row(i)[(j - 1) / 64] >> ((j - 1) % 64)) & 1;
            1 - bit as usize
        };
        let (mut i, mut j) = (reference.len(), candidate.len());
        if i == 0 || j == 0 {
            return;
        }
        // here = t[i][j], up = t[i - 1][j].
        let mut here = cell(i, j);
        let mut up = cell(i - 1, j);
        loop {
            if reference[i - 1] == candidate[j - 1] {
                marked[i - 1] = true;
                i -= 1;
                j -= 1;
                if i == 0 || j == 0 {
                    return;
                }
                here -= 1;
                up = cell(i - 1, j);
            } else {
                let left = here - step(i, j);
                if left > up {
                    up -= step(i - 1, j);
                    here = left;
                    j -= 1;
                    if j == 0 {
                        return;
                    }
                } else {
                    i -= 1;
                    if i == 0 {
                        return;
                    }
                    here = up;
                    up = cell(i - 1, j);
                }
            }
        }
    }
}

/// Number of one bits of `row` at positions below `j`.
fn ones_below(row: &[u64], j: usize) -> usize {
    let full = j / 64;
    let mut ones: usize = row[..full].iter().map(|w| w.count_ones() as usize).sum();
    let rest = j % 64;
    if rest > 0 {
        ones += (row[full] & ((1u64 << rest) - 1)).count_ones() as usize;
    }
    ones
}

/// The ROUGE metric family: `rouge{1,2,L,Lsum}_{precision,recall,f1}`, mean of per-item values.
pub struct RougeMetric;

/// ROUGE types in output order with their id prefixes.
const TYPES: [&str; 4] = ["rouge1", "rouge2", "rougeL", "rougeLsum"];
/// Score parts with their id suffixes.
const PARTS: [&str; 3] = ["precision", "recall", "f1"];

const DESCRIPTIONS: [[&str; 3]; 4] = [
    [
        "ROUGE-1 precision: clipped unigram overlap / prediction unigrams (rouge-score 0.1.2)",
        "ROUGE-1 recall: clipped unigram overlap / reference unigrams (rouge-score 0.1.2)",
        "ROUGE-1 F1: harmonic mean of unigram precision and recall (rouge-score 0.1.2)",
    ],
    [
        "ROUGE-2 precision: clipped bigram overlap / prediction bigrams (rouge-score 0.1.2)",
        "ROUGE-2 recall: clipped bigram overlap / reference bigrams (rouge-score 0.1.2)",
        "ROUGE-2 F1: harmonic mean of bigram precision and recall (rouge-score 0.1.2)",
    ],
    [
        "ROUGE-L precision: longest common subsequence / prediction tokens (rouge-score 0.1.2)",
        "ROUGE-L recall: longest common subsequence / reference tokens (rouge-score 0.1.2)",
        "ROUGE-L F1: harmonic mean of LCS precision and recall (rouge-score 0.1.2)",
    ],
    [
        "ROUGE-Lsum precision: summary-level union LCS over newline-separated sentences / \
         prediction tokens (rouge-score 0.1.2)",
        "ROUGE-Lsum recall: summary-level union LCS over newline-separated sentences / \
         reference tokens (rouge-score 0.1.2)",
        "ROUGE-Lsum F1: harmonic mean of summary-level LCS precision and recall \
         (rouge-score 0.1.2)",
    ],
];

fn part(scores: &RougeScores, rouge_type: usize, part: usize) -> f64 {
    let s = match rouge_type {
        0 => &scores.rouge1,
        1 => &scores.rouge2,
        2 => &scores.rouge_l,
        _ => &scores.rouge_lsum,
    };
    match part {
        0 => s.precision,
        1 => s.recall,
        _ => s.f1,
    }
}

/// Splits a ROUGE metric id into (type index, part index).
fn parse_id(id: &str) -> Option<(usize, usize)> {
    let (prefix, suffix) = id.rsplit_once('_')?;
    let t = TYPES.iter().position(|&x| x == prefix)?;
    let p = PARTS.iter().position(|&x| x == suffix)?;
    Some((t, p))
}

impl Metric for RougeMetric {
    fn definitions(&self) -> Vec<MetricDef> {
        let mut defs = Vec::with_capacity(12);
        for (t, rouge_type) in TYPES.iter().enumerate() {
            for (p, part) in PARTS.iter().enumerate() {
                defs.push(MetricDef {
                    id: format!("{rouge_type}_{part}"),
                    direction: Direction::HigherIsBetter,
                    reference_based: true,
                    varies_by_machine: false,
                    range: (Some(0.0), Some(1.0)),
                    aggregation: "mean of per-item values",
                    description: DESCRIPTIONS[t][p],
                });
            }
        }
        defs
    }

    fn settings(
        &self,
        wanted: &[&str],
        options: &ScoringOptions,
    ) -> std::collections::BTreeMap<String, serde_json::Value> {
        let mut settings = super::params_settings(wanted, options);
        settings.insert(
            "stemmer".to_string(),
            serde_json::Value::Bool(options.stemmer),
        );
        settings
    }

    fn score(
        &self,
        items: &[ScoringItem<'_>],
        wanted: &[&str],
        options: &ScoringOptions,
    ) -> Result<Vec<MetricValues>> {
        super::reject_params(options, wanted)?;
        let parsed: Vec<(usize, usize)> = wanted
            .iter()
            .map(|id| {
                parse_id(id).ok_or_else(|| {
                    Error::Metric(MetricError::new(format!(
                        "ROUGE cannot compute `{id}`; its ids are rouge1|rouge2|rougeL|rougeLsum \
                         followed by _precision, _recall or _f1"
                    )))
                })
            })
            .collect::<Result<_>>()?;
        if let Some(item) = items.iter().find(|item| item.references.is_empty()) {
            return Err(Error::Metric(MetricError::new(format!(
                "ROUGE needs at least one reference, but item `{}` has none; add a reference \
                 to the dataset item or drop the ROUGE metrics for this dataset",
                item.id
            ))));
        }
        let per_item: Vec<RougeScores> = items
            .par_iter()
            .map_init(
                || RougeScorer::new(options.stemmer),
                |scorer, item| {
                    scorer
                        .score_multi(item.references, item.prediction)
                        .unwrap_or_default()
                },
            )
            .collect();
        Ok(wanted
            .iter()
            .zip(&parsed)
            .map(|(id, &(t, p))| {
                let values: Vec<Option<f64>> =
                    per_item.iter().map(|s| Some(part(s, t, p))).collect();
                MetricValues {
                    id: (*id).to_string(),
                    aggregate: mean_of(&values),
                    per_item: values,
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    /// Plain dynamic-programming table as in rouge-score, for cross-checking.
    fn naive_table(r: &[u32], c: &[u32]) -> Vec<Vec<usize>> {
        let mut t = vec![vec![0; c.len() + 1]; r.len() + 1];
        for i in 1..=r.len() {
            for j in 1..=c.len() {
                t[i][j] = if r[i - 1] == c[j - 1] {
                    t[i - 1][j - 1] + 1
                } else {
                    t[i - 1][j].max(t[i][j - 1])
                };
            }
        }
        t
    }

    fn naive_backtrack(r: &[u32], c: &[u32]) -> Vec<usize> {
        let t = naive_table(r, c);
        let (mut i, mut j) = (r.len(), c.len());
        let mut out = Vec::new();
        while i > 0 && j > 0 {
            if r[i - 1] == c[j - 1] {
                out.push(i - 1);
                i -= 1;
                j -= 1;
            } else if t[i][j - 1] > t[i - 1][j] {
                j -= 1;
            } else {
                i -= 1;
            }
        }
        out.sort_unstable();
        out
    }

    #[test]
    fn bit_parallel_lcs_matches_the_table_and_its_backtrack() {
        // Deterministic pseudo-random sequences over small alphabets, lengths across word
        // boundaries.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n) as u32
        };
        let mut lcs = Lcs::default();
        for round in 0..400 {
            let alphabet = 2 + (round % 7) as u64;
            let rl = next(140) as usize;
            let cl = next(140) as usize;
            let r: Vec<u32> = (0..rl).map(|_| next(alphabet)).collect();
            let c: Vec<u32> = (0..cl).map(|_| next(alphabet)).collect();
            lcs.prepare(&c, alphabet as usize);
            assert_eq!(lcs.length(&r), naive_table(&r, &c)[rl][cl], "round {round}");
            let mut marked = vec![false; rl];
            lcs.mark_lcs(&r, &c, &mut marked);
            let got: Vec<usize> = (0..rl).filter(|&i| marked[i]).collect();
            assert_eq!(got, naive_backtrack(&r, &c), "round {round}");
        }
    }

    #[test]
    fn rouge_score_lcs_table_test() {
        // rouge_scorer_test.testLcsTable: ref [1..5], candidate [2, 5, 3, 4] -> indices [1, 2, 3].
        let (r, c) = ([1, 2, 3, 4, 5], [2, 5, 3, 4]);
        let mut lcs = Lcs::default();
        lcs.prepare(&c, 10);
        assert_eq!(lcs.length(&r), 3);
        let mut marked = [false; 5];
        lcs.mark_lcs(&r, &c, &mut marked);
        assert_eq!(marked, [false, true, true, true, false]);
        lcs.prepare(&[8, 9], 10);
        let mut marked = [false; 5];
        lcs.mark_lcs(&r, &[8, 9], &mut marked);
        assert_eq!(marked, [false; 5]);
    }

    #[test]
    fn rouge_scorer_docstring_example() {
        // rouge-score: score('The quick brown fox jumps over the lazy dog',
        //                    'The quick brown dog jumps on the log.')
        let s = RougeScorer::new(false).score(
            "The quick brown fox jumps over the lazy dog",
            "The quick brown dog jumps on the log.",
        );
        // rouge1: 6 of 8 prediction tokens, 6 of 9 reference tokens.
        assert!(close(s.rouge1.precision, 6.0 / 8.0));
        assert!(close(s.rouge1.recall, 6.0 / 9.0));
        // rouge2: "the quick", "quick brown" shared.
        assert!(close(s.rouge2.precision, 2.0 / 7.0));
        assert!(close(s.rouge2.recall, 2.0 / 8.0));
        // LCS: the quick brown jumps the -> 5.
        assert!(close(s.rouge_l.precision, 5.0 / 8.0));
        assert!(close(s.rouge_l.recall, 5.0 / 9.0));
        assert_eq!(s.rouge_l, s.rouge_lsum);
        let f = 2.0 * (5.0 / 8.0) * (5.0 / 9.0) / (5.0 / 8.0 + 5.0 / 9.0);
        assert!(close(s.rouge_l.f1, f));
    }

    #[test]
    fn empty_sides_score_zero() {
        let scorer = RougeScorer::new(true);
        for (r, p) in [("", "a b"), ("a b", ""), ("...", "!!"), ("\n\n", "a")] {
            assert_eq!(scorer.score(r, p), RougeScores::default(), "{r:?} / {p:?}");
        }
    }

    #[test]
    fn stemmer_changes_matches() {
        let off = RougeScorer::new(false).score("the cats were running", "the cat runs");
        let on = RougeScorer::new(true).score("the cats were running", "the cat runs");
        assert!(close(off.rouge1.precision, 1.0 / 3.0));
        assert!(close(on.rouge1.precision, 1.0));
    }

    #[test]
    fn rouge_lsum_counts_union_without_double_counting() {
        // rouge-score test: testRougeLsum-style union LCS from the ROUGE paper (section 3.2):
        // reference "w1 w2 w3 w4 w5", candidates "w1 w2 w6 w7 w8" and "w1 w3 w8 w9 w5".
        let s = RougeScorer::new(false).score("w1 w2 w3 w4 w5", "w1 w2 w6 w7 w8\nw1 w3 w8 w9 w5");
        // union LCS = w1 w2 w3 w5 -> 4 hits, but w1 appears once in the reference.
        assert!(close(s.rouge_lsum.recall, 4.0 / 5.0));
        assert!(close(s.rouge_lsum.precision, 4.0 / 10.0));
    }

    #[test]
    fn shared_scorer_gives_the_same_results_under_contention() {
        let pairs: Vec<(String, String)> = (0..200)
            .map(|k| {
                (
                    format!("the cats were running {k} times\nand generously {}", k % 7),
                    format!("a cat runs {} times\ngenerous and {k}", k % 5),
                )
            })
            .collect();
        let shared = RougeScorer::new(true);
        let sequential: Vec<RougeScores> = pairs
            .iter()
            .map(|(r, p)| RougeScorer::new(true).score(r, p))
            .collect();
        let parallel: Vec<RougeScores> =
            pairs.par_iter().map(|(r, p)| shared.score(r, p)).collect();
        assert_eq!(sequential, parallel);
    }

    #[test]
    fn multi_reference_takes_best_f1_per_type() {
        let scorer = RougeScorer::new(false);
        let refs = ["completely different words", "the cat sat on the mat"];
        let best = scorer.score_multi(&refs, "the cat sat").unwrap();
        assert_eq!(best, scorer.score(refs[1], "the cat sat"));
        assert!(scorer.score_multi::<&str>(&[], "x").is_none());
    }

    #[test]
    fn metric_family_ids_and_errors() {
        let defs = RougeMetric.definitions();
        assert_eq!(defs.len(), 12);
        assert!(defs.iter().all(|d| parse_id(&d.id).is_some()));
        assert_eq!(defs[11].id, "rougeLsum_f1");
        let refs = vec!["a b c".to_string()];
        let meta = serde_json::Value::Null;
        let item = ScoringItem {
            id: "x",
            input: "",
            prediction: "a b",
            references: &refs,
            metadata: &meta,
            generation: None,
        };
        let opts = ScoringOptions::default();
        let out = RougeMetric
            .score(&[item, item], &["rouge1_recall", "rougeL_precision"], &opts)
            .unwrap();
        assert_eq!(out[0].id, "rouge1_recall");
        assert!(close(out[0].aggregate, 2.0 / 3.0));
        assert_eq!(out[1].per_item, vec![Some(1.0), Some(1.0)]);
        let err = RougeMetric
            .score(&[item], &["rouge3_f1"], &opts)
            .unwrap_err();
        assert!(err.to_string().contains("rouge3_f1"));
        let none: Vec<String> = Vec::new();
        let bare = ScoringItem {
            references: &none,
            ..item
        };
        let err = RougeMetric
            .score(&[bare], &["rouge1_f1"], &opts)
            .unwrap_err();
        assert!(err.to_string().contains("item `x`"));
    }
}

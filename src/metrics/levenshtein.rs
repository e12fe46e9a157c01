//! Levenshtein alignment counts (hits, substitutions, deletions, insertions) chosen the way
//! rapidfuzz 3.x's `Levenshtein.editops` chooses them, which is what jiwer 4.0.0 reports.
//!
//! When several alignments are optimal, their hit counts can differ (one substitution versus a
//! deletion plus an insertion), so MER and WIL depend on the choice. rapidfuzz strips the common
//! prefix and suffix, computes the DP matrix with Hyyrö's bit-parallel algorithm, and backtracks
//! from the bottom-right corner preferring, at each cell, a deletion, then an insertion, then the
//! diagonal. For large inputs (`2 * len(s1) * len(s2) / 8 >= 1 MiB` after affix removal, with
//! `len(s1) >= 65` and `len(s2) >= 10`) it first splits the problem Hirschberg-style at the middle
//! of `s2` and the first `s1` position (>= 1) minimising the summed distance, recursing into both
//! halves. This module reproduces both steps, with the bit matrix stored as 64-bit words per
//! column.

/// Edit operation counts of one alignment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EditCounts {
    /// Reference tokens aligned to an equal hypothesis token.
    pub hits: usize,
    /// Reference tokens aligned to a different hypothesis token.
    pub substitutions: usize,
    /// Reference tokens with no hypothesis token.
    pub deletions: usize,
    /// Hypothesis tokens with no reference token.
    pub insertions: usize,
}

/// Aligns `reference` (rapidfuzz's `s1`) with `hypothesis` (`s2`), both as dense token ids, and
/// counts the operations of the alignment rapidfuzz would pick.
pub fn align_counts(reference: &[u32], hypothesis: &[u32]) -> EditCounts {
    let mut counts = EditCounts::default();
    let max = reference.len().max(hypothesis.len());
    align(reference, hypothesis, max, &mut counts);
    counts.hits = reference.len() - counts.substitutions - counts.deletions;
    counts
}

/// The edit distance alone. Every optimal alignment has this many edits, so error rates (WER,
/// CER) need no alignment choice; only hit counts (MER, WIL) do.
pub fn distance(reference: &[u32], hypothesis: &[u32]) -> usize {
    let (r, h) = strip_common_affix(reference, hypothesis);
    *last_column(r, h)
        .last()
        .expect("the column has len(r) + 1 entries")
}

/// `a` and `b` without their common prefix and then their common suffix: the tokens every
/// optimal alignment matches, so they add no edits.
fn strip_common_affix<'a>(a: &'a [u32], b: &'a [u32]) -> (&'a [u32], &'a [u32]) {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[prefix..], &b[prefix..]);
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    (&a[..a.len() - suffix], &b[..b.len() - suffix])
}

/// rapidfuzz's `levenshtein_align_hirschberg`: strip the common affix, then either backtrack the
/// full matrix or split and recurse. `max` is an upper bound of the distance.
fn align(s1: &[u32], s2: &[u32], max: usize, counts: &mut EditCounts) {
    let (s1, s2) = strip_common_affix(s1, s2);
    if s1.is_empty() || s2.is_empty() {
        counts.deletions += s1.len();
        counts.insertions += s2.len();
        return;
    }
    let max = max.min(s1.len().max(s2.len()));
    let full_band = s1.len().min(2 * max + 1);
    let matrix_size = 2 * full_band * s2.len() / 8;
    if matrix_size < 1024 * 1024 || s1.len() < 65 || s2.len() < 10 {
        backtrack(s1, s2, counts);
    } else {
        let (s1_mid, s2_mid, left_score, right_score) = hirschberg_split(s1, s2);
        align(&s1[..s1_mid], &s2[..s2_mid], left_score, counts);
        align(&s1[s1_mid..], &s2[s2_mid..], right_score, counts);
    }
}

/// rapidfuzz's `find_hirschberg_pos`: `s2` is cut in the middle; `s1` at the first position
/// `>= 1` where the distance of the left halves plus that of the right halves is smallest.
/// Returns `(s1_mid, s2_mid, left distance, right distance)`.
fn hirschberg_split(s1: &[u32], s2: &[u32]) -> (usize, usize, usize, usize) {
    let s2_mid = s2.len() / 2;
    let left = last_column(s1, &s2[..s2_mid]);
    let r1: Vec<u32> = s1.iter().rev().copied().collect();
    let r2: Vec<u32> = s2[s2_mid..].iter().rev().copied().collect();
    let right = last_column(&r1, &r2);
    let mut best = (usize::MAX, 0, 0, 0);
    for s1_mid in 1..=s1.len() {
        let (l, r) = (left[s1_mid], right[s1.len() - s1_mid]);
        if l + r < best.0 {
            best = (l + r, s1_mid, l, r);
        }
    }
    (best.1, s2_mid, best.2, best.3)
}

/// `D[i][len(s2)]` for every `i` in `0..=len(s1)`: the edit distances between each prefix of `s1`
/// and all of `s2`.
fn last_column(s1: &[u32], s2: &[u32]) -> Vec<usize> {
    let mut column = Vec::with_capacity(s1.len() + 1);
    column.push(s2.len());
    if s2.is_empty() {
        column.extend(1..=s1.len());
        return column;
    }
    if s1.is_empty() {
        return column;
    }
    let matrix = BitMatrix::compute(s1, s2, false);
    let mut value = s2.len();
    for i in 0..s1.len() {
        if matrix.vp(0, i) {
            value += 1;
        } else if matrix.vn(0, i) {
            value -= 1;
        }
        column.push(value);
    }
    column
}

/// Hyyrö's bit-parallel DP over `s1` (bits) and `s2` (columns): the vertical +1 (`vp`) and -1
/// (`vn`) deltas of every column, or of the last column only.
struct BitMatrix {
    words: usize,
    vp: Vec<u64>,
    vn: Vec<u64>,
}

impl BitMatrix {
    fn compute(s1: &[u32], s2: &[u32], keep_all: bool) -> BitMatrix {
        let words = s1.len().div_ceil(64);
        let max_id = s1.iter().chain(s2).copied().max().unwrap_or(0) as usize;
        // Pattern-match vectors: bit i of symbol c's vector is set when s1[i] == c.
        let mut pm = vec![0u64; (max_id + 1) * words];
        for (i, &c) in s1.iter().enumerate() {
            pm[c as usize * words + i / 64] |= 1u64 << (i % 64);
        }
        let stored = if keep_all { s2.len() } else { 0 };
        let mut matrix = BitMatrix {
            words,
            vp: vec![0u64; stored * words],
            vn: vec![0u64; stored * words],
        };
        let mut vp = vec![!0u64; words];
        let mut vn = vec![0u64; words];
        for (j, &c) in s2.iter().enumerate() {
            let pm_j = &pm[c as usize * words..(c as usize + 1) * words];
            let mut add_carry = 0u64;
            let mut hp_carry = 1u64;
            let mut hn_carry = 0u64;
            for w in 0..words {
                let x = pm_j[w];
                let (vp_w, vn_w) = (vp[w], vn[w]);
                let (sum1, c1) = (x & vp_w).overflowing_add(vp_w);
                let (sum2, c2) = sum1.overflowing_add(add_carry);
                add_carry = u64::from(c1 || c2);
                let d0 = (sum2 ^ vp_w) | x | vn_w;
                let hp = vn_w | !(d0 | vp_w);
                let hn = d0 & vp_w;
                let hp_shifted = (hp << 1) | hp_carry;
                let hn_shifted = (hn << 1) | hn_carry;
                hp_carry = hp >> 63;
                hn_carry = hn >> 63;
                vp[w] = hn_shifted | !(d0 | hp_shifted);
                vn[w] = hp_shifted & d0;
            }
            if keep_all {
                matrix.vp[j * words..(j + 1) * words].copy_from_slice(&vp);
                matrix.vn[j * words..(j + 1) * words].copy_from_slice(&vn);
            }
        }
        if !keep_all {
            matrix.vp = vp;
            matrix.vn = vn;
        }
        matrix
    }

    fn bit(m: &[u64], words: usize, column: usize, i: usize) -> bool {
        m[column * words + i / 64] >> (i % 64) & 1 == 1
    }

    /// `D[i+1][j+1] - D[i][j+1] == 1` in stored column `j`.
    fn vp(&self, j: usize, i: usize) -> bool {
        Self::bit(&self.vp, self.words, j, i)
    }

    /// `D[i+1][j+1] - D[i][j+1] == -1` in stored column `j`.
    fn vn(&self, j: usize, i: usize) -> bool {
        Self::bit(&self.vn, self.words, j, i)
    }
}

/// rapidfuzz's `recover_alignment` over the full bit matrix of non-empty `s1`, `s2`.
fn backtrack(s1: &[u32], s2: &[u32], counts: &mut EditCounts) {
    let matrix = BitMatrix::compute(s1, s2, true);
    let (mut col, mut row) = (s1.len(), s2.len());
    while row != 0 && col != 0 {
        if matrix.vp(row - 1, col - 1) {
            counts.deletions += 1;
            col -= 1;
        } else {
            row -= 1;
            if row != 0 && matrix.vn(row - 1, col - 1) {
                counts.insertions += 1;
            } else {
                col -= 1;
                if s1[col] != s2[row] {
                    counts.substitutions += 1;
                }
            }
        }
    }
    counts.deletions += col;
    counts.insertions += row;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(r: &[u32], h: &[u32]) -> (usize, usize, usize, usize) {
        let c = align_counts(r, h);
        (c.hits, c.substitutions, c.deletions, c.insertions)
    }

    /// Plain O(nm) edit distance, to check the alignment is optimal.
    fn distance(a: &[u32], b: &[u32]) -> usize {
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for (i, x) in a.iter().enumerate() {
            let mut cur = vec![i + 1; b.len() + 1];
            for (j, y) in b.iter().enumerate() {
                cur[j + 1] = (prev[j] + usize::from(x != y))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1);
            }
            prev = cur;
        }
        prev[b.len()]
    }

    #[test]
    fn last_column_matches_plain_dp() {
        let a = [1, 2, 3, 1, 2, 3, 4, 4, 1];
        let b = [2, 3, 3, 1, 4];
        let column = last_column(&a, &b);
        for i in 0..=a.len() {
            assert_eq!(column[i], distance(&a[..i], &b), "prefix {i}");
        }
        assert_eq!(last_column(&a, &[]), (0..=a.len()).collect::<Vec<_>>());
        assert_eq!(last_column(&[], &b), vec![b.len()]);
    }

    #[test]
    fn simple_cases() {
        assert_eq!(counts(&[], &[]), (0, 0, 0, 0));
        assert_eq!(counts(&[1, 2], &[]), (0, 0, 2, 0));
        assert_eq!(counts(&[], &[1]), (0, 0, 0, 1));
        assert_eq!(counts(&[1, 2, 3], &[1, 2, 3]), (3, 0, 0, 0));
        assert_eq!(counts(&[1, 2, 3], &[1, 4, 3]), (2, 1, 0, 0));
    }

    #[test]
    fn ties_are_broken_like_rapidfuzz() {
        // rapidfuzz Levenshtein.editops([0, 1], [1, 0]) is an insert and a delete (one hit),
        // not two replaces: [('insert', 0, 0), ('delete', 1, 2)].
        assert_eq!(counts(&[0, 1], &[1, 0]), (1, 0, 1, 1));
        // editops([0,1,2],[2,1,0]) -> replace, replace (2 subs, middle hit)
        assert_eq!(counts(&[0, 1, 2], &[2, 1, 0]), (1, 2, 0, 0));
    }

    #[test]
    fn alignment_is_optimal_across_word_boundaries() {
        let mut seed = 12345u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as u32
        };
        for _ in 0..200 {
            let n1 = (next() % 150) as usize;
            let n2 = (next() % 150) as usize;
            let k = 2 + next() % 5;
            let a: Vec<u32> = (0..n1).map(|_| next() % k).collect();
            let b: Vec<u32> = (0..n2).map(|_| next() % k).collect();
            let c = align_counts(&a, &b);
            assert_eq!(
                c.substitutions + c.deletions + c.insertions,
                distance(&a, &b)
            );
            assert_eq!(c.hits + c.substitutions + c.deletions, a.len());
            assert_eq!(c.hits + c.substitutions + c.insertions, b.len());
        }
    }
}

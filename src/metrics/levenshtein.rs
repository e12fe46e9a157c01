//! Levenshtein alignment counts (hits, substitutions, deletions, insertions) chosen the way
//! rapidfuzz 3.x's `Levenshtein.editops` chooses them, which is what jiwer 4.0.0 reports.
//!
//! When several alignments are optimal, their hit counts can differ (one substitution versus a
//! deletion plus an insertion), so MER and WIL depend on the choice. rapidfuzz strips the common
//! prefix and suffix, computes the DP matrix with Hyyrö's bit-parallel algorithm, and backtracks
//! from the bottom-right corner preferring, at each cell, a deletion, then an insertion, then the
//! diagonal. This module does the same, with the bit matrix stored as 64-bit words per column.
//!
//! Known limit: for very large inputs (rapidfuzz's threshold: `2 * len(ref) * len(hyp) / 8 >=
//! 1 MiB` after affix removal, i.e. about 2,048 × 2,048 tokens) rapidfuzz switches to Hirschberg's
//! divide and conquer, which can break rare ties differently; the distance is always the same.

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
    let prefix = reference
        .iter()
        .zip(hypothesis)
        .take_while(|(a, b)| a == b)
        .count();
    let (r, h) = (&reference[prefix..], &hypothesis[prefix..]);
    let suffix = r
        .iter()
        .rev()
        .zip(h.iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let s1 = &r[..r.len() - suffix];
    let s2 = &h[..h.len() - suffix];
    let mut counts = EditCounts::default();
    if s1.is_empty() || s2.is_empty() {
        counts.deletions = s1.len();
        counts.insertions = s2.len();
    } else {
        backtrack(s1, s2, &mut counts);
    }
    counts.hits = reference.len() - counts.substitutions - counts.deletions;
    counts
}

/// Fills substitutions, deletions and insertions for non-empty `s1`, `s2`.
fn backtrack(s1: &[u32], s2: &[u32], counts: &mut EditCounts) {
    let words = s1.len().div_ceil(64);
    let max_id = s1.iter().chain(s2).copied().max().unwrap_or(0) as usize;
    // Pattern-match vectors: bit i of symbol c's vector is set when s1[i] == c.
    let mut pm = vec![0u64; (max_id + 1) * words];
    for (i, &c) in s1.iter().enumerate() {
        pm[c as usize * words + i / 64] |= 1u64 << (i % 64);
    }
    // Column j of the DP matrix (after consuming s2[j]): vertical +1 / -1 deltas along s1.
    let mut vp_matrix = vec![0u64; s2.len() * words];
    let mut vn_matrix = vec![0u64; s2.len() * words];
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
        vp_matrix[j * words..(j + 1) * words].copy_from_slice(&vp);
        vn_matrix[j * words..(j + 1) * words].copy_from_slice(&vn);
    }
    let bit = |m: &[u64], row: usize, col: usize| -> bool {
        m[row * words + col / 64] >> (col % 64) & 1 == 1
    };
    let (mut col, mut row) = (s1.len(), s2.len());
    while row != 0 && col != 0 {
        if bit(&vp_matrix, row - 1, col - 1) {
            counts.deletions += 1;
            col -= 1;
        } else {
            row -= 1;
            if row != 0 && bit(&vn_matrix, row - 1, col - 1) {
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

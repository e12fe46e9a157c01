//! The paired sign-flip permutation test and its exact inversion into a confidence interval.
//!
//! For a sign vector `s` with `k_s` flipped items, `t_s = a + (Σ_{i flipped} v_i) / k_s`
//! (`a = w[0]`, `v_i = w_i − a`, the sum in increasing item order) is the mean worsening of the
//! flipped items: the hypothesised worsening at which `s` starts to count in the upper-tail
//! p-value. Vectors with `k_s = 0` (the identity) always count, in both tails.

use rayon::prelude::*;

use super::CHUNK;
use super::rng::SplitMix64;

/// Largest item count whose `2^n` sign vectors are enumerated.
pub const EXACT_MAX_ITEMS: usize = 16;

/// The sign-flip distribution of one set of differences, reduced to what the p-values need.
#[derive(Debug, Clone)]
pub(super) struct Flips {
    /// Number of sign vectors `N` (`2^n` exact, else the resamples).
    pub vectors: usize,
    /// Vectors without any flipped item (`k_s = 0`): they count at every `δ`.
    pub unflipped: usize,
    /// `t_s` of the other vectors, sorted ascending.
    pub thresholds: Vec<f64>,
    /// Whether all `2^n` sign vectors were enumerated.
    pub exact: bool,
}

impl Flips {
    /// Builds the distribution: exact enumeration when `n ≤ 16` (vector number `m` in
    /// `0..2^n` flips item `i` when bit `i` of `m` is set), else the identity plus
    /// `resamples − 1` random vectors (vector `j` in `1..resamples` flips item `i` when the
    /// `i`-th output of [`SplitMix64::stream`]`(seed, j)` has its top bit set).
    pub fn new(w: &[f64], resamples: usize, seed: u64) -> Self {
        let n = w.len();
        let a = w[0];
        let v: Vec<f64> = w.iter().map(|&x| x - a).collect();
        let exact = n <= EXACT_MAX_ITEMS;
        let vectors = if exact { 1usize << n } else { resamples };
        // Each slot: (flipped count, sum of flipped v).
        let mut slots = vec![(0u32, 0.0f64); vectors];
        slots
            .par_chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(chunk, out)| {
                for (j, slot) in out.iter_mut().enumerate() {
                    let m = chunk * CHUNK + j;
                    let mut k = 0u32;
                    let mut sum = 0.0;
                    if exact {
                        for (i, &x) in v.iter().enumerate() {
                            if m >> i & 1 == 1 {
                                k += 1;
                                sum += x;
                            }
                        }
                    } else if m > 0 {
                        let mut rng = SplitMix64::stream(seed, m as u64);
                        // Branch-free (a random branch mispredicts half the time): adding
                        // `0.0 · v_i` for an unflipped item leaves the sum's value unchanged.
                        let mut flipped = 0u64;
                        for &x in &v {
                            let bit = rng.next_u64() >> 63;
                            flipped += bit;
                            sum += bit as f64 * x;
                        }
                        k = flipped as u32;
                    }
                    *slot = (k, sum);
                }
            });
        let unflipped = slots.iter().filter(|(k, _)| *k == 0).count();
        let mut thresholds: Vec<f64> = slots
            .iter()
            .filter(|(k, _)| *k > 0)
            .map(|&(k, sum)| a + sum / f64::from(k))
            .collect();
        thresholds.sort_unstable_by(f64::total_cmp);
        Self {
            vectors,
            unflipped,
            thresholds,
            exact,
        }
    }

    /// One-sided upper p-value of `H0: worsening ≤ δ`:
    /// `(#{k_s = 0} + #{k_s > 0 : t_s ≤ δ}) / N`.
    pub fn p_upper(&self, delta: f64) -> f64 {
        let below = self.thresholds.partition_point(|&t| t <= delta);
        (self.unflipped + below) as f64 / self.vectors as f64
    }

    /// The test-inversion interval `[lo, hi]` at confidence `c`: with
    /// `K = floor(N·(1 − c)/2 + 1e-9)` sign vectors allowed in each rejection tail and
    /// `j = K + 1 − #{k_s = 0}`, `lo` is the `j`-th smallest and `hi` the `j`-th largest `t_s`;
    /// `(−∞, +∞)` when `j ≤ 0` (too few sign vectors to reject anything at this level).
    pub fn interval(&self, confidence: f64) -> (f64, f64) {
        let k = rejectable(self.vectors, confidence);
        let j = k as i64 + 1 - self.unflipped as i64;
        if j <= 0 {
            return (f64::NEG_INFINITY, f64::INFINITY);
        }
        let j = j as usize;
        let m = self.thresholds.len();
        // K < N/2 makes 1 ≤ j ≤ (m + 1)/2, so both order statistics exist and lo ≤ hi.
        (self.thresholds[j - 1], self.thresholds[m - j])
    }
}

/// `K = floor(N·(1 − c)/2 + 1e-9)`: how many of `N` sign vectors each rejection tail may hold.
/// The `1e-9` only guards decimal confidences whose `N·(1 − c)/2` is an integer in exact
/// arithmetic (`1000·(1 − 0.9)/2` is 49.999… in binary).
pub(super) fn rejectable(vectors: usize, confidence: f64) -> usize {
    (vectors as f64 * (1.0 - confidence) / 2.0 + 1e-9).floor() as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_the_means_of_the_flipped_items() {
        let f = Flips::new(&[1.0, 2.0, 4.0], 1000, 1);
        assert!(f.exact);
        assert_eq!(f.vectors, 8);
        assert_eq!(f.unflipped, 1);
        // Subsets: {1} {2} {4} {1,2} {1,4} {2,4} {1,2,4}.
        let want = [1.0, 1.5, 2.0, 2.5, 1.0 + 4.0 / 3.0, 3.0, 4.0];
        let mut want = want.to_vec();
        want.sort_by(f64::total_cmp);
        assert_eq!(f.thresholds, want);
    }

    #[test]
    fn exact_p_value_by_hand() {
        // w = (1, 2, 4), w̄ = 7/3. T_s(δ) ≥ T_id(δ) ⟺ t_s ≤ δ, t_s = mean of the flipped w.
        // At δ = 0 only the identity counts: p = 1/8. At δ = 2: identity, {1}, {2}, {1,2} →
        // 4/8. At δ = w̄ also {1,2,4} → 5/8; at δ = 2.5 also {1,4} → 6/8 ({2,4}: 3 > 2.5).
        let f = Flips::new(&[1.0, 2.0, 4.0], 1000, 1);
        assert_eq!(f.p_upper(0.0), 1.0 / 8.0);
        assert_eq!(f.p_upper(2.0), 4.0 / 8.0);
        assert_eq!(f.p_upper(1.0 + 4.0 / 3.0), 5.0 / 8.0);
        assert_eq!(f.p_upper(2.5), 6.0 / 8.0);
        assert_eq!(f.p_upper(4.0), 1.0);
        // Three items cannot reject at 2.5 % per tail: the interval is unbounded.
        assert_eq!(f.interval(0.95), (f64::NEG_INFINITY, f64::INFINITY));
        // At 50 %: K = floor(8·0.25) = 2, j = 2 → second smallest / second largest.
        assert_eq!(f.interval(0.5), (1.5, 3.0));
    }

    #[test]
    fn p_upper_agrees_with_the_direct_statistic() {
        // Direct definition on all 2^n sign vectors, compared where no t_s ties δ.
        let w = [0.3, -0.1, 0.25, 0.7, -0.4, 0.05];
        let f = Flips::new(&w, 1000, 1);
        let n = w.len();
        for delta in [-0.513, -0.061, 0.0017, 0.1013, 0.1317, 0.2031, 0.5117] {
            let t_id: f64 = w.iter().map(|x| x - delta).sum::<f64>() / n as f64;
            let mut count = 0;
            for m in 0..1usize << n {
                let t: f64 = w
                    .iter()
                    .enumerate()
                    .map(|(i, x)| {
                        if m >> i & 1 == 1 {
                            delta - x
                        } else {
                            x - delta
                        }
                    })
                    .sum::<f64>()
                    / n as f64;
                if t >= t_id - 1e-12 {
                    count += 1;
                }
            }
            assert_eq!(f.p_upper(delta), count as f64 / 64.0, "δ = {delta}");
        }
    }

    #[test]
    fn rejectable_counts_decimal_confidences_exactly() {
        assert_eq!(rejectable(1000, 0.9), 50);
        assert_eq!(rejectable(1000, 0.95), 25);
        assert_eq!(rejectable(1000, 0.99), 5);
        assert_eq!(rejectable(8, 0.95), 0);
    }
}

//! The paired bootstrap: resample items with replacement, recompute the worsening.
//!
//! Differences: `d*_b = a + (Σ_j v[i_bj]) / n` where `a = w[0]`, `v_i = w_i − a`, and the sum
//! runs over the `n` drawn indices in draw order. Corpus: the drawn items' statistics are summed
//! (in draw order, starting from 0.0) for the baseline and for the current run, and
//! `d*_b = worsening(sum_baseline, sum_current)`. Resample `b` draws its indices from
//! [`SplitMix64::stream`]`(seed, b)`.

use rayon::prelude::*;

use super::rng::SplitMix64;
use super::{CHUNK, StatsError};

/// The `resamples` bootstrap worsenings of the item differences `w` (anchored at `w[0]`), in
/// resample order. `w` must be non-empty.
pub(super) fn differences(w: &[f64], resamples: usize, seed: u64) -> Vec<f64> {
    let n = w.len();
    let a = w[0];
    let v: Vec<f64> = w.iter().map(|&x| x - a).collect();
    let nf = n as f64;
    let mut out = vec![0.0; resamples];
    out.par_chunks_mut(CHUNK)
        .enumerate()
        .for_each(|(chunk, slots)| {
            for (k, slot) in slots.iter_mut().enumerate() {
                let b = (chunk * CHUNK + k) as u64;
                let mut rng = SplitMix64::stream(seed, b);
                let mut acc = 0.0;
                for _ in 0..n {
                    acc += v[rng.index(n)];
                }
                *slot = a + acc / nf;
            }
        });
    out
}

/// Per-item statistics flattened item-major (`n × k`).
pub(super) struct Flat {
    pub n: usize,
    pub k: usize,
    pub baseline: Vec<f64>,
    pub current: Vec<f64>,
}

/// The `resamples` bootstrap worsenings of corpus statistics, in resample order; an error when a
/// resample's worsening is not finite.
pub(super) fn corpus(
    flat: &Flat,
    worsening: &(dyn Fn(&[f64], &[f64]) -> f64 + Sync),
    resamples: usize,
    seed: u64,
) -> Result<Vec<f64>, StatsError> {
    match flat.k {
        1 => fixed::<1>(flat, worsening, resamples, seed),
        2 => fixed::<2>(flat, worsening, resamples, seed),
        3 => fixed::<3>(flat, worsening, resamples, seed),
        4 => fixed::<4>(flat, worsening, resamples, seed),
        _ => any_k(flat, worsening, resamples, seed),
    }
}

/// [`corpus`] for `K` statistics per item, accumulated in arrays (same sums, same order).
fn fixed<const K: usize>(
    flat: &Flat,
    worsening: &(dyn Fn(&[f64], &[f64]) -> f64 + Sync),
    resamples: usize,
    seed: u64,
) -> Result<Vec<f64>, StatsError> {
    let n = flat.n;
    // Rust 1.85 (the crate's MSRV) has no `as_chunks`.
    let rows = |v: &[f64]| -> Vec<[f64; K]> {
        v.chunks_exact(K)
            .map(|r| r.try_into().expect("K values"))
            .collect()
    };
    let (base, cur) = (rows(&flat.baseline), rows(&flat.current));
    let mut out = vec![0.0; resamples];
    out.par_chunks_mut(CHUNK)
        .enumerate()
        .try_for_each(|(chunk, slots)| {
            for (j, slot) in slots.iter_mut().enumerate() {
                let b = chunk * CHUNK + j;
                let mut rng = SplitMix64::stream(seed, b as u64);
                let mut sb = [0.0; K];
                let mut sc = [0.0; K];
                for _ in 0..n {
                    let i = rng.index(n);
                    for (s, x) in sb.iter_mut().zip(&base[i]) {
                        *s += x;
                    }
                    for (s, x) in sc.iter_mut().zip(&cur[i]) {
                        *s += x;
                    }
                }
                *slot = checked(worsening(&sb, &sc), b)?;
            }
            Ok(())
        })?;
    Ok(out)
}

fn checked(d: f64, resample: usize) -> Result<f64, StatsError> {
    if d.is_finite() {
        Ok(d)
    } else {
        Err(StatsError::WorseningNotFinite {
            resample: Some(resample),
            value: d,
        })
    }
}

/// [`corpus`] for any number of statistics per item.
fn any_k(
    flat: &Flat,
    worsening: &(dyn Fn(&[f64], &[f64]) -> f64 + Sync),
    resamples: usize,
    seed: u64,
) -> Result<Vec<f64>, StatsError> {
    let (n, k) = (flat.n, flat.k);
    let mut out = vec![0.0; resamples];
    out.par_chunks_mut(CHUNK)
        .enumerate()
        .try_for_each(|(chunk, slots)| {
            let mut sb = vec![0.0; k];
            let mut sc = vec![0.0; k];
            for (j, slot) in slots.iter_mut().enumerate() {
                let b = chunk * CHUNK + j;
                let mut rng = SplitMix64::stream(seed, b as u64);
                sb.fill(0.0);
                sc.fill(0.0);
                for _ in 0..n {
                    let i = rng.index(n) * k;
                    for (s, x) in sb.iter_mut().zip(&flat.baseline[i..i + k]) {
                        *s += x;
                    }
                    for (s, x) in sc.iter_mut().zip(&flat.current[i..i + k]) {
                        *s += x;
                    }
                }
                *slot = checked(worsening(&sb, &sc), b)?;
            }
            Ok(())
        })?;
    Ok(out)
}

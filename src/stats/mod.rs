//! Paired statistics for vs-baseline checks: a confidence interval for the *worsening* of a
//! metric between the baseline and the current run, and the verdict it supports.
//!
//! # Inputs
//!
//! Items are paired by id by the caller. [`Paired::Differences`] gives the per-item worsening
//! `w_i` (positive = worse; the caller has already made it direction-aware, e.g.
//! `baseline − current` for a higher-is-better metric). [`Paired::Corpus`] serves corpus-level
//! metrics (BLEU, chrF, pooled WER), whose value is not a mean of item values: per item it gives
//! sufficient statistics (the same length `k` for every item and both runs, e.g. BLEU's n-gram
//! match and total counts, or `[errors, reference_words]` for a pooled error rate) and a
//! function `worsening(baseline_totals, current_totals)` that computes both corpus values from
//! summed statistics and returns the worsening.
//!
//! # Definitions
//!
//! These are the contract that `scripts/stats_reference.py` reproduces independently, so every
//! number is defined down to the order of floating-point operations.
//!
//! * **Anchored means.** With `a = w_0` and `v_i = w_i − a`, the mean of a multiset of items
//!   `I` is `a + (Σ_{i∈I} v_i) / |I|`, summed left to right from `0.0` in the order given. Equal
//!   differences `w_i = c` therefore give exactly `c`, whatever `n`.
//! * **Estimate.** The anchored mean of all `w` (items in order), or for corpus statistics
//!   `worsening(Σ baseline_i, Σ current_i)` with sums in item order.
//! * **Random numbers.** SplitMix64 ([`rng::SplitMix64`]): `state += 0x9E3779B97F4A7C15;
//!   z = state; z = (z ^ z>>30)·0xBF58476D1CE4E5B9; z = (z ^ z>>27)·0x94D049BB133111EB;
//!   z ^ z>>31` (wrapping). Stream `b` starts from state `seed ^ b·0xD1B54A32D192ED03`
//!   (wrapping); every resample owns one stream, so results are identical for any number of
//!   threads. An index in `0..n` is `(x·n) >> 64` in 128-bit arithmetic; a sign flips when
//!   `x >> 63 == 1`. The default seed is [`SEED`].
//! * **Paired bootstrap, percentile method** (Efron & Tibshirani, *An Introduction to the
//!   Bootstrap*, 1993, ch. 13; for corpus metrics Koehn, "Statistical significance tests for
//!   machine translation evaluation", EMNLP 2004, as in sacrebleu's paired bootstrap).
//!   Resample `b` in `0..B` draws `n` indices with replacement from stream `b`. For
//!   differences `d*_b` is the anchored mean of the drawn items (in draw order); for corpus
//!   statistics both runs' statistics of the drawn items are summed in draw order and
//!   `d*_b = worsening(sum_baseline, sum_current)`. `lo` and `hi` are the percentiles
//!   `100·(1 − c)/2` and `100·(1 + c)/2` of the `d*_b` as numpy's default
//!   `np.percentile(d, q)` (method `"linear"`) computes them: sorted `d`, `h = (B − 1)·(q/100)`,
//!   `f = ⌊h⌋`, `γ = h − f`, `lo = d_f + (d_{f+1} − d_f)·γ` when `γ < 0.5`, else
//!   `d_{f+1} − (d_{f+1} − d_f)·(1 − γ)`. `p_value` is `None`.
//! * **Paired sign-flip permutation test** (Fisher, *The Design of Experiments*, 1935, §21;
//!   Good, *Permutation, Parametric and Bootstrap Tests of Hypotheses*, 2005, §3) — differences
//!   only; corpus statistics are an error ([`StatsError::PermutationCorpus`]). Sign vectors
//!   `s ∈ {±1}^n`: all `2^n` when `n ≤ 16` (`exact`; vector `m` flips item `i` when bit `i` of
//!   `m` is set), otherwise the identity plus `B − 1` random vectors (vector `j` in `1..B`
//!   flips item `i` when the `i`-th output of stream `j` has its top bit set). For a
//!   hypothesised worsening `δ` the statistic is `T_s(δ) = mean(s ⊙ (w − δ))` and the
//!   one-sided upper p-value of `H0: worsening ≤ δ` is `p(δ) = #{s : T_s(δ) ≥ T_id(δ)} / N`.
//!   With `k_s` flipped items, `T_s(δ) ≥ T_id(δ)` ⟺ `2·k_s·δ ≥ Σ_{flipped} 2·w_i`: it always
//!   holds when `k_s = 0`, and otherwise ⟺ `δ ≥ t_s`, where `t_s` is the anchored mean of the
//!   flipped items. evalgate *defines* `p(δ) = (#{k_s = 0} + #{k_s > 0 : t_s ≤ δ}) / N`, the
//!   exact-arithmetic value computed without any epsilon: ties `t_s = δ` count (the `≥` of the
//!   test). The lower-tail p-value is symmetric: `(#{k_s = 0} + #{k_s > 0 : t_s ≥ δ}) / N`.
//!   Both tails reject at level `(1 − c)/2` when at most `K = ⌊N·(1 − c)/2 + 10⁻⁹⌋` vectors
//!   count (the `10⁻⁹` only makes decimal confidences count exactly: `1000·(1 − 0.9)/2` is
//!   49.999… in binary). Inverting the two tests gives the interval exactly, without bisection:
//!   with `t_(1) ≤ … ≤ t_(M)` the sorted `t_s` of the `M` vectors with `k_s > 0` and
//!   `j = K + 1 − #{k_s = 0}`, `lo = t_(j)` and `hi = t_(M+1−j)` (both bounds are not rejected:
//!   a closed interval); when `j ≤ 0` there are too few sign vectors to reject anything and the
//!   interval is `(−∞, +∞)`. Hence `lo > allowed` ⟺ `p_value ≤ K/N` (outside the zero-variance
//!   rule below). `p_value = p(allowed)`.
//! * **Zero variance.** When every `w_i` equals `c` both methods give `[c, c]` (the bootstrap by
//!   the anchored means; the permutation test by definition, also for the small `n` whose
//!   inverted interval would be unbounded), so [`decide`] returns the verdict of the plain
//!   comparison `c > allowed` (up to the `10⁻¹²` of float noise).
//! * **Minimum detectable effect** at 80 % power and two-sided level `1 − c`:
//!   `mde = (z_{(1+c)/2} + z_{0.8})·se`, `z` the standard normal quantile, `se` the standard
//!   deviation (`ddof = 1`, anchored at the first value: `y = x − x_0`, so equal values give
//!   exactly 0) of the `d*_b` for the bootstrap and `sd(w, ddof = 1)/√n` for the
//!   permutation test (`+∞` when `n = 1`). A true worsening of `allowed + mde` would be flagged
//!   about 80 % of the time.
//! * **Verdict** ([`decide`]): `lo > allowed + 10⁻¹²` → [`Decision::Regression`];
//!   `hi ≤ allowed + 10⁻¹²` → [`Decision::Pass`]; otherwise [`Decision::Inconclusive`]. A
//!   regression is thus declared at one-sided level `(1 − c)/2`.
//!
//! # Speed
//!
//! Resamples run on rayon in chunks of [`CHUNK`]; `benches/stats.rs` times 20 metrics × 1,000
//! items × 10,000 resamples.

pub mod bootstrap;
pub mod permutation;
pub mod rng;

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

/// Resamples per rayon task. Results never depend on it: each resample owns its stream.
pub const CHUNK: usize = 64;

/// Default number of bootstrap resamples or random sign vectors.
pub const DEFAULT_RESAMPLES: usize = 1000;

/// Default confidence level of the interval.
pub const DEFAULT_CONFIDENCE: f64 = 0.95;

/// Default seed: the ASCII bytes of `"evalgate"`.
pub const SEED: u64 = 0x6576_616C_6761_7465;

/// Fewest resamples accepted.
pub const MIN_RESAMPLES: usize = 100;

/// Most resamples accepted.
pub const MAX_RESAMPLES: usize = 1_000_000;

/// Float noise allowed before a bound counts as crossed in [`decide`].
pub const NOISE: f64 = 1e-12;

/// How the interval is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Paired percentile bootstrap (`"paired_bootstrap"`); differences and corpus statistics.
    PairedBootstrap,
    /// Paired sign-flip permutation test inverted into an interval (`"permutation"`);
    /// differences only.
    Permutation,
}

/// Settings of [`interval`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Bootstrap or permutation.
    pub method: Method,
    /// Confidence level of the two-sided interval, in `(0, 1)` (e.g. 0.95).
    pub confidence: f64,
    /// Bootstrap resamples, or sign vectors of a non-exact permutation test
    /// (`100..=1_000_000`).
    pub resamples: usize,
    /// Seed of the random streams.
    pub seed: u64,
}

impl Default for Settings {
    /// Paired bootstrap, 95 %, 1,000 resamples, [`SEED`].
    fn default() -> Self {
        Self {
            method: Method::PairedBootstrap,
            confidence: DEFAULT_CONFIDENCE,
            resamples: DEFAULT_RESAMPLES,
            seed: SEED,
        }
    }
}

/// The per-item comparison of a metric between the baseline and the current run.
#[derive(Clone, Copy)]
pub enum Paired<'a> {
    /// Per-item worsening `w_i` (positive = worse), one per paired item.
    Differences(&'a [f64]),
    /// Per-item sufficient statistics of a corpus-level metric.
    Corpus {
        /// Baseline statistics: one vector per item, all of the same length `k ≥ 1`.
        baseline: &'a [Vec<f64>],
        /// Current statistics, item `i` paired with `baseline[i]`, same length `k`.
        current: &'a [Vec<f64>],
        /// `worsening(baseline_totals, current_totals)`: both slices hold `k` summed
        /// statistics; returns the corpus-level worsening (positive = worse), finite.
        worsening: &'a (dyn Fn(&[f64], &[f64]) -> f64 + Sync),
    },
}

impl std::fmt::Debug for Paired<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Paired::Differences(w) => f.debug_tuple("Differences").field(w).finish(),
            Paired::Corpus {
                baseline, current, ..
            } => f
                .debug_struct("Corpus")
                .field("baseline", baseline)
                .field("current", current)
                .finish_non_exhaustive(),
        }
    }
}

/// A confidence interval for the worsening, in the metric's units (positive = worse).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Interval {
    /// How it was computed.
    pub method: Method,
    /// Its confidence level, in `(0, 1)`.
    pub confidence: f64,
    /// Worsening on all items: the mean of `w`, or the corpus worsening.
    pub estimate: f64,
    /// Lower bound; `-inf` (serialised `"-inf"`) when the permutation test has too few sign
    /// vectors to bound it.
    #[serde(with = "nonfinite")]
    pub lo: f64,
    /// Upper bound; `inf` (serialised `"inf"`) likewise.
    #[serde(with = "nonfinite")]
    pub hi: f64,
    /// Paired items.
    pub n_items: usize,
    /// Bootstrap resamples or sign vectors used (`2^n` when `exact`).
    pub resamples: usize,
    /// The permutation test enumerated all `2^n` sign vectors.
    pub exact: bool,
    /// Permutation test: one-sided p-value of `H0: worsening ≤ allowed`, in `(0, 1]`;
    /// bootstrap: `None`.
    pub p_value: Option<f64>,
    /// Minimum detectable effect (80 % power, two-sided level `1 − confidence`), ≥ 0; `inf`
    /// when it cannot be estimated (permutation with one item).
    #[serde(with = "nonfinite")]
    pub mde: f64,
}

/// The verdict an [`Interval`] supports against the allowed worsening.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The whole interval is within the allowed worsening.
    Pass,
    /// The whole interval is beyond the allowed worsening.
    Regression,
    /// The interval straddles the allowed worsening: more items or less noise needed.
    Inconclusive,
}

/// Why an interval cannot be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatsError {
    /// No paired items.
    #[error(
        "no paired items: the baseline and the current run share no item, so there is nothing to compare"
    )]
    NoItems,
    /// The confidence level is not in `(0, 1)`.
    #[error("confidence {0} is not between 0 and 1 (exclusive); use e.g. 0.95")]
    Confidence(f64),
    /// Too few or too many resamples.
    #[error("resamples {0} is outside 100..=1000000; the default is 1000")]
    Resamples(usize),
    /// An input is NaN or infinite.
    #[error("{what} is not finite ({value})")]
    NonFinite {
        /// Which input, e.g. "the worsening of item 3".
        what: String,
        /// The offending value.
        value: f64,
    },
    /// Baseline and current corpus statistics cover different item counts.
    #[error("the baseline has statistics for {baseline} items but the current run for {current}")]
    ItemCount {
        /// Items with baseline statistics.
        baseline: usize,
        /// Items with current statistics.
        current: usize,
    },
    /// Statistics vectors of differing lengths.
    #[error(
        "item {item}'s {side} statistics have {len} values but item 0's baseline has {expected}; every item needs the same statistics"
    )]
    StatisticsLength {
        /// Item index.
        item: usize,
        /// `"baseline"` or `"current"`.
        side: &'static str,
        /// Its length.
        len: usize,
        /// The length of item 0's baseline statistics.
        expected: usize,
    },
    /// Statistics vectors are empty.
    #[error("the corpus statistics are empty: each item needs at least one value")]
    NoStatistics,
    /// The permutation test was asked for a corpus-level metric.
    #[error(
        "the permutation test needs per-item differences; use paired_bootstrap for corpus-level metrics"
    )]
    PermutationCorpus,
    /// The corpus worsening function returned NaN or an infinity.
    #[error("the corpus worsening is not finite ({value}) {}", match resample {
        Some(b) => format!("on bootstrap resample {b}"),
        None => "on all items".to_string(),
    })]
    WorseningNotFinite {
        /// The resample, or `None` for all items.
        resample: Option<usize>,
        /// What the function returned.
        value: f64,
    },
}

/// The confidence interval of the worsening of `data` under `settings`; `allowed` (the
/// allowed worsening, usually ≥ 0, finite) only sets the permutation test's `p_value`.
///
/// Errors: no items, a confidence outside `(0, 1)`, resamples outside `100..=1_000_000`,
/// non-finite inputs, corpus statistics of differing lengths or item counts, a non-finite
/// corpus worsening, the permutation method on corpus statistics.
pub fn interval(
    data: &Paired<'_>,
    allowed: f64,
    settings: &Settings,
) -> Result<Interval, StatsError> {
    check_settings(settings)?;
    finite("the allowed worsening".to_string(), allowed)?;
    let c = settings.confidence;
    match (settings.method, data) {
        (Method::PairedBootstrap, _) => {
            let (estimate, n, mut d) = bootstrap_parts(data, settings)?;
            let se = sd(&d);
            d.sort_unstable_by(f64::total_cmp);
            Ok(Interval {
                method: Method::PairedBootstrap,
                confidence: c,
                estimate,
                lo: percentile(&d, 100.0 * (1.0 - c) / 2.0),
                hi: percentile(&d, 100.0 * (1.0 + c) / 2.0),
                n_items: n,
                resamples: settings.resamples,
                exact: false,
                p_value: None,
                mde: mde(c, se),
            })
        }
        (Method::Permutation, Paired::Corpus { .. }) => Err(StatsError::PermutationCorpus),
        (Method::Permutation, Paired::Differences(w)) => {
            check_differences(w)?;
            let flips = permutation::Flips::new(w, settings.resamples, settings.seed);
            let (lo, hi) = if w.iter().all(|&x| x == w[0]) {
                (w[0], w[0])
            } else {
                flips.interval(c)
            };
            let n = w.len();
            let se = if n > 1 {
                sd(w) / (n as f64).sqrt()
            } else {
                f64::INFINITY
            };
            Ok(Interval {
                method: Method::Permutation,
                confidence: c,
                estimate: anchored_mean(w),
                lo,
                hi,
                n_items: n,
                resamples: flips.vectors,
                exact: flips.exact,
                p_value: Some(flips.p_upper(allowed)),
                mde: mde(c, se),
            })
        }
    }
}

/// The bootstrap worsenings `d*_b`, `b` in `0..settings.resamples`, in resample order (unsorted),
/// whatever `settings.method` says: the distribution behind a [`Method::PairedBootstrap`]
/// interval. Same errors as [`interval`].
pub fn bootstrap_distribution(
    data: &Paired<'_>,
    settings: &Settings,
) -> Result<Vec<f64>, StatsError> {
    check_settings(settings)?;
    Ok(bootstrap_parts(data, settings)?.2)
}

/// The verdict of `interval` against the allowed worsening `allowed`:
/// `lo > allowed + 1e-12` → regression, `hi ≤ allowed + 1e-12` → pass, else inconclusive.
pub fn decide(interval: &Interval, allowed: f64) -> Decision {
    if interval.lo > allowed + NOISE {
        Decision::Regression
    } else if interval.hi <= allowed + NOISE {
        Decision::Pass
    } else {
        Decision::Inconclusive
    }
}

/// (estimate, n, bootstrap worsenings in resample order).
fn bootstrap_parts(
    data: &Paired<'_>,
    settings: &Settings,
) -> Result<(f64, usize, Vec<f64>), StatsError> {
    match data {
        Paired::Differences(w) => {
            check_differences(w)?;
            let d = bootstrap::differences(w, settings.resamples, settings.seed);
            Ok((anchored_mean(w), w.len(), d))
        }
        Paired::Corpus {
            baseline,
            current,
            worsening,
        } => {
            let flat = flatten(baseline, current)?;
            let mut sb = vec![0.0; flat.k];
            let mut sc = vec![0.0; flat.k];
            for i in 0..flat.n {
                for j in 0..flat.k {
                    sb[j] += flat.baseline[i * flat.k + j];
                    sc[j] += flat.current[i * flat.k + j];
                }
            }
            let estimate = worsening(&sb, &sc);
            if !estimate.is_finite() {
                return Err(StatsError::WorseningNotFinite {
                    resample: None,
                    value: estimate,
                });
            }
            let d = bootstrap::corpus(&flat, *worsening, settings.resamples, settings.seed)?;
            Ok((estimate, flat.n, d))
        }
    }
}

fn check_settings(settings: &Settings) -> Result<(), StatsError> {
    let c = settings.confidence;
    if !(c > 0.0 && c < 1.0) {
        return Err(StatsError::Confidence(c));
    }
    if !(MIN_RESAMPLES..=MAX_RESAMPLES).contains(&settings.resamples) {
        return Err(StatsError::Resamples(settings.resamples));
    }
    Ok(())
}

fn finite(what: String, value: f64) -> Result<(), StatsError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(StatsError::NonFinite { what, value })
    }
}

fn check_differences(w: &[f64]) -> Result<(), StatsError> {
    if w.is_empty() {
        return Err(StatsError::NoItems);
    }
    for (i, &x) in w.iter().enumerate() {
        finite(format!("the worsening of item {i}"), x)?;
    }
    Ok(())
}

fn flatten(baseline: &[Vec<f64>], current: &[Vec<f64>]) -> Result<bootstrap::Flat, StatsError> {
    if baseline.len() != current.len() {
        return Err(StatsError::ItemCount {
            baseline: baseline.len(),
            current: current.len(),
        });
    }
    let n = baseline.len();
    if n == 0 {
        return Err(StatsError::NoItems);
    }
    let k = baseline[0].len();
    if k == 0 {
        return Err(StatsError::NoStatistics);
    }
    let mut flat = bootstrap::Flat {
        n,
        k,
        baseline: Vec::with_capacity(n * k),
        current: Vec::with_capacity(n * k),
    };
    for (side, rows, out) in [
        ("baseline", baseline, &mut flat.baseline),
        ("current", current, &mut flat.current),
    ] {
        for (item, row) in rows.iter().enumerate() {
            if row.len() != k {
                return Err(StatsError::StatisticsLength {
                    item,
                    side,
                    len: row.len(),
                    expected: k,
                });
            }
            for (j, &x) in row.iter().enumerate() {
                finite(format!("{side} statistic {j} of item {item}"), x)?;
            }
            out.extend_from_slice(row);
        }
    }
    Ok(flat)
}

/// `w_0 + (Σ (w_i − w_0)) / n`, summed in order. `w` non-empty.
fn anchored_mean(w: &[f64]) -> f64 {
    let a = w[0];
    let mut acc = 0.0;
    for &x in w {
        acc += x - a;
    }
    a + acc / w.len() as f64
}

/// Sample standard deviation (`ddof = 1`), anchored like the means: with `y_i = x_i − x_0`
/// and `ȳ = Σy / m`, `√(Σ (y − ȳ)² / (m − 1))`; exactly 0 for equal values and for fewer than
/// two values.
fn sd(x: &[f64]) -> f64 {
    let m = x.len();
    if m < 2 {
        return 0.0;
    }
    let a = x[0];
    let mean = x.iter().map(|v| v - a).sum::<f64>() / m as f64;
    let ss: f64 = x.iter().map(|v| (v - a - mean) * (v - a - mean)).sum();
    (ss / (m - 1) as f64).sqrt()
}

/// `(z_{(1+c)/2} + z_{0.8})·se`.
fn mde(confidence: f64, se: f64) -> f64 {
    let normal = Normal::standard();
    (normal.inverse_cdf((1.0 + confidence) / 2.0) + normal.inverse_cdf(0.8)) * se
}

/// numpy's `np.percentile(sorted, pct)` with the default `"linear"` method (Hyndman & Fan's
/// definition 7), operation for operation. `sorted` ascending and non-empty.
pub fn percentile(sorted: &[f64], pct: f64) -> f64 {
    let n = sorted.len();
    let h = (n - 1) as f64 * (pct / 100.0);
    if h >= (n - 1) as f64 {
        return sorted[n - 1];
    }
    if h < 0.0 {
        return sorted[0];
    }
    let f = h.floor();
    let gamma = h - f;
    let (a, b) = (sorted[f as usize], sorted[f as usize + 1]);
    let diff = b - a;
    if gamma >= 0.5 {
        b - diff * (1.0 - gamma)
    } else {
        a + diff * gamma
    }
}

/// Serde for `f64` fields that may be infinite: finite values as JSON numbers, infinities and
/// NaN as the strings `"inf"`, `"-inf"`, `"nan"` (JSON has no such numbers).
mod nonfinite {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        if x.is_finite() {
            s.serialize_f64(*x)
        } else if x.is_nan() {
            s.serialize_str("nan")
        } else if *x > 0.0 {
            s.serialize_str("inf")
        } else {
            s.serialize_str("-inf")
        }
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Number(f64),
        Text(String),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        match Repr::deserialize(d)? {
            Repr::Number(x) => Ok(x),
            Repr::Text(t) => match t.as_str() {
                "inf" => Ok(f64::INFINITY),
                "-inf" => Ok(f64::NEG_INFINITY),
                "nan" => Ok(f64::NAN),
                other => Err(serde::de::Error::custom(format!(
                    "expected a number, \"inf\", \"-inf\" or \"nan\", found {other:?}"
                ))),
            },
        }
    }
}

#[cfg(test)]
mod tests;

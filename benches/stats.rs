//! Speed of the paired statistics of vs-baseline checks (goal: 20 metrics × 1,000 items ×
//! 10,000 resamples under 1 s, i.e. 10–40 ms per metric).
//!
//! `cargo bench --bench stats` prints the best of five rounds for the paired bootstrap, the
//! sign-flip permutation test and a two-statistic corpus bootstrap (pooled error rate).

use std::hint::black_box;
use std::time::{Duration, Instant};

use evalgate::unstable::stats::{Method, Paired, SEED, Settings, interval, rng::SplitMix64};

const METRICS: usize = 20;
const ITEMS: usize = 1000;
const RESAMPLES: usize = 10_000;

/// Best of five rounds of `f`.
fn best_of_five(mut f: impl FnMut()) -> Duration {
    f();
    (0..5)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .min()
        .expect("five rounds")
}

fn main() {
    let mut g = SplitMix64::new(1);
    let mut uniform = move || (g.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    let metrics: Vec<Vec<f64>> = (0..METRICS)
        .map(|m| {
            (0..ITEMS)
                .map(|_| uniform() - 0.5 + m as f64 * 1e-3)
                .collect()
        })
        .collect();
    let base: Vec<Vec<Vec<f64>>> = (0..METRICS)
        .map(|_| {
            (0..ITEMS)
                .map(|_| vec![(uniform() * 5.0).floor(), 20.0])
                .collect()
        })
        .collect();
    let cur: Vec<Vec<Vec<f64>>> = (0..METRICS)
        .map(|_| {
            (0..ITEMS)
                .map(|_| vec![(uniform() * 5.0).floor(), 20.0])
                .collect()
        })
        .collect();
    let rate = |b: &[f64], c: &[f64]| c[0] / c[1] - b[0] / b[1];
    let settings = |method| Settings {
        method,
        confidence: 0.95,
        resamples: RESAMPLES,
        seed: SEED,
    };
    let threads = rayon::current_num_threads();
    eprintln!(
        "stats: {METRICS} metrics × {ITEMS} items × {RESAMPLES} resamples, {threads} threads"
    );
    for (label, method) in [
        ("paired bootstrap", Method::PairedBootstrap),
        ("permutation", Method::Permutation),
    ] {
        let t = best_of_five(|| {
            for w in &metrics {
                black_box(interval(&Paired::Differences(w), 0.0, &settings(method)).unwrap());
            }
        });
        eprintln!(
            "  {label:<28} {:>7.1} ms total, {:>6.2} ms per metric",
            t.as_secs_f64() * 1e3,
            t.as_secs_f64() * 1e3 / METRICS as f64
        );
    }
    let t = best_of_five(|| {
        for (b, c) in base.iter().zip(&cur) {
            let data = Paired::Corpus {
                baseline: b,
                current: c,
                worsening: &rate,
            };
            black_box(interval(&data, 0.0, &settings(Method::PairedBootstrap)).unwrap());
        }
    });
    eprintln!(
        "  {:<28} {:>7.1} ms total, {:>6.2} ms per metric",
        "corpus bootstrap (2 stats)",
        t.as_secs_f64() * 1e3,
        t.as_secs_f64() * 1e3 / METRICS as f64
    );
}

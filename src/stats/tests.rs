use super::*;

fn settings(method: Method, confidence: f64, resamples: usize) -> Settings {
    Settings {
        method,
        confidence,
        resamples,
        seed: SEED,
    }
}

const METHODS: [Method; 2] = [Method::PairedBootstrap, Method::Permutation];

/// Pooled error rate, lower is better: worsening = current rate − baseline rate.
fn pooled_rate(b: &[f64], c: &[f64]) -> f64 {
    c[0] / c[1] - b[0] / b[1]
}

#[test]
fn zero_variance_gives_the_point_and_the_plain_verdict() {
    for method in METHODS {
        for n in [1usize, 2, 3, 5, 16, 17, 40, 300] {
            for c in [0.0, 0.1, -0.3, 0.05, 0.050001, 1.0 / 3.0, 2.5] {
                let w = vec![c; n];
                for confidence in [0.9, 0.95, 0.99] {
                    let iv = interval(
                        &Paired::Differences(&w),
                        0.05,
                        &settings(method, confidence, 200),
                    )
                    .unwrap();
                    assert_eq!(
                        (iv.estimate, iv.lo, iv.hi),
                        (c, c, c),
                        "{method:?} n={n} c={c}"
                    );
                    for allowed in [0.0, 0.05, 0.1, c] {
                        let want = if c > allowed {
                            Decision::Regression
                        } else {
                            Decision::Pass
                        };
                        assert_eq!(decide(&iv, allowed), want, "{method:?} n={n} c={c}");
                    }
                }
            }
        }
    }
}

#[test]
fn zero_variance_corpus_gives_the_point() {
    let base = vec![vec![2.0, 10.0]; 25];
    let cur = vec![vec![3.0, 10.0]; 25];
    let data = Paired::Corpus {
        baseline: &base,
        current: &cur,
        worsening: &pooled_rate,
    };
    let iv = interval(&data, 0.0, &Settings::default()).unwrap();
    let c = 75.0 / 250.0 - 50.0 / 250.0;
    assert_eq!((iv.estimate, iv.lo, iv.hi, iv.mde), (c, c, c, 0.0));
    assert_eq!(decide(&iv, 0.0), Decision::Regression);
    assert_eq!(decide(&iv, 0.2), Decision::Pass);
}

fn noisy(n: usize, shift: f64, seed: u64) -> Vec<f64> {
    let mut g = rng::SplitMix64::new(seed);
    (0..n)
        .map(|_| shift + (g.next_u64() >> 11) as f64 / (1u64 << 53) as f64 - 0.5)
        .collect()
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let w = noisy(1000, 0.01, 3);
    let base: Vec<Vec<f64>> = (0..700).map(|i| vec![(i % 7) as f64, 20.0]).collect();
    let cur: Vec<Vec<f64>> = (0..700).map(|i| vec![(i % 5) as f64, 20.0]).collect();
    let corpus = Paired::Corpus {
        baseline: &base,
        current: &cur,
        worsening: &pooled_rate,
    };
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut out = Vec::new();
            for method in METHODS {
                out.push(
                    interval(&Paired::Differences(&w), 0.0, &settings(method, 0.95, 2000)).unwrap(),
                );
            }
            out.push(
                interval(&corpus, 0.0, &settings(Method::PairedBootstrap, 0.9, 1500)).unwrap(),
            );
            let d = bootstrap_distribution(&Paired::Differences(&w), &Settings::default()).unwrap();
            (out, d)
        })
    };
    let one = run(1);
    let four = run(4);
    assert_eq!(one, four);
    // Bit-identical, not merely equal.
    for (a, b) in one.1.iter().zip(&four.1) {
        assert_eq!(a.to_bits(), b.to_bits());
    }
}

#[test]
fn exact_permutation_p_value_by_hand() {
    // w = (1, 2, 4): t_s (mean of the flipped items) = 1, 1.5, 2, 2.5, 7/3, 3, 4 plus the
    // identity. At allowed = 2 the identity, {1}, {2}, {1,2} count: p = 4/8.
    let w = [1.0, 2.0, 4.0];
    let iv = interval(
        &Paired::Differences(&w),
        2.0,
        &settings(Method::Permutation, 0.95, 1000),
    )
    .unwrap();
    assert!(iv.exact);
    assert_eq!(iv.resamples, 8);
    assert_eq!(iv.p_value, Some(0.5));
    assert_eq!(iv.estimate, 1.0 + 4.0 / 3.0);
    assert_eq!((iv.lo, iv.hi), (f64::NEG_INFINITY, f64::INFINITY));
    assert_eq!(decide(&iv, 0.0), Decision::Inconclusive);
    // sd(w) = √(7/3), se = sd/√3.
    let z = 1.959963984540054 + 0.8416212335729143;
    assert!((iv.mde - z * (7.0f64 / 3.0).sqrt() / 3f64.sqrt()).abs() < 1e-12);

    // Six positive items: 64 vectors; at 95 % K = floor(1.6) = 1, j = 1: lo = the smallest
    // t_s = the smallest w; p(0) = 1/64.
    let w = [0.5, 0.9, 1.2, 0.7, 1.0, 0.8];
    let iv = interval(
        &Paired::Differences(&w),
        0.0,
        &settings(Method::Permutation, 0.95, 1000),
    )
    .unwrap();
    assert_eq!(iv.p_value, Some(1.0 / 64.0));
    assert_eq!((iv.lo, iv.hi), (0.5, 1.2));
    assert_eq!(decide(&iv, 0.0), Decision::Regression);
    assert_eq!(decide(&iv, 0.5), Decision::Inconclusive);
    assert_eq!(decide(&iv, 1.2), Decision::Pass);
}

#[test]
fn percentile_matches_numpy() {
    // np.percentile([1, 2, 3, 4, 10], [2.5, 97.5, 50, 0, 100]) = [1.1, 9.4, 3, 1, 10]
    let x = [1.0, 2.0, 3.0, 4.0, 10.0];
    assert!((percentile(&x, 2.5) - 1.1).abs() < 1e-15);
    assert!((percentile(&x, 97.5) - 9.4).abs() < 1e-14);
    assert_eq!(percentile(&x, 50.0), 3.0);
    assert_eq!(percentile(&x, 0.0), 1.0);
    assert_eq!(percentile(&x, 100.0), 10.0);
    assert_eq!(percentile(&[7.0], 2.5), 7.0);
}

#[test]
fn errors_say_what_is_wrong() {
    let w = [0.1, 0.2];
    let ok = Settings::default();
    let err = |data: &Paired<'_>, s: &Settings| interval(data, 0.0, s).unwrap_err();
    assert_eq!(err(&Paired::Differences(&[]), &ok), StatsError::NoItems);
    for c in [0.0, 1.0, -0.5, 95.0, f64::NAN] {
        let e = err(
            &Paired::Differences(&w),
            &Settings {
                confidence: c,
                ..ok
            },
        );
        assert!(matches!(e, StatsError::Confidence(_)), "{e}");
    }
    for r in [0, 99, 1_000_001] {
        let e = err(&Paired::Differences(&w), &Settings { resamples: r, ..ok });
        assert_eq!(e, StatsError::Resamples(r));
        assert!(e.to_string().contains("100..=1000000"));
    }
    let e = err(&Paired::Differences(&[0.1, f64::NAN]), &ok);
    assert!(e.to_string().contains("item 1"), "{e}");
    let e = interval(&Paired::Differences(&w), f64::INFINITY, &ok).unwrap_err();
    assert!(e.to_string().contains("allowed"), "{e}");

    let b = vec![vec![1.0, 10.0], vec![2.0, 10.0]];
    let short = vec![vec![1.0, 10.0], vec![2.0]];
    let corpus = |baseline: &[Vec<f64>], current: &[Vec<f64>]| {
        interval(
            &Paired::Corpus {
                baseline,
                current,
                worsening: &pooled_rate,
            },
            0.0,
            &ok,
        )
        .unwrap_err()
    };
    assert!(matches!(
        corpus(&b, &short),
        StatsError::StatisticsLength {
            item: 1,
            side: "current",
            len: 1,
            expected: 2
        }
    ));
    assert_eq!(
        corpus(&b, &b[..1]),
        StatsError::ItemCount {
            baseline: 2,
            current: 1
        }
    );
    assert_eq!(corpus(&[], &[]), StatsError::NoItems);
    assert_eq!(corpus(&[vec![]], &[vec![]]), StatsError::NoStatistics);
    let e = corpus(&b, &[vec![1.0, 10.0], vec![f64::INFINITY, 10.0]]);
    assert!(
        e.to_string().contains("current statistic 0 of item 1"),
        "{e}"
    );
    // All words zero: 0/0 on all items.
    let zero = vec![vec![0.0, 0.0]; 2];
    assert!(matches!(
        corpus(&zero, &zero),
        StatsError::WorseningNotFinite { resample: None, .. }
    ));
    let e = interval(
        &Paired::Corpus {
            baseline: &b,
            current: &b,
            worsening: &pooled_rate,
        },
        0.0,
        &Settings {
            method: Method::Permutation,
            ..ok
        },
    )
    .unwrap_err();
    assert_eq!(e, StatsError::PermutationCorpus);
    assert!(e.to_string().contains("paired_bootstrap"));
}

#[test]
fn intervals_round_trip_through_json_with_infinite_bounds() {
    let iv = interval(
        &Paired::Differences(&[1.0, 2.0, 4.0]),
        0.0,
        &settings(Method::Permutation, 0.95, 1000),
    )
    .unwrap();
    let json = serde_json::to_value(&iv).unwrap();
    assert_eq!(json["method"], "permutation");
    assert_eq!(json["lo"], "-inf");
    assert_eq!(json["hi"], "inf");
    let back: Interval = serde_json::from_value(json).unwrap();
    assert_eq!(back, iv);
    let iv = interval(&Paired::Differences(&[1.0, 2.0]), 0.0, &Settings::default()).unwrap();
    let json = serde_json::to_string(&iv).unwrap();
    assert!(json.contains("\"paired_bootstrap\""), "{json}");
    assert_eq!(serde_json::from_str::<Interval>(&json).unwrap(), iv);
}

/// A standard normal draw (Box–Muller) from two uniforms of `g`.
fn normal(g: &mut fastrand::Rng) -> f64 {
    let u1 = 1.0 - g.f64();
    let u2 = g.f64();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// With no true change, how often each method declares a regression over `runs` simulated
/// comparisons of `n` items (allowed worsening 0).
fn false_alarm_rate(method: Method, confidence: f64, discrete: bool, runs: usize) -> f64 {
    let n = 30;
    let mut g = fastrand::Rng::with_seed(20_261_130 + discrete as u64);
    let mut alarms = 0;
    let mut w = vec![0.0; n];
    for run in 0..runs {
        for x in w.iter_mut() {
            // The same per-item difficulty in both runs, independent noise.
            let difficulty = g.f64();
            let (base, cur) = if discrete {
                // An exact-match style 0/1 score: worsening = baseline − current.
                (
                    (g.f64() < difficulty) as u8 as f64,
                    (g.f64() < difficulty) as u8 as f64,
                )
            } else {
                (
                    difficulty + 0.1 * normal(&mut g),
                    difficulty + 0.1 * normal(&mut g),
                )
            };
            *x = base - cur;
        }
        let s = Settings {
            method,
            confidence,
            resamples: 400,
            seed: SEED ^ run as u64,
        };
        let iv = interval(&Paired::Differences(&w), 0.0, &s).unwrap();
        alarms += (decide(&iv, 0.0) == Decision::Regression) as usize;
    }
    alarms as f64 / runs as f64
}

#[test]
fn false_alarms_stay_below_one_minus_confidence() {
    let runs = 2000;
    for method in METHODS {
        for confidence in [0.9, 0.95] {
            for discrete in [false, true] {
                let rate = false_alarm_rate(method, confidence, discrete, runs);
                eprintln!(
                    "false alarms: {method:?} c={confidence} discrete={discrete}: {rate:.4} \
                     (nominal one-sided {:.3})",
                    (1.0 - confidence) / 2.0
                );
                assert!(
                    rate <= 1.0 - confidence,
                    "{method:?} {confidence} {discrete}: {rate}"
                );
            }
        }
    }
}

//! evalgate's paired statistics against `scripts/stats_reference.py`, an independent numpy
//! implementation of the definitions in `src/stats/mod.rs` (`tests/data/stats_reference.json`,
//! 246 cases: clear regressions and passes, borderline, discrete and zero-variance differences,
//! exact permutation tests with 3–16 items, 17–500 items, pooled error-rate corpora; confidences
//! 0.9, 0.95, 0.99).
//!
//! * Same definitions, same numbers: estimate, lo, hi and mde agree to 1e-9 relative (they
//!   differ only by summation order inside numpy's `std` and the normal quantile's last bits);
//!   p-values (counts over sign vectors) and decisions agree exactly.
//! * Monte-Carlo sanity of the bootstrap: numpy's own `default_rng` bootstrap (independent
//!   random numbers, 4,000 resamples) of the same statistic gives bounds `x̂` whose position in
//!   evalgate's bootstrap distribution, `F_B(x̂)` (the fraction of evalgate's `B` resamples below
//!   `x̂`, an interval `[#{d < x̂}, #{d ≤ x̂}]/B` at atoms), must lie within `6σ` of the level
//!   `q = (1 ∓ c)/2`, `σ = √(q(1 − q)(1/B + 1/B_numpy))`: the empirical CDF at a point has
//!   standard error `√(F(1 − F)/B)` for any distribution (discrete ones included) and numpy's
//!   quantile sits at `F ≈ q ± √(q(1 − q)/B_numpy)`. The comparison is made on the probability
//!   scale, so it stays valid in tails that `B` resamples resolve only coarsely; six σ leave no
//!   room for a chance failure (and the seeds are fixed). The worst case today is 5.1σ, at
//!   `q = 0.005` with `B = 500`: 2.5 expected resamples below the bound, whose binomial tail is
//!   heavier than the normal one (a probability near 0.004 among ~330 comparisons).

use std::collections::BTreeMap;
use std::path::PathBuf;

use evalgate::unstable::stats::{
    Decision, Method, Paired, SEED, Settings, bootstrap_distribution, decide, interval,
};
use serde_json::Value;

fn num(v: &Value) -> f64 {
    match v {
        Value::String(s) if s == "inf" => f64::INFINITY,
        Value::String(s) if s == "-inf" => f64::NEG_INFINITY,
        _ => v.as_f64().unwrap_or_else(|| panic!("not a number: {v}")),
    }
}

fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-3)
}

fn rows(v: &Value) -> Vec<Vec<f64>> {
    v.as_array()
        .expect("rows")
        .iter()
        .map(|r| r.as_array().expect("row").iter().map(num).collect())
        .collect()
}

fn pooled_rate(b: &[f64], c: &[f64]) -> f64 {
    c[0] / c[1] - b[0] / b[1]
}

#[test]
fn evalgate_matches_the_python_reference() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/stats_reference.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("reference"))
        .expect("valid JSON");
    assert_eq!(doc["seed"].as_u64(), Some(SEED));
    let cases = doc["cases"].as_array().expect("cases");
    assert!(cases.len() >= 240, "{} cases", cases.len());
    let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut worst_mc = 0.0f64;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let method: Method = serde_json::from_value(case["method"].clone()).unwrap();
        let settings = Settings {
            method,
            confidence: num(&case["confidence"]),
            resamples: case["resamples"].as_u64().unwrap() as usize,
            seed: SEED,
        };
        let allowed = num(&case["allowed"]);
        let w: Vec<f64>;
        let (base, cur): (Vec<Vec<f64>>, Vec<Vec<f64>>);
        let data = if case.get("differences").is_some() {
            w = case["differences"]
                .as_array()
                .unwrap()
                .iter()
                .map(num)
                .collect();
            Paired::Differences(&w)
        } else {
            base = rows(&case["baseline"]);
            cur = rows(&case["current"]);
            Paired::Corpus {
                baseline: &base,
                current: &cur,
                worsening: &pooled_rate,
            }
        };
        let got = interval(&data, allowed, &settings).unwrap_or_else(|e| panic!("{name}: {e}"));
        let exp = &case["expected"];
        for (field, g) in [
            ("estimate", got.estimate),
            ("lo", got.lo),
            ("hi", got.hi),
            ("mde", got.mde),
        ] {
            let e = num(&exp[field]);
            assert!(close(g, e), "{name}: {field} {g} vs reference {e}");
        }
        match (&exp["p_value"], got.p_value) {
            (Value::Null, None) => {}
            (e, Some(g)) if !e.is_null() => assert_eq!(g, num(e), "{name}: p_value"),
            (e, g) => panic!("{name}: p_value {g:?} vs reference {e}"),
        }
        assert_eq!(
            got.resamples as u64,
            exp["resamples"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(Value::Bool(got.exact), exp["exact"], "{name}: exact");
        let decision = decide(&got, allowed);
        let want: Decision = serde_json::from_value(exp["decision"].clone()).unwrap();
        assert_eq!(decision, want, "{name}: decision");
        let label = serde_json::to_value(decision).unwrap();
        *counts
            .entry((
                case["method"].as_str().unwrap().to_string(),
                label.as_str().unwrap().to_string(),
            ))
            .or_default() += 1;

        if let Some(np) = exp.get("numpy_rng") {
            let mut d = bootstrap_distribution(&data, &settings).unwrap();
            d.sort_by(f64::total_cmp);
            let b = settings.resamples as f64;
            let b_np = np["resamples"].as_f64().unwrap();
            let c = settings.confidence;
            for (q, bound) in [
                ((1.0 - c) / 2.0, num(&np["lo"])),
                ((1.0 + c) / 2.0, num(&np["hi"])),
            ] {
                let sigma = (q * (1.0 - q) * (1.0 / b + 1.0 / b_np)).sqrt();
                // Where the numpy bound sits in evalgate's distribution, in units of σ.
                // numpy's plain means carry float noise that evalgate's anchored means avoid.
                let slack = 1e-12 * (1.0 + bound.abs());
                let rank = d.partition_point(|&x| x < bound - slack) as f64 / b;
                let rank_hi = d.partition_point(|&x| x <= bound + slack) as f64 / b;
                let off = if q < rank {
                    rank - q
                } else if q > rank_hi {
                    q - rank_hi
                } else {
                    0.0
                };
                assert!(
                    off <= 6.0 * sigma,
                    "{name}: numpy-RNG bound {bound} sits at quantile [{rank}, {rank_hi}] of \
                     evalgate's bootstrap distribution, {:.1} σ from q = {q}",
                    off / sigma
                );
                worst_mc = worst_mc.max(off / sigma);
            }
        }
    }
    let summary: Vec<String> = counts
        .iter()
        .map(|((m, d), k)| format!("{m} {d} {k}"))
        .collect();
    println!(
        "{} cases agree with the reference: {}; numpy-RNG bounds within {:.2} σ",
        cases.len(),
        summary.join(", "),
        worst_mc
    );
}

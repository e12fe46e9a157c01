#!/usr/bin/env python3
"""Independent reference for evalgate's paired statistics (src/stats/).

Implements the definitions of src/stats/mod.rs with numpy (SplitMix64 in uint64 arithmetic,
np.percentile for the bootstrap percentiles, enumeration for the exact sign-flip test) and
writes tests/data/stats_reference.json: for every case the inputs, the allowed worsening, the
settings and the expected estimate, lo, hi, p_value, mde and decision. For each bootstrap case
it also records an interval from numpy's own default_rng bootstrap (an independent RNG,
`NUMPY_RESAMPLES` resamples) so the Rust test can check agreement within Monte-Carlo error.

    python3 scripts/stats_reference.py   # rewrites tests/data/stats_reference.json
"""

import json
import math
import os

import numpy as np
from scipy.stats import norm

GAMMA = np.uint64(0x9E3779B97F4A7C15)
STREAM = np.uint64(0xD1B54A32D192ED03)
M1 = np.uint64(0xBF58476D1CE4E5B9)
M2 = np.uint64(0x94D049BB133111EB)
SEED = 0x6576616C67617465  # "evalgate"
EXACT_MAX_ITEMS = 16
NOISE = 1e-12
NUMPY_RESAMPLES = 4000
MASK32 = np.uint64(0xFFFFFFFF)
S30, S27, S31, S32, S63 = (np.uint64(k) for k in (30, 27, 31, 32, 63))


def splitmix_block(seed, streams, draws):
    """Outputs 1..draws of SplitMix64 streams `streams` (uint64 array): shape (len, draws).

    Stream b starts at state seed ^ b*STREAM; output i (1-based) mixes state + i*GAMMA."""
    with np.errstate(over="ignore"):
        start = np.uint64(seed) ^ (streams.astype(np.uint64) * STREAM)
        steps = np.arange(1, draws + 1, dtype=np.uint64) * GAMMA
        z = start[:, None] + steps[None, :]
        z = (z ^ (z >> S30)) * M1
        z = (z ^ (z >> S27)) * M2
        return z ^ (z >> S31)


def index(x, n):
    """(x * n) >> 64 in 128-bit arithmetic, for n < 2^32."""
    n = np.uint64(n)
    hi = x >> S32
    lo = x & MASK32
    return ((hi * n + ((lo * n) >> S32)) >> S32).astype(np.int64)


def anchored_mean(w):
    a = w[0]
    acc = 0.0
    for x in w:
        acc += float(x) - a
    return a + acc / len(w)


def sd(x):
    """Anchored ddof=1 standard deviation (numpy's pairwise sums; equal values give 0)."""
    x = np.asarray(x, dtype=np.float64)
    if len(x) < 2:
        return 0.0
    y = x - x[0]
    m = y.sum() / len(y)
    return float(math.sqrt(((y - m) ** 2).sum() / (len(y) - 1)))


def mde(c, se):
    return float((norm.ppf((1 + c) / 2) + norm.ppf(0.8)) * se)


def seq_sum_rows(m):
    """Left-to-right sums of each row (cumsum is sequential), as evalgate sums."""
    if m.shape[1] == 0:
        return np.zeros(m.shape[0])
    return np.cumsum(m, axis=1)[:, -1]


def boot_diff(w, B, seed):
    w = np.asarray(w, dtype=np.float64)
    n = len(w)
    a = w[0]
    v = w - a
    out = np.empty(B)
    chunk = max(1, 2_000_000 // n)
    for s in range(0, B, chunk):
        b = np.arange(s, min(B, s + chunk), dtype=np.uint64)
        idx = index(splitmix_block(seed, b, n), n)
        out[s : s + len(b)] = a + seq_sum_rows(v[idx]) / n
    return out


def pooled_worsening(sb, sc):
    """Pooled error rate (errors / words), lower is better: current − baseline."""
    return sc[..., 0] / sc[..., 1] - sb[..., 0] / sb[..., 1]


def corpus_sums(stats, idx):
    """Sums of stats[idx] along the draw axis, in draw order: shape (rows, k)."""
    g = stats[idx]  # (rows, n, k)
    return np.cumsum(g, axis=1)[:, -1, :]


def boot_corpus(base, cur, B, seed):
    n = base.shape[0]
    out = np.empty(B)
    chunk = max(1, 1_000_000 // n)
    for s in range(0, B, chunk):
        b = np.arange(s, min(B, s + chunk), dtype=np.uint64)
        idx = index(splitmix_block(seed, b, n), n)
        out[s : s + len(b)] = pooled_worsening(corpus_sums(base, idx), corpus_sums(cur, idx))
    return out


def flips(w, B, seed):
    """(N, #unflipped, sorted t_s of vectors with k_s > 0, exact)."""
    w = np.asarray(w, dtype=np.float64)
    n = len(w)
    a = w[0]
    v = w - a
    if n <= EXACT_MAX_ITEMS:
        N = 1 << n
        m = np.arange(N, dtype=np.int64)
        bits = ((m[:, None] >> np.arange(n)[None, :]) & 1).astype(bool)
        exact = True
    else:
        N = B
        bits = np.zeros((B, n), dtype=bool)
        chunk = max(1, 2_000_000 // n)
        for s in range(1, B, chunk):
            j = np.arange(s, min(B, s + chunk), dtype=np.uint64)
            bits[s : s + len(j)] = (splitmix_block(seed, j, n) >> S63) == 1
        exact = False
    k = bits.sum(axis=1)
    sums = seq_sum_rows(np.where(bits, v[None, :], 0.0))
    flipped = k > 0
    t = np.sort(a + sums[flipped] / k[flipped])
    return N, int((~flipped).sum()), t, exact


def percentiles(d, c):
    return (
        float(np.percentile(d, 100 * (1 - c) / 2)),
        float(np.percentile(d, 100 * (1 + c) / 2)),
    )


def decide(lo, hi, allowed):
    if lo > allowed + NOISE:
        return "regression"
    if hi <= allowed + NOISE:
        return "pass"
    return "inconclusive"


def enc(x):
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def compute(case):
    method, c, B, seed, allowed = (
        case["method"],
        case["confidence"],
        case["resamples"],
        SEED,
        case["allowed"],
    )
    if "differences" in case:
        w = np.array(case["differences"], dtype=np.float64)
        n = len(w)
        estimate = anchored_mean(case["differences"])
        if method == "paired_bootstrap":
            d = boot_diff(w, B, seed)
        else:
            N, z, t, exact = flips(w, B, seed)
            p = (z + int(np.sum(t <= allowed))) / N
            K = math.floor(N * (1 - c) / 2 + 1e-9)
            j = K + 1 - z
            if bool(np.all(w == w[0])):
                lo = hi = float(w[0])
            elif j <= 0:
                lo, hi = -math.inf, math.inf
            else:
                lo, hi = float(t[j - 1]), float(t[len(t) - j])
            se = sd(w) / math.sqrt(n) if n > 1 else math.inf
            return dict(
                estimate=estimate, lo=lo, hi=hi, p_value=p, mde=mde(c, se),
                resamples=N, exact=exact, decision=decide(lo, hi, allowed),
            )
    else:
        base = np.array(case["baseline"], dtype=np.float64)
        cur = np.array(case["current"], dtype=np.float64)
        n = base.shape[0]
        all_idx = np.arange(n)[None, :]
        estimate = float(pooled_worsening(corpus_sums(base, all_idx), corpus_sums(cur, all_idx))[0])
        d = boot_corpus(base, cur, B, seed)
    lo, hi = percentiles(d, c)
    out = dict(
        estimate=estimate, lo=lo, hi=hi, p_value=None, mde=mde(c, sd(d)),
        resamples=B, exact=False, decision=decide(lo, hi, allowed),
    )
    # Independent check: numpy's own RNG, same statistic, more resamples.
    rng = np.random.default_rng(case["numpy_seed"])
    idx = rng.integers(0, n, size=(NUMPY_RESAMPLES, n))
    if "differences" in case:
        dn = w[idx].mean(axis=1)
    else:
        dn = pooled_worsening(base[idx].sum(axis=1), cur[idx].sum(axis=1))
    nlo, nhi = percentiles(dn, c)
    out["numpy_rng"] = dict(resamples=NUMPY_RESAMPLES, lo=nlo, hi=nhi)
    return out


def cases():
    g = np.random.default_rng(20261130)
    out = []
    confidences = [0.9, 0.95, 0.99]
    methods = ["paired_bootstrap", "permutation"]

    def add(kind, method, c, allowed, resamples, **data):
        out.append(dict(
            name=f"{len(out):03d}_{kind}_{method}_{c}",
            kind=kind, method=method, confidence=c, resamples=resamples,
            allowed=allowed, numpy_seed=int(g.integers(1 << 62)), **data,
        ))

    def r(x):
        # Round inputs to 12 significant digits so JSON round-trips them trivially.
        return [float(f"{v:.12g}") for v in x]

    for method in methods:
        for c in confidences:
            for _ in range(3):
                n = int(g.integers(30, 501))
                add("clear_regression", method, c, 0.02, 1000,
                    differences=r(g.normal(0.3, 0.3, n)))
                n = int(g.integers(30, 501))
                add("clear_pass", method, c, 0.02, 1000,
                    differences=r(g.normal(-0.1, 0.2, n)))
                n = int(g.integers(30, 501))
                allowed = float(g.choice([0.0, 0.01, 0.05]))
                sdv = 0.3
                add("borderline", method, c, allowed, int(g.choice([500, 1000, 2000])),
                    differences=r(g.normal(allowed + 1.5 * sdv / math.sqrt(n), sdv, n)))
                n = int(g.integers(30, 301))
                add("discrete", method, c, 0.0, 1000,
                    differences=r(g.choice([-1.0, 0.0, 0.0, 0.0, 1.0, 1.0], n)))
            for _ in range(7):
                n = int(g.integers(3, 17))
                shift = float(g.choice([-0.2, 0.0, 0.1, 0.4]))
                add("small_n", method, c, 0.0, 1000,
                    differences=r(g.normal(shift, 0.2, n)))
            n = int(g.integers(3, 17))
            add("small_n_discrete", method, c, 0.0, 1000,
                differences=r(g.choice([-1.0, 0.0, 1.0, 1.0], n)))
            for value, allowed in [(0.0, 0.0), (0.1, 0.05), (0.05, 0.05), (-0.2, 0.0)]:
                n = int(g.choice([1, 3, 8, 40, 200]))
                add("zero_variance", method, c, allowed, 200, differences=[value] * n)
            for _ in range(3):
                n = int(g.integers(17, 30))
                add("medium_n", method, c, 0.01, int(g.choice([100, 333, 1000])),
                    differences=r(g.normal(0.05, 0.15, n)))
    for c in confidences:
        for kind, pb, pc, allowed in [
            ("corpus_regression", 0.10, 0.16, 0.01),
            ("corpus_pass", 0.12, 0.10, 0.01),
            ("corpus_borderline", 0.10, 0.115, 0.01),
            ("corpus_equal", 0.10, 0.10, 0.0),
        ]:
            for _ in range(7):
                n = int(g.integers(5, 400))
                words = g.poisson(20, n) + 1
                difficulty = g.uniform(0.5, 1.5, n)
                eb = g.binomial(words, np.minimum(1, pb * difficulty))
                ec = g.binomial(words, np.minimum(1, pc * difficulty))
                add(kind, "paired_bootstrap", c, allowed, int(g.choice([500, 1000])),
                    baseline=[[float(e), float(wd)] for e, wd in zip(eb, words)],
                    current=[[float(e), float(wd)] for e, wd in zip(ec, words)])
    return out


def main():
    all_cases = cases()
    for case in all_cases:
        exp = compute(case)
        case["expected"] = {k: (enc(v) if isinstance(v, float) else v) for k, v in exp.items()}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(root, "tests", "data", "stats_reference.json")
    doc = {
        "generator": "scripts/stats_reference.py",
        "seed": SEED,
        "numpy": np.__version__,
        "cases": all_cases,
    }
    with open(path, "w") as f:
        json.dump(doc, f, indent=None, separators=(",", ":"))
        f.write("\n")
    counts = {}
    for case in all_cases:
        key = (case["method"], case["expected"]["decision"])
        counts[key] = counts.get(key, 0) + 1
    print(f"{len(all_cases)} cases -> {path}")
    for key in sorted(counts):
        print(f"  {key[0]:16} {key[1]:12} {counts[key]}")


if __name__ == "__main__":
    main()

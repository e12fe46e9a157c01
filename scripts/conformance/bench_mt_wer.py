#!/usr/bin/env python3
"""Python side of benches/mt_wer.rs: the same timings for sacrebleu 2.6.0 and jiwer 4.0.0.

Run from the repository root:  python3 scripts/conformance/bench_mt_wer.py
"""

import json
import time
from pathlib import Path

import jiwer
import sacrebleu
from sacrebleu.metrics import BLEU, CHRF

DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "conformance"


def best_per_call(rounds, f):
    f()
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(rounds):
            f()
        best = min(best, (time.perf_counter() - start) / rounds)
    return best


def main():
    pairs = [json.loads(line) for line in open(DATA / "pairs.jsonl", encoding="utf-8")]
    long = [(p["prediction"], p["reference"]) for p in pairs if p["id"].startswith("asr300_")]
    bulk = [(p["prediction"], p["reference"]) for p in pairs if p["id"].startswith("bulk_")]
    chrf, chrf_pp = CHRF(), CHRF(word_order=2)

    print(f"per pair, {len(long)} pairs of 300 words (microseconds):")
    cases = [
        ("sentence_bleu", lambda h, r: sacrebleu.sentence_bleu(h, [r])),
        ("sentence_chrf", lambda h, r: chrf.sentence_score(h, [r])),
        ("sentence_chrf++", lambda h, r: chrf_pp.sentence_score(h, [r])),
        ("wer", lambda h, r: jiwer.process_words(r, h)),
        ("cer", lambda h, r: jiwer.process_characters(r, h)),
    ]
    for name, f in cases:
        t = best_per_call(3, lambda: [f(h, r) for h, r in long])
        print(f"  {name:<14} {t * 1e6 / len(long):>10.1f}")

    hyps = [h for h, _ in bulk]
    refs = [r for _, r in bulk]
    print(f"per corpus, {len(bulk)} pairs (milliseconds):")
    corpus_cases = [
        ("corpus_bleu", lambda: BLEU().corpus_score(hyps, [refs])),
        ("corpus_chrf", lambda: CHRF().corpus_score(hyps, [refs])),
        ("corpus_chrf++", lambda: CHRF(word_order=2).corpus_score(hyps, [refs])),
        ("corpus_wer", lambda: jiwer.process_words(refs, hyps)),
        ("corpus_cer", lambda: jiwer.process_characters(refs, hyps)),
    ]
    for name, f in corpus_cases:
        t = best_per_call(1, f)
        print(f"  {name:<14} {t * 1e3:>10.2f}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Times rouge-score 0.1.2 on the pairs written by `cargo bench --bench rouge`.

Prints ms/pair (wall and CPU) for RougeScorer(["rouge1", "rouge2", "rougeL", "rougeLsum"])
with the stemmer off and on, and the sum of rougeLsum F1 (compare with the Rust bench output).

Usage: python3 scripts/conformance/bench_rouge_python.py [target/rouge_bench_pairs.jsonl]
"""

import json
import sys
import time

from rouge_score import rouge_scorer

path = sys.argv[1] if len(sys.argv) > 1 else "target/rouge_bench_pairs.jsonl"
with open(path, encoding="utf-8") as f:
    pairs = [json.loads(line) for line in f if line.strip()]
for stemmer in (False, True):
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL", "rougeLsum"],
                                      use_stemmer=stemmer)
    wall, cpu = time.perf_counter(), time.process_time()
    total = 0.0
    for p in pairs:
        total += scorer.score(p["reference"], p["prediction"])["rougeLsum"].fmeasure
    wall = (time.perf_counter() - wall) * 1e3 / len(pairs)
    cpu = (time.process_time() - cpu) * 1e3 / len(pairs)
    print("rouge-score stemmer=%s: %.3f ms/pair wall, %.3f ms/pair CPU [%d pairs; sum of "
          "rougeLsum F1 %.6f]" % (stemmer, wall, cpu, len(pairs), total))

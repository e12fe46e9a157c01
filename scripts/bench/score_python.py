#!/usr/bin/env python3
"""The Python reference stack on a pairs file: per line, the same full set `evalgate score
--stemmer` computes: rouge-score 0.1.2 (use_stemmer=True; rouge1, rouge2, rougeL, rougeLsum),
sacrebleu 2.6.0 sentence_bleu and sentence_chrf, jiwer 4.0.0 wer/mer/wil (one process_words
call) and cer (process_characters).

Prints the time per pair (total and per package) and the total on stdout. With --output, also
writes one JSON object per line with evalgate's key names, for comparing values.

With --corpus, instead times the corpus-level calls evalgate's `score --corpus` matches:
sacrebleu corpus_bleu and corpus_chrf, jiwer wer/mer/wil and cer over the lists.

Usage: python3 scripts/bench/score_python.py PAIRS.jsonl [--output OUT.jsonl] [--corpus]
"""

import argparse
import json
import time

import jiwer
import sacrebleu
from rouge_score import rouge_scorer


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pairs")
    parser.add_argument("--output")
    parser.add_argument("--corpus", action="store_true")
    args = parser.parse_args()
    with open(args.pairs, encoding="utf-8") as f:
        pairs = [json.loads(line) for line in f if line.strip()]
    if args.corpus:
        corpus(pairs, args.output)
        return

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL", "rougeLsum"], use_stemmer=True)
    spent = {"rouge": 0.0, "bleu": 0.0, "chrf": 0.0, "wer/mer/wil": 0.0, "cer": 0.0}
    rows = []
    clock = time.perf_counter
    start, cpu_start = clock(), time.process_time()
    for pair in pairs:
        pred, ref = pair["prediction"], pair["reference"]
        row = {"id": pair["id"]}
        t0 = clock()
        scores = scorer.score(ref, pred)
        t1 = clock()
        bleu = sacrebleu.sentence_bleu(pred, [ref]).score
        t2 = clock()
        chrf = sacrebleu.sentence_chrf(pred, [ref]).score
        t3 = clock()
        words = jiwer.process_words(ref, pred)
        t4 = clock()
        cer = jiwer.process_characters(ref, pred).cer
        t5 = clock()
        spent["rouge"] += t1 - t0
        spent["bleu"] += t2 - t1
        spent["chrf"] += t3 - t2
        spent["wer/mer/wil"] += t4 - t3
        spent["cer"] += t5 - t4
        for name in ["rouge1", "rouge2", "rougeL", "rougeLsum"]:
            s = scores[name]
            row[f"{name}_precision"] = s.precision
            row[f"{name}_recall"] = s.recall
            row[f"{name}_f1"] = s.fmeasure
        row.update(bleu=bleu, chrf=chrf, wer=words.wer, cer=cer, mer=words.mer, wil=words.wil)
        rows.append(row)
    total, cpu = clock() - start, time.process_time() - cpu_start

    n = max(len(pairs), 1)
    parts = ", ".join(f"{k} {v * 1000 / n:.3f}" for k, v in spent.items())
    print(f"python: {len(pairs)} pairs, {total:.3f} s total, {total * 1000 / n:.3f} ms/pair "
          f"({parts} ms/pair); cpu {cpu * 1000 / n:.3f} ms/pair")
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row) + "\n")


def corpus(pairs, output):
    preds = [p["prediction"] for p in pairs]
    refs = [p["reference"] for p in pairs]
    clock = time.perf_counter
    t0 = clock()
    bleu = sacrebleu.corpus_bleu(preds, [refs]).score
    t1 = clock()
    chrf = sacrebleu.corpus_chrf(preds, [refs]).score
    t2 = clock()
    words = jiwer.process_words(refs, preds)
    t3 = clock()
    cer = jiwer.process_characters(refs, preds).cer
    t4 = clock()
    print(f"python corpus: {len(pairs)} pairs, {t4 - t0:.3f} s total (corpus_bleu {t1 - t0:.3f}, "
          f"corpus_chrf {t2 - t1:.3f}, wer/mer/wil {t3 - t2:.3f}, cer {t4 - t3:.3f} s)")
    if output:
        row = dict(bleu=bleu, chrf=chrf, wer=words.wer, cer=cer, mer=words.mer, wil=words.wil)
        with open(output, "w", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()

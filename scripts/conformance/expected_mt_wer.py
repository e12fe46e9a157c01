#!/usr/bin/env python3
"""Expected BLEU / chrF (sacrebleu 2.6.0) and WER-family (jiwer 4.0.0) values for the conformance
cases in tests/data/conformance/{pairs,corpora}.jsonl.

Writes tests/data/conformance/mt_wer_expected.jsonl, one JSON object per line:

* ``{"kind": "pair", "id", "bleu", "chrf", "chrf_pp", "wer", "mer", "wil", "cer", "wer_norm",
  "cer_norm", "word": [H, S, D, I], "char": [H, S, D, I]}``
* ``{"kind": "corpus", "id", ...same metric keys...}`` with corpus-level values: sacrebleu
  ``corpus_score`` (statistics summed over items) and jiwer's pooled lists.
* ``{"kind": "pair_inline", "id", "prediction", "reference", ...same metric keys...}``: large
  pairs over a tiny alphabet, built here (seeded) because they only matter to the WER family:
  they exercise rapidfuzz's Hirschberg split (used above ~2,048 x 2,048 tokens), where tie
  breaking differs from a plain full-matrix backtrack. The script checks that some do differ.
  Also 400 seeded random "nasty" pairs (``fuzz_*``) assembled from punctuation, digits, every
  kind of whitespace, entities, combining marks, case-mapping traps and emoji, some with extra
  references (``more_references``).

Generated with rapidfuzz 3.14.6 underneath jiwer (its alignment choice decides hits).

Conventions mirrored by evalgate (src/metrics/{bleu,chrf,wer}.rs):

* BLEU: ``sacrebleu.sentence_bleu`` (13a tokenizer, exp smoothing, effective order) per pair with
  all references (``reference`` + ``more_references``); corpus = ``BLEU()`` defaults
  (effective order off).
* chrF / chrF++: ``CHRF()`` / ``CHRF(word_order=2)`` with all references.
* WER family: jiwer defaults against the *first* reference only.
* ``wer_norm`` / ``cer_norm``: jiwer with the explicit transform NORM below: lower-case
  (``str.lower``), delete every character whose Unicode general category starts with ``P``
  (jiwer's RemovePunctuation, Unicode 14 tables of Python 3.11), replace every run of whitespace
  (``str.isspace``) with one space, strip, then split into words / characters.

Run from the repository root:  ``python3 scripts/conformance/expected_mt_wer.py``
"""

import json
from pathlib import Path

import jiwer
import sacrebleu
from sacrebleu.metrics import BLEU, CHRF

from importlib.metadata import version

for package, wanted in [("sacrebleu", "2.6.0"), ("jiwer", "4.0.0")]:
    assert version(package) == wanted, f"{package} {version(package)} installed, need {wanted}"

DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "conformance"

NORM_WORDS = jiwer.Compose([
    jiwer.ToLowerCase(),
    jiwer.RemovePunctuation(),
    jiwer.SubstituteRegexes({r"\s+": " "}),
    jiwer.Strip(),
    jiwer.ReduceToListOfListOfWords(),
])
NORM_CHARS = jiwer.Compose([
    jiwer.ToLowerCase(),
    jiwer.RemovePunctuation(),
    jiwer.SubstituteRegexes({r"\s+": " "}),
    jiwer.Strip(),
    jiwer.ReduceToListOfListOfChars(),
])


def refs_of(p):
    return [p["reference"]] + p.get("more_references", [])


def wer_family(refs, hyps):
    """jiwer values for one pair (strings) or a pooled corpus (lists)."""
    w = jiwer.process_words(refs, hyps)
    c = jiwer.process_characters(refs, hyps)
    wn = jiwer.process_words(refs, hyps, NORM_WORDS, NORM_WORDS)
    cn = jiwer.process_characters(refs, hyps, NORM_CHARS, NORM_CHARS)
    return {
        "wer": float(w.wer), "mer": float(w.mer), "wil": float(w.wil), "cer": float(c.cer),
        "wer_norm": float(wn.wer), "cer_norm": float(cn.cer),
        "word": [w.hits, w.substitutions, w.deletions, w.insertions],
        "char": [c.hits, c.substitutions, c.deletions, c.insertions],
    }


def large_tie_rows():
    """Seeded large pairs where several optimal alignments with different hit counts exist."""
    import random
    from rapidfuzz.distance import Levenshtein, Levenshtein_py

    def ops(editops):
        return sorted(op.tag for op in editops)

    rng = random.Random(5)
    rows, differing = [], 0
    for t in range(60):
        alpha = rng.choice(["ab", "abc", "abcd"])
        n1 = rng.choice([1500, 2100, 2500, 3000])
        s1 = "".join(rng.choice(alpha) for _ in range(n1))
        # Each letter is kept unless a random draw falls under a randomly chosen noise level.
        s2 = "".join(c if rng.random() > rng.choice([0.1, 0.3, 0.5]) else rng.choice(alpha)
                     for c in s1)
        full_matrix_differs = ops(Levenshtein.editops(s1, s2)) != ops(Levenshtein_py.editops(s1, s2))
        differing += full_matrix_differs
        if not full_matrix_differs and t % 10 != 0:
            continue
        if t % 20 == 0:  # word level: one token per letter
            s1, s2 = " ".join(s1), " ".join(s2)
        row = {"kind": "pair_inline", "id": f"large_tie_{t:02d}", "prediction": s2, "reference": s1,
               "more_references": [],
               "bleu": sacrebleu.sentence_bleu(s2, [s1]).score,
               "chrf": CHRF().sentence_score(s2, [s1]).score,
               "chrf_pp": CHRF(word_order=2).sentence_score(s2, [s1]).score}
        row.update(wer_family(s1, s2))
        rows.append(row)
    assert differing >= 2, "no case where Hirschberg tie breaking matters"
    return rows


FUZZ_ATOMS = list("abcAB01.,-'\"&;<>/()[]{}!?:$%+=~`|^\\_#@*") + [
    " ", " ", " ", "\t", "\n", "\r", "\u00a0", "\u2009", "\u3000", "\x1c", "\x1f", "\x85",
    "\u200b", "\ufeff", "é", "e\u0301", "ß", "İ", "ı", "\u212a", "Σ", "ς", "東", "京", "👍",
    "👨\u200d👩\u200d👧", "ﬁ", "Ⅻ", "&quot;", "&amp;", "&lt;", "&gt;", "<skipped>", "-\n", "word",
    "the", "ΟΔΟΣ", "١٢", "«", "»", "—", "…", "。", "、", "¿"]


def fuzz_rows():
    """Seeded random pairs built from FUZZ_ATOMS."""
    import random

    rng = random.Random(31337)
    rows = []
    for i in range(400):
        def text():
            return "".join(rng.choice(FUZZ_ATOMS) for _ in range(rng.randint(0, 60)))
        h, r = text(), text()
        more = [text() for _ in range(rng.randint(1, 3))] if rng.random() < 0.2 else []
        refs = [r] + more
        row = {"kind": "pair_inline", "id": f"fuzz_{i:03d}", "prediction": h, "reference": r,
               "more_references": more,
               "bleu": sacrebleu.sentence_bleu(h, refs).score,
               "chrf": CHRF().sentence_score(h, refs).score,
               "chrf_pp": CHRF(word_order=2).sentence_score(h, refs).score}
        row.update(wer_family(r, h))
        rows.append(row)
    return rows


def main():
    pairs = [json.loads(line) for line in open(DATA / "pairs.jsonl", encoding="utf-8")]
    corpora = [json.loads(line) for line in open(DATA / "corpora.jsonl", encoding="utf-8")]
    by_id = {p["id"]: p for p in pairs}
    chrf, chrf_pp = CHRF(), CHRF(word_order=2)
    out = []
    for p in pairs:
        refs = refs_of(p)
        row = {"kind": "pair", "id": p["id"],
               "bleu": sacrebleu.sentence_bleu(p["prediction"], refs).score,
               "chrf": chrf.sentence_score(p["prediction"], refs).score,
               "chrf_pp": chrf_pp.sentence_score(p["prediction"], refs).score}
        row.update(wer_family(p["reference"], p["prediction"]))
        out.append(row)
    for c in corpora:
        items = [by_id[i] for i in c["pair_ids"]]
        hyps = [p["prediction"] for p in items]
        n_refs = max(len(refs_of(p)) for p in items)
        # sacrebleu takes reference *streams*; None marks a missing reference for an item.
        streams = [[(refs_of(p) + [None] * n_refs)[k] for p in items] for k in range(n_refs)]
        row = {"kind": "corpus", "id": c["id"],
               "bleu": BLEU().corpus_score(hyps, streams).score,
               "chrf": CHRF().corpus_score(hyps, streams).score,
               "chrf_pp": CHRF(word_order=2).corpus_score(hyps, streams).score}
        row.update(wer_family([p["reference"] for p in items], hyps))
        out.append(row)
    out.extend(large_tie_rows())
    out.extend(fuzz_rows())
    with open(DATA / "mt_wer_expected.jsonl", "w", encoding="utf-8", newline="\n") as f:
        for row in out:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(out)} rows to {DATA / 'mt_wer_expected.jsonl'}")


if __name__ == "__main__":
    main()

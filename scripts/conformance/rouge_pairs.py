#!/usr/bin/env python3
"""Writes tests/data/conformance/rouge_pairs.jsonl: ROUGE-specific hard cases.

Each line is {"id", "prediction", "reference"} and, for multi-reference cases,
"extra_references" (scored with rouge-score's score_multi over [reference] + extra).
Deterministic (fixed seed). Expected values come from expected_rouge.py.

Usage: python3 scripts/conformance/rouge_pairs.py [OUT]
"""

import json
import os
import random
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else "tests/data/conformance/rouge_pairs.jsonl"

rng = random.Random(20261126)
cases = []


def add(name, prediction, reference, extra=None):
    case = {"id": "%03d_%s" % (len(cases), name), "prediction": prediction,
            "reference": reference}
    if extra is not None:
        case["extra_references"] = extra
    cases.append(case)


# rouge-score's own examples (docstring, tokenize_test.py).
add("docstring", "The quick brown dog jumps on the log.",
    "The quick brown fox jumps over the lazy dog")
add("tokenize_test", "one Two three", "one\n Two \nthree")
add("paper_union_lcs", "w1 w2 w6 w7 w8\nw1 w3 w8 w9 w5", "w1 w2 w3 w4 w5")
# Inline cases of rouge_scorer_test.py (score(target, prediction)).
for target, prediction in [
    ("testing one two", "testing"), ("testing one two", ""), ("testing one two", "testing one"),
    ("testing one two", "testing two"), ("First sentence.\nSecond Sentence.",
                                         "Second sentence.\nFirst Sentence."),
    ("First sentence. Second Sentence.", "Second sentence. First Sentence."),
    ("w1 w2 w3 w4 w5", ""), ("", "w1"), ("w1 w2 w3 w4 w5", "/"),
    ("this is a test", "this is a test"),
]:
    add("rouge_scorer_test", prediction, target)

# LCS backtrack ties: several LCSs of equal length, different index sets.
for pred, ref in [
    ("a b", "b a"), ("a b a b", "b a b a"), ("a b c", "c b a"),
    ("a a b b", "b b a a"), ("x y x y x", "y x y x y"),
    ("a b c d", "b a d c"), ("a b a", "a b a b a"), ("b a", "a b a b"),
    ("the cat the dog", "the dog the cat"),
    ("a b\nb a", "b a\na b"), ("a b\na b", "b a b a"),
    ("a b c\nc b a\nb a c", "a b c a b c"),
]:
    add("lcs_tie", pred, ref)
    add("lcs_tie_swapped", ref, pred)

# Random small-alphabet texts: many ties, repeated tokens across sentences.
for k in range(60):
    alphabet = ["a", "b", "c", "dd", "e"][: 2 + k % 4]

    def text(max_lines, max_words):
        lines = []
        for _ in range(rng.randint(1, max_lines)):
            lines.append(" ".join(rng.choice(alphabet)
                                  for _ in range(rng.randint(0, max_words))))
        return "\n".join(lines)

    add("random_lsum", text(5, 9), text(5, 9))

# Long sentences (65-200 tokens, several 64-bit words per LCS row) over tiny vocabularies:
# many backtrack ties inside the multi-word rougeLsum path.
for k in range(20):
    alphabet = ["a", "b", "c", "d"][: 1 + k % 4]

    def long_lines():
        return "\n".join(" ".join(rng.choice(alphabet) for _ in range(rng.randint(65, 200)))
                         for _ in range(rng.randint(1, 3)))

    add("lsum_long_sentences", long_lines(), long_lines())

# Multi-line summaries with repeated tokens across sentences.
add("lsum_repeat",
    "the police killed the gunman\nthe gunman was killed by police\npolice police police",
    "police kill the gunman\nthe gunman kills police\nthe police\nthe gunman")
add("lsum_blank_lines", "\n\nfirst line\n\n\nsecond line\n", "first line\nsecond\n\n")
add("lsum_whitespace_lines", " \n\t\nword here\n   \n", "word\n \nhere")
add("lsum_one_line_vs_many", "a b c d e f g h", "a b\nc d\ne f\ng h")
add("lsum_many_vs_one_line", "a b\nc d\ne f\ng h", "h g f e d c b a")
add("lsum_crlf", "the cat sat\r\non the mat\r\n", "the cat\r\nsat on the mat")
add("lsum_cr_only", "the cat sat\ron the mat", "the cat\rsat on the mat")

# Stemming edge cases.
stem_words = (
    "generously generous generosity sky skies dying die died lying tying "
    "news innings inning outings canning howe proceed exceed succeed "
    "caresses ponies ties cats feed agreed plastered bled motoring sing "
    "conflated troubled sized hopping tanned falling hissing fizzed failing "
    "filing happy relational conditional rational valenci hesitanci digitizer "
    "conformabli radicalli differentli vileli analogousli vietnamization "
    "predication operator feudalism decisiveness hopefulness callousness "
    "formaliti sensitiviti sensibiliti triplicate formative formalize "
    "electriciti electrical hopeful goodness revival allowance inference "
    "airliner gyroscopic adjustable defensible irritant replacement adjustment "
    "dependent adoption homologou communism activate angulariti homologous "
    "effective bowdlerize probate rate cease controll roll running runs ran "
    "flies fly flying spied spy enjoy enjoyment studies studying was has his "
    "its bus gas yes this thus ies ied eed ing sses ational biology geology "
    "archaeology quickly slowly fully fulli beautifully companies played "
    "organization organizations organized organizing universal university "
    "universe news abilities ability possibly possible"
).split()
for k in range(25):
    a = rng.sample(stem_words, 12)
    b = rng.sample(stem_words, 12)
    add("stemming", " ".join(a), " ".join(b + a[:4]))
add("stem_short_tokens", "was has his its bus gas yes is as us",
    "wa ha hi it bu ga ye i a u")
add("stem_three_vs_four", "dies ties lies cats runs", "die tie lie cat run")
add("stem_numbers", "1990s 2020s 3rds running4 4running abc123ing",
    "1990 2020 3rd running4 4run abc123")
add("stem_y_runs", "yyyy yyy syzygy toy toys boyish yay yayy",
    "yyyi yyyy syzygi toy toy boyish yay yay")

# Empty, whitespace, punctuation-only, numbers.
for pred, ref, name in [
    ("", "", "both_empty"), ("", "some words", "pred_empty"),
    ("some words", "", "ref_empty"), ("   \t\n ", "a", "pred_whitespace"),
    ("a", " \n\n ", "ref_whitespace"), ("...!!!???", "---", "punct_only"),
    ("!!!", "word", "punct_vs_word"), ("3.14 is pi, 2,000 people", "3 14 2 000", "numbers"),
    ("a", "a", "single_same"), ("a", "b", "single_different"),
    ("0 0 0 0", "0 0", "repeated_digit"),
    ("rate-limiting e-mail state-of-the-art", "rate limiting email state of the art",
     "hyphens"),
    ("don't can't won't it's", "dont cant wont its", "apostrophes"),
    ("A.B.C. U.S.A.", "a b c usa", "dotted_caps"),
    ("<b>bold</b> &amp; http://x.org/a_b?c=1", "b bold b amp http x org a b c 1", "markup"),
]:
    add(name, pred, ref)

# Non-ASCII.
for pred, ref, name in [
    ("café naïve résumé", "cafe naive resume", "accents"),
    ("Straße STRASSE straße", "strasse stra e", "eszett"),
    ("İstanbul DİYARBAKIR ıstanbul", "i stanbul di yarbakir stanbul", "turkish_i"),
    ("5\u212a \u212aelvin 300\u212a", "5k kelvin 300k", "kelvin_sign"),
    ("\u212b ångström", "a ngstr m", "angstrom_sign"),
    ("東京は2024年に", "2024", "cjk"),
    ("emoji 🎉 party 🎉🎉 time 👩‍💻", "emoji party time", "emoji"),
    ("שלום world مرحبا hello", "world hello", "rtl"),
    ("a\u00a0b\u00a0c", "a b c", "nbsp"),
    ("tab\tseparated\twords", "tab separated words", "tabs"),
    ("ﬁne ﬂow", "fine flow", "ligatures"),
    ("ＡＢＣ full width １２３", "abc full width 123", "fullwidth"),
    ("x\u2028y\u2029z\u0085w", "x y z w", "unicode_line_separators"),
    ("Ωmega Σigma ΣΑΣ", "mega igma", "greek"),
    ("ǅ ǈ ǋ Ǆ", "d l n", "digraphs"),
    ("ﬀ \u0130\u0130 \u212a\u212a", "ff ii kk", "special_lowercase"),
    ("e\u0301tude", "etude", "combining_accent"),
    ("zero\u200bwidth", "zerowidth", "zero_width_space"),
]:
    add(name, pred, ref)
    add(name + "_swapped", ref, pred)

# Multi-reference (score_multi: best F1 per rouge type).
add("multi_ref", "the cat sat on the mat", "a dog ran in the park",
    ["the cat sat", "on the mat the cat sat"])
add("multi_ref_tie", "a b c", "a b", ["b c", "a b"])
add("multi_ref_empty", "a b c", "", [""])

# Long texts (2,000 words) with line breaks.
vocab = stem_words + ["the", "a", "of", "and", "to", "in", "is", "it", "that"] * 6


def long_text(n_words, line_every):
    words = [rng.choice(vocab) for _ in range(n_words)]
    out = []
    for i, w in enumerate(words):
        out.append(w)
        out.append("\n" if (i + 1) % line_every == 0 else " ")
    return "".join(out).strip()


for k in range(4):
    ref = long_text(2000, 25 + k * 10)
    pred_words = ref.split()
    rng.shuffle(pred_words)
    pred = long_text(1500, 18) if k % 2 else " ".join(pred_words[:1800])
    add("long_2000", pred, ref)
add("long_single_line", long_text(2000, 10**9), long_text(2000, 10**9))
add("long_vs_short", long_text(2000, 30), "the cat")

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w", encoding="utf-8") as f:
    for case in cases:
        f.write(json.dumps(case, ensure_ascii=False) + "\n")
print("wrote %d cases to %s" % (len(cases), OUT))

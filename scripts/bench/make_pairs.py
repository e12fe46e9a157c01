#!/usr/bin/env python3
"""Writes N seeded prediction/reference pairs of about 300 words each, as JSON lines
{"id", "prediction", "reference"}, for the `evalgate score` speed benchmark.

The reference reads like a podcast summary or a cleaned transcript: one sentence per line (so
rougeLsum has sentences), capitalised, punctuated, with numbers. The prediction is the reference
after realistic system edits: some sentences dropped, reordered or paraphrased, words replaced
by inflected forms (so the stemmer matters), deletions, insertions, casing and punctuation
changes, and filler words, aiming at a word overlap of roughly 60-80%.

Usage: python3 scripts/bench/make_pairs.py N OUT.jsonl [--seed S] [--words W]
"""

import argparse
import json
import random

SUBJECTS = [
    "the host", "our guest", "Maya", "Tom", "the researcher", "the team", "the founder",
    "the panel", "the doctor", "the engineer", "listeners", "the committee", "the city council",
    "the author", "the coach", "most teams", "small companies", "the study",
]
VERBS = [
    "explains", "argues", "describes", "suggests", "shows", "believes", "remembers",
    "questions", "measures", "compares", "recommends", "discusses", "admits", "predicts",
    "reports", "insists", "notices", "warns",
]
OBJECTS = [
    "remote work", "sleep quality", "the housing market", "interest rates", "battery storage",
    "public transport", "the new policy", "customer retention", "hiring practices",
    "the training plan", "data privacy", "urban gardens", "the school budget", "mental health",
    "supply chains", "open source software", "electric vehicles", "the quarterly results",
    "climate adaptation", "the product launch", "team meetings", "working hours",
]
CLAUSES = [
    "because people change their habits slowly",
    "since the costs keep rising every year",
    "although the early numbers looked promising",
    "when teams communicate clearly and often",
    "after several failed attempts in previous seasons",
    "while most experts still disagree on the details",
    "as long as the measurements remain consistent",
    "unless the funding arrives before the summer",
    "even though the survey covered only a few cities",
    "so that smaller groups can test ideas quickly",
    "which surprised many of the listeners",
    "which matches what earlier studies found",
]
NUMBER_PHRASES = [
    "about {n} percent of respondents", "{n} people in the pilot", "nearly {n} hours a week",
    "{n} million dollars", "{n} out of every hundred", "a {n} minute commute", "{n} new hires",
]
FILLERS = ["basically", "really", "actually", "also", "clearly", "overall", "in fact", "so"]
# Inflection variants: words the Porter stemmer maps together, used as substitutions.
INFLECT = {
    "explains": "explained", "argues": "argued", "describes": "described",
    "suggests": "suggested", "shows": "showed", "believes": "believed",
    "remembers": "remembered", "questions": "questioned", "measures": "measured",
    "compares": "compared", "recommends": "recommended", "discusses": "discussed",
    "admits": "admitted", "predicts": "predicted", "reports": "reported",
    "insists": "insisted", "notices": "noticed", "warns": "warned", "people": "persons",
    "teams": "team", "costs": "cost", "rising": "rises", "habits": "habit", "ideas": "idea",
    "studies": "study", "measurements": "measurement", "attempts": "attempt",
    "communicate": "communicating", "change": "changing", "test": "testing",
    "hours": "hour", "practices": "practice", "vehicles": "vehicle", "results": "result",
    "meetings": "meeting", "chains": "chain", "gardens": "garden", "experts": "expert",
}
SYNONYMS = {
    "many": "lots of", "quickly": "fast", "often": "frequently", "slowly": "gradually",
    "promising": "encouraging", "several": "a few", "clearly": "plainly", "most": "many",
    "new": "recent", "small": "little", "people": "folks", "surprised": "astonished",
}


def sentence(rng):
    subject = rng.choice(SUBJECTS)
    words = [subject, rng.choice(VERBS)]
    if rng.random() < 0.5:
        words.append("that")
        words.append(rng.choice(OBJECTS))
        words.append(rng.choice(["matters", "improves", "suffers", "depends on planning",
                                 "is changing", "needs attention"]))
    else:
        words.append(rng.choice(OBJECTS))
    if rng.random() < 0.4:
        words.append("with " + rng.choice(NUMBER_PHRASES).format(n=rng.randint(2, 95)))
    words.append(rng.choice(CLAUSES))
    text = " ".join(words)
    text = text[0].upper() + text[1:]
    if rng.random() < 0.3:
        parts = text.split(" ")
        cut = rng.randint(3, len(parts) - 2)
        parts[cut - 1] += ","
        text = " ".join(parts)
    return text + rng.choice([".", ".", ".", "!", "?"])


def reference(rng, target_words):
    lines, count = [], 0
    while count < target_words:
        s = sentence(rng)
        lines.append(s)
        count += len(s.split())
    return lines


def edit_sentence(rng, line):
    out = []
    for word in line.split(" "):
        bare = word.rstrip(".,!?").lower()
        tail = word[len(word.rstrip(".,!?")):]
        r = rng.random()
        if r < 0.07:
            continue  # deletion
        if r < 0.15:
            if bare in INFLECT:
                word = INFLECT[bare] + tail
        elif r < 0.20:
            if bare in SYNONYMS:
                word = SYNONYMS[bare] + tail
        elif r < 0.23:
            word = rng.choice(list(INFLECT.values()) + FILLERS) + tail  # substitution
        out.append(word)
        if rng.random() < 0.05:
            out.append(rng.choice(FILLERS))  # insertion
    if not out:
        return ""
    text = " ".join(out)
    if rng.random() < 0.2:
        text = text.lower()
    if rng.random() < 0.15:
        text = text.rstrip(".!?")
    return text[0].upper() + text[1:] if text else text


def prediction(rng, ref_lines, target_words):
    lines = []
    for line in ref_lines:
        r = rng.random()
        if r < 0.12:
            continue  # sentence dropped
        if r < 0.22:
            lines.append(sentence(rng))  # sentence the reference does not have
            continue
        lines.append(edit_sentence(rng, line))
    # Local reordering of neighbouring sentences.
    for i in range(len(lines) - 1):
        if rng.random() < 0.15:
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
    lines = [line for line in lines if line]
    # Top up or trim to about the target length.
    while sum(len(line.split()) for line in lines) < target_words - 10:
        lines.append(sentence(rng))
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("n", type=int)
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--words", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with open(args.out, "w", encoding="utf-8") as f:
        for i in range(args.n):
            ref_lines = reference(rng, args.words)
            pred_lines = prediction(rng, ref_lines, args.words)
            record = {
                "id": f"pair{i:05d}",
                "prediction": "\n".join(pred_lines),
                "reference": "\n".join(ref_lines),
            }
            f.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()

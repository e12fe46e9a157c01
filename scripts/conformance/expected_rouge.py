#!/usr/bin/env python3
"""Computes reference ROUGE values with Google's rouge-score 0.1.2 for conformance tests.

Reads JSON lines with "id", "prediction" and "reference" (or "references", a list; or
"reference" plus "extra_references", a list: with several references rouge-score's score_multi
is used). Lines with neither "prediction" nor a reference field (e.g. corpus descriptors in a
shared case file) are not cases; they are counted and reported, not scored. Writes one JSON
line per case, in input order:

    {"id": ..., "stemmer_off": {"rouge1_precision": ..., ... 12 ids}, "stemmer_on": {...}}

preceded by one {"_meta": {...}} line with the package versions.

Semantics: RougeScorer(["rouge1", "rouge2", "rougeL", "rougeLsum"], use_stemmer=S)
.score(target=reference, prediction=prediction).

Usage:
    python3 scripts/conformance/expected_rouge.py [CASES [OUT]]
CASES defaults to tests/data/conformance/pairs.jsonl; OUT defaults to rouge_expected.jsonl
next to pairs.jsonl, or <cases name>_expected.jsonl for any other cases file.
"""

import json
import os
import sys
from importlib import metadata

from rouge_score import rouge_scorer

TYPES = ["rouge1", "rouge2", "rougeL", "rougeLsum"]


def main():
    cases_path = sys.argv[1] if len(sys.argv) > 1 else "tests/data/conformance/pairs.jsonl"
    if len(sys.argv) > 2:
        out_path = sys.argv[2]
    else:
        folder, name = os.path.split(cases_path)
        if name == "pairs.jsonl":
            out_name = "rouge_expected.jsonl"
        else:
            out_name = name[: -len(".jsonl")] + "_expected.jsonl"
        out_path = os.path.join(folder, out_name)

    scorers = {
        "stemmer_off": rouge_scorer.RougeScorer(TYPES, use_stemmer=False),
        "stemmer_on": rouge_scorer.RougeScorer(TYPES, use_stemmer=True),
    }
    lines = []
    meta = {
        "generator": "scripts/conformance/expected_rouge.py",
        "cases": os.path.basename(cases_path),
        "rouge_score": metadata.version("rouge-score"),
        "nltk": metadata.version("nltk"),
    }
    lines.append(json.dumps({"_meta": meta}))
    skipped = 0
    with open(cases_path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            case = json.loads(line)
            if not any(k in case for k in ("prediction", "reference", "references")):
                skipped += 1
                continue
            try:
                case_id, prediction = case["id"], case["prediction"]
                if "references" in case:
                    references = list(case["references"])
                else:
                    references = [case["reference"]] + list(case.get("extra_references", []))
            except KeyError as e:
                sys.exit("%s:%d: missing field %s; a case needs id, prediction and reference"
                         % (cases_path, number, e))
            if not references:
                sys.exit("%s:%d: case %r has no reference" % (cases_path, number, case_id))
            record = {"id": case_id}
            for key, scorer in scorers.items():
                if len(references) > 1:
                    scores = scorer.score_multi(references, prediction)
                else:
                    scores = scorer.score(references[0], prediction)
                values = {}
                for t in TYPES:
                    s = scores[t]
                    values[t + "_precision"] = float(s.precision)
                    values[t + "_recall"] = float(s.recall)
                    values[t + "_f1"] = float(s.fmeasure)
                record[key] = values
            lines.append(json.dumps(record))
    tmp = out_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, out_path)
    print("wrote %d cases to %s (%d non-case lines skipped)" % (len(lines) - 1, out_path, skipped))


if __name__ == "__main__":
    main()

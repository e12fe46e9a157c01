#!/usr/bin/env python3
"""An external command metric for evalgate: share of the item's speakers named in the output.

evalgate starts this program once per dataset and system, writes one JSON line per item on
stdin, {"id", "prediction", "reference", "references", "input", "metadata"}, and closes stdin.
We answer with exactly one JSON line per item on stdout, {"id": ..., "value": number or null},
in any order; null means "does not apply" (here: the item lists no speakers). evalgate takes the
mean of the non-null values as the dataset value.

Anything else on stdout is an error, so logs go to stderr (evalgate quotes its last lines when
the metric fails). Exit non-zero when something goes wrong; evalgate then fails the trials with
the status and the stderr tail instead of inventing a value.

The same shape fits a model-based metric (perplexity, an LLM judge): read all items first, score
them in batches, print one line per item.

Suite entry:

    [external_metrics.speaker_coverage]
    command = ["python3", "examples/external_metric/speaker_coverage.py"]
    direction = "higher_is_better"
    range = [0.0, 1.0]
    description = "share of the item's speakers named in the output"
"""

import json
import sys


def speaker_coverage(item):
    speakers = item.get("metadata", {}).get("speakers") or []
    if not speakers:
        return None
    text = item["prediction"].lower()
    named = sum(1 for name in speakers if name.lower() in text)
    return named / len(speakers)


def main():
    items = [json.loads(line) for line in sys.stdin if line.strip()]
    print(f"speaker_coverage: scoring {len(items)} items", file=sys.stderr)
    for item in items:
        print(json.dumps({"id": item["id"], "value": speaker_coverage(item)}))


if __name__ == "__main__":
    main()

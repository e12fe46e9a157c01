#!/usr/bin/env python3
"""A sampled summariser for evalgate's own suite: a stand-in for an LLM run with temperature.

Batch mode (`batch = true`): one JSON request per stdin line, one JSON answer per stdout line.
Each request carries the sample index and its seed (`"sample"`, `"seed"`, see docs/systems.md);
the output depends on the seed and the item id only, so every sample is reproducible and
cacheable, while the samples of one item differ the way sampled outputs do.

What it writes: the transcript's content sentences (speaker labels and timestamps stripped),
`sentences` of them (a parameter), where each sample skips one of the first sentences at random
and sometimes adds the next one.
"""
import json
import random
import re
import sys
import zlib

LABEL = re.compile(r"^\s*([\[(][^\])]*[\])]\s*)?([A-Z][\w .'-]{0,40}:\s*)?")


def sentences(text):
    out = []
    for line in text.splitlines():
        line = LABEL.sub("", line).strip()
        out.extend(s.strip() for s in re.split(r"(?<=[.!?])\s+", line) if len(s.split()) >= 4)
    return out


def summarize(text, n, seed, item_id):
    rng = random.Random(seed * 1_000_003 + zlib.crc32(item_id.encode()))
    pool = sentences(text)
    if not pool:
        return text.strip()[:200] or "(empty)"
    skip = rng.randrange(min(len(pool), n + 1))
    chosen = [s for i, s in enumerate(pool[: n + 2]) if i != skip][: n + (rng.random() < 0.3)]
    return " ".join(chosen)


for line in sys.stdin:
    request = json.loads(line)
    n = int(request.get("params", {}).get("sentences", 3))
    output = summarize(request["input"], n, int(request.get("seed", 0)), request["id"])
    print(json.dumps({"id": request["id"], "output": output}), flush=True)

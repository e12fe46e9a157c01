#!/usr/bin/env python3
"""A tiny extractive summarizer showing evalgate's `command` system protocol.

Single mode (default): evalgate starts this program once per item and writes one JSON object
on stdin: {"id", "input", "metadata", "params"}. We answer with a JSON object on stdout
(plain text would do too).

Batch mode (`--batch`, with `batch = true` in the suite): evalgate starts the program once and
writes one JSON line per item; we answer each with one JSON line carrying the item's "id"
before reading the next, so a model would be loaded only once.

Exit with a non-zero status (and a message on stderr) when something goes wrong: evalgate
reports the item, the status and the last lines of stderr, and never scores an empty output.
"""

import json
import re
import sys


def summarize(request):
    params = request.get("params", {})
    max_sentences = int(params.get("max_sentences", 2))
    sentences = re.split(r"(?<=[.!?])\s+", request["input"].strip())
    summary = " ".join(sentences[:max_sentences])
    title = request.get("metadata", {}).get("title")
    if title and params.get("with_title", False):
        summary = f"{title}: {summary}"
    return {"output": summary}


def main():
    if "--batch" in sys.argv[1:]:
        for line in sys.stdin:
            if not line.strip():
                continue
            request = json.loads(line)
            answer = summarize(request)
            answer["id"] = request["id"]
            print(json.dumps(answer), flush=True)
    else:
        request = json.load(sys.stdin)
        print(json.dumps(summarize(request)))


if __name__ == "__main__":
    main()

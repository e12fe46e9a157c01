"""Shared rendering for evalgate's dataset generators.

An episode is a list of turns. A turn is ``(speaker_key, parts)`` where ``parts`` is a string
(plain speech) or a list of ``("say", text)`` / ``("ad", text)`` pairs. ``ad`` parts are sponsor
blocks: the lead-in ("a word from our sponsor"), the read itself and the return cue ("back to the
show"). The raw transcript shows everything with timestamps and speaker labels; the clean
reference keeps only the ``say`` parts, one turn per line, verbatim (whitespace normalised).

Hashes follow the dataset format of the brief: ``sha256:`` + lowercase hex of the exact bytes.
"""

import hashlib
import json
import os
import shutil
import textwrap

WORDS_PER_SECOND = 2.5


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def parts_of(turn):
    _, parts = turn
    if isinstance(parts, str):
        return [("say", parts)]
    return parts


def stamp(seconds: float, style: str) -> str:
    s = int(seconds)
    h, m, sec = s // 3600, (s // 60) % 60, s % 60
    if style == "mmss":
        return f"[{h * 60 + m:02d}:{sec:02d}]"
    if style == "paren":
        return f"({h:02d}:{m:02d}:{sec:02d})"
    return f"[{h:02d}:{m:02d}:{sec:02d}]"


def label(speaker, style: str) -> str:
    full = speaker["name"]
    if style == "caps":
        return full.split()[0].upper() + ":"
    if style == "first":
        return full.split()[0] + ":"
    return full + ":"


def turn_seconds(turn) -> float:
    """How long a turn takes to say, for timestamps."""
    text = " ".join(t for _, t in parts_of(turn))
    return max(1.0, len(text.split()) / WORDS_PER_SECOND)


def clock_before(turns, start, index) -> float:
    """The clock (seconds) at which turn `index` starts."""
    return start + sum(turn_seconds(t) for t in turns[:index])


def render_raw(turns, speakers, label_style="caps", stamp_style="hms", start=0.0, wrap=0):
    """The raw transcript: one `[timestamp] LABEL: text` line per turn (optionally wrapped)."""
    lines = []
    clock = start
    for turn in turns:
        key = turn[0]
        text = " ".join(t for _, t in parts_of(turn))
        head = f"{stamp(clock, stamp_style)} {label(speakers[key], label_style)} "
        if wrap:
            body = textwrap.wrap(text, width=wrap)
            lines.append(head + body[0])
            lines.extend(body[1:])
        else:
            lines.append(head + text)
        clock += turn_seconds(turn)
    return "\n".join(lines) + "\n"


def render_clean(turns):
    """The clean reference: say-parts only, one turn per line, whitespace normalised."""
    lines = []
    for turn in turns:
        said = " ".join(t for kind, t in parts_of(turn) if kind == "say")
        said = " ".join(said.split())
        if said:
            lines.append(said)
    return "\n".join(lines) + "\n"


def word_count(text: str) -> int:
    return sum(1 for w in text.split() if any(c.isalnum() for c in w))


class DatasetWriter:
    """Collects items and writes `datasets/<id>/` with inputs, references and dataset.json."""

    def __init__(self, root, dataset_id, task, description):
        self.dir = os.path.join(root, dataset_id)
        for sub in ("inputs", "references"):
            shutil.rmtree(os.path.join(self.dir, sub), ignore_errors=True)
        self.id = dataset_id
        self.task = task
        self.description = description
        self.items = []

    def _write(self, rel, text):
        path = os.path.join(self.dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        data = text.encode("utf-8")
        with open(path, "wb") as f:
            f.write(data)
        return sha256(data)

    def add(self, item_id, raw, reference, metadata):
        input_rel = f"inputs/{item_id}.txt"
        ref_rel = f"references/{item_id}.txt"
        self.items.append(
            {
                "id": item_id,
                "input_path": input_rel,
                "reference_paths": [ref_rel],
                "metadata": metadata,
                "hashes": {
                    "input": self._write(input_rel, raw),
                    "references": [self._write(ref_rel, reference)],
                },
            }
        )
        return word_count(raw), word_count(reference)

    def finish(self):
        doc = {
            "id": self.id,
            "version": 1,
            "task": self.task,
            "description": self.description,
            "items": self.items,
        }
        path = os.path.join(self.dir, "dataset.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=2, ensure_ascii=False)
            f.write("\n")

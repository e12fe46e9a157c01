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

# measure CMD...: runs CMD (stdout to /dev/null) RUNS times after a warm-up and prints two
# medians in ms: wall-clock time and CPU time (user + system). On a shared machine the CPU time
# of a single-thread run is the steadier figure.
measure() {
    local walls=() cpus=() i start end cpu
    local TIMEFORMAT='%3U %3S'
    "$@" > /dev/null # warm-up (page cache)
    for ((i = 0; i < RUNS; i++)); do
        start=$(now_ns)
        cpu=$( { time "$@" > /dev/null; } 2>&1 | awk '{ printf "%d", ($1 + $2) * 1000 }')
        end=$(now_ns)
        walls+=("$(( (end - start) / 1000 ))")
        cpus+=("$cpu")
    done
    printf '%s %s\n' "$(median "${walls[@]}" | awk '{ printf "%.3f", $1 / 1000 }')" "$(median "${cpus[@]}")"
}

median() { printf '%s\n' "$@" | sort -n | awk '{ t[NR] = $1 } END { print (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2 }'; }

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

py_field() { sed -n "s/$1/\1/p" <<< "$PY_LINE"; }
PY_ALL=$(py_field '.* \([0-9.]*\) ms\/pair (.*')
PY_CPU=$(py_field '.*cpu \([0-9.]*\) ms\/pair.*')
PY_WORDS=$(py_field '.*wer\/mer\/wil \([0-9.]*\).*')
PY_CER=$(py_field '.*, cer \([0-9.]*\) ms\/pair.*')
PY_ROUGE=$(py_field '.*(rouge \([0-9.]*\),.*')
PY_BLEU=$(py_field '.*, bleu \([0-9.]*\),.*')
PY_CHRF=$(py_field '.*, chrf \([0-9.]*\),.*')

echo "== evalgate: median of $RUNS runs of the whole process (start-up, JSON in and out)"
echo "   columns: wall ms, CPU ms, wall ms/pair, speed-up over python by wall time and by CPU time"
report() { # LABEL PYTHON_MS_PER_PAIR PAIRS CMD...
    local label=$1 py=$2 n=$3 wall cpu
    shift 3
    read -r wall cpu < <(measure "$@")
    # Python's per-package figures are wall time; its CPU share scales them for the CPU ratio.
    awk -v l="$label" -v py="$py" -v n="$n" -v w="$wall" -v c="$cpu" -v pc="$PY_CPU" -v pa="$PY_ALL" 'BEGIN {
        scale = pc / pa
        if (py > 0) printf "%-34s %9.1f %9.1f %8.4f  wall %6.1fx  cpu %6.1fx\n", l, w, c, w / n, py / (w / n), py * scale / (c / n)
        else printf "%-34s %9.1f %9.1f %8.4f\n", l, w, c, w / n }'
}
report "full set --stemmer, all threads" "$PY_ALL" "$PAIRS" "$BIN" score --stemmer --input "$PAIRS_FILE"
report "full set --stemmer, 1 thread" "$PY_ALL" "$PAIRS" with_threads 1 "$BIN" score --stemmer --input "$PAIRS_FILE"
report "  rouge (stemmer), 1 thread" "$PY_ROUGE" "$PAIRS" with_threads 1 "$BIN" score --stemmer --metrics rouge --input "$PAIRS_FILE"
report "  bleu, 1 thread" "$PY_BLEU" "$PAIRS" with_threads 1 "$BIN" score --metrics bleu --input "$PAIRS_FILE"
report "  chrf, 1 thread" "$PY_CHRF" "$PAIRS" with_threads 1 "$BIN" score --metrics chrf --input "$PAIRS_FILE"
# `--metrics wer` names the whole WER group; `mer` alone runs the one word alignment that wer,
# mer and wil share (what jiwer's process_words does).
report "  wer/mer/wil (words), 1 thread" "$PY_WORDS" "$PAIRS" with_threads 1 "$BIN" score --metrics mer --input "$PAIRS_FILE"
report "  cer, 1 thread" "$PY_CER" "$PAIRS" with_threads 1 "$BIN" score --metrics cer --input "$PAIRS_FILE"
PY_CORPUS=$(sed -n 's/.*pairs, \([0-9.]*\) s total.*/\1/p' <<< "$PY_CORPUS_LINE" | awk -v n="$CORPUS_PAIRS" '{ print $1 * 1000 / n }')
report "corpus $CORPUS_PAIRS pairs, all threads" "$PY_CORPUS" "$CORPUS_PAIRS" "$BIN" score --corpus --input "$CORPUS_FILE"
report "corpus $CORPUS_PAIRS pairs, 1 thread" "$PY_CORPUS" "$CORPUS_PAIRS" with_threads 1 "$BIN" score --corpus --input "$CORPUS_FILE"
echo "python full set: $PY_ALL ms/pair wall, $PY_CPU ms/pair CPU"
echo "== load after the run: $(uptime | sed 's/.*load average/load average/')"

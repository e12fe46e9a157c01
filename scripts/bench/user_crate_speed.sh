#!/usr/bin/env bash
# Warm run time of the QMSum suite (scripts/bench/qmsum_suite.toml: 27 meeting transcripts,
# lead_n + textrank + a command system) in a fresh user crate that depends on this checkout by
# path, at three profiles: cargo's default dev profile, `[profile.dev.package.evalgate]
# opt-level = 2`, and `[profile.dev.package."*"] opt-level = 2` (the README's "Speed" section).
#
#   scripts/bench/user_crate_speed.sh [RUNS]      # RUNS warm runs per profile (default 3)
#
# Needs the QMSum file (/work/shared/data/qmsum/qmsum_test.jsonl or $QMSUM_JSONL; skipped with a
# message when absent), python3, and the evalgate command ($EVALGATE, default
# target/debug/evalgate). Builds go to $CARGO_TARGET_DIR (default target/user-crate-speed), so
# each profile is compiled once and later runs are warm. Prints the median warm wall time of
# `cargo test --test benchmarks` (the build up to date) and of the test binary alone.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
runs="${1:-3}"
data="${QMSUM_JSONL:-/work/shared/data/qmsum/qmsum_test.jsonl}"
if [ ! -f "$data" ]; then
  echo "user_crate_speed: skipped, $data is absent (set QMSUM_JSONL to the file)"
  exit 0
fi
evalgate="${EVALGATE:-$repo/target/debug/evalgate}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target/user-crate-speed}"
crate="$(mktemp -d)"
trap 'rm -rf "$crate"' EXIT
mkdir -p "$crate/tests" "$crate/src"
: > "$crate/src/lib.rs"
cp "$repo/scripts/bench/qmsum_suite.toml" "$crate/evalgate.toml"
cp "$repo/examples/command_system/summarize.py" "$crate/summarize.py"
printf 'fn main() -> std::process::ExitCode {\n    evalgate::Harness::new().main()\n}\n' \
  > "$crate/tests/benchmarks.rs"
"$evalgate" dataset import "$data" --input-field transcript --reference-field reference_summary \
  --out "$crate/datasets/qmsum_v1" > /dev/null

manifest() {
  cat > "$crate/Cargo.toml" <<TOML
[package]
name = "qmsum-user"
version = "0.1.0"
edition = "2024"
publish = false

[workspace]

[dev-dependencies]
evalgate = { path = "$repo" }

[[test]]
name = "benchmarks"
harness = false
$1
TOML
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
seconds() { local s e; s=$(date +%s.%N); "$@" > /dev/null 2>&1; e=$(date +%s.%N); awk -v s="$s" -v e="$e" 'BEGIN { print e - s }'; }

printf '%-34s %14s %14s\n' profile "cargo test (s)" "binary (s)"
for variant in default evalgate star; do
  case $variant in
    default) manifest "" ;;
    evalgate) manifest $'\n[profile.dev.package.evalgate]\nopt-level = 2' ;;
    star) manifest $'\n[profile.dev.package."*"]\nopt-level = 2' ;;
  esac
  (cd "$crate" && cargo test --test benchmarks --no-run --quiet 2> /dev/null)
  bin=$(cd "$crate" && cargo test --test benchmarks --no-run --message-format=json 2> /dev/null \
    | grep -o '"executable":"[^"]*"' | tail -1 | cut -d'"' -f4)
  # One run fills the command system's cache: later runs are warm.
  (cd "$crate" && cargo test --test benchmarks > /dev/null 2>&1) || {
    echo "the suite failed at profile $variant" >&2
    exit 1
  }
  full=$(for _ in $(seq "$runs"); do (cd "$crate" && seconds cargo test --test benchmarks); done | median)
  alone=$(for _ in $(seq "$runs"); do (cd "$crate" && CARGO_MANIFEST_DIR="$crate" seconds "$bin"); done | median)
  printf '%-34s %14.2f %14.2f\n' "$variant" "$full" "$alone"
done

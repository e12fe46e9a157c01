#!/usr/bin/env bash
# Makes the dataset `meetings_v1` from meetings.jsonl, exactly as committed in datasets/:
#
#   evalgate dataset import meetings.jsonl --input-field transcript \
#     --reference-field reference_summary --metadata-field team --out datasets/meetings_v1
#
# run from this folder. `.ci/run` runs this script with another output folder and checks that
# the result equals the committed dataset. Usage: import.sh [OUT] (default datasets/meetings_v1);
# EVALGATE names the evalgate command (default: `evalgate` on PATH).
set -euo pipefail
cd "$(dirname "$0")"
"${EVALGATE:-evalgate}" dataset import meetings.jsonl --input-field transcript \
  --reference-field reference_summary --metadata-field team \
  --description "Six synthetic team meetings with a reference summary each" \
  --out "${1:-datasets/meetings_v1}"

#!/usr/bin/env bash
# The chart carries copies of the generated CRDs (crds/*.yaml -> charts/agent-sandbox/crds/).
#   scripts/sync-chart-crds.sh           # copy them (after scripts/generate-crds.sh)
#   scripts/sync-chart-crds.sh --check   # fail, naming the files, when the copies differ
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=crds DST=charts/agent-sandbox/crds
if [[ "${1:-}" == "--check" ]]; then
  if ! out="$(diff -r -q -x examples "$SRC" "$DST" 2>&1)"; then
    echo "$out" >&2
    echo "chart-check: the chart's CRDs ($DST) differ from the generated ones ($SRC)." >&2
    echo "  Fix: scripts/sync-chart-crds.sh   (never edit either copy by hand; regenerate with scripts/generate-crds.sh)" >&2
    exit 1
  fi
  echo "chart CRDs identical to crds/*.yaml ($(ls "$SRC"/*.yaml | wc -l) files)"
  exit 0
fi
mkdir -p "$DST"
rm -f "$DST"/*.yaml
cp "$SRC"/*.yaml "$DST"/
echo "copied $(ls "$SRC"/*.yaml | wc -l) CRDs into $DST"

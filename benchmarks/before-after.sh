#!/usr/bin/env bash
# Compares two builds of benchmarks.jar on this machine, alternating A B A B, so that a change's
# effect is read against the same machine state (absolute figures drift on a busy box; ratios hold).
#
#   benchmarks/before-after.sh BEFORE.jar AFTER.jar [OUT_DIR] [ROUNDS]
#
# Per round and per jar: the JMH engine benchmarks (WarmPoolClaimBenchmark, ShardRoundTripBenchmark,
# ClaimCodecBenchmark, with -prof gc) and the load harness's 10,000-claim burst with its bare
# baseline (`LoadHarness burst --embedded --baseline --quiet`). Everything runs on loopback, bounded
# by JMH's iteration counts and the harness's own timeouts. Results: OUT_DIR/<round>-<A|B>/...,
# and a summary table (JMH score and B/op per run, the tail of each burst log) on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; }
[[ ${1:-} == -h || ${1:-} == --help ]] && { usage; exit 0; }
[[ $# -ge 2 ]] || { usage >&2; exit 2; }
BEFORE=$1 AFTER=$2
OUT=${3:-benchmarks/results/before-after-$(date -u +%Y%m%dT%H%M%SZ)}
ROUNDS=${4:-2}
for j in "$BEFORE" "$AFTER"; do [[ -f $j ]] || { echo "before-after: no such jar: $j" >&2; exit 2; }; done
mkdir -p "$OUT"
JMH_FILTER='WarmPoolClaimBenchmark|ShardRoundTripBenchmark|ClaimCodecBenchmark'

run_one() { # jar dir
  local jar=$1 dir=$2
  mkdir -p "$dir"
  echo "== $(date -u +%T) $dir: JMH (load $(cut -d' ' -f1-3 /proc/loadavg))"
  java -jar "$jar" "$JMH_FILTER" -f 1 -wi 3 -i 5 -prof gc -rf json -rff "$dir/jmh.json" >"$dir/jmh.log" 2>&1
  echo "== $(date -u +%T) $dir: burst of 10,000 (load $(cut -d' ' -f1-3 /proc/loadavg))"
  java -cp "$jar" io.agentsandbox.bench.load.LoadHarness burst --embedded --baseline --quiet \
    --results "$dir/burst" >"$dir/burst.log" 2>&1
}

for r in $(seq 1 "$ROUNDS"); do
  run_one "$BEFORE" "$OUT/$r-A-before"
  run_one "$AFTER" "$OUT/$r-B-after"
done

# Summary: JMH primary score and gc.alloc.rate.norm per benchmark/params, then the burst lines.
python3 - "$OUT" <<'EOF'
import json, sys, pathlib
out = pathlib.Path(sys.argv[1])
rows = {}
for d in sorted(out.iterdir()):
    f = d / "jmh.json"
    if not f.is_file():
        continue
    for b in json.loads(f.read_text()):
        name = b["benchmark"].rsplit(".", 2)[-2] + "." + b["benchmark"].rsplit(".", 1)[-1]
        params = ",".join(f"{k}={v}" for k, v in sorted((b.get("params") or {}).items()))
        alloc = b.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score")
        key = (name, params)
        rows.setdefault(key, []).append((d.name, b["primaryMetric"]["score"], b["primaryMetric"]["scoreUnit"], alloc))
print("| benchmark | params | run | score | unit | B/op |")
print("|---|---|---|---:|---|---:|")
for (name, params), runs in sorted(rows.items()):
    for run, score, unit, alloc in runs:
        print(f"| {name} | {params} | {run} | {score:,.1f} | {unit} | {'' if alloc is None else f'{alloc:,.0f}'} |")
EOF
for d in "$OUT"/*/; do
  echo "== $(basename "$d") burst"
  tail -n 15 "$d/burst.log"
done

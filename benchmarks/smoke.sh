#!/usr/bin/env bash
# CI smoke pass of the benchmarks (STYLE B.8): every JMH benchmark once with one short iteration,
# then a tiny load-harness run (embedded server, 500-claim burst; 3 s open-loop rate with the bare
# Vert.x baseline). Checks that everything runs and writes its report, never how fast: the numbers
# of a smoke pass mean nothing. Needs benchmarks/target/benchmarks.jar (built by `mvn verify` or
# `mvn -pl benchmarks -am package -DskipTests`). Exits non-zero on any failure. ~1-2 min on 2 cores.
set -euo pipefail
cd "$(dirname "$0")"
JAR=target/benchmarks.jar
if [[ ! -f "$JAR" ]]; then
  echo "smoke: $JAR is missing; build it first: mvn -pl benchmarks -am package -DskipTests" >&2
  exit 2
fi
OUT=$(mktemp -d "${TMPDIR:-/tmp}/benchmarks-smoke.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
JAVA=${JAVA:-java}

echo "smoke: JMH, every benchmark, -f 1 -wi 1 -i 1 -w 200ms -r 200ms" >&2
# -foe: a benchmark that throws fails the run. -p poolSize=16: the short parameter set.
"$JAVA" -jar "$JAR" -f 1 -wi 1 -i 1 -w 200ms -r 200ms -p poolSize=16 -foe true -prof gc \
  -rf json -rff "$OUT/jmh.json" >"$OUT/jmh.log" 2>&1 || { tail -50 "$OUT/jmh.log" >&2; echo "smoke: JMH failed" >&2; exit 1; }
expected=$("$JAVA" -jar "$JAR" -l | grep -c '^io\.agentsandbox\.bench\.')
ran=$(grep -c '"benchmark"' "$OUT/jmh.json" || true)
if [[ "$ran" -ne "$expected" ]]; then
  echo "smoke: JMH ran $ran of $expected benchmarks" >&2
  exit 1
fi
echo "smoke: JMH ran all $ran benchmarks" >&2

H=("$JAVA" -cp "$JAR" io.agentsandbox.bench.load.LoadHarness)
echo "smoke: harness burst --embedded --count 500" >&2
"${H[@]}" burst --embedded --count 500 --warmup-bursts 0 --fail-on-errors --quiet --max-duration 90s \
  --results "$OUT/burst" >"$OUT/burst.log" 2>&1 || { tail -40 "$OUT/burst.log" >&2; echo "smoke: harness burst failed" >&2; exit 1; }
echo "smoke: harness rate --embedded --baseline --rate 500 --duration 3s" >&2
"${H[@]}" rate --embedded --baseline --rate 500 --duration 3s --warmup 0ms --fail-on-errors --quiet --max-duration 90s \
  --results "$OUT/rate" >"$OUT/rate.log" 2>&1 || { tail -40 "$OUT/rate.log" >&2; echo "smoke: harness rate failed" >&2; exit 1; }
for f in burst/report.json burst/report.html burst/percentiles.png rate/report.json rate/report.html rate/latency-over-time.png; do
  [[ -s "$OUT/$f" ]] || { echo "smoke: harness wrote no $f" >&2; exit 1; }
done
grep -q '"ok" : 500' "$OUT/burst/report.json" || { echo "smoke: the burst did not bind all 500 claims" >&2; exit 1; }
"${H[@]}" --help >/dev/null
echo "smoke: OK" >&2
# The plain closing line CI reads: every JMH benchmark and both harness runs.
echo "smoke: $((ran + 2)) passed, 0 failed"

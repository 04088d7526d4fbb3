#!/usr/bin/env bash
# Overload run: one server JVM (simulated backend, 0 ms starts, default creation budgets:
# gVisor 1,000 creates/s), the load harness in a second JVM on the same host, loopback only.
#   1. find-max: the sustainable claim rate (p99 <= 250 ms, no errors; the 2 CPUs are shared) against this server;
#   2. 10x that rate for 60 s (claims wait up to 10 s, as a default client would), over
#      $OVERLOAD_CONNECTIONS (4,000) connections so that the excess reaches the server instead of
#      queueing in the client;
#   3. 20 s at half the sustainable rate: recovery (per-second p99 in recovery/report.json).
# Heap is sampled with jstat every 500 ms; /metrics is scraped before and after step 2 so that the
# server-side wait (arrival at the HTTP edge -> binding) can be separated from client-side queueing.
# Usage: benchmarks/overload.sh OUT_DIR [extra server flags...]   (needs `mvn package` jars)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="$1"; shift
mkdir -p "$OUT"
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
java -Xmx1g -jar scheduler/target/agent-sandbox-server.jar --backend simulated --host 127.0.0.1 --port "$PORT" \
  --pools-dir crds/examples --simulated-latency 'gvisor=0,default=0,*=0' "$@" > "$OUT/server.log" 2>&1 &
SERVER=$!
JSTAT=""
trap 'kill $SERVER 2>/dev/null || true; [ -n "$JSTAT" ] && kill $JSTAT 2>/dev/null || true' EXIT
for i in $(seq 1 120); do curl -sf "$URL/readyz" >/dev/null && break; sleep 0.5; done
jstat -gc "$SERVER" 500 > "$OUT/jstat.txt" &
JSTAT=$!
H="java -Xmx1g -cp benchmarks/target/benchmarks.jar io.agentsandbox.bench.load.LoadHarness"
$H find-max --target "$URL" --pool python-gvisor --start-rate 100 --growth 1.5 --step-duration 3s --warmup 10s \
  --slo 250ms --max-rate 40000 --max-duration 3m --quiet --results "$OUT/find-max" > "$OUT/find-max.txt" 2>&1
SUSTAINED=$(python3 -c "import json;print(int(json.load(open('$OUT/find-max/report.json'))['headline']['claims max sustained rate /s']))")
RATE=$((SUSTAINED * 10))
echo "sustained $SUSTAINED/s -> overload at $RATE/s" | tee "$OUT/rates.txt"
curl -s "$URL/metrics" > "$OUT/metrics-before.txt"
$H rate --target "$URL" --pool python-gvisor --rate "$RATE" --duration 60s --warmup 0s --wait-ms 10000 \
  --max-in-flight 20000 --connections "${OVERLOAD_CONNECTIONS:-4000}" --request-timeout 15s --max-duration 150s --quiet --results "$OUT/overload" > "$OUT/overload.txt" 2>&1
curl -s "$URL/metrics" > "$OUT/metrics-after.txt"
$H rate --target "$URL" --pool python-gvisor --rate $((SUSTAINED / 2)) --duration 20s --warmup 0s --wait-ms 10000 \
  --request-timeout 15s --quiet --results "$OUT/recovery" > "$OUT/recovery.txt" 2>&1
curl -s "$URL/metrics" > "$OUT/metrics-end.txt"
kill $JSTAT; JSTAT=""
python3 benchmarks/overload-summary.py "$OUT" | tee "$OUT/summary.txt"

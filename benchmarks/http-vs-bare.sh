#!/usr/bin/env bash
# The claim API against a bare Vert.x endpoint, each in its own process, driven by load tools in
# their own processes, loopback only. Issue 15's measurement, as a new user would make it.
#
#   A = bare endpoint (benchmarks.jar io.agentsandbox.bench.load.BareEndpoint): reads the body and
#       answers a canned 201 (a claim-sized JSON body, a Location) or 204 to DELETE.
#   B = the server (scheduler/target/agent-sandbox-server.jar) on the simulated backend, 0 ms
#       starts, one pool default/bench of POOL warm members; no authentication.
# Both run with the same JVM flags and the same number of HTTP event loops (HTTP_INSTANCES).
#
# Per round, A then B:
#   wrk  -t2 -c64 for DURATION with benchmarks/claim-release.lua (every claim released right after)
#   hey  -n BURST -c BURST_CONNECTIONS: a burst of POST /v1/claims (claims kept; B's pool is POOL
#        deep so every round finds BURST warm members)
# ROUNDS rounds (A B A B ...), after one unrecorded warm-up wrk per target. Prints each run and the
# ratios B / A. Bounded: about ROUNDS x 2 x (DURATION + a few s) plus start-up.
#
# With BASELINE=server, A is a second server instead of the bare endpoint, started with
# BASELINE_ARGS (B with SERVER_ARGS): two builds or two settings of one build side by side, e.g.
# logging off against on:
#   BASELINE=server BASELINE_ARGS="--log-level INFO,claims=OFF,sandboxes=OFF" benchmarks/http-vs-bare.sh
#
# Run under the shared lock:  flock /tmp/heavy.lock benchmarks/http-vs-bare.sh
# Needs: wrk and hey (apt-get install -y wrk hey); the jars (mvn -B -ntp package -DskipTests).
# Env: ROUNDS (2), DURATION (10s), WARMUP (5s), CONNECTIONS (64), THREADS (2), BURST (10000),
#      BURST_CONNECTIONS (1000), POOL (40000), HTTP_INSTANCES (2), SHARDS (2),
#      SERVER_JAR (scheduler/target/agent-sandbox-server.jar: another build to compare), JAVA (java),
#      JAVA_OPTS (-Xms1g -Xmx1g -XX:+UseG1GC), SERVER_ARGS (extra server flags), BASELINE (bare or
#      server), BASELINE_JAR (SERVER_JAR), BASELINE_ARGS (extra flags of a server baseline).
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=benchmarks/target/benchmarks.jar
SERVER_JAR=${SERVER_JAR:-scheduler/target/agent-sandbox-server.jar}
ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-5s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
BURST=${BURST:-10000}
BURST_CONNECTIONS=${BURST_CONNECTIONS:-1000}
POOL=${POOL:-40000}
HTTP_INSTANCES=${HTTP_INSTANCES:-2}
SHARDS=${SHARDS:-2}
JAVA=${JAVA:-java}
read -r -a JAVA_FLAGS <<<"${JAVA_OPTS:--Xms1g -Xmx1g -XX:+UseG1GC}"
read -r -a EXTRA <<<"${SERVER_ARGS:-}"
BASELINE=${BASELINE:-bare}
BASELINE_JAR=${BASELINE_JAR:-$SERVER_JAR}
read -r -a BASE_EXTRA <<<"${BASELINE_ARGS:-}"
[[ $BASELINE == bare || $BASELINE == server ]] || { echo "BASELINE must be bare or server: $BASELINE" >&2; exit 2; }
for f in "$JAR" "$SERVER_JAR"; do
  [[ -f "$f" ]] || { echo "missing $f: mvn -B -ntp package -DskipTests" >&2; exit 2; }
done
for t in wrk hey curl; do
  command -v "$t" >/dev/null || { echo "$t missing: apt-get install -y wrk hey curl" >&2; exit 2; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/http-vs-bare.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
log() { echo "== $(date +%H:%M:%S) $*" >&2; }

. scripts/lib.sh # free_port (the working directory is the repository root)

await_http() { # url, what, pid: bounded (120 s)
  for _ in $(seq 600); do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)" =~ ^(200|201|204)$ ]] && return
    kill -0 "$3" 2>/dev/null || { echo "$2 exited" >&2; tail -20 "$WORK/$2.log" >&2; exit 1; }
    sleep 0.2
  done
  echo "$2 did not answer within 120 s" >&2; tail -20 "$WORK/$2.log" >&2; exit 1
}

# --- B (and A with BASELINE=server): the server, simulated backend, 0 ms starts
mkdir -p "$WORK/pools"
cat >"$WORK/pools/bench.yaml" <<EOF
apiVersion: extensions.agents.x-k8s.io/v1beta1
kind: SandboxTemplate
metadata: {name: bench, namespace: default}
spec:
  podTemplate:
    spec:
      containers: [{name: main, image: busybox}]
---
apiVersion: extensions.agents.x-k8s.io/v1beta1
kind: SandboxWarmPool
metadata: {name: bench, namespace: default}
spec:
  replicas: $POOL
  sandboxTemplateRef: {name: bench}
EOF
start_server() { # name, jar, port, extra flags... -> its pid in STARTED
  local name=$1 jar=$2 port=$3
  shift 3
  "$JAVA" "${JAVA_FLAGS[@]}" -jar "$jar" --backend simulated --host 127.0.0.1 --port "$port" \
    --pools-dir "$WORK/pools" --state-dir "$WORK/state-$name" --shards "$SHARDS" --http-instances "$HTTP_INSTANCES" \
    --simulated-latency '*=0,default=0' --max-starting-per-pool "$POOL" \
    --create-rate '*=100000,default=100000' --create-concurrency '*=100000,default=100000' \
    --max-claims-per-tenant 1000000 --max-waiting-per-pool 100000 "$@" \
    >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  STARTED=$!
  await_http "http://127.0.0.1:$port/readyz" "$name" "$STARTED"
}
ready() { curl -s "http://127.0.0.1:$1/v1/pools/default/bench" | sed -n 's/.*"ready":\([0-9]*\).*/\1/p'; }
await_warm() { # port; bounded: 120 s
  for _ in $(seq 600); do
    [[ "$(ready "$1")" -ge "$POOL" ]] 2>/dev/null && return
    sleep 0.2
  done
  echo "pool default/bench on :$1 did not reach $POOL warm members (at $(ready "$1"))" >&2; exit 1
}

# --- A: the bare endpoint, or a server baseline
BARE_PORT=$(free_port)
if [[ $BASELINE == bare ]]; then
  mkfifo "$WORK/bare.in"
  "$JAVA" "${JAVA_FLAGS[@]}" -cp "$JAR" io.agentsandbox.bench.load.BareEndpoint "$HTTP_INSTANCES" "$BARE_PORT" \
    <"$WORK/bare.in" >"$WORK/bare.out" 2>"$WORK/bare.log" &
  PIDS+=($!)
  BARE_PID=$!
  exec 3>"$WORK/bare.in"
  await_http "http://127.0.0.1:$BARE_PORT/" bare "$BARE_PID"
else
  start_server baseline "$BASELINE_JAR" "$BARE_PORT" "${BASE_EXTRA[@]}"
  await_warm "$BARE_PORT"
fi

API_PORT=$(free_port)
start_server server "$SERVER_JAR" "$API_PORT" "${EXTRA[@]}"
await_warm "$API_PORT"
log "$BASELINE baseline on :$BARE_PORT, server on :$API_PORT with $POOL warm members ($HTTP_INSTANCES HTTP loops, $SHARDS shards)"

run_wrk() { # port, duration -> "<requests/s> <p50> <p99> <statuses>"
  local out
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$2" --latency -s benchmarks/claim-release.lua "http://127.0.0.1:$1")
  echo "$out" >>"$WORK/wrk.txt"
  local rps p50 p99 status
  rps=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')
  p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  status=$(echo "$out" | sed -n 's/^STATUS //p')
  echo "$rps $p50 $p99 $status"
}

run_hey() { # port -> "<seconds> <statuses>"
  local out
  out=$(hey -n "$BURST" -c "$BURST_CONNECTIONS" -m POST -T application/json \
    -d '{"pool":"default/bench","tenant":"hey","waitMs":10000}' "http://127.0.0.1:$1/v1/claims")
  echo "$out" >>"$WORK/hey.txt"
  local total codes
  total=$(echo "$out" | awk '/Total:/ {print $2; exit}')
  codes=$(echo "$out" | sed -n 's/^[[:space:]]*\[\([0-9]*\)\][[:space:]]*\([0-9]*\) responses/\1=\2/p' | tr '\n' ' ')
  echo "$total $codes"
}

log "warm-up: wrk $WARMUP per target (not recorded)"
run_wrk "$BARE_PORT" "$WARMUP" >/dev/null
run_wrk "$API_PORT" "$WARMUP" >/dev/null

declare -a A_RPS B_RPS A_BURST B_BURST
printf '%-6s %-7s %12s %9s %9s  %s\n' round target "requests/s" p50 p99 "statuses" >"$WORK/table"
for r in $(seq "$ROUNDS"); do
  for target in A B; do
    port=$BARE_PORT; [[ $target == B ]] && port=$API_PORT
    [[ $target == B || $BASELINE == server ]] && await_warm "$port"
    read -r rps p50 p99 status < <(run_wrk "$port" "$DURATION")
    read -r secs codes < <(run_hey "$port")
    printf '%-6s %-7s %12s %9s %9s  wrk %s | burst of %s: %s s, %s\n' "$r" "$target" "$rps" "$p50" "$p99" \
      "$status" "$BURST" "$secs" "$codes" | tee -a "$WORK/table" >&2
    if [[ $target == A ]]; then A_RPS+=("$rps"); A_BURST+=("$secs"); else B_RPS+=("$rps"); B_BURST+=("$secs"); fi
  done
done

echo
echo "# http-vs-bare: $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $("$JAVA" -version 2>&1 | head -1); flags: ${JAVA_FLAGS[*]}; wrk -t$THREADS -c$CONNECTIONS -d$DURATION; hey -n $BURST -c $BURST_CONNECTIONS"
if [[ $BASELINE == bare ]]; then
  echo "# A = bare endpoint, B = claim API (simulated, 0 ms, $POOL warm, $HTTP_INSTANCES HTTP loops, $SHARDS shards) ${EXTRA[*]}"
else
  echo "# A = claim API ${BASE_EXTRA[*]} ($BASELINE_JAR), B = claim API ${EXTRA[*]} ($SERVER_JAR); simulated, 0 ms, $POOL warm, $HTTP_INSTANCES HTTP loops, $SHARDS shards"
fi
echo "# log lines written: A $(wc -l <"$WORK/$([[ $BASELINE == bare ]] && echo bare || echo baseline).log"), B $(wc -l <"$WORK/server.log")"
cat "$WORK/table"
for i in "${!A_RPS[@]}"; do
  awk -v a="${A_RPS[$i]}" -v b="${B_RPS[$i]}" -v ab="${A_BURST[$i]}" -v bb="${B_BURST[$i]}" -v r=$((i + 1)) \
    'BEGIN { printf "round %d: throughput B/A = %.2f, burst time B/A = %.2f\n", r, b / a, bb / ab }'
done

#!/usr/bin/env bash
# Proxy throughput of the sandbox router vs a direct connection to the agent, loopback only.
# One real agent (agent/target/agent-sandbox-agent) on a loopback TCP port with a secret; one
# server (benchmarks.jar, io.agentsandbox.bench.load.RouterTarget: simulated backend, its locator
# sending the one claimed sandbox to that agent). The client is wrk, in its own process. Workloads:
# GET /exists/small.txt (request rate) and GET /download/big.bin (1 MiB, streaming), each run
# alternating A B A B: A = wrk straight to the agent, B = wrk to the server's API port with
# X-Sandbox-ID/-Port. Bounded: ROUNDS x 2 workloads x 2 targets x DURATION.
# Run under the shared lock:  flock /tmp/heavy.lock benchmarks/router-throughput.sh
# Needs: wrk (apt-get install wrk), benchmarks/target/benchmarks.jar
# (mvn -B -ntp -pl benchmarks -am package -DskipTests), agent/target/agent-sandbox-agent
# (mvn -B -ntp -pl agent package). Env: ROUNDS (2), DURATION (10s), CONNECTIONS (16), THREADS (1),
# HTTP_INSTANCES (1, server event loops for HTTP), WARMUP (5s per path through the router, discarded).
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=benchmarks/target/benchmarks.jar
AGENT=agent/target/agent-sandbox-agent
ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-1}
HTTP_INSTANCES=${HTTP_INSTANCES:-1}
JAVA=${JAVA:-java}
for f in "$JAR" "$AGENT"; do [[ -x "$f" || -f "$f" ]] || { echo "missing $f (see the header)" >&2; exit 2; }; done
command -v wrk >/dev/null || { echo "wrk missing: apt-get install -y wrk" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/router-throughput.XXXXXX")
AGENT_PID=""
SERVER_PID=""
cleanup() {
  exec 3>&- 2>/dev/null || true
  [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null || true
  [[ -n "$AGENT_PID" ]] && kill "$AGENT_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$WORK/ws"
head -c 1048576 /dev/urandom >"$WORK/ws/big.bin"
echo small >"$WORK/ws/small.txt"
SECRET=bench-$RANDOM$RANDOM
printf '%s' "$SECRET" >"$WORK/secret"
AGENT_PORT=$((20000 + RANDOM % 30000))
"$AGENT" --workspace "$WORK/ws" --listen "tcp:127.0.0.1:$AGENT_PORT" --secret-file "$WORK/secret" \
  >"$WORK/agent.log" 2>&1 &
AGENT_PID=$!

mkfifo "$WORK/in"
"$JAVA" -Xmx512m -cp "$JAR" io.agentsandbox.bench.load.RouterTarget "$AGENT_PORT" "$WORK/secret" \
  "$HTTP_INSTANCES" <"$WORK/in" >"$WORK/server.out" 2>"$WORK/server.log" &
SERVER_PID=$!
exec 3>"$WORK/in"
for _ in $(seq 600); do
  grep -q '^PORT ' "$WORK/server.out" 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || { tail -20 "$WORK/server.log" >&2; exit 1; }
  sleep 0.1
done
read -r _ API_PORT _ SANDBOX < <(grep '^PORT ' "$WORK/server.out")
[[ -n "${SANDBOX:-}" ]] || { echo "server did not claim a sandbox" >&2; tail -20 "$WORK/server.log" >&2; exit 1; }
echo "agent 127.0.0.1:$AGENT_PORT, server 127.0.0.1:$API_PORT, sandbox $SANDBOX"

# One check of each path before measuring: the same bytes either way.
curl -sf -H "Authorization: Bearer $SECRET" "http://127.0.0.1:$AGENT_PORT/download/big.bin" | cmp - "$WORK/ws/big.bin"
curl -sf -H "X-Sandbox-ID: $SANDBOX" -H "X-Sandbox-Port: $AGENT_PORT" \
  "http://127.0.0.1:$API_PORT/download/big.bin" | cmp - "$WORK/ws/big.bin"

run() { # label url headers...
  local label=$1 url=$2; shift 2
  local hdr=() h
  for h in "$@"; do hdr+=(-H "$h"); done
  local out
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency --timeout 10s "${hdr[@]}" "$url")
  local rps tps p50 p99 errs
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  tps=$(awk '/^Transfer\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errs=$(awk '/Non-2xx|Socket errors/ {printf "%s ", $0}' <<<"$out")
  printf '| %s | %s | %s | %s | %s | %s |\n' "$label" "$rps" "$tps" "$p50" "$p99" "${errs:-none}"
}

# JIT warm-up of the server (discarded): WARMUP on each path through the router.
for path in /exists/small.txt /download/big.bin; do
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP:-5s}" -H "X-Sandbox-ID: $SANDBOX" \
    -H "X-Sandbox-Port: $AGENT_PORT" "http://127.0.0.1:$API_PORT$path" >/dev/null
done

echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, $ROUNDS rounds, A = direct agent, B = router"
echo "| run | req/s | transfer/s | p50 | p99 | errors |"
echo "|---|---|---|---|---|---|"
for path in /exists/small.txt /download/big.bin; do
  for r in $(seq "$ROUNDS"); do
    run "A direct $path #$r" "http://127.0.0.1:$AGENT_PORT$path" "Authorization: Bearer $SECRET"
    run "B router $path #$r" "http://127.0.0.1:$API_PORT$path" "X-Sandbox-ID: $SANDBOX" \
      "X-Sandbox-Port: $AGENT_PORT"
  done
done

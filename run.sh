#!/usr/bin/env bash
# Builds the server (once) and runs it with the example pools in crds/examples, on the embedded
# local backend: real gVisor / bubblewrap sandboxes on this host (installed here when missing and
# running as root; without them the server falls back to the simulated backend and says so).
# Extra arguments go to the server: ./run.sh --help
set -euo pipefail
cd "$(dirname "$0")"
if [ "$(id -u)" -eq 0 ] && ! { command -v runsc >/dev/null && command -v bwrap >/dev/null && command -v go >/dev/null; }; then
  echo "installing the sandbox runtimes and Go for the in-sandbox agent (Debian packages runsc, bubblewrap, golang-go)..." >&2
  scripts/install-runtimes.sh >&2 || echo "could not install them; the server will say what it can use" >&2
fi
jar=scheduler/target/agent-sandbox-server.jar
if [ ! -f "$jar" ] || [ -n "$(find agent core warmpool scheduler -newer "$jar" \( -name '*.java' -o -name '*.go' -o -name '*.yaml' -o -name '*.xml' \) | head -1)" ]; then
  echo "building the server and the in-sandbox agent (mvn -q -DskipTests install)..." >&2
  mvn -B -q -ntp -DskipTests install -pl agent,scheduler -am >&2
fi
exec java -jar "$jar" "$@"

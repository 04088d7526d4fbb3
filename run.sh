#!/usr/bin/env bash
# Builds the server (once) and runs it on the embedded backend with the example pools in
# crds/examples. Extra arguments go to the server: ./run.sh --help
set -euo pipefail
cd "$(dirname "$0")"
jar=scheduler/target/agent-sandbox-server.jar
if [ ! -f "$jar" ] || [ -n "$(find core warmpool scheduler -newer "$jar" -name '*.java' -o -newer "$jar" -name '*.yaml' -path '*/resources/*' | head -1)" ]; then
  echo "building the server (mvn -q -DskipTests package)..." >&2
  mvn -B -q -ntp -DskipTests install >&2
fi
exec java -jar "$jar" "$@"

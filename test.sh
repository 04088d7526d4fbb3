#!/usr/bin/env bash
# Runs the whole test suite: installs what the tests need (gVisor runsc and bubblewrap for the
# local backend's tests), then builds every module and runs every test (unit, shard, concurrency,
# HTTP, burst, local sandboxes). Needs a JDK 17+, Maven 3.8 with access to Maven Central, and
# root (or sudo) on Debian for the runtime packages.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-runtimes.sh
exec mvn -B -ntp verify "$@"

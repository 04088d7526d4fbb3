#!/usr/bin/env bash
# Runs the whole test suite: builds every module and runs every test (unit, shard, concurrency,
# HTTP, burst). Needs only a JDK 17+ and Maven 3.8 with access to Maven Central.
set -euo pipefail
cd "$(dirname "$0")"
exec mvn -B -ntp verify "$@"

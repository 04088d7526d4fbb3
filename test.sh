#!/usr/bin/env bash
# Runs the whole test suite: installs what the tests need (gVisor runsc and bubblewrap for the
# local backend's tests; a kube-apiserver v1.20.2 built once from Debian's kubernetes source
# package into ~/.cache/agent-sandbox for the Kubernetes adapter's integration tests), then builds
# every module and runs every test (unit, shard, concurrency, HTTP, burst, local sandboxes,
# integration tests against the real API server). Needs a JDK 17+, Maven 3.8 with access to Maven
# Central, and root (or sudo) on Debian for the packages.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-runtimes.sh
scripts/kube-apiserver-build.sh
mvn -B -ntp verify "$@"
# The Helm chart: lint, template, server-side dry-run against the real API server, RBAC coverage,
# CRD copies identical; and the distribution tarball starts and answers /readyz.
scripts/chart-check.sh
# End to end on a real single-node cluster (kubelet, containerd, gVisor), brought up and torn down.
scripts/e2e.sh
# Every JMH benchmark once, briefly, and a tiny load-harness run: benchmarks must not rot.
benchmarks/smoke.sh

#!/usr/bin/env bash
# End to end on a real node: brings up scripts/real-node.sh (etcd, kube-apiserver, controller-manager,
# scheduler, containerd with runc + gVisor, a real kubelet, all on loopback), runs the *E2E tests
# (scheduler/src/test/java/io/agentsandbox/e2e: the controller started as users run it, as its own
# JVM, against that cluster), and always tears the node down again, even on failure or Ctrl-C.
# Exits with the tests' exit code. Needs root on Debian bookworm; builds the kube binaries once
# (scripts/kube-apiserver-build.sh, ~6 min) when they are not cached.
#
#   scripts/e2e.sh                         # all E2E tests
#   scripts/e2e.sh -Dit.test=WarmPoolE2E   # extra Maven arguments
#
# A node that was already up (scripts/real-node.sh up by hand) is used and left up.
set -euo pipefail
cd "$(dirname "$0")/.."
START=$(date +%s)
scripts/kube-apiserver-build.sh
if [ -f "${REAL_NODE_DIR:-${AGENT_SANDBOX_CACHE:-$HOME/.cache/agent-sandbox}/real-node}/state/up" ]; then
  echo "e2e: using the real node that is already up (left up afterwards)" >&2
  KUBECONFIG_PATH=$(scripts/real-node.sh up)
else
  trap 'scripts/real-node.sh down || echo "e2e: real-node down failed" >&2' EXIT
  trap 'exit 130' INT TERM
  KUBECONFIG_PATH=$(scripts/real-node.sh up)
fi
rc=0
AGENTSANDBOX_E2E_KUBECONFIG=$KUBECONFIG_PATH timeout 900 \
  mvn -B -ntp verify -pl scheduler -am -De2e -DskipTests "$@" || rc=$?
echo "e2e: tests exited with $rc after $(( $(date +%s) - START )) s (node up + build + tests)" >&2
exit $rc

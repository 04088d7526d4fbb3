#!/usr/bin/env bash
# End to end on a real node: brings up scripts/real-node.sh (etcd, kube-apiserver, controller-manager,
# scheduler, containerd with runc + gVisor, a real kubelet, all on loopback), runs the *E2E tests
# (scheduler/src/test/java/io/agentsandbox/e2e: the controller started as users run it, as its own
# JVM, against that cluster; HelmInstallE2E: the Helm chart installed in it, with the server's image
# from scripts/server-image.sh imported into the node), and always tears the node down again, even
# on failure or Ctrl-C.
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
# the server's image for HelmInstallE2E, from freshly built jars (no container engine needed)
mvn -B -ntp -q package -pl scheduler -am -DskipTests
SERVER_IMAGE_TAR=$(scripts/server-image.sh)
AGENTSANDBOX_E2E_HELM=$(scripts/install-helm.sh)
export AGENTSANDBOX_E2E_HELM
export AGENTSANDBOX_E2E_KUBECTL=${KUBE_BIN:-${AGENT_SANDBOX_CACHE:-$HOME/.cache/agent-sandbox}/kube-1.20.2/bin}/kubectl
export AGENTSANDBOX_E2E_CHART=$PWD/charts/agent-sandbox
export AGENTSANDBOX_E2E_VALUES=$PWD/scripts/real-node/server-values.yaml
if [ -f "${REAL_NODE_DIR:-${AGENT_SANDBOX_CACHE:-$HOME/.cache/agent-sandbox}/real-node}/state/up" ]; then
  echo "e2e: using the real node that is already up (left up afterwards)" >&2
  KUBECONFIG_PATH=$(scripts/real-node.sh up)
else
  trap 'scripts/real-node.sh down || echo "e2e: real-node down failed" >&2' EXIT
  trap 'exit 130' INT TERM
  KUBECONFIG_PATH=$(scripts/real-node.sh up)
fi
scripts/real-node.sh import "$SERVER_IMAGE_TAR"
rc=0
AGENTSANDBOX_E2E_KUBECONFIG=$KUBECONFIG_PATH timeout 1500 \
  mvn -B -ntp verify -pl scheduler -am -De2e -DskipTests "$@" || rc=$?
echo "e2e: tests exited with $rc after $(( $(date +%s) - START )) s (node up + build + tests)" >&2
exit $rc

#!/usr/bin/env bash
# Checks the Helm chart and the distribution (run after `mvn verify`, which builds
# scheduler/target/agent-sandbox-server.jar and agent-sandbox-server-<version>.tar.gz):
#   1. helm v3.17.2 installed into the cache (scripts/install-helm.sh; npm, once);
#   2. the chart's CRDs identical to the generated crds/*.yaml (scripts/sync-chart-crds.sh --check);
#   3. helm lint --strict with default values and with ci/all-enabled-values.yaml; a typo in a
#      value must be rejected by values.schema.json;
#   4. helm template of both; 4b. Chart.yaml's version and appVersion equal the project's, the
#      rendered install manifest charts/install.yaml matches the chart (scripts/render-install.sh
#      --check), `helm package` writes scheduler/target/agent-sandbox-<version>.tgz;
#   5. RBAC: the controller ClusterRole grants exactly what k8s-adapter's code calls
#      (scripts/RbacCoverageCheck.java), plus a self-test that a missing verb is caught;
#   6. a real kube-apiserver v1.20.2 + etcd (cached binaries from scripts/kube-apiserver-build.sh)
#      on free loopback ports with a static token, in a temp dir: the chart's CRDs installed, then
#      every rendered manifest (both value sets) through
#      `kubectl apply --dry-run=server --validate=strict`. ServiceMonitor/PrometheusRule are NOT
#      sent to the server (no monitoring.coreos.com CRDs there; hand-written stand-ins would prove
#      nothing): they are linted and rendered in 3/4 only;
#   7. the distribution tarball unpacked, its bin/ launcher started with --backend simulated on a
#      free port and the example pools, /readyz must answer 200 within 60 s, then it is stopped.
# Everything started here (etcd, kube-apiserver, the server) and the temp dir are removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
CACHE="${AGENT_SANDBOX_CACHE:-$HOME/.cache/agent-sandbox}"
KUBE_BIN="${AGENT_SANDBOX_KUBE_BIN:-$CACHE/kube-1.20.2/bin}"
CHART=charts/agent-sandbox
NS=agent-sandbox
REL=agent-sandbox
JAR=scheduler/target/agent-sandbox-server.jar
VERSION="$(sed -n 's:^  <version>\(.*\)</version>:\1:p' pom.xml | head -1)"
DIST="scheduler/target/agent-sandbox-server-$VERSION.tar.gz"
START=$SECONDS

step() { echo "== chart-check: $* ($((SECONDS - START)) s)"; }
fail() { echo "chart-check: FAILED: $*" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/chart-check.XXXXXX")"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Below Linux's ephemeral range (32768-60999): a port that the API server's own connections to
# etcd hold as their local end cannot be bound, though nothing listens on it.
. scripts/lib.sh # free_port (the working directory is the repository root)

[[ -f "$JAR" && -f "$DIST" ]] || fail "$JAR or $DIST missing: run mvn verify (or mvn package -pl scheduler -am) first"

step "1. helm"
HELM="$(scripts/install-helm.sh)"

step "2. CRD copies"
scripts/sync-chart-crds.sh --check

step "3. helm lint"
"$HELM" lint --strict "$CHART"
"$HELM" lint --strict "$CHART" -f "$CHART/ci/all-enabled-values.yaml"
if "$HELM" lint "$CHART" --set replica=2 >"$WORK/typo.log" 2>&1; then
  fail "values.schema.json accepted a misspelt key (replica)"
fi
grep -q "Additional property replica is not allowed" "$WORK/typo.log" || { cat "$WORK/typo.log"; fail "unexpected lint output for a typo"; }

step "4. helm template"
"$HELM" template "$REL" "$CHART" -n "$NS" >"$WORK/default.yaml"
"$HELM" template "$REL" "$CHART" -n "$NS" -f "$CHART/ci/all-enabled-values.yaml" >"$WORK/all.yaml"
grep -q "^kind: ServiceMonitor" "$WORK/all.yaml" && grep -q "^kind: PrometheusRule" "$WORK/all.yaml" \
  || fail "all-enabled values did not render the ServiceMonitor and PrometheusRule"

step "4b. release artefacts: chart version in step with the project, install manifest, package"
for f in version appVersion; do
  v="$(sed -n "s/^$f: *\"\{0,1\}\([^\"]*\)\"\{0,1\}$/\1/p" "$CHART/Chart.yaml")"
  [[ "$v" == "$VERSION" ]] || fail "Chart.yaml $f is '$v', the project's version is '$VERSION': keep them in step"
done
scripts/render-install.sh --check
"$HELM" package "$CHART" -d scheduler/target >/dev/null
[[ -f "scheduler/target/agent-sandbox-$VERSION.tgz" ]] || fail "helm package did not write scheduler/target/agent-sandbox-$VERSION.tgz"

step "5. RBAC = what the controller code calls"
RBAC=(java -cp "$JAR" scripts/RbacCoverageCheck.java k8s-adapter/src/main/java)
"${RBAC[@]}" "$WORK/default.yaml"
"${RBAC[@]}" "$WORK/all.yaml" >/dev/null
# self-test: drop one verb the code needs from the rendered ClusterRole; the check must say MISSING
sed 's/resources: \["persistentvolumeclaims"\]/&\n    verbs: ["create"]\n  - apiGroups: ["none.invalid"]\n    resources: ["none"]/' \
  "$WORK/default.yaml" >"$WORK/mutant.yaml"
if "${RBAC[@]}" "$WORK/mutant.yaml" >"$WORK/mutant.log" 2>&1; then fail "the RBAC check accepted a ClusterRole without pvc get"; fi
grep -q "MISSING in the chart's ClusterRole: persistentvolumeclaims get" "$WORK/mutant.log" || { cat "$WORK/mutant.log"; fail "RBAC self-test: unexpected output"; }

step "6. kubectl apply --dry-run=server --validate=strict against kube-apiserver v1.20.2"
for b in kube-apiserver etcd; do
  [[ -x "$KUBE_BIN/$b" ]] || fail "$KUBE_BIN/$b missing: run scripts/kube-apiserver-build.sh once"
done
ETCD_CLIENT=$(free_port); ETCD_PEER=$(free_port); API_PORT=$(free_port)
TOKEN="chart-check-$RANDOM$RANDOM"
echo "$TOKEN,chart-check,chart-check,system:masters" >"$WORK/tokens.csv"
openssl genrsa -out "$WORK/sa.key" 2048 2>/dev/null
mkdir -p "$WORK/certs"
"$KUBE_BIN/etcd" --name cc --data-dir "$WORK/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT" --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER" \
  --initial-cluster "cc=http://127.0.0.1:$ETCD_PEER" --log-level error >"$WORK/etcd.log" 2>&1 &
PIDS+=($!)
"$KUBE_BIN/kube-apiserver" --etcd-servers "http://127.0.0.1:$ETCD_CLIENT" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$API_PORT" --insecure-port 0 \
  --cert-dir "$WORK/certs" --token-auth-file "$WORK/tokens.csv" --authorization-mode RBAC \
  --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$WORK/sa.key" \
  --service-account-signing-key-file "$WORK/sa.key" --service-cluster-ip-range 10.0.0.0/24 \
  --disable-admission-plugins ServiceAccount --enable-priority-and-fairness=false >"$WORK/apiserver.log" 2>&1 &
PIDS+=($!)
cat >"$WORK/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: cc, cluster: {server: "https://127.0.0.1:$API_PORT", insecure-skip-tls-verify: true}}]
users: [{name: cc, user: {token: "$TOKEN"}}]
contexts: [{name: cc, context: {cluster: cc, user: cc}}]
current-context: cc
EOF
export KUBECONFIG="$WORK/kubeconfig"
# kubectl without its version-skew warning (client 1.32, server 1.20)
K() {
  local rc=0
  kubectl --request-timeout=30s "$@" >"$WORK/kubectl.out" 2>&1 || rc=$?
  grep -v "version difference\|^WARNING: version" "$WORK/kubectl.out" || true
  return "$rc"
}
for i in $(seq 600); do
  if curl -skf -H "Authorization: Bearer $TOKEN" "https://127.0.0.1:$API_PORT/readyz" >/dev/null 2>&1 \
     && kubectl get ns default >/dev/null 2>&1; then break; fi
  kill -0 "${PIDS[1]}" 2>/dev/null || { tail -20 "$WORK/apiserver.log" >&2; fail "kube-apiserver exited"; }
  [[ $i == 600 ]] && { tail -20 "$WORK/apiserver.log" >&2; fail "kube-apiserver not ready in 120 s"; }
  sleep 0.2
done
echo "kube-apiserver ready on 127.0.0.1:$API_PORT"
K apply -f "$CHART/crds/" >/dev/null
K wait --for condition=established --timeout=60s -f "$CHART/crds/" >/dev/null
K create namespace "$NS" >/dev/null
SERVER_VERSION="$(kubectl version -o json 2>/dev/null | jq -r .serverVersion.gitVersion)"
for values in default all; do
  args=(-n "$NS" --kube-version "$SERVER_VERSION" --set metrics.serviceMonitor.enabled=false --set metrics.prometheusRule.enabled=false)
  [[ $values == all ]] && args=(-f "$CHART/ci/all-enabled-values.yaml" "${args[@]}")
  "$HELM" template "$REL" "$CHART" "${args[@]}" >"$WORK/dry-$values.yaml"
  echo "-- $values values: $(grep -c '^kind:' "$WORK/dry-$values.yaml") objects"
  K apply --dry-run=server --validate=strict -n "$NS" -f "$WORK/dry-$values.yaml" >/dev/null \
    || { cat "$WORK/kubectl.out" >&2; fail "the API server rejected the chart rendered with $values values"; }
done
# NOTES.txt renders (with the cluster's capabilities) and shows the first claim
"$HELM" install "$REL" "$CHART" -n "$NS" --dry-run=server >"$WORK/install.txt" 2>&1 || { cat "$WORK/install.txt"; fail "helm install --dry-run=server"; }
sed -n "/^NOTES:/,\$p" "$WORK/install.txt"
grep -q "kubectl -n $NS port-forward svc/$REL" "$WORK/install.txt" && grep -q "POST localhost:8080/v1/claims" "$WORK/install.txt" \
  || { sed -n '/NOTES/,$p' "$WORK/install.txt"; fail "NOTES.txt does not show the first claim"; }
# the check itself must catch a typo in any field
sed 's/^  replicas: \([0-9]*\)$/  replicas: \1\n  replicass: 1/' "$WORK/dry-default.yaml" >"$WORK/dry-typo.yaml"
if K apply --dry-run=server --validate=strict -n "$NS" -f "$WORK/dry-typo.yaml" >"$WORK/typo-k.log" 2>&1; then
  fail "kubectl --validate=strict accepted an unknown field (spec.replicass)"
fi
grep -q 'unknown field "replicass"' "$WORK/typo-k.log" || { cat "$WORK/typo-k.log"; fail "unexpected error for an unknown field"; }

step "7. distribution tarball"
mkdir -p "$WORK/dist"
tar -xzf "$DIST" -C "$WORK/dist"
APP="$WORK/dist/agent-sandbox-server-$VERSION"
for f in bin/agent-sandbox-server lib/agent-sandbox-server.jar README.md crds/examples/python-gvisor-pool.yaml; do
  [[ -e "$APP/$f" ]] || fail "distribution lacks $f"
done
[[ -x "$APP/bin/agent-sandbox-server" ]] || fail "bin/agent-sandbox-server is not executable"
PORT=$(free_port)
( cd "$WORK" && exec "$APP/bin/agent-sandbox-server" --backend simulated --host 127.0.0.1 --port "$PORT" \
    --state-dir "$WORK/state" ) >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
PIDS+=("$SERVER_PID")
for i in $(seq 300); do
  code="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz" || true)"
  [[ "$code" == 200 ]] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { tail -20 "$WORK/server.log" >&2; fail "the launcher exited"; }
  [[ $i == 300 ]] && { tail -20 "$WORK/server.log" >&2; fail "/readyz not 200 within 60 s"; }
  sleep 0.2
done
curl -sf "http://127.0.0.1:$PORT/v1/pools" | grep -q python-gvisor || fail "the example pools were not loaded from the distribution's crds/examples"
kill "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
echo "distribution: launcher answered /readyz 200 on port $PORT with the example pools, stopped"

step "all chart and distribution checks passed"

#!/usr/bin/env bash
# A real single-node Kubernetes v1.20.2 on this machine, on loopback only: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, containerd (handlers runc, runsc = gVisor --network=none,
# runsc-hostnet = gVisor --network=host) and a real kubelet; a CNI bridge (rn-cni0) with no address
# and no route off the host; RuntimeClasses gvisor and gvisor-hostnet; local images built from
# Debian files (no registry): localhost/busybox:e2e, localhost/pause:e2e, localhost/python:e2e, and
# localhost/agent-sandbox-agent:<project version> (the in-sandbox agent's static binary, built by
# `mvn -pl agent package` when agent/target has none). The host reaches pod IPs through rn-cni0's
# address 10.88.0.1/24 (the router/executor -> agent on :8888); pods get no default route, only a
# route to the Service range, where the `kubernetes` Service (10.0.0.1:443) is DNATed to the API
# server, so in-cluster clients work (ServiceAccount admission is on: pods get their token). No
# cluster DNS, no other Service forwarding (`kubectl port-forward` reaches a Service's pod).
#
#   scripts/real-node.sh up       # ~25 s once the kube binaries are cached; prints the kubeconfig
#   scripts/real-node.sh status
#   scripts/real-node.sh import T.tar  # a docker-archive image (scripts/server-image.sh) into containerd
#   scripts/real-node.sh down     # stops everything it started and restores the host
#
# Needs root on Debian bookworm. Kube binaries come from scripts/kube-apiserver-build.sh (built once
# into ~/.cache/agent-sandbox/kube-1.20.2/bin). State lives in $REAL_NODE_DIR (default
# ~/.cache/agent-sandbox/real-node), never in the repository; logs of the last run stay in
# $REAL_NODE_DIR/logs. The recipe and the reason for every workaround: ../shared/reference/real-node.md
# (runsc wrapper for the runc-v2 shim, restrict_oom_score_adj, loopback node IP patch, teardown).
#
# `down` leaves nothing behind: processes by recorded PID (and container processes by their kubepods
# cgroup), mounts, the rn-cni0 link, iptables chains created meanwhile, the kubelet's sysctls (saved
# at `up`), /run/netns, /run/containerd, /var/lib/cni and /var/log/{pods,containers} when `up`
# created them, and the kubepods cgroups.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${AGENT_SANDBOX_CACHE:-$HOME/.cache/agent-sandbox}
RN=${REAL_NODE_DIR:-$CACHE/real-node}
B=${KUBE_BIN:-$CACHE/kube-1.20.2/bin}
ST=$RN/state             # removed by `down`
P=$ST/pki; E=$ST/etc; D=$ST/data; L=$RN/logs; IMG=$RN/img
S=/run/rn-containerd     # containerd state (short: socket paths)
RUNSC_ROOT=/run/rn-runsc
NODE=rn-node
APISERVER_PORT=${REAL_NODE_APISERVER_PORT:-6443}
ETCD_PORTS="2379 2380 2381"
OTHER_PORTS="10250 10248 10257 10259"
IMAGE_TAG=e2e
ROOT=$(cd "$HERE/.." && pwd)
AGENT_BIN=${AGENT_BIN:-$ROOT/agent/target/agent-sandbox-agent}
AGENT_VERSION=$(sed -n 's|^  <version>\(.*\)</version>|\1|p' "$ROOT/pom.xml" | head -1)
AGENT_IMAGE=localhost/agent-sandbox-agent:$AGENT_VERSION
BRIDGE_ADDR=10.88.0.1/24
SERVICE_CIDR=10.0.0.0/24
KUBERNETES_SERVICE_IP=10.0.0.1
SYSCTLS="vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes net.ipv4.ip_forward"
HOST_PATHS="/run/netns /run/containerd /var/lib/cni /var/log/pods /var/log/containers /etc/cni /opt/cni /var/lib/kubelet /var/lib/dockershim /etc/kubernetes /var/run/kubernetes"
APT_PACKAGES="containerd runc containernetworking-plugins busybox-static runsc etcd-server gcc libc6-dev openssl python3 curl iproute2 iptables"
COMPONENTS="containerd etcd apiserver kcm sched kubelet"

log() { echo "real-node: $*" >&2; }
die() { log "$*"; exit 1; }

K() { "$B/kubectl" --kubeconfig "$E/admin.kubeconfig" "$@"; }

alive() { [ -f "$ST/$1.pid" ] && kill -0 "$(cat "$ST/$1.pid")" 2>/dev/null; }

is_up() { [ -f "$ST/up" ]; }

# Bounded wait: wait_for SECONDS COMPONENT DESCRIPTION COMMAND...; on timeout (or when the
# component's process died) prints the tail of its log and fails the bring-up.
wait_for() {
  local secs=$1 comp=$2 what=$3; shift 3
  local deadline=$(( $(date +%s) + secs ))
  while ! "$@" >/dev/null 2>&1; do
    if [ -n "$comp" ] && [ -f "$ST/$comp.pid" ] && ! alive "$comp"; then
      fail_component "$comp" "$what: the $comp process exited"
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      fail_component "$comp" "$what: not done after ${secs}s"
    fi
    sleep 0.2
  done
}

fail_component() {
  local comp=$1 msg=$2
  log "FAILED: $msg"
  if [ -n "$comp" ] && [ -f "$L/$comp.log" ]; then
    log "--- last 30 lines of $L/$comp.log ---"
    tail -30 "$L/$comp.log" >&2
    log "---"
  fi
  exit 1
}

start_bg() { # start_bg NAME COMMAND...: background, log to $L/NAME.log, PID to $ST/NAME.pid
  local name=$1; shift
  "$@" >"$L/$name.log" 2>&1 &
  echo $! >"$ST/$name.pid"
}

port_free() { ! ss -Htln "sport = :$1" 2>/dev/null | grep -q .; }

# ------------------------------------------------------------------------------------------ up

install_packages() {
  local missing=""
  for c in containerd ctr runc runsc etcd gcc openssl python3 curl ss iptables-save; do
    command -v "$c" >/dev/null 2>&1 || missing=1
  done
  [ -x /usr/lib/cni/bridge ] && [ -x /bin/busybox ] || missing=1
  if [ -n "$missing" ]; then
    log "apt-get install $APT_PACKAGES"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $APT_PACKAGES >/dev/null
  fi
  if [ ! -x "$B/kubelet" ] || [ ! -x "$B/kube-scheduler" ] || [ ! -x "$B/kubectl" ]; then
    log "kube binaries missing in $B: building them (scripts/kube-apiserver-build.sh, ~6 min once)"
    "$HERE/kube-apiserver-build.sh"
  fi
}

# Images without a registry: a directory -> docker-archive tarball -> ctr import. Cached in $IMG.
build_images() {
  mkdir -p "$IMG"
  if [ ! -x "$AGENT_BIN" ] || [ -n "$(find "$ROOT/agent" -maxdepth 1 \( -name '*.go' -o -name go.mod \) -newer "$AGENT_BIN")" ]; then
    log "building the agent binary (mvn -pl agent package): missing or older than its sources"
    (cd "$ROOT" && mvn -B -ntp -q -pl agent package -DskipTests) >&2 || die "agent build failed"
  fi
  local stamp
  stamp=$( { cat "$HERE/real-node/mkimage.py" "$HERE/real-node/pause.c" /bin/busybox "$(readlink -f /usr/bin/python3)" \
    "$AGENT_BIN"; echo "$AGENT_IMAGE"; \
    sed -n "/^build_images()/,/^save_host_state()/p" "$0"; } | sha256sum | cut -c1-16)
  if [ -f "$IMG/stamp" ] && [ "$(cat "$IMG/stamp")" = "$stamp" ]; then return; fi
  log "building local images in $IMG"
  local w=$IMG/work
  rm -rf "$w" && mkdir -p "$w"
  gcc -static -Os -o "$w/pause" "$HERE/real-node/pause.c" && strip "$w/pause"
  # pause
  mkdir -p "$w/pz/proc" "$w/pz/sys" "$w/pz/dev" "$w/pz/etc"
  cp "$w/pause" "$w/pz/pause"
  python3 "$HERE/real-node/mkimage.py" "$w/pz" "localhost/pause:$IMAGE_TAG" "$IMG/pause.tar" /pause
  # busybox userland
  busybox_root "$w/bb"
  # default command: idle (the seed's Sandbox examples give no command and must stay Running)
  python3 "$HERE/real-node/mkimage.py" "$w/bb" "localhost/busybox:$IMAGE_TAG" "$IMG/busybox.tar" /bin/sleep 2147483647
  # python: busybox userland + Debian's python3 binary, the libraries ldd names, a trimmed stdlib
  busybox_root "$w/py"
  python_into "$w/py"
  python3 "$HERE/real-node/mkimage.py" "$w/py" "localhost/python:$IMAGE_TAG" "$IMG/python.tar" /bin/sleep 2147483647
  # the in-sandbox agent: nothing but its static binary (the init container copies it into the pod)
  mkdir -p "$w/agent/proc" "$w/agent/sys" "$w/agent/dev" "$w/agent/etc" "$w/agent/.agent-sandbox"
  cp "$AGENT_BIN" "$w/agent/agent-sandbox-agent"
  chmod 555 "$w/agent/agent-sandbox-agent"
  python3 "$HERE/real-node/mkimage.py" "$w/agent" "$AGENT_IMAGE" "$IMG/agent.tar" /agent-sandbox-agent --help
  rm -rf "$w"
  echo "$stamp" >"$IMG/stamp"
}

busybox_root() {
  local r=$1
  mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/proc" "$r/sys" "$r/dev" "$r/root" "$r/usr/bin" "$r/workspace"
  cp /bin/busybox "$r/bin/"
  local a
  for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"; done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$r/etc/passwd"
  echo 'root:x:0:' >"$r/etc/group"
  chmod 1777 "$r/tmp"
}

python_into() {
  local r=$1 py pyver lib
  py=$(readlink -f /usr/bin/python3)
  pyver=$(basename "$py")                       # python3.11
  mkdir -p "$r/usr/bin" "$r/usr/lib"
  cp "$py" "$r/usr/bin/$pyver"
  ln -sf "$pyver" "$r/usr/bin/python3"; ln -sf "$pyver" "$r/usr/bin/python"
  # the stdlib without tests, GUI, build tooling and caches
  (cd /usr/lib && tar cf - --exclude=__pycache__ --exclude="$pyver/test" --exclude="$pyver/idlelib" \
      --exclude="$pyver/tkinter" --exclude="$pyver/turtledemo" --exclude="$pyver/ensurepip" \
      --exclude="$pyver/lib2to3" --exclude="$pyver/distutils" --exclude="$pyver/config-*" \
      --exclude="$pyver/site-packages" --exclude="$pyver/dist-packages" --exclude="$pyver/pydoc_data" "$pyver") \
    | (cd "$r/usr/lib" && tar xf -)
  # shared libraries of the interpreter and of its C extension modules
  for lib in $( { ldd "$py"; find "/usr/lib/$pyver/lib-dynload" -name '*.so' -exec ldd {} \; ; } 2>/dev/null \
                 | grep -o '/[^ ]*' | sort -u); do
    [ -f "$lib" ] || continue
    mkdir -p "$r$(dirname "$lib")"
    cp -L "$lib" "$r$lib"
  done
  # ld.so is found through the interpreter path; /lib64 -> /usr/lib64 style merged-usr links
  [ -e /lib64 ] && [ ! -e "$r/lib64" ] && mkdir -p "$r/lib64" && cp -L /lib64/ld-linux-x86-64.so.2 "$r/lib64/" || true
}

save_host_state() {
  : >"$ST/sysctls"
  local s
  for s in $SYSCTLS; do
    if v=$(sysctl -n "$s" 2>/dev/null); then echo "$s=$v" >>"$ST/sysctls"; fi
  done
  : >"$ST/host-paths-created"
  for s in $HOST_PATHS; do [ -e "$s" ] || echo "$s" >>"$ST/host-paths-created"; done
  iptables_chains >"$ST/iptables-chains" || true
}

iptables_chains() { # "table chain" for every chain of the usual tables
  local t
  for t in filter nat mangle; do
    iptables-save -t "$t" 2>/dev/null | sed -n "s/^:\([^ ]*\) .*/$t \1/p"
  done
}

write_pki() {
  mkdir -p "$P" && cd "$P"
  (
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 7 -subj "/CN=rn-ca"
    printf 'subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' >srv.ext
    openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver"
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out apiserver.crt -days 7 -extfile srv.ext
    echo "extendedKeyUsage=clientAuth" >cli.ext
    openssl req -newkey rsa:2048 -nodes -keyout kubelet-client.key -out kubelet-client.csr -subj "/O=system:masters/CN=kube-apiserver-kubelet-client"
    openssl x509 -req -in kubelet-client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out kubelet-client.crt -days 7 -extfile cli.ext
    openssl genrsa -out sa.key 2048
    openssl rsa -in sa.key -pubout -out sa.pub
  ) >"$L/pki.log" 2>&1 || fail_component pki "openssl"
  chmod 600 ./*.key
  local u
  for u in admin kcm sched kubelet; do head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"tok-$u"; done
  cat >tokens.csv <<T
$(cat tok-admin),admin,uid-admin,"system:masters"
$(cat tok-kcm),system:kube-controller-manager,uid-kcm
$(cat tok-sched),system:kube-scheduler,uid-sched
$(cat tok-kubelet),system:node:$NODE,uid-kubelet,"system:nodes"
T
  chmod 600 tokens.csv tok-*
  mkdir -p "$E"
  for u in admin kcm sched kubelet; do
    cat >"$E/$u.kubeconfig" <<K
apiVersion: v1
kind: Config
clusters: [{name: rn, cluster: {server: "https://127.0.0.1:$APISERVER_PORT", certificate-authority: "$P/ca.crt"}}]
users: [{name: $u, user: {token: "$(cat "tok-$u")"}}]
contexts: [{name: rn, context: {cluster: rn, user: $u}}]
current-context: rn
K
    chmod 600 "$E/$u.kubeconfig"
  done
  cd - >/dev/null
}

write_containerd_config() {
  mkdir -p "$ST/bin" "$E/cni"
  sed -e "s|@RUNC@|$(command -v runc)|" -e "s|@RUNSC@|$(command -v runsc)|" -e "s|@MARK@|$RUNSC_ROOT/pause-under-runc|" \
    "$HERE/real-node/runsc-wrap" >"$ST/bin/runsc-wrap"
  chmod 755 "$ST/bin/runsc-wrap"
  ln -sf runsc-wrap "$ST/bin/runsc-wrap-hostnet"
  cat >"$E/containerd.toml" <<C
version = 2
root = "$D/containerd"
state = "$S"
[grpc]
  address = "$S/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/pause:$IMAGE_TAG"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc.options]
        BinaryName = "$ST/bin/runsc-wrap"
        Root = "$RUNSC_ROOT"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc-hostnet]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc-hostnet.options]
        BinaryName = "$ST/bin/runsc-wrap-hostnet"
        Root = "$RUNSC_ROOT"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$E/cni"
C
  # bridge without a gateway or masquerade: pods reach each other, the host's bridge address, and
  # (one route) the Service range, where only the `kubernetes` Service answers (see up)
  cat >"$E/cni/10-rn.conflist" <<N
{"cniVersion": "0.4.0", "name": "rn-pods", "plugins": [
  {"type": "bridge", "bridge": "rn-cni0", "isGateway": false, "ipMasq": false,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.88.0.0/24"}]], "dataDir": "$D/cni-ipam",
            "routes": [{"dst": "$SERVICE_CIDR", "gw": "${BRIDGE_ADDR%/*}"}]}},
  {"type": "loopback"}]}
N
}

write_kubelet_config() {
  cat >"$E/kubelet.yaml" <<Y
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
cgroupDriver: cgroupfs
failSwapOn: false
makeIPTablesUtilChains: false
authentication: {anonymous: {enabled: false}, webhook: {enabled: true}, x509: {clientCAFile: "$P/ca.crt"}}
authorization: {mode: Webhook}
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
kubeAPIQPS: 50
kubeAPIBurst: 100
maxPods: 110
runtimeRequestTimeout: 2m
Y
}

up() {
  [ "$(id -u)" -eq 0 ] || die "needs root (containerd, kubelet, mounts)"
  if is_up; then
    if alive kubelet && alive apiserver; then
      log "already up (kubeconfig: $E/admin.kubeconfig)"; echo "$E/admin.kubeconfig"; return 0
    fi
    die "state says up but some component is not running: run '$0 down' first ($0 status shows which)"
  fi
  [ -d "$ST" ] && die "$ST exists from an unfinished run: run '$0 down' first"
  local t0; t0=$(date +%s%N)
  install_packages
  local p busy=""
  for p in $APISERVER_PORT $ETCD_PORTS $OTHER_PORTS; do port_free "$p" || busy="$busy $p"; done
  [ -z "$busy" ] || die "loopback port(s)$busy already in use (another real node or another program? 'ss -ltnp' shows who)"
  ip link show rn-cni0 >/dev/null 2>&1 && die "link rn-cni0 exists (a previous node not torn down? '$0 down')"
  build_images
  mkdir -p "$ST" "$L" "$D"
  rm -f "$L"/*.log
  save_host_state
  touch "$ST/up"  # from here on, `down` must run to undo what follows
  trap 'log "bring-up failed; tearing down (logs kept in $L)"; down || true' EXIT
  write_pki
  write_containerd_config
  write_kubelet_config

  # the CNI bridge, made here with a host address so the host (the server: router, executor) reaches
  # pod IPs; the bridge plugin adopts it. isGateway stays false: pods get no default route.
  ip link add rn-cni0 type bridge
  ip addr add "$BRIDGE_ADDR" dev rn-cni0
  ip link set rn-cni0 up
  # no kube-proxy: the one Service in-cluster clients need, `kubernetes` (10.0.0.1:443), is DNATed
  # to the API server on loopback for traffic from the pods (route_localnet lets the bridge deliver
  # to 127.0.0.1; the sysctl goes with the link, the chain is removed by `down`)
  sysctl -q -w net.ipv4.conf.rn-cni0.route_localnet=1
  iptables -t nat -N RN-SERVICES
  iptables -t nat -A PREROUTING -i rn-cni0 -j RN-SERVICES
  iptables -t nat -A RN-SERVICES -d "$KUBERNETES_SERVICE_IP/32" -p tcp --dport 443 \
    -j DNAT --to-destination "127.0.0.1:$APISERVER_PORT"

  # containerd + images
  start_bg containerd containerd --config "$E/containerd.toml"
  wait_for 20 containerd "containerd socket" test -S "$S/containerd.sock"
  local img
  for img in pause busybox python agent; do
    ctr --address "$S/containerd.sock" -n k8s.io images import "$IMG/$img.tar" >>"$L/containerd.log" 2>&1 \
      || fail_component containerd "ctr images import $img.tar"
  done

  # control plane
  start_bg etcd etcd --name rn --data-dir "$D/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster rn=http://127.0.0.1:2380 --listen-metrics-urls http://127.0.0.1:2381
  wait_for 30 etcd "etcd health" curl -sf http://127.0.0.1:2379/health
  start_bg apiserver "$B/kube-apiserver" --etcd-servers=http://127.0.0.1:2379 \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$APISERVER_PORT" --insecure-port=0 \
    --endpoint-reconciler-type=none --cert-dir="$D/apiserver-certs" \
    --tls-cert-file="$P/apiserver.crt" --tls-private-key-file="$P/apiserver.key" \
    --client-ca-file="$P/ca.crt" --token-auth-file="$P/tokens.csv" --authorization-mode=Node,RBAC \
    --service-account-key-file="$P/sa.pub" --service-account-signing-key-file="$P/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local --service-cluster-ip-range="$SERVICE_CIDR" \
    --enable-admission-plugins=NodeRestriction \
    --kubelet-client-certificate="$P/kubelet-client.crt" --kubelet-client-key="$P/kubelet-client.key" \
    --kubelet-preferred-address-types=InternalIP --allow-privileged=true --profiling=false
  wait_for 90 apiserver "kube-apiserver /readyz" K get --raw /readyz
  start_bg kcm "$B/kube-controller-manager" --kubeconfig="$E/kcm.kubeconfig" --bind-address=127.0.0.1 \
    --secure-port=10257 --port=0 --leader-elect=false --use-service-account-credentials=true \
    --service-account-private-key-file="$P/sa.key" --root-ca-file="$P/ca.crt" \
    --controllers='*,-bootstrapsigner,-tokencleaner' --profiling=false
  start_bg sched "$B/kube-scheduler" --kubeconfig="$E/sched.kubeconfig" --bind-address=127.0.0.1 \
    --secure-port=10259 --port=0 --leader-elect=false --profiling=false

  # kubelet
  mkdir -p "$D/kubelet"
  start_bg kubelet "$B/kubelet" --config="$E/kubelet.yaml" --kubeconfig="$E/kubelet.kubeconfig" \
    --container-runtime=remote --container-runtime-endpoint="unix://$S/containerd.sock" \
    --node-ip=127.0.0.1 --hostname-override="$NODE" --root-dir="$D/kubelet" --cert-dir="$D/kubelet/pki" \
    --oom-score-adj=0 --v=1
  wait_for 60 kubelet "node $NODE registered" K get node "$NODE"
  # kubelet refuses a loopback --node-ip and publishes no address; give the node 127.0.0.1 so that
  # exec/logs/port-forward go apiserver -> kubelet over loopback (kubelet never overwrites it)
  curl -sf --cacert "$P/ca.crt" -H "Authorization: Bearer $(cat "$P/tok-admin")" \
    -H 'Content-Type: application/merge-patch+json' -X PATCH \
    "https://127.0.0.1:$APISERVER_PORT/api/v1/nodes/$NODE/status" \
    -d '{"status":{"addresses":[{"type":"InternalIP","address":"127.0.0.1"},{"type":"Hostname","address":"'$NODE'"}]}}' \
    >/dev/null || fail_component apiserver "patching the node's InternalIP"
  wait_for 90 kubelet "node $NODE Ready" node_ready
  for p in kcm sched; do alive "$p" || fail_component "$p" "$p exited"; done
  K apply -f - >/dev/null <<R || fail_component apiserver "creating RuntimeClasses"
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata: {name: gvisor}
handler: runsc
---
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata: {name: gvisor-hostnet}
handler: runsc-hostnet
R
  wait_for 30 "" "default ServiceAccount" K get serviceaccount default -n default
  trap - EXIT
  log "up in $(( ($(date +%s%N) - t0) / 1000000 )) ms; kubeconfig: $E/admin.kubeconfig"
  echo "$E/admin.kubeconfig"
}

node_ready() {
  [ "$(K get node "$NODE" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')" = True ]
}

# ---------------------------------------------------------------------------------------- down

kill_recorded() { # kill_recorded NAME SIGNAL
  local f=$ST/$1.pid pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  kill "-$2" "$pid" 2>/dev/null || true
}

wait_gone() { # wait_gone NAME SECONDS
  local f=$ST/$1.pid i
  [ -f "$f" ] || return 0
  for i in $(seq 1 $(( $2 * 10 ))); do kill -0 "$(cat "$f")" 2>/dev/null || return 0; sleep 0.1; done
  return 1
}

kubepods_pids() {
  local c
  for c in /sys/fs/cgroup/*/kubepods; do
    [ -d "$c" ] && find "$c" -name cgroup.procs -exec cat {} + 2>/dev/null
  done | sort -u
}

task_dirs() { find "$S/io.containerd.runtime.v2.task" -mindepth 2 -maxdepth 2 -type d 2>/dev/null; }

down() {
  trap - EXIT
  if [ ! -d "$ST" ]; then log "already down"; return 0; fi
  log "tearing down"
  # 1. pods: force-delete them while kubelet runs, so kubelet and containerd stop them cleanly
  if alive apiserver && alive kubelet && [ -f "$E/admin.kubeconfig" ]; then
    K delete pods --all --all-namespaces --grace-period=0 --force --wait=false >/dev/null 2>&1 || true
    local i
    for i in $(seq 1 150); do [ -z "$(task_dirs)" ] && break; sleep 0.2; done
  fi
  # 2. components, newest first, by recorded PID
  local c
  for c in kubelet sched kcm apiserver etcd; do kill_recorded "$c" TERM; done
  for c in kubelet sched kcm apiserver etcd; do wait_gone "$c" 10 || kill_recorded "$c" KILL; done
  # containers still there: kill their shims' tasks through containerd, then stop containerd
  if alive containerd && [ -n "$(task_dirs)" ]; then
    local id
    for id in $(ctr --address "$S/containerd.sock" -n k8s.io tasks ls -q 2>/dev/null); do
      ctr --address "$S/containerd.sock" -n k8s.io tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
    done
    for i in $(seq 1 50); do [ -z "$(ctr --address "$S/containerd.sock" -n k8s.io tasks ls -q 2>/dev/null | head -1)" ] && break; sleep 0.1; done
  fi
  kill_recorded containerd TERM
  wait_gone containerd 10 || kill_recorded containerd KILL
  # 3. leftovers: container processes (the kubepods cgroups) and shims (their recorded pids)
  local pid d f
  for pid in $(kubepods_pids); do kill -KILL "$pid" 2>/dev/null || true; done
  for d in $(task_dirs); do
    for f in shim.pid init.pid; do
      [ -f "$d/$f" ] || continue
      pid=$(cat "$d/$f")
      for c in $(ps -o pid= --ppid "$pid" 2>/dev/null); do kill -KILL "$c" 2>/dev/null || true; done
      kill -KILL "$pid" 2>/dev/null || true
    done
  done
  for i in $(seq 1 50); do [ -z "$(kubepods_pids)" ] && break; sleep 0.1; done
  # 4. mounts (deepest first), then the kubepods cgroups
  umount_under "$D"
  umount_under "$S"
  umount_under "$RUNSC_ROOT"
  for c in /sys/fs/cgroup/*/kubepods; do
    [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  # 5. network: the bridge, iptables chains created since `up`, sysctls as they were
  ip link del rn-cni0 2>/dev/null || true
  restore_iptables
  if [ -f "$ST/sysctls" ]; then
    local kv
    while read -r kv; do [ -n "$kv" ] && sysctl -q -w "$kv" >/dev/null 2>&1 || log "could not restore $kv"; done <"$ST/sysctls"
  fi
  # 6. host paths that `up` created (containerd's shim sockets, netns mount, CNI cache, pod logs)
  if [ -f "$ST/host-paths-created" ]; then
    local h
    while read -r h; do
      [ -n "$h" ] || continue
      umount_under "$h"
      if mountpoint -q "$h" 2>/dev/null; then umount "$h" 2>/dev/null || umount -l "$h" 2>/dev/null || true; fi
      rm -rf "$h"
    done <"$ST/host-paths-created"
  fi
  rm -rf "$S" "$RUNSC_ROOT"
  if grep -q " $ST\| $S\| $RUNSC_ROOT" /proc/mounts; then
    log "WARNING: mounts left: $(grep " $ST\| $S\| $RUNSC_ROOT" /proc/mounts | awk '{print $2}' | tr '\n' ' ')"
  fi
  rm -rf "$ST"
  log "down (logs of this run: $L)"
}

umount_under() { # every mount point at or below $1, deepest first
  local m
  for m in $(awk -v p="$1" '$2 == p || index($2, p "/") == 1 {print $2}' /proc/mounts | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
}

restore_iptables() {
  [ -f "$ST/iptables-chains" ] || return 0
  local new t ch rule
  # chains that appeared while the node was up: drop the rules jumping to them, flush, delete
  new=$( (iptables_chains || true) | grep -vxF -f "$ST/iptables-chains" || true)
  [ -n "$new" ] || return 0
  while read -r t ch; do
    [ -n "$ch" ] || continue
    log "removing iptables chain $t/$ch created while the node was up"
    while read -r rule; do
      [ -n "$rule" ] && eval "iptables -t $t ${rule/#-A /-D }" 2>/dev/null || true
    done < <(iptables-save -t "$t" 2>/dev/null | grep -- "-j $ch\b" || true)
    iptables -t "$t" -F "$ch" 2>/dev/null || true
    iptables -t "$t" -X "$ch" 2>/dev/null || true
  done <<<"$new"
}

# -------------------------------------------------------------------------------------- import

import_images() { # docker-archive tarballs (scripts/server-image.sh) into the running node's containerd
  is_up && alive containerd || die "the node is not up ('$0 up' first)"
  [ $# -gt 0 ] || die "usage: $0 import IMAGE.tar..."
  local t
  for t in "$@"; do
    [ -f "$t" ] || die "no such image tarball: $t"
    ctr --address "$S/containerd.sock" -n k8s.io images import "$t" >&2 || die "ctr images import $t failed"
  done
}

# -------------------------------------------------------------------------------------- status

status() {
  if [ ! -d "$ST" ]; then echo "down"; return 0; fi
  local c rc=0
  for c in $COMPONENTS; do
    if alive "$c"; then echo "$c: running (pid $(cat "$ST/$c.pid"))"; else echo "$c: NOT running (log: $L/$c.log)"; rc=1; fi
  done
  if alive apiserver; then
    K get nodes -o wide 2>&1 || rc=1
    K get runtimeclass 2>&1 || true
  fi
  echo "kubeconfig: $E/admin.kubeconfig"
  return $rc
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  images) build_images ;;   # only the local image tarballs (cached in $REAL_NODE_DIR/img)
  import) shift; import_images "$@" ;;
  *) echo "usage: $0 {up|down|status|images|import IMAGE.tar...}" >&2; exit 2 ;;
esac

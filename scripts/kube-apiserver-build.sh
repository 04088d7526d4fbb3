#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kube-scheduler, kubelet and kubectl v1.20.2 from
# Debian bookworm's "kubernetes" source package, offline (no GitHub, no Go proxy), into a cache
# directory OUTSIDE the repository, and installs Debian's etcd-server. The k8s-adapter integration
# tests (*IT) start kube-apiserver (+ controller-manager) on loopback; scripts/real-node.sh starts all
# five as a single-node cluster with a real kubelet.
#
#   scripts/kube-apiserver-build.sh            # -> ${AGENT_SANDBOX_CACHE:-$HOME/.cache/agent-sandbox}/kube-1.20.2/bin
#   KEEP_BUILD_TREE=1 scripts/kube-apiserver-build.sh   # keep the 2.4 GB source/build tree for debugging
#
# Idempotent: exits at once when all five binaries and etcd are already there. A clean run takes
# ~6-7 min on 2 cores (apt + one make of all five), peaks at ~1.4 GB RSS and ~3 GB of disk (freed at
# the end). Binaries are replaced one by one with cp to a temporary name + mv, so tests running
# concurrently from the cache always see a complete kube-apiserver.
# Recipe and the reasons behind each step: ../shared/reference/platform.md §1.
set -euo pipefail

CACHE=${AGENT_SANDBOX_CACHE:-$HOME/.cache/agent-sandbox}
OUT=$CACHE/kube-1.20.2
BIN=$OUT/bin
APT_PACKAGES="golang-go dpkg-dev rsync jq etcd-server golang-github-modern-go-reflect2-dev"

log() { echo "kube-apiserver-build: $*" >&2; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else SUDO="__none__"; fi
fi
as_root() {
  if [ "$SUDO" = "__none__" ]; then
    log "needs root (or sudo) to run: $*"; exit 1
  fi
  $SUDO "$@"
}

KUBE_BINARIES="kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl"

have_binaries() {
  local b
  for b in $KUBE_BINARIES; do [ -x "$BIN/$b" ] || return 1; done
  "$BIN/kube-apiserver" --version 2>/dev/null | grep -q 'v1.20.2' \
    && "$BIN/kubelet" --version 2>/dev/null | grep -q 'v1.20.2'
}

link_etcd() {
  # the test launcher looks in $BIN first, then on PATH
  local e; e=$(command -v etcd 2>/dev/null) || return 0
  [ "$(readlink "$BIN/etcd" 2>/dev/null)" = "$e" ] || ln -sfn "$e" "$BIN/etcd"
}

if have_binaries && command -v etcd >/dev/null 2>&1; then
  link_etcd
  log "up to date: $BIN ($("$BIN/kube-apiserver" --version), $(etcd --version 2>/dev/null | head -1))"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  log "no apt-get: this recipe needs Debian bookworm (source package 'kubernetes' 1.20.5+really1.20.2)"; exit 1
fi

START=$(date +%s)

# 1. deb-src lines for the suites already configured (same mirror), then the toolchain and etcd.
if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    log "adding deb-src lines (/etc/apt/sources.list.d/debian-src.sources)"
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
      | as_root tee /etc/apt/sources.list.d/debian-src.sources >/dev/null
  elif [ -f /etc/apt/sources.list ]; then
    log "adding deb-src lines (/etc/apt/sources.list.d/debian-src.list)"
    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list | as_root tee /etc/apt/sources.list.d/debian-src.list >/dev/null
  fi
fi
log "apt-get update + install $APT_PACKAGES"
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $APT_PACKAGES >/dev/null

if have_binaries; then
  link_etcd
  log "binaries already built; etcd installed: $BIN"
  exit 0
fi

# 2. the source: full upstream v1.20.2 tree including vendor/, Debian patches applied.
WORK=$OUT/build
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK"
log "apt-get source kubernetes (into $WORK)"
apt-get source -qq kubernetes >/dev/null 2>&1 || { log "apt-get source kubernetes failed (deb-src lines?)"; exit 1; }
SRC=$(ls -d kubernetes-*/ | head -1)
cd "$SRC"

# 3. vendored reflect2 v1.0.1 segfaults under Go >= 1.18 (aeshashbody in UnsafeMapType.UnsafeIterate);
#    swap in Debian's reflect2 1.0.2.
V=vendor/github.com/modern-go/reflect2
R=/usr/share/gocode/src/github.com/modern-go/reflect2
find "$V" -maxdepth 1 -type f \( -name '*.go' -o -name '*.s' \) -delete
cp "$R"/*.go "$V"/
if ls "$R"/*.s >/dev/null 2>&1; then cp "$R"/*.s "$V"/; fi
rm -f "$V"/*_test.go

# 4. GOPATH-mode build exactly like debian/rules (k8s 1.20 forces GO111MODULE=off; -mod=vendor fails).
mkdir -p .go/src/k8s.io && ln -sfn ../../.. .go/src/k8s.io/kubernetes
WHAT=""
for b in $KUBE_BINARIES; do WHAT="$WHAT cmd/$b"; done
log "make WHAT='${WHAT# }' (takes ~5-6 min)"
mkdir -p "$WORK/home"
GOPATH=$PWD/.go CGO_ENABLED=0 HOME=$WORK/home GOPROXY=off GOFLAGS= \
  make WHAT="${WHAT# }" >"$WORK/make.log" 2>&1 \
  || { tail -40 "$WORK/make.log" >&2; log "make failed; full log: $WORK/make.log"; exit 1; }

# Replace each binary atomically (same file system: cp to a temporary name, then rename), so an IT
# starting kube-apiserver from the cache right now never sees a missing or half-written file.
mkdir -p "$BIN"
for b in $KUBE_BINARIES; do
  cp _output/local/bin/linux/*/"$b" "$BIN/.$b.tmp.$$"
  chmod 755 "$BIN/.$b.tmp.$$"
  mv -f "$BIN/.$b.tmp.$$" "$BIN/$b"
done
link_etcd
cd "$OUT"
if [ "${KEEP_BUILD_TREE:-0}" != "1" ]; then
  chmod -R u+w "$WORK" 2>/dev/null || true
  rm -rf "$WORK"
fi
"$BIN/kube-apiserver" --version >&2
log "built in $(( $(date +%s) - START )) s: $BIN"

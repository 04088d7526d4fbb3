#!/usr/bin/env bash
# Builds the server's container image without a container engine: a docker-archive tarball that
# `docker load -i` and `ctr images import` both accept.
#
#   scripts/server-image.sh                  # -> target/images/agent-sandbox-server-<version>.tar
#   scripts/server-image.sh --help
#
# The image has the Dockerfile's layout and entrypoint: the distribution tarball unpacked in
# /opt/agent-sandbox-server-<version> (symlink /opt/agent-sandbox-server), the same AGENT_SANDBOX_*
# variables, user 65532:65532, workdir /var/lib/agent-sandbox, port 8080, entrypoint
# /opt/agent-sandbox-server/bin/agent-sandbox-server. Its Java runtime is assembled with jlink from
# Debian's openjdk-17-jdk-headless modules; bash and busybox (the launcher's env, dirname, readlink)
# and the shared libraries they and the JVM load come from the Debian packages installed here. One
# layer, root-owned files, mtimes zeroed: the same inputs give the same image id. Runs with a
# read-only root filesystem (the chart mounts /tmp and /var/lib/agent-sandbox).
#
# Environment: IMAGE (default localhost/agent-sandbox-server:<version>), OUT (the tarball's path).
# Builds the distribution (mvn package -pl scheduler -am -DskipTests) when it is missing.
set -euo pipefail
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi
[ $# -eq 0 ] || { echo "server-image: unknown argument '$1' (--help)" >&2; exit 2; }
cd "$(dirname "$0")/.."
ROOT=$(pwd)
log() { echo "server-image: $*" >&2; }
die() { log "$*"; exit 1; }

VERSION=$(sed -n 's:^  <version>\(.*\)</version>:\1:p' pom.xml | head -1)
[ -n "$VERSION" ] || die "no project version in pom.xml"
IMAGE=${IMAGE:-localhost/agent-sandbox-server:$VERSION}
OUT=${OUT:-$ROOT/target/images/agent-sandbox-server-$VERSION.tar}
DIST=$ROOT/scheduler/target/agent-sandbox-server-$VERSION.tar.gz
JDK=${JDK:-/usr/lib/jvm/java-17-openjdk-amd64}

need=""
command -v jlink >/dev/null 2>&1 && [ -d "$JDK/jmods" ] || need="$need openjdk-17-jdk-headless"
[ -x /bin/busybox ] || need="$need busybox-static"
command -v python3 >/dev/null 2>&1 || need="$need python3"
if [ -n "$need" ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  log "apt-get install$need"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
if [ ! -f "$DIST" ]; then
  log "building the distribution (mvn -B -ntp -q package -pl scheduler -am -DskipTests)"
  mvn -B -ntp -q package -pl scheduler -am -DskipTests >&2 || die "distribution build failed"
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/server-image.XXXXXX")
trap 'rm -rf "$W"' EXIT
R=$W/rootfs
mkdir -p "$R"/{bin,etc,tmp,proc,sys,dev,opt,usr/bin,var/lib/agent-sandbox}
chmod 1777 "$R/tmp"

# Java runtime: the modules the server needs (java.se, TLS ciphers, Unsafe for Netty, DNS, the
# management beans Micrometer reads), without headers, man pages or debug symbols
log "jlink from $JDK"
jlink --module-path "$JDK/jmods" \
  --add-modules java.se,jdk.unsupported,jdk.crypto.ec,jdk.crypto.cryptoki,jdk.naming.dns,jdk.management,jdk.zipfs,jdk.localedata \
  --include-locales en --strip-debug --no-header-files --no-man-pages --compress=2 \
  --output "$R/opt/java" >&2
# the CA certificates Debian's JDK reads (lib/security/cacerts links to ca-certificates-java's store)
cp -L "$JDK/lib/security/cacerts" "$R/opt/java/lib/security/cacerts"

# shell userland for the launcher
cp /bin/busybox "$R/bin/busybox"
for a in env dirname readlink sh cat ls; do ln -sf busybox "$R/bin/$a"; done
ln -sf ../../bin/env "$R/usr/bin/env"
cp /bin/bash "$R/bin/bash"

# shared libraries of bash, busybox and the JVM, at their Debian paths
for lib in $( { ldd /bin/bash; ldd /bin/busybox; find "$R/opt/java" -name '*.so' -exec ldd {} \; ; ldd "$R/opt/java/bin/java"; } 2>/dev/null \
               | grep -o '/[^ ]*' | sort -u); do
  [ -f "$lib" ] || continue
  case "$lib" in "$R"/*) continue ;; esac
  mkdir -p "$R$(dirname "$lib")"
  cp -L "$lib" "$R$lib"
done
[ -e "$R/lib64/ld-linux-x86-64.so.2" ] || { mkdir -p "$R/lib64"; cp -L /lib64/ld-linux-x86-64.so.2 "$R/lib64/"; }

# users, as the chart's securityContext runs it
printf 'root:x:0:0:root:/root:/bin/sh\nnonroot:x:65532:65532:agent-sandbox:/var/lib/agent-sandbox:/bin/sh\n' >"$R/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$R/etc/group"
echo 'hosts: files dns' >"$R/etc/nsswitch.conf"

# the distribution, as the Dockerfile unpacks it
tar -xzf "$DIST" -C "$R/opt"
ln -s "agent-sandbox-server-$VERSION" "$R/opt/agent-sandbox-server"

CONFIG=$(python3 - "$VERSION" <<'PY'
import json, sys
print(json.dumps({
    "Entrypoint": ["/opt/agent-sandbox-server/bin/agent-sandbox-server"],
    "Env": ["PATH=/opt/java/bin:/bin:/usr/bin",
            "JAVA_HOME=/opt/java",
            "AGENT_SANDBOX_HOST=0.0.0.0",
            "AGENT_SANDBOX_PORT=8080",
            "AGENT_SANDBOX_STATE_DIR=/var/lib/agent-sandbox",
            "AGENT_SANDBOX_POOLS_DIR=/opt/agent-sandbox-server/crds/examples"],
    "User": "65532:65532",
    "WorkingDir": "/var/lib/agent-sandbox",
    "ExposedPorts": {"8080/tcp": {}},
    "Labels": {"org.opencontainers.image.title": "agent-sandbox-server",
               "org.opencontainers.image.version": sys.argv[1]},
    "owners": {"var/lib/agent-sandbox": "65532:65532"},
}))
PY
)
mkdir -p "$(dirname "$OUT")"
python3 scripts/real-node/mkimage.py --config "$CONFIG" "$R" "$IMAGE" "$OUT"
log "$IMAGE -> $OUT ($(du -m "$OUT" | cut -f1) MB; load it with: docker load -i $OUT, or ctr -n k8s.io images import $OUT)"
echo "$OUT"

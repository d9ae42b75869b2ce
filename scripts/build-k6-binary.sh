#!/usr/bin/env bash
# Builds the pinned k6 from source into .tools/bin/k6 (git-ignored), unless a k6 of the pinned
# version is already there. tools/k6/go.mod pins k6 and go.sum pins every dependency.
# k6 is AGPL: it is built and run as a separate tool; no talkload code links it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
want="$(sed -n 's/^require go.k6.io\/k6\/v2 \(v[0-9.]*\)$/\1/p' "$root/tools/k6/go.mod")"
out="$root/.tools/bin/k6"
if [ -x "$out" ] && "$out" version 2>/dev/null | grep -q "k6 $want "; then
  echo "k6 $want already built at $out"
  exit 0
fi
command -v go >/dev/null || { echo "build-k6: Go is not installed; install Go 1.26+ or set K6_BIN to a k6 $want" >&2; exit 2; }
# The module list of k6/v2 is not served by the proxy, so no 'direct' fallback: go.sum pins the rest.
# The proxy is the machine's own (go env GOPROXY), without 'direct' and 'off'.
proxy="${GOPROXY_K6:-$(go env GOPROXY | tr ',|' '\n\n' | grep -v -e '^direct$' -e '^off$' -e '^$' | paste -sd, -)}"
[ -n "$proxy" ] || { echo "build-k6: go env GOPROXY names no module proxy (only direct/off); set GOPROXY_K6 to one" >&2; exit 2; }
mkdir -p "$root/.tools/bin"
cd "$root/tools/k6"
source "$root/scripts/progress.sh"
echo "k6 $want is built from source on first use (once; it goes to .tools/bin/k6), modules from $proxy"
with_progress "building k6 $want" \
  env GOPROXY="$proxy" GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$out" go.k6.io/k6/v2
"$out" version

#!/usr/bin/env bash
# Prometheus and promtool for the tests and `talkload stack`: the machine's (PROMETHEUS_BIN, or
# Debian's /usr/bin/prometheus and promtool), else the pinned one built from source into
# .tools/bin (git-ignored) with Go, without root. Prometheus is Apache-2.0; the build leaves out
# the cloud service discoveries (build tag remove_all_sd), which talkload does not use, to halve
# the build (about 2-3 minutes on 2 cores, once).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
want="v0.316.0" # Go module version of Prometheus 3.16
out="$root/.tools/bin"
if [ -n "${PROMETHEUS_BIN:-}" ] && [ ! -x "$PROMETHEUS_BIN" ]; then
  echo "get-prometheus: PROMETHEUS_BIN=$PROMETHEUS_BIN is not an executable file" >&2
  exit 2
fi
found() {
  local p="${PROMETHEUS_BIN:-}"
  if [ -z "$p" ]; then for c in /usr/bin/prometheus /usr/local/bin/prometheus; do [ -x "$c" ] && p="$c" && break; done; fi
  [ -n "$p" ] && [ -x "$p" ] && { [ -x "$(dirname "$p")/promtool" ] || command -v promtool >/dev/null; }
}
if found; then exit 0; fi
if [ -x "$out/prometheus" ] && [ -x "$out/promtool" ] && [ "$(cat "$out/.prometheus-version" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
command -v go >/dev/null || {
  echo "get-prometheus: Prometheus and promtool not found, and no Go to build them: apt-get install prometheus, or set PROMETHEUS_BIN (with promtool beside it or on PATH)" >&2
  exit 2
}
mkdir -p "$out"
source "$root/scripts/progress.sh"
echo "Prometheus not found (apt-get install prometheus, or PROMETHEUS_BIN): building the pinned $want (3.16) and promtool from source into .tools/bin, once"
with_progress "building Prometheus $want" \
  env GOBIN="$out" GOFLAGS=-mod=mod CGO_ENABLED=0 \
  go install -tags remove_all_sd -trimpath -ldflags="-s -w" \
  "github.com/prometheus/prometheus/cmd/prometheus@$want" "github.com/prometheus/prometheus/cmd/promtool@$want"
echo "$want" >"$out/.prometheus-version"
echo "built $out/prometheus and $out/promtool"

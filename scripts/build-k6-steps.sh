#!/usr/bin/env bash
# Builds .tools/bin/k6-steps (issue 29): the pinned k6 with its JS engine counting the instructions
# it runs, for `OVERHEAD_STEPS=1 npm run bench:overhead`. A development tool, not a test step: the
# pinned sobek (MIT) is copied from the Go module cache, tools/k6-steps/steps.go.txt added and one
# line put in its interpreter loop; k6 (AGPL) is built as its own program, as for .tools/bin/k6.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/.tools/bin/k6-steps"
if [ -x "$out" ] && [ "$out" -nt "$root/tools/k6-steps/steps.go.txt" ] && [ "$out" -nt "$root/tools/k6-steps/main.go" ] && [ "$out" -nt "$root/tools/k6/go.sum" ]; then
  echo "k6-steps already built at $out"
  exit 0
fi
command -v go >/dev/null || { echo "build-k6-steps: Go is not installed" >&2; exit 2; }
proxy="${GOPROXY_K6:-$(go env GOPROXY | tr ',|' '\n\n' | grep -v -e '^direct$' -e '^off$' -e '^$' | paste -sd, -)}"
sobek="$(sed -n 's/^\t*github.com\/grafana\/sobek \(v[^ ]*\).*$/\1/p' "$root/tools/k6/go.mod")"
[ -n "$sobek" ] || { echo "build-k6-steps: tools/k6/go.mod names no github.com/grafana/sobek version" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$root/tools/k6/go.mod" "$root/tools/k6/go.sum" "$work/"
cp "$root/tools/k6-steps/main.go" "$work/"
cd "$work"
src="$(GOPROXY="$proxy" GOFLAGS=-mod=mod go mod download -json "github.com/grafana/sobek@$sobek" | sed -n 's/^\t*"Dir": "\(.*\)",$/\1/p')"
[ -d "$src" ] || { echo "build-k6-steps: sobek $sobek is not in the module cache and could not be downloaded" >&2; exit 1; }
cp -r "$src" "$work/sobek"
chmod -R u+w "$work/sobek"
cp "$root/tools/k6-steps/steps.go.txt" "$work/sobek/talkload_steps.go"
# The two edits, each checked to apply exactly once: a sobek that moved on fails here, not silently.
edit() {
  FROM="$2" TO="$3" perl -0pi -e '$n = () = /\Q$ENV{FROM}\E/g; die "expected one match, found $n\n" if $n != 1; s/\Q$ENV{FROM}\E/$ENV{TO}/' "$1" \
    || { echo "build-k6-steps: sobek $sobek changed: $(basename "$1") is not as tools/k6-steps expects" >&2; exit 1; }
}
edit sobek/compiler.go $'type Program struct {\n\tcode []instruction\n' $'type Program struct {\n\tcode []instruction\n\tstepCounts []uint64\n'
edit sobek/vm.go $'\t\tvm.prg.code[pc].exec(vm)\n\t}\n\n\tif interrupted {' $'\t\tif atomic.LoadInt32(&StepsOn) == 1 {\n\t\t\tstepsCount(vm.prg, pc)\n\t\t}\n\t\tvm.prg.code[pc].exec(vm)\n\t}\n\n\tif interrupted {'
sed -i 's#^module .*#module talkload.local/k6steps#' go.mod
printf '\nreplace github.com/grafana/sobek => ./sobek\n' >> go.mod
mkdir -p "$root/.tools/bin"
source "$root/scripts/progress.sh"
with_progress "building k6-steps (k6 counting its JS steps)" \
  env GOPROXY="$proxy" GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$out" .

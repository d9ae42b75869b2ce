# with_progress "WHAT" CMD...: runs CMD, printing WHAT with the elapsed time every 10 s, so that a
# slow build is told apart from one that hangs; CMD's own output passes through; its exit code is
# returned. Sourced by the build scripts.
with_progress() {
  local what="$1"
  shift
  local start=$SECONDS
  echo "$what..."
  "$@" &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      sleep 1
      kill -0 "$pid" 2>/dev/null || break 2
    done
    echo "  ... still $what: $((SECONDS - start)) s"
  done
  local rc=0
  wait "$pid" || rc=$?
  echo "$what: done in $((SECONDS - start)) s (exit $rc)"
  return "$rc"
}

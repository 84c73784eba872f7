# Helpers the bench scripts share (sourced, not run): what a script starts it records in `pids`
# and stops by pid; waiting for a line in a log; a free X display number.

pids=()
stop_started() {  # every pid in `pids`: SIGTERM, then waits
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
wait_for() {  # FILE PATTERN: up to 20 s
  for _ in $(seq 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
free_display() {  # FIRST LAST: the first display number in that range with no X server
  local n
  for n in $(seq "$1" "$2"); do [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ] || { echo "$n"; return; }; done
  return 1
}

#!/usr/bin/env bash
# Sets everything up and records a short demo session into ./recordings, then shows what was
# recorded. It records a private Xvfb screen (1280x720) showing a terminal that scrolls text, so
# the demo never films its own live window; with $DISPLAY set, the live window opens there.
#   DEMO_SECONDS=N        how long to record (default 5)
#   DEMO_SCREEN=own       record your own screen ($DISPLAY) instead, with no live window (a
#                         window on the screen it records would film itself)
# The receiver listens on a free port of 127.0.0.1 (it picks one and says which). Only the three
# programs are built (scripts/test.sh builds the tests and benchmarks).
set -euo pipefail
cd "$(dirname "$0")/.."
SCREENREEL_TARGETS="screenreel-capture screenreel-receiver screenreel-replay" bash scripts/build.sh
seconds=${DEMO_SECONDS:-5}
archive=${SCREENREEL_ARCHIVE:-recordings}
bin=build/bin
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

receiver_args=(--archive "$archive" --listen 127.0.0.1:0)
capture_display=${DISPLAY:-}
if [ "${DEMO_SCREEN:-}" = own ]; then
  [ -n "$capture_display" ] || { echo "demo: DEMO_SCREEN=own needs \$DISPLAY (your screen)" >&2; exit 2; }
  echo "demo: recording your screen ($capture_display) for $seconds s, without the live window"
  receiver_args+=(--no-display)
else
  num=$(( 90 + RANDOM % 9 ))
  while [ -e /tmp/.X11-unix/X$num ]; do num=$((num + 1)); done
  echo "demo: starting a private Xvfb screen :$num (1280x720) with a terminal scrolling text; recording it for $seconds s"
  Xvfb :$num -screen 0 1280x720x24 -nolisten tcp >/dev/null 2>&1 & pids+=($!)
  for _ in $(seq 50); do [ -e /tmp/.X11-unix/X$num ] && break; sleep 0.1; done
  DISPLAY=:$num xterm -geometry 160x45+0+0 -e bash -c \
    'while :; do for f in /usr/include/*.h; do cat "$f"; sleep 0.05; done; done' >/dev/null 2>&1 & pids+=($!)
  sleep 1
  capture_display=:$num
  if [ -n "${DISPLAY:-}" ]; then
    echo "demo: the live window opens on your screen ($DISPLAY) when the first frame arrives"
  else
    receiver_args+=(--no-display)
  fi
fi

log=$(mktemp)
"$bin/screenreel-receiver" "${receiver_args[@]}" </dev/null 2> >(tee "$log" >&2) & receiver=$!
pids+=("$receiver")
address=""
for _ in $(seq 100); do
  address=$(sed -n 's/.*listening on \([^ ,]*\).*/\1/p' "$log" | head -n 1)
  [ -n "$address" ] && break
  kill -0 "$receiver" 2>/dev/null || { echo "demo: the receiver did not start (see above)" >&2; exit 1; }
  sleep 0.1
done
[ -n "$address" ] || { echo "demo: the receiver did not say where it listens (see above)" >&2; exit 1; }
"$bin/screenreel-capture" --connect "$address" --display "$capture_display" --name demo --fps 30 --duration "$seconds"
kill -TERM "$receiver"; wait "$receiver" || true

echo
echo "demo: recorded into $archive/:"
"$bin/screenreel-replay" --archive "$archive" list
echo
echo "Next: $bin/screenreel-replay --archive $archive info demo"
echo "      $bin/screenreel-replay --archive $archive export demo -o demo.mp4"
echo "      $bin/screenreel-replay --archive $archive play demo          (needs a display)"
echo "      sqlite3 $archive/catalog.db 'SELECT seq, capture_us, file FROM frames ORDER BY seq DESC LIMIT 5'"

#!/usr/bin/env bash
# Sets everything up and records a short demo session into ./recordings, then shows what was
# recorded. With $DISPLAY set it records your screen (live window on); without one it starts a
# private Xvfb screen with a terminal scrolling text and records that, headless.
#   DEMO_SECONDS=N   how long to record (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
seconds=${DEMO_SECONDS:-5}
archive=${SCREENREEL_ARCHIVE:-recordings}
bin=build/bin
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

receiver_args=(--archive "$archive" --listen 127.0.0.1:5000)
if [ -n "${DISPLAY:-}" ]; then
  echo "demo: recording your screen ($DISPLAY) for $seconds s; the live window opens when the first frame arrives"
else
  num=$(( 90 + RANDOM % 9 ))
  while [ -e /tmp/.X11-unix/X$num ]; do num=$((num + 1)); done
  echo "demo: no \$DISPLAY; starting a private Xvfb screen :$num (1280x720) with a terminal scrolling text"
  Xvfb :$num -screen 0 1280x720x24 -nolisten tcp >/dev/null 2>&1 & pids+=($!)
  for _ in $(seq 50); do [ -e /tmp/.X11-unix/X$num ] && break; sleep 0.1; done
  DISPLAY=:$num xterm -geometry 160x45+0+0 -e bash -c \
    'while :; do for f in /usr/include/*.h; do cat "$f"; sleep 0.05; done; done' >/dev/null 2>&1 & pids+=($!)
  sleep 1
  export DISPLAY=:$num
  receiver_args+=(--no-display)
fi

log=$(mktemp)
"$bin/screenreel-receiver" "${receiver_args[@]}" </dev/null 2> >(tee "$log" >&2) & receiver=$!
pids+=("$receiver")
for _ in $(seq 100); do grep -q "listening on" "$log" && break; kill -0 "$receiver" 2>/dev/null || exit 1; sleep 0.1; done
"$bin/screenreel-capture" --name demo --fps 30 --duration "$seconds"
kill -TERM "$receiver"; wait "$receiver" || true

echo
echo "demo: recorded into $archive/:"
"$bin/screenreel-replay" --archive "$archive" list
echo
echo "Next: $bin/screenreel-replay --archive $archive info demo"
echo "      $bin/screenreel-replay --archive $archive export demo -o demo.mp4"
echo "      $bin/screenreel-replay --archive $archive play demo          (needs a display)"
echo "      sqlite3 $archive/catalog.db 'SELECT seq, capture_us, file FROM frames ORDER BY seq DESC LIMIT 5'"

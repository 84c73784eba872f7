#!/usr/bin/env bash
# Makes the README's picture of `screenreel-replay serve` (docs/images/serve.png) from a real
# recording, the same on every run:
#   1. a private Xvfb screen (1280x720) with a terminal where a deploy fails with "Permission
#      denied" and is run again with sudo, recorded by the real programs at 10 fps, the receiver
#      reading the text on screen (--ocr), a marker set (SIGUSR1) when the deploy fails;
#   2. serve on that archive, and tests/serve/readme_screenshot.py in headless Chromium at
#      1280x800: a search for "permission denied" opens the session's player at the line, with
#      the timeline's activity, the marker and the hits in view;
#   3. the PNG reduced to 256 colours (ffmpeg), to stay small in the repository.
# Needs the three programs built (build/bin; SCREENREEL_BIN for another folder) and what the
# browser test needs (chromium, chromium-driver, python3-selenium), Xvfb, xterm, ffmpeg and
# fonts-dejavu-core: all installed by scripts/install-deps.sh.
#   scripts/serve-screenshot.sh [OUT.png]     default docs/images/serve.png
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/images/serve.png}
bin=${SCREENREEL_BIN:-build/bin}
for p in screenreel-capture screenreel-receiver screenreel-replay; do
  [ -x "$bin/$p" ] || { echo "serve-screenshot: $bin/$p is not built (ninja -C build $p)" >&2; exit 2; }
done
work=$(mktemp -d /tmp/screenreel-screenshot.XXXXXX)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The line PROGRAM prints once it listens: its address.
address_in() {
  local log=$1 pid=$2 a=""
  for _ in $(seq 200); do
    a=$(sed -n 's/.*\(127\.0\.0\.1:[0-9][0-9]*\).*/\1/p' "$log" | head -n 1)
    [ -n "$a" ] && { echo "$a"; return; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "serve-screenshot: no address in $log:" >&2
  cat "$log" >&2
  exit 1
}

num=$((150 + RANDOM % 50))
while [ -e /tmp/.X11-unix/X$num ]; do num=$((num + 1)); done
Xvfb :$num -screen 0 1280x720x24 -nolisten tcp >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -e /tmp/.X11-unix/X$num ] && break; sleep 0.1; done

# What the terminal shows: typed commands, bursts of output, pauses (the timeline's activity).
cat >"$work/session.sh" <<'EOF'
typed() { printf '\033[1;34mops@web-3\033[0m:\033[1;32m~/app\033[0m$ '; sleep 0.6
  local i; for ((i = 0; i < ${#1}; i++)); do printf '%s' "${1:i:1}"; sleep 0.05; done; echo; sleep 0.3; }
burst() { local i; for ((i = 1; i <= $1; i++)); do printf 'cc -O2 -c src/%s.c -o build/%s.o\n' "module$i" "module$i"; sleep 0.03; done; }
sleep 1
typed "git pull --ff-only"
printf 'Updating 3f2a9c1..8d41e07\nFast-forward\n src/server.c | 12 ++++++++----\n 1 file changed, 8 insertions(+), 4 deletions(-)\n'
sleep 1.5
typed "make deploy"
burst 24
printf 'install -m 755 build/app /srv/app/bin/app\n'
printf "install: cannot create regular file '/srv/app/bin/app': Permission denied\n"
printf 'make: *** [Makefile:42: deploy] Error 1\n'
kill -USR1 "$(cat "$CAPTURE_PID_FILE")"   # a marker where it failed
sleep 3
typed "ls -l /srv/app/bin"
printf 'total 8\n-rwxr-xr-x 1 root root 6120 Dec  5 17:02 app\n'
sleep 1.5
typed "sudo make deploy"
burst 6
printf 'install -m 755 build/app /srv/app/bin/app\nsystemctl restart app.service\ndeployed app 2.4.1 to /srv/app\n'
sleep 30
EOF

recv_log=$work/receiver.log
"$bin/screenreel-receiver" --archive "$work/archive" --listen 127.0.0.1:0 --no-display --ocr </dev/null \
  2>"$recv_log" &
receiver=$!
pids+=("$receiver")
address=$(address_in "$recv_log" "$receiver")

DISPLAY=:$num xterm -geometry 114x33+0+0 -fa 'DejaVu Sans Mono' -fs 14 -bg '#fbfbf8' -fg '#1d1d1d' \
  -e env CAPTURE_PID_FILE="$work/capture.pid" bash "$work/session.sh" >/dev/null 2>&1 &
pids+=($!)
"$bin/screenreel-capture" --connect "$address" --display ":$num" --name "deploy web-3" --fps 10 --duration 22 \
  --no-cursor 2>"$work/capture.log" &
capture=$!
echo "$capture" >"$work/capture.pid"
wait "$capture" || { cat "$work/capture.log" >&2; exit 1; }
sleep 3  # the receiver's last OCR pass
kill -INT "$receiver"
wait "$receiver" || true

serve_log=$work/serve.log
"$bin/screenreel-replay" --archive "$work/archive" serve --listen 127.0.0.1:0 2>"$serve_log" &
serve=$!
pids+=("$serve")
url=http://$(address_in "$serve_log" "$serve")
/usr/bin/python3 tests/serve/readme_screenshot.py --url "$url" --words "permission denied" --out "$work/shot.png"
ffmpeg -loglevel error -y -i "$work/shot.png" \
  -vf "split[a][b];[a]palettegen=max_colors=256:stats_mode=full[p];[b][p]paletteuse=dither=none" "$out"
echo "serve-screenshot: wrote $out ($(stat -c %s "$out") bytes)"

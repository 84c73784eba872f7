#!/usr/bin/env bash
# Storage per hour (issue 18), so users can size their disks: each scene of tests/support/scene.sh
# (terminal, video, desktop) on a 1920x1080 Xvfb at 30 fps, recorded for BENCH_SECONDS by
#   screenreel         capture (x11) + receiver --no-display; bytes = du -sb of the session folder
#   ffmpeg MJPEG       ffmpeg -f x11grab -framerate 30 -video_size 1920x1080 -i :N -t S
#                      -c:v mjpeg -q:v 3 out.mkv (JPEGs as bench.sh's ffmpeg run writes them)
#   ffmpeg H.264       the same with -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p out.mp4
# one after the other on the same screen, each extrapolated to an hour (bytes / S * 3600).
# "fps" is what each stored per second recorded (screenreel: catalog rows, a tick where nothing
# changed stores nothing; ffmpeg: frames encoded, with the copies it made of late grabs), so a
# program that could not keep up on the machine shows. Prints a markdown table (and into FILE
# with --out FILE). Not run by CI.
#   BENCH_SECONDS=20  BENCH_SCENES="terminal video desktop"
#   BENCH_BUILD_DIR=build (screenreel-capture and -receiver, built beforehand)
# Needs: xvfb xterm x11-apps ffmpeg xdotool sqlite3 (Debian packages).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out_file=""
[ "${1:-}" != --out ] || out_file=${2:?--out needs a file}
seconds=${BENCH_SECONDS:-20}
scenes=${BENCH_SCENES:-terminal video desktop}
bin=${BENCH_BUILD_DIR:-$root/build}/bin
scene_sh=$root/tests/support/scene.sh
for f in "$bin/screenreel-capture" "$bin/screenreel-receiver"; do
  [ -x "$f" ] || { echo "bench-storage: $f missing (ninja -C build screenreel-capture screenreel-receiver)" >&2; exit 1; }
done
unset DISPLAY
work=$(mktemp -d /tmp/screenreel-bench-storage.XXXXXX)

# Everything started here is stopped here, by pid.
source "$root/scripts/bench-lib.sh"
trap stop_started EXIT
trap 'exit 130' INT TERM
# row SCENE PROGRAM BYTES FRAMES: GB an hour, MB a minute, kB a frame, fps
rows=()
row() {
  rows+=("| $1 | $2 | $(awk -v b="$3" -v f="$4" -v s="$seconds" 'BEGIN {
    printf "%.2f | %.1f | %.1f | %.1f", b / s * 3600 / 1e9, b / s * 60 / 1e6, (f > 0 ? b / f / 1e3 : 0), f / s}') |")
}

run_screenreel() {  # SCENE DISPLAY
  local d=$work/$1-screenreel
  mkdir -p "$d"
  "$bin/screenreel-receiver" --no-display --listen 127.0.0.1:0 --archive "$d/archive" \
    </dev/null >"$d/receiver.out" 2>"$d/receiver.err" &
  local rpid=$!
  pids+=($rpid)
  wait_for "$d/receiver.err" "listening on" || { cat "$d/receiver.err" >&2; return 1; }
  local port
  port=$(grep -o 'listening on [0-9.]*:[0-9]*' "$d/receiver.err" | head -1 | sed 's/.*://')
  "$bin/screenreel-capture" --display ":$2" --fps 30 --duration "$seconds" --connect "127.0.0.1:$port" \
    --name "storage-$1" --quiet >"$d/capture.out" 2>"$d/capture.err" || true
  kill -TERM "$rpid"; wait "$rpid" || true
  row "$1" screenreel "$(du -sb "$d/archive/sessions" | cut -f1)" \
    "$(sqlite3 "$d/archive/catalog.db" "SELECT coalesce(sum(frame_count), 0) FROM sessions")"
  rm -rf "$d/archive/sessions"
}

run_ffmpeg() {  # SCENE DISPLAY NAME FILE CODEC-OPTIONS...
  local scene=$1 num=$2 name=$3 file=$work/$1-$4
  shift 4
  ffmpeg -nostdin -hide_banner -loglevel error -y -f x11grab -framerate 30 -video_size 1920x1080 -i ":$num" \
    -t "$seconds" -progress "$file.progress" "$@" "$file" >"$file.out" 2>"$file.err" || { cat "$file.err" >&2; return 1; }
  row "$scene" "$name" "$(stat -c %s "$file")" "$(grep '^frame=' "$file.progress" | tail -1 | cut -d= -f2)"
  rm -f "$file"
}

for scene in $scenes; do
  num=$(free_display 150 179) || { echo "bench-storage: no free display number" >&2; exit 1; }
  Xvfb ":$num" -screen 0 1920x1080x24 -nolisten tcp >/dev/null 2>&1 &
  xpid=$!
  pids+=($xpid)
  for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$num" ] && break; sleep 0.1; done
  DISPLAY=":$num" bash "$scene_sh" "$scene" 2>"$work/scene-$scene.err" &
  spid=$!
  pids+=($spid)
  wait_for "$work/scene-$scene.err" "scene ready" || { cat "$work/scene-$scene.err" >&2; exit 1; }
  echo "bench-storage: $scene" >&2
  run_screenreel "$scene" "$num"
  run_ffmpeg "$scene" "$num" "ffmpeg MJPEG -q:v 3" mjpeg.mkv -c:v mjpeg -q:v 3
  run_ffmpeg "$scene" "$num" "ffmpeg H.264 veryfast crf 23" h264.mp4 -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p
  stop_started
done

{
  echo "Storage per hour, $(date -u +%Y-%m-%d), $(nproc) cores, 1920x1080 Xvfb, 30 fps asked, ${seconds} s a run extrapolated; commit $(git rev-parse --short HEAD)"
  echo
  echo "| scene | recorder | GB per hour | MB per minute | kB per frame | fps stored |"
  echo "|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} | tee ${out_file:+"$out_file"}
rm -rf "$work"

#!/usr/bin/env bash
# Shaped-link benchmark (issue 19): screenreel and ffmpeg (H.264) recording the same scene over a
# link of known rate. The link and the scenes are the tests' own: tests/support/shaped_link.sh
# (two network namespaces, a veth pair, tbf on the sending side) and tests/support/scene.sh.
# For each rate and scene, on a 1920x1080 Xvfb at 30 fps:
#   screenreel  receiver (--no-display, token) in the receiving namespace, capture in the sending
#               one for BENCH_SECONDS, once for each wire of BENCH_WIRES (auto, lossless, jpeg;
#               +yuv420 adds --wire-pixels yuv420: "auto+yuv420"); a capture still sending its backlog BENCH_GRACE s after
#               that is stopped (SIGINT, then SIGKILL). fps = frames the receiver stored per second recorded.
#   ffmpeg      ffmpeg -f x11grab ... -c:v libx264 -preset ultrafast -tune zerolatency -f mpegts
#               tcp://... to an ffmpeg listener (-f null) in the receiving namespace; fps = frames
#               the listener decoded per second.
# Prints a markdown table (and into FILE with --out FILE). Needs root. Not run by CI.
#   BENCH_SECONDS=10  BENCH_GRACE=5  BENCH_RATES="1 10 50 1000"  BENCH_SCENES="terminal video desktop picture"
#   BENCH_WIRES="auto lossless auto+yuv420"  BENCH_FFMPEG=1 (0: no ffmpeg runs)
#   BENCH_BUILD_DIR=build (the screenreel-capture and -receiver it uses, built beforehand)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out_file=""
[ "${1:-}" != --out ] || out_file=${2:?--out needs a file}
seconds=${BENCH_SECONDS:-10}
grace=${BENCH_GRACE:-5}
rates=${BENCH_RATES:-1 10 50 1000}
scenes=${BENCH_SCENES:-terminal video desktop picture}
wires=${BENCH_WIRES:-auto lossless auto+yuv420}
with_ffmpeg=${BENCH_FFMPEG:-1}
bin=${BENCH_BUILD_DIR:-$root/build}/bin
link_sh=$root/tests/support/shaped_link.sh
export SCREENREEL_MOVING_PICTURE=$bin/screenreel-moving-picture  # the picture scene's
scene_sh=$root/tests/support/scene.sh
[ "$(id -u)" -eq 0 ] || { echo "bench-network: needs root (network namespaces, tc)" >&2; exit 1; }
for f in "$bin/screenreel-capture" "$bin/screenreel-receiver" "$bin/screenreel-moving-picture"; do
  [ -x "$f" ] || { echo "bench-network: $f missing (ninja -C build screenreel-capture screenreel-receiver screenreel-moving-picture)" >&2; exit 1; }
done
unset DISPLAY
work=$(mktemp -d /tmp/screenreel-bench-network.XXXXXX)
link=screenreel-bench-$$
hz=$(getconf CLK_TCK)

# Everything started here is stopped here, by pid; the link is removed.
source "$root/scripts/bench-lib.sh"
cleanup() {
  stop_started
  bash "$link_sh" down "$link" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cpu_s() { sed 's/.*) //' "/proc/$1/stat" | awk -v hz="$hz" '{printf "%.2f", ($12 + $13) / hz}'; }
stop_late() {  # PID: SIGINT, and SIGKILL if it is still sending its backlog 3 s later
  kill -INT "$1" 2>/dev/null || true
  for _ in $(seq 30); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
}
# watch_cpu PID: waits the run's length plus the grace (or until PID ends) and prints the CPU
# seconds PID had used at its last reading (read while it runs: an exited child's are gone).
watch_cpu() {
  local c=0 v i
  for ((i = 0; i < (seconds + grace) * 10; i++)); do
    v=$(cpu_s "$1" 2>/dev/null) || break
    c=$v
    [ "$i" -lt $((seconds * 10)) ] || kill -0 "$1" 2>/dev/null || break
    [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" != Z ] || break
    sleep 0.1
  done
  echo "$c"
}
rows=()
run_screenreel() {  # SCENE MBIT DISPLAY WIRE
  local d=$work/$1-$2-screenreel-$4
  local flags=(--wire "${4%%+*}")
  [[ $4 != *+yuv420 ]] || flags+=(--wire-pixels yuv420)
  mkdir -p "$d"
  echo "bench-network-token-0123456789abcdef" >"$d/token"; chmod 600 "$d/token"
  ip netns exec "$link-recv" "$bin/screenreel-receiver" --no-display --listen 10.77.0.2:0 \
    --archive "$d/archive" --token-file "$d/token" </dev/null >"$d/receiver.out" 2>"$d/receiver.err" &
  local rpid=$!
  pids+=($rpid)
  wait_for "$d/receiver.err" "listening on" || { cat "$d/receiver.err" >&2; return 1; }
  local port
  port=$(grep -o 'listening on [0-9.]*:[0-9]*' "$d/receiver.err" | head -1 | sed 's/.*://')
  local t0
  t0=$(date +%s.%N)
  ip netns exec "$link-send" "$bin/screenreel-capture" --display ":$3" --fps 30 --duration "$seconds" \
    --connect "10.77.0.2:$port" --token-file "$d/token" --name "bench-$1" "${flags[@]}" --quiet >"$d/capture.out" 2>"$d/capture.err" &
  local cpid=$! behind="" c
  c=$(watch_cpu "$cpid")
  if kill -0 "$cpid" 2>/dev/null; then behind="> $grace"; stop_late "$cpid"; fi
  wait "$cpid" || true
  [ -n "$behind" ] || behind=$(awk -v a="$t0" -v b="$(date +%s.%N)" -v s="$seconds" 'BEGIN {printf "%.1f", b - a - s}')
  local rc
  rc=$(cpu_s "$rpid")
  kill -TERM "$rpid"; wait "$rpid" || true
  local frames summary wire dropped ticks jpeg
  frames=$(sqlite3 "$d/archive/catalog.db" "SELECT coalesce(sum(frame_count), 0) FROM sessions")
  summary=$(grep -m1 'frames sent' "$d/capture.out" || true)
  wire=$(echo "$summary" | sed -nE 's/.* frames sent, ([0-9.]+) MB.*/\1/p')
  ticks=$(echo "$summary" | sed -nE 's/.* of ([0-9]+) ticks \(.*/\1/p')
  dropped=$(echo "$summary" | sed -nE 's/.* ([0-9]+) dropped\).*/\1/p')
  jpeg=$(echo "$summary" | sed -nE 's/.*; ([0-9]+) frames as JPEG strips.*/\1/p')
  rows+=("| $1 | $2 | screenreel ${flags[*]} | ${jpeg:-0} | $(awk -v f="$frames" -v s="$seconds" 'BEGIN {printf "%.1f", f / s}') | ${dropped:-?} of ${ticks:-?} | ${behind} | $([ -n "$wire" ] && awk -v w="$wire" -v s="$seconds" 'BEGIN {printf "%.1f", w * 8 / s}' || echo "- (stopped)") | $(awk -v a="$c" -v b="$rc" -v s="$seconds" 'BEGIN {printf "%.0f", 100 * (a + b) / s}') |")
  rm -rf "$d/archive/sessions"
}

run_ffmpeg() {  # SCENE MBIT DISPLAY
  local d=$work/$1-$2-ffmpeg port=5900
  mkdir -p "$d"
  ip netns exec "$link-recv" ffmpeg -nostdin -hide_banner -loglevel error -progress "$d/progress.txt" \
    -f mpegts -i "tcp://10.77.0.2:$port?listen=1" -f null - >"$d/listen.out" 2>"$d/listen.err" &
  local lpid=$!
  pids+=($lpid)
  sleep 0.5
  local t0
  t0=$(date +%s.%N)
  ip netns exec "$link-send" ffmpeg -nostdin -hide_banner -loglevel error -f x11grab -framerate 30 \
    -video_size 1920x1080 -i ":$3" -t "$seconds" -progress "$d/send-progress.txt" -c:v libx264 -preset ultrafast -tune zerolatency \
    -f mpegts "tcp://10.77.0.2:$port" >"$d/send.out" 2>"$d/send.err" &
  local spid=$! behind="" c
  c=$(watch_cpu "$spid")
  if kill -0 "$spid" 2>/dev/null; then behind="> $grace"; stop_late "$spid"; fi
  wait "$spid" || true
  [ -n "$behind" ] || behind=$(awk -v a="$t0" -v b="$(date +%s.%N)" -v s="$seconds" 'BEGIN {printf "%.1f", b - a - s}')
  for _ in $(seq 50); do kill -0 "$lpid" 2>/dev/null || break; sleep 0.1; done
  stop_late "$lpid"; wait "$lpid" || true
  local frames bytes
  frames=$(grep '^frame=' "$d/progress.txt" | tail -1 | cut -d= -f2)
  bytes=$(grep '^total_size=' "$d/send-progress.txt" | tail -1 | cut -d= -f2)
  rows+=("| $1 | $2 | ffmpeg libx264 ultrafast | - | $(awk -v f="${frames:-0}" -v s="$seconds" 'BEGIN {printf "%.1f", f / s}') | - | ${behind} | $(awk -v b="${bytes:-0}" -v s="$seconds" 'BEGIN {printf "%.1f", b * 8 / 1e6 / s}') | $(awk -v a="$c" -v s="$seconds" 'BEGIN {printf "%.0f", 100 * a / s}') |")
}

for scene in $scenes; do
  num=$(free_display 120 149) || { echo "bench-network: no free X display" >&2; exit 1; }
  Xvfb ":$num" -screen 0 1920x1080x24 -nolisten tcp >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$num" ] && break; sleep 0.1; done
  DISPLAY=":$num" bash "$scene_sh" "$scene" 2>"$work/scene-$scene.err" &
  pids+=($!)
  wait_for "$work/scene-$scene.err" "scene ready" || { cat "$work/scene-$scene.err" >&2; exit 1; }
  for mbit in $rates; do
    bash "$link_sh" up "$link" "$mbit" >/dev/null
    echo "bench-network: $scene over $mbit Mbit/s" >&2
    for w in $wires; do run_screenreel "$scene" "$mbit" "$num" "$w"; done
    [ "$with_ffmpeg" = 0 ] || run_ffmpeg "$scene" "$mbit" "$num"
    bash "$link_sh" down "$link"
  done
  cleanup
done

table=$(
  echo "Shaped link, $(date -u +%Y-%m-%d), $(nproc) cores, 1920x1080 Xvfb, 30 fps asked, ${seconds} s a run; commit $(git rev-parse --short HEAD)"
  echo
  echo "| scene | link Mbit/s | program | frames as JPEG strips | fps delivered | ticks dropped | s behind at the end | wire Mbit/s | CPU % of a core |"
  echo "|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
)
echo "$table"
[ -z "$out_file" ] || echo "$table" >"$out_file"
echo "bench-network: logs in $work" >&2

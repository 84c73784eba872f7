#!/usr/bin/env bash
# A/B of the X DAMAGE gate: screenreel-capture's CPU on one scene with the gate and without it
# (SCREENREEL_NO_DAMAGE=1: every frame read and compared whole), runs alternating so both see the
# same load; one receiver (--no-display) takes both. Prints a markdown table and the medians.
#   scripts/bench-damage.sh [SCENE] [RUNS] [SECONDS] [FPS]
#     SCENE: terminal (default), video or static (../shared/bench/scene.sh); RUNS 3, SECONDS 20, FPS 30
#   BIN=build/bin (default) where the programs are; DISPLAY_NUM=133 the scene's display.
# Needs: xvfb xterm ffmpeg time (Debian packages), a build (bash scripts/build.sh).
set -euo pipefail
scene=${1:-terminal}; runs=${2:-3}; seconds=${3:-20}; fps=${4:-30}
here=$(cd "$(dirname "$0")" && pwd)
bin=${BIN:-$here/../build/bin}; num=${DISPLAY_NUM:-133}
scene_sh=${SCENE_SH:-$here/../../shared/bench/scene.sh}
if [ -e "/tmp/.X$num-lock" ] || [ -e "/tmp/.X11-unix/X$num" ]; then
  echo "bench-damage: display :$num is taken; pick another with DISPLAY_NUM=N" >&2
  exit 1
fi
tmp=$(mktemp -d)
scene_pids=$(bash "$scene_sh" "$num" "$scene")
xvfb=$(echo "$scene_pids" | head -1)
rpid=""
cleanup() {
  [ -z "$rpid" ] || kill "$rpid" 2>/dev/null || true
  for p in $scene_pids; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }  # utime+stime, all threads
hz=$(getconf CLK_TCK)

"$bin/screenreel-receiver" --no-display --archive "$tmp/archive" --listen 127.0.0.1:0 </dev/null \
  >"$tmp/receiver.out" 2>"$tmp/receiver.err" &
rpid=$!
for _ in $(seq 100); do grep -q "listening on" "$tmp/receiver.err" && break; sleep 0.1; done
port=$(grep -o 'listening on [^,]*' "$tmp/receiver.err" | head -1 | sed 's/.*://')

echo "| run | gate | client CPU, % of one core | client ms per tick | X server, % of one core | frames sent | ticks unchanged | dropped |"
echo "|---|---|---|---|---|---|---|---|"
for run in $(seq "$runs"); do
  for gate in on off; do
    no_damage=0; [ "$gate" = off ] && no_damage=1
    x0=$(cpu_ticks "$xvfb")
    SCREENREEL_NO_DAMAGE=$no_damage /usr/bin/time -f '%U %S' -o "$tmp/time" \
      "$bin/screenreel-capture" --display ":$num" --fps "$fps" --duration "$seconds" \
      --connect "127.0.0.1:$port" --name "damage-$gate-$run" --quiet >"$tmp/out" 2>"$tmp/err"
    x1=$(cpu_ticks "$xvfb")
    read -r user sys < <(tail -1 "$tmp/time")
    summary=$(grep -m1 'frames sent' "$tmp/out")
    read -r sent ticks unchanged dropped < <(echo "$summary" | sed -E \
      's/.*: ([0-9]+) frames sent.* of ([0-9]+) ticks \(([0-9]+) unchanged, ([0-9]+) dropped\).*/\1 \2 \3 \4/')
    cpu=$(echo "($user + $sys) * 100 / $seconds" | bc -l)
    per_tick=$(echo "($user + $sys) * 1000 / $ticks" | bc -l)
    xcpu=$(echo "($x1 - $x0) * 100 / $hz / $seconds" | bc -l)
    printf '| %d | %s | %.1f | %.2f | %.1f | %d | %d | %d |\n' "$run" "$gate" "$cpu" "$per_tick" "$xcpu" \
      "$sent" "$unchanged" "$dropped"
    echo "$gate $cpu $per_tick $xcpu" >>"$tmp/rows"
  done
done
median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
for gate in on off; do
  c=$(awk -v g="$gate" '$1 == g {print $2}' "$tmp/rows" | median)
  t=$(awk -v g="$gate" '$1 == g {print $3}' "$tmp/rows" | median)
  x=$(awk -v g="$gate" '$1 == g {print $4}' "$tmp/rows" | median)
  printf 'median, gate %s: client %.1f%% of a core, %.2f ms a tick; X server %.1f%%\n' "$gate" "$c" "$t" "$x"
done

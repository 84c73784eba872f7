#!/usr/bin/env bash
# Reproducible scenes on an X display, for the shaped-link tests (tests/net/) and benchmarks
# (scripts/bench-network.sh): the same pixels-per-second on every run and machine.
#
#   DISPLAY=:N scene.sh KIND
#     terminal  a full-screen xterm whose text scrolls at a steady rate (3 lines every 1/30 s,
#               the same lines every run): a build log or `tail -f` of a busy service
#     desktop   a 120x40 xterm scrolling the same text at a third of that rate, an xclock
#               ticking each second, and a 640x360 moving picture (ffplay testsrc2, 30 fps)
#     video     a full-screen moving picture (ffplay testsrc2 at the screen's size, 30 fps; on
#               2 cores ffplay draws about 18 a second, taking 1.4 cores)
#     picture   a full-screen moving picture drawn 30 times a second, everywhere different from
#               the last, for a fifth of a core (screenreel-moving-picture, a test program:
#               $SCREENREEL_MOVING_PICTURE, else the build directory's)
#
# Runs until it gets SIGTERM or SIGINT, then ends what it started; what it started also ends
# if this script is killed (parent-death signal), so a test that fails leaves nothing running.
# Prints "scene ready" on stderr once the windows are up. Needs xterm, x11-apps (xclock),
# ffmpeg (ffplay), xdotool, fonts-dejavu-core, util-linux (setpriv), perl.
set -euo pipefail
kind=${1:?usage: DISPLAY=:N scene.sh terminal|desktop|video|picture}
[ -n "${DISPLAY:-}" ] || { echo "scene: DISPLAY is not set" >&2; exit 2; }
read -r w h < <(xdotool getdisplaygeometry)

pids=()
stop() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  exit "${1:-0}"
}
trap 'stop 0' TERM INT

start() {  # PROGRAM ARGS...: in the background, ended by the kernel if this script dies
  setpriv --pdeathsig KILL -- "$@" </dev/null >/dev/null 2>&1 &
  pids+=($!)
}

# LINES lines every 1/30 s: the same pseudo build log every run (fixed seed), lines of varied
# length as a real log has.
scroller() {
  local lines=$1
  printf '%s' "perl -e '
    srand(19); \$| = 1;
    my @w = qw(compiling linking object archive capture receiver frame_codec catalog wire
               src/ include/ -O2 -Wall -fPIC std=c++20 warning: note: [ok] 0x7f3a screenreel);
    for (my \$n = 1; ; \$n++) {
      for (1 .. $lines) {
        my \$k = 2 + int(rand(14));
        printf(\"%06d %3d%% %s\n\", \$n, \$n % 101, join(\" \", map { \$w[int(rand(@w))] } 1 .. \$k));
      }
      select(undef, undef, undef, 1 / 30);
    }'"
}

case $kind in
  terminal)
    # 9-point DejaVu Sans Mono: about 6 x 14 pixels a character cell.
    start xterm -geometry "$((w / 6))x$((h / 14))+0+0" -fa Monospace -fs 9 -e bash -c "$(scroller 3)" ;;
  desktop)
    start xterm -geometry 120x40+20+20 -fa Monospace -fs 9 -e bash -c "$(scroller 1)"
    start xclock -update 1 -geometry 160x160+$((w - 200))+20
    start ffplay -loglevel quiet -noborder -x 640 -y 360 -left $((w - 680)) -top $((h - 420)) \
      -f lavfi "testsrc2=size=640x360:rate=30" ;;
  video)
    start ffplay -loglevel quiet -noborder -x "$w" -y "$h" -left 0 -top 0 \
      -f lavfi "testsrc2=size=${w}x${h}:rate=30" ;;
  picture)
    picture=${SCREENREEL_MOVING_PICTURE:-$(dirname "$0")/../../build/bin/screenreel-moving-picture}
    [ -x "$picture" ] || { echo "scene: $picture missing (ninja -C build screenreel-moving-picture)" >&2; exit 2; }
    start "$picture" 30 ;;
  *) echo "scene: unknown kind '$kind' (terminal, desktop, video, picture)" >&2; exit 2 ;;
esac

# Up once every program has mapped a window (xdotool finds it by pid) or has exited.
for _ in $(seq 100); do
  up=0
  for p in "${pids[@]}"; do
    if ! kill -0 "$p" 2>/dev/null; then echo "scene: a program of the $kind scene exited" >&2; stop 1; fi
    xdotool search --onlyvisible --pid "$p" >/dev/null 2>&1 && up=$((up + 1))
  done
  [ "$up" -lt "${#pids[@]}" ] || break
  sleep 0.1
done
echo "scene ready" >&2
while :; do sleep 1 & wait $! || true; done

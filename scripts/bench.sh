#!/usr/bin/env bash
# End-to-end benchmark of the recording path against ffmpeg, on private 1920x1080 Xvfb screens.
#
# For each scene (../shared/bench/scene.sh: terminal, video; tests/support/scene.sh: desktop, and
# buildlog, its denser scrolling terminal), one after the other in one run:
#   screenreel, window on      capture + receiver; the receiver's window is on a second Xvfb, so
#                              it is not part of the captured screen
#   screenreel, --no-display   capture + receiver without the window
#   ffmpeg x11grab             ffmpeg -f x11grab -framerate FPS -video_size 1920x1080 -i :N
#                              -q:v 3 frame_%06d.jpg, for the same time at the same fps
# then, on the video scene, a throttled run: the receiver's archive on a "disk" (LD_PRELOAD shim,
# tests/bench/slow_disk.c) that takes a tenth of the bytes per second the stream needs, to show
# that the receiver's memory stays bounded and the client drops ticks instead.
# Prints markdown tables on stdout (and into FILE with --out FILE). Not run by CI.
# Runs over a shaped network link (issue 19) are scripts/bench-network.sh's.
# One script of about 680 lines on purpose: each run's measurements and the table rows they feed
# are read together; the helpers the bench scripts share are in bench-lib.sh.
#
#   scripts/bench.sh [--out FILE] [--render DIR]   (--render: print the tables of an earlier
#                                                   run's BENCH_WORK folder again, run nothing)
#   BENCH_SECONDS=20             length of each run
#   BENCH_FPS_TERMINAL=30        capture rate on the terminal scene
#   BENCH_FPS_VIDEO=60           capture rate on the video scene
#   BENCH_SCENES="terminal video"  (also: desktop, buildlog)
#   BENCH_REPEAT=1               runs of everything; with more, each cell is the median
#   BENCH_THROTTLE=1             0: skip the throttled-disk run (made once, in the last repeat)
#   BENCH_MAX_FPS=0              N > 0: also a headless screenreel run at --fps N (its ceiling)
#   BENCH_EVERY_FRAME=1          on the video scene, also screenreel with the client's
#                                --every-frame (window on, then headless): a JPEG file for every
#                                tick, as ffmpeg writes (an unchanged tick is a hard link)
#   BENCH_OCR=0                  1: on the terminal scene, also a headless run with the receiver's
#                                --ocr, right after the one without (CPU, drops, index lag)
#   BENCH_CHAIN=0                1: on each scene, also a headless run with the receiver's
#                                tamper-evidence chain off (SCREENREEL_BENCH_NO_CHAIN=1, a
#                                benchmark hook), right after the headless one: CPU per frame
#                                with and without the chain (issue 18: under 3% more).
#                                "only": just those two runs a scene (no window, ffmpeg, every-
#                                frame or throttled run): BENCH_CHAIN=only BENCH_REPEAT=3
#                                BENCH_SECONDS=15 BENCH_SCENES=terminal takes about 2 minutes
#   BENCH_WIRE=0                 only: on each scene only two headless runs, --wire lossless and
#                                the default (--wire auto), alternating: CPU per recorded frame
#                                of each on loopback (issue 19: auto no worse than lossless by
#                                more than the run-to-run spread)
#   BENCH_PAUSED=0               1: only an idle paused session a scene (default scene:
#                                terminal): capture + receiver (--no-display) record for
#                                BENCH_PAUSE_AFTER=3 s, then SIGUSR2 pauses the capture and their
#                                CPU is read over BENCH_SECONDS while paused (issue 16: under 1%
#                                of a core). BENCH_PAUSED=1 BENCH_SECONDS=20 takes under a minute
#   BENCH_BUILD_DIR=build-bench  where to build (RelWithDebInfo); BENCH_NO_BUILD=1 uses it as is
#   BENCH_WORK=DIR               where runs write (default: a new folder under /tmp); logs stay
#   BENCH_KEEP=1                 keep the recorded frames too
#   BENCH_LABEL=TEXT             what was measured, for the header (default: the git commit)
#   BENCH_SCENE_SH=FILE          the scene script (default ../shared/bench/scene.sh)
#   BENCH_JOBS=2                 ninja -j for the build
# Needs: xvfb xterm ffmpeg sqlite3 time (Debian packages). $DISPLAY is neither needed nor used.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

out_file=""
render_only=""
while [ $# -gt 0 ]; do
  case $1 in
    --out) out_file=${2:?--out needs a file}; shift 2 ;;
    --render) render_only=${2:?--render needs a folder}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
done

seconds=${BENCH_SECONDS:-20}
fps_terminal=${BENCH_FPS_TERMINAL:-30}
fps_video=${BENCH_FPS_VIDEO:-60}
paused=${BENCH_PAUSED:-0}
pause_after=${BENCH_PAUSE_AFTER:-3}
if [ "$paused" = 1 ]; then scenes=${BENCH_SCENES:-terminal}; else scenes=${BENCH_SCENES:-terminal video}; fi
repeat=${BENCH_REPEAT:-1}
throttle=${BENCH_THROTTLE:-1}
max_fps=${BENCH_MAX_FPS:-0}
chain=${BENCH_CHAIN:-0}
wire=${BENCH_WIRE:-0}
build=${BENCH_BUILD_DIR:-$root/build-bench}
scene_sh=${BENCH_SCENE_SH:-$root/../shared/bench/scene.sh}
geom=1920x1080
raw_frame_bytes=$((1920 * 1080 * 4))
warmup_us=1000000  # latency "after 1 s": frames captured at least this long after the first
unset DISPLAY      # every process gets its display explicitly

bin=$build/bin
shim=$build/lib/slow_disk.so
if [ -n "$render_only" ]; then
  BENCH_WORK=$render_only
else
  for tool in Xvfb xterm ffmpeg ffplay sqlite3 /usr/bin/time; do
    command -v "$tool" >/dev/null ||
      { echo "bench: $tool not found (apt-get install xvfb xterm ffmpeg sqlite3 time)" >&2; exit 1; }
  done
  [ -f "$scene_sh" ] || { echo "bench: no scene script at $scene_sh (set BENCH_SCENE_SH)" >&2; exit 1; }
  if [ -z "${BENCH_NO_BUILD:-}" ]; then
    echo "bench: building into $build" >&2
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    ninja -C "$build" -j "${BENCH_JOBS:-2}" screenreel-capture screenreel-receiver slow_disk >&2
  fi
  for f in "$bin/screenreel-capture" "$bin/screenreel-receiver" "$shim"; do
    [ -e "$f" ] || { echo "bench: $f missing (build it, or unset BENCH_NO_BUILD)" >&2; exit 1; }
  done
fi

# What was measured: the commit, and whether the programs' sources differed from it.
version="commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if ! git -C "$root" diff --quiet HEAD -- archive capture receiver 2>/dev/null; then
  version+=" + uncommitted changes in archive/ capture/ receiver/"
fi
version=${BENCH_LABEL:-$version}

work=${BENCH_WORK:-$(mktemp -d /tmp/screenreel-bench.XXXXXX)}
mkdir -p "$work"
results=$work/results.tsv
if [ -n "$render_only" ]; then
  # shellcheck source=/dev/null
  . "$work/settings"
else
  run_date=$(date -u +%Y-%m-%dT%H:%MZ)
  declare -p seconds fps_terminal fps_video max_fps chain paused pause_after version run_date scenes >"$work/settings"
fi
echo "bench: writing runs under $work" >&2

# --- everything started here is stopped here, by pid -------------------------------------
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh   # pids=(), free_display (the working directory is the top of the tree)
bench_display() {  # a display number nobody uses (the tests take 150-199, the demo 90-98)
  free_display 120 149 || { echo "bench: no free X display between :120 and :149" >&2; return 1; }
}
gone() {  # exited (a zombie child of ours counts: wait reaps it)
  [ ! -e "/proc/$1" ] || [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" = Z ]
}
stop_pid() {  # a process we started, and the program under a /usr/bin/time wrapper we started
  local p=$1
  if ! gone "$p"; then
    pkill -TERM -P "$p" 2>/dev/null || true
    kill -TERM "$p" 2>/dev/null || true
    for _ in $(seq 50); do gone "$p" && break; sleep 0.1; done
    if ! gone "$p"; then
      pkill -KILL -P "$p" 2>/dev/null || true
      kill -KILL "$p" 2>/dev/null || true
    fi
  fi
  wait "$p" 2>/dev/null || true
}
forget() {  # a process already waited for: its pid may be reused, so never signal it again
  local i
  for i in "${!pids[@]}"; do [ "${pids[i]}" != "$1" ] || unset 'pids[i]'; done
  pids=("${pids[@]}")
}
cleanup() {
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do stop_pid "${pids[i]}"; done
  pids=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- helpers -------------------------------------------------------------------------------
hz=$(getconf CLK_TCK)
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }  # utime+stime, all threads
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
mb() { awk -v k="$1" 'BEGIN {printf "%.0f", k / 1024}'; }
calc() { awk "function max0(x) { return x < 0 ? 0 : x } BEGIN {printf \"$1\", $2}"; }  # calc FORMAT EXPR


start_xvfb() {  # NUM: a bare screen for the receiver's window
  Xvfb ":$1" -screen 0 "${geom}x24" -nolisten tcp >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$1" ] && break; sleep 0.1; done
  kill -0 "${pids[-1]}" 2>/dev/null
}

wait_for_log() {  # FILE PATTERN PID: until the pattern is in the file (or the process is gone)
  for _ in $(seq 100); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# Nearest-rank percentiles of numbers read one a line: prints "p50 p99", or "- -" for none.
percentiles() {
  sort -n | awk '{v[NR] = $1} END {
    if (NR == 0) { print "- -"; exit }
    i50 = int(NR * 0.50); if (i50 < NR * 0.50) i50++; if (i50 < 1) i50 = 1
    i99 = int(NR * 0.99); if (i99 < NR * 0.99) i99++; if (i99 < 1) i99 = 1
    printf "%.1f %.1f\n", v[i50], v[i99] }'
}
# latency DB SESSION COLUMN [WARMUP_US]: "p50 p99" of COLUMN - capture_us in ms
latency() {
  sqlite3 "$1" "SELECT ($3 - capture_us) / 1000.0 FROM frames WHERE session_id = $2 AND $3 IS NOT NULL
                AND capture_us >= (SELECT min(capture_us) FROM frames WHERE session_id = $2) + ${4:-0}" | percentiles
}

# Results: one row a run, tab-separated, columns named by the header (row NAME=VALUE ...).
columns=(scene run fps_asked fps_achieved grabs_per_s frames ticks dropped cpu_ms_frame cpu_a_ms cpu_b_ms cpu_core_pct
  x_core_pct wire_mb raw_pct raw_tick_pct disk_mb w50 w99 w99s d50 d99 d99s rss_a rss_b)
[ -s "$results" ] || (IFS=$'\t'; echo "${columns[*]}") >"$results"
row() {
  local -A v=()
  local kv c line=()
  for kv in "$@"; do v[${kv%%=*}]=${kv#*=}; done
  for c in "${columns[@]}"; do line+=("${v[$c]:--}"); done
  (IFS=$'\t'; echo "${line[*]}") >>"$results"
}

# --- one screenreel run --------------------------------------------------------------------
# run_screenreel SCENE NAME FPS WINDOW(0|1) [DISK_BYTES_PER_S [RECEIVER_ARGS...]]
# The client gets the options in the array capture_args too, the receiver the environment in
# receiver_env.
capture_args=()
receiver_env=()
run_screenreel() {
  local scene=$1 name=$2 fps=$3 window=$4 throttle_bps=${5:-}
  shift 5 2>/dev/null || shift $#
  local d=$work/$scene-$name-$rep
  rm -rf "$d"; mkdir -p "$d"
  local arch=$d/archive
  local renv=("${receiver_env[@]}") rargs=(--archive "$arch" --listen 127.0.0.1:0 "$@")
  if [ "$window" = 1 ]; then renv+=("DISPLAY=:$win_num"); else rargs+=(--no-display); fi
  if [ -n "$throttle_bps" ]; then
    mkdir -p "$arch"
    renv+=("LD_PRELOAD=$shim" "SCREENREEL_SLOW_DISK_DIR=$arch" "SCREENREEL_SLOW_DISK_BYTES_PER_S=$throttle_bps")
  fi
  # env execs the receiver: $! is the receiver itself, whose /proc we read before stopping it.
  env "${renv[@]}" "$bin/screenreel-receiver" "${rargs[@]}" </dev/null >"$d/receiver.out" 2>"$d/receiver.err" &
  local rpid=$!
  pids+=($rpid)
  wait_for_log "$d/receiver.err" "listening on" "$rpid" || { cat "$d/receiver.err" >&2; return 1; }
  local port
  port=$(grep -o 'listening on [^,]*' "$d/receiver.err" | head -1 | sed 's/.*://')

  local x0 xw0=0 t0
  x0=$(cpu_ticks "$scene_xvfb")
  if [ "$window" = 1 ]; then xw0=$(cpu_ticks "$win_xvfb"); fi
  # The client ends itself (--duration), so /usr/bin/time sees all of it.
  /usr/bin/time -f '%e %U %S %M' -o "$d/capture.time" \
    "$bin/screenreel-capture" --display ":$scene_num" --fps "$fps" --duration "$seconds" \
    --connect "127.0.0.1:$port" --name "bench-$scene-$name" --quiet "${capture_args[@]}" \
    >"$d/capture.out" 2>"$d/capture.err" &
  local cpid=$!
  pids+=($cpid)
  t0=$(date +%s.%N)
  local rss_max=0 rss_series="" next=5 r el
  while ! gone "$cpid"; do  # the receiver's memory while it records
    r=$(rss_kb "$rpid" 2>/dev/null || echo 0)
    [ "${r:-0}" -le "$rss_max" ] || rss_max=$r
    el=$(calc %d "$(date +%s.%N) - $t0")
    if [ "$el" -ge "$next" ]; then rss_series+="${rss_series:+, }${next} s: $(mb "$r") MB"; next=$((next + 5)); fi
    sleep 0.5
  done
  wait "$cpid" || echo "bench: capture exited with status $? ($scene $name; see $d/capture.err)" >&2
  forget "$cpid"
  # The client had the receiver's BYE: every frame is written and in the catalog. Read the
  # receiver's counters now, just before it is told to stop.
  local rticks rhwm x1 xw1=0
  rticks=$(cpu_ticks "$rpid")
  rhwm=$(hwm_kb "$rpid")
  x1=$(cpu_ticks "$scene_xvfb")
  if [ "$window" = 1 ]; then xw1=$(cpu_ticks "$win_xvfb"); fi
  local stop_t0
  stop_t0=$(date +%s.%N)
  kill -TERM "$rpid"
  wait "$rpid" || echo "bench: receiver exited with status $? (see $d/receiver.err)" >&2
  forget "$rpid"
  if [ "$name" = ocr ]; then
    # How far behind live the index ran: per pass, from the frame's capture to its text being
    # committed; and how many frames' changes a pass merged because OCR was still busy.
    local lag
    lag=$(sqlite3 "$arch/catalog.db" "SELECT (done_us - capture_us) / 1000.0 FROM ocr_passes" | percentiles)
    sqlite3 -separator ' ' "$arch/catalog.db" "
      SELECT 'passes', count(*), 'frames_per_pass', round(avg(frames), 1), 'max_frames', max(frames),
             'ocr_s', round(sum(ocr_us) / 1e6, 1), 'mpixels_per_pass', round(avg(pixels) / 1e6, 2),
             'lines', sum(lines), 'spans', (SELECT count(*) FROM text_spans) FROM ocr_passes" >"$work/ocr-$rep.txt"
    echo "lag_p50_p99_ms ${lag% *} ${lag#* } stop_s $(calc %.1f "$(date +%s.%N) - $stop_t0")" >>"$work/ocr-$rep.txt"
  fi

  local summary
  summary=$(grep -m1 'frames sent' "$d/capture.out" || true)
  [ -n "$summary" ] || { echo "bench: no capture summary ($d/capture.err):" >&2; cat "$d/capture.err" >&2; return 1; }
  # "N frames sent, X MB (Y% of raw) over S s: F ticks/s, ... of T ticks (U unchanged, D dropped); ..."
  local wire_mb raw_pct fps_ach ticks dropped
  read -r wire_mb raw_pct fps_ach ticks dropped < <(echo "$summary" | sed -E \
    's/.* frames sent, ([0-9.]+) MB \(([0-9.]+)% of raw\) over [0-9.]+ s: ([0-9.]+) ticks\/s, .* of ([0-9]+) ticks \([0-9]+ unchanged, ([0-9]+) dropped\).*/\1 \2 \3 \4 \5/')
  local cwall cuser csys cmaxrss
  read -r cwall cuser csys cmaxrss < <(tail -1 "$d/capture.time")

  local db=$arch/catalog.db sid folder frames disk_b w ws dl dls displayed
  IFS='|' read -r sid folder frames < <(sqlite3 "$db" "SELECT id, folder, frame_count FROM sessions ORDER BY id DESC LIMIT 1")
  disk_b=$(du -sb "$arch/sessions/$folder" | cut -f1)  # hard links (repeated frames) count once
  w=$(latency "$db" "$sid" written_us)
  ws=$(latency "$db" "$sid" written_us "$warmup_us")
  dl=$(latency "$db" "$sid" displayed_us)
  dls=$(latency "$db" "$sid" displayed_us "$warmup_us")
  displayed=$(sqlite3 "$db" "SELECT count(displayed_us) FROM frames WHERE session_id = $sid")

  local cpu_s x_s
  cpu_s=$(calc %.3f "$cuser + $csys + $rticks / $hz")
  x_s=$(calc %.3f "max0(($x1 - $x0 + $xw1 - $xw0) / $hz - $x_idle_per_s * $cwall)")
  row scene="$scene" run="$name" fps_asked="$fps" fps_achieved="$fps_ach" grabs_per_s="$fps_ach" \
    frames="$frames" ticks="$ticks" dropped="$dropped" \
    cpu_ms_frame="$(calc %.2f "$frames ? 1000 * $cpu_s / $frames : 0")" \
    cpu_a_ms="$(calc %.2f "$frames ? 1000 * ($cuser + $csys) / $frames : 0")" \
    cpu_b_ms="$(calc %.2f "$frames ? 1000 * $rticks / $hz / $frames : 0")" \
    cpu_core_pct="$(calc %.1f "100 * $cpu_s / $seconds")" \
    x_core_pct="$(calc %.1f "100 * $x_s / $cwall")" \
    wire_mb="$wire_mb" raw_pct="$raw_pct" \
    raw_tick_pct="$(calc %.2f "100 * $wire_mb * 1e6 / (($ticks - $dropped) * $raw_frame_bytes)")" \
    disk_mb="$(calc %.1f "$disk_b / 1e6")" \
    w50="${w% *}" w99="${w#* }" w99s="${ws#* }" d50="${dl% *}" d99="${dl#* }" d99s="${dls#* }" \
    rss_a="$(mb "$cmaxrss")" rss_b="$(mb "$rhwm")"
  echo "bench: $scene $name: $summary; displayed $displayed of $frames; CPU $cpu_s s; receiver VmHWM $(mb "$rhwm") MB" >&2
  if [ -n "$throttle_bps" ]; then
    {
      echo "disk: $throttle_bps bytes/s for the archive (the headless run needed $needed_bps)"
      echo "client: $summary"
      echo "frames recorded: $frames, $(calc %.1f "$disk_b / 1e6") MB on disk; capture -> written p50 / p99: ${w% *} / ${w#* } ms"
      echo "receiver VmHWM: $(mb "$rhwm") MB (sampled VmRSS max $(mb "$rss_max") MB; ${rss_series})"
      echo "client VmHWM: $(mb "$cmaxrss") MB; client ran $cwall s for a ${seconds} s recording (the rest: waiting for the slow disk to take what was in flight)"
    } >"$work/throttle-$rep.txt"
  fi
  [ -n "${BENCH_KEEP:-}" ] || rm -rf "$arch/sessions"
}

# --- an idle paused session ---------------------------------------------------------------
# run_paused SCENE FPS: capture + receiver (--no-display) record for pause_after seconds, then
# SIGUSR2 pauses the capture; one second later (the frames in flight are stored) their CPU is
# read from /proc over `seconds` of wall time. One line a run in paused.tsv: the CPU of each, %
# of a core, while recording (from 1 s after the start to the pause) and while paused, the
# frames captured while paused (0: nothing read), the pause rows, and the load average.
paused_tsv=$work/paused.tsv
run_paused() {
  local scene=$1 fps=$2
  local d=$work/$scene-paused-$rep
  rm -rf "$d"; mkdir -p "$d"
  local arch=$d/archive
  "$bin/screenreel-receiver" --archive "$arch" --listen 127.0.0.1:0 --no-display </dev/null \
    >"$d/receiver.out" 2>"$d/receiver.err" &
  local rpid=$!
  pids+=("$rpid")
  wait_for_log "$d/receiver.err" "listening on" "$rpid" || { cat "$d/receiver.err" >&2; return 1; }
  local port
  port=$(grep -o 'listening on [^,]*' "$d/receiver.err" | head -1 | sed 's/.*://')
  # Not --quiet: its "paused" line says when the pause took hold.
  "$bin/screenreel-capture" --display ":$scene_num" --fps "$fps" --connect "127.0.0.1:$port" \
    --name "bench-$scene-paused" </dev/null >"$d/capture.out" 2>"$d/capture.err" &
  local cpid=$!
  pids+=("$cpid")
  wait_for_log "$d/capture.err" "recording session" "$cpid" || { cat "$d/capture.err" >&2; return 1; }
  sleep 1
  local c0 r0 t0 c1 r1 t1 p0 p1 pc0 pr0 pc1 pr1 load
  c0=$(cpu_ticks "$cpid"); r0=$(cpu_ticks "$rpid"); t0=$(date +%s.%N)
  sleep "$((pause_after > 1 ? pause_after - 1 : 1))"
  c1=$(cpu_ticks "$cpid"); r1=$(cpu_ticks "$rpid"); t1=$(date +%s.%N)
  kill -USR2 "$cpid"
  wait_for_log "$d/capture.err" "paused (SIGUSR2)" "$cpid" || { cat "$d/capture.err" >&2; return 1; }
  sleep 1
  pc0=$(cpu_ticks "$cpid"); pr0=$(cpu_ticks "$rpid"); p0=$(date +%s.%N)
  sleep "$seconds"
  pc1=$(cpu_ticks "$cpid"); pr1=$(cpu_ticks "$rpid"); p1=$(date +%s.%N)
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  kill -INT "$cpid"
  wait "$cpid" || echo "bench: capture exited with status $? ($scene paused; see $d/capture.err)" >&2
  forget "$cpid"
  kill -TERM "$rpid"
  wait "$rpid" || echo "bench: receiver exited with status $? (see $d/receiver.err)" >&2
  forget "$rpid"
  local db=$arch/catalog.db in_pause rows summary
  rows=$(sqlite3 "$db" "SELECT count(*) FROM pauses")
  in_pause=$(sqlite3 "$db" "SELECT count(*) FROM frames f JOIN pauses p ON p.session_id = f.session_id
                           WHERE f.tick >= p.from_tick AND (p.to_tick IS NULL OR f.tick < p.to_tick)")
  summary=$(grep -m1 'frames sent' "$d/capture.out" || true)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scene" "$rep" "$(calc %.1f "$p1 - $p0")" \
    "$(calc %.2f "100 * ($c1 - $c0) / $hz / ($t1 - $t0)")" "$(calc %.2f "100 * ($r1 - $r0) / $hz / ($t1 - $t0)")" \
    "$(calc %.2f "100 * ($pc1 - $pc0) / $hz / ($p1 - $p0)")" "$(calc %.2f "100 * ($pr1 - $pr0) / $hz / ($p1 - $p0)")" \
    "$in_pause" "$rows" "$load" >>"$paused_tsv"
  echo "bench: $scene paused: $(tail -1 "$paused_tsv" | cut -f6,7 | tr '\t' ' ') % of a core (capture receiver) over $(calc %.1f "$p1 - $p0") s paused; $summary" >&2
  [ -n "${BENCH_KEEP:-}" ] || rm -rf "$arch/sessions"
}

# --- one ffmpeg run ------------------------------------------------------------------------
run_ffmpeg() {  # SCENE FPS
  local scene=$1 fps=$2
  local d=$work/$scene-ffmpeg-$rep
  rm -rf "$d"; mkdir -p "$d/out"
  local x0 x1
  x0=$(cpu_ticks "$scene_xvfb")
  /usr/bin/time -f '%e %U %S %M' -o "$d/ffmpeg.time" \
    ffmpeg -nostdin -hide_banner -loglevel error -progress "$d/progress.txt" \
    -f x11grab -framerate "$fps" -video_size "$geom" -i ":$scene_num" -q:v 3 -t "$seconds" \
    "$d/out/frame_%06d.jpg" >"$d/ffmpeg.out" 2>"$d/ffmpeg.err" &
  local fpid=$!
  pids+=($fpid)
  wait "$fpid" || echo "bench: ffmpeg exited with status $? (see $d/ffmpeg.err)" >&2
  forget "$fpid"
  x1=$(cpu_ticks "$scene_xvfb")
  local fwall fuser fsys fmaxrss frames disk_b dup drop cpu_s x_s
  read -r fwall fuser fsys fmaxrss < <(tail -1 "$d/ffmpeg.time")
  frames=$(find "$d/out" -name 'frame_*.jpg' | wc -l)
  disk_b=$(du -sb "$d/out" | cut -f1)
  # image2 output is constant-rate: when a grab comes late, ffmpeg fills the gap with copies of
  # the last grab (encoded again, written again). Files minus copies = grabs it really made.
  dup=$(grep '^dup_frames=' "$d/progress.txt" | tail -1 | cut -d= -f2)
  drop=$(grep '^drop_frames=' "$d/progress.txt" | tail -1 | cut -d= -f2)
  cpu_s=$(calc %.3f "$fuser + $fsys")
  x_s=$(calc %.3f "max0(($x1 - $x0) / $hz - $x_idle_per_s * $fwall)")
  row scene="$scene" run=ffmpeg fps_asked="$fps" fps_achieved="$(calc %.2f "$frames / $seconds")" \
    grabs_per_s="$(calc %.2f "max0($frames - ${dup:-0} + ${drop:-0}) / $seconds")" \
    frames="$frames" ticks="$((seconds * fps))" dropped="${dup:-0}" \
    cpu_ms_frame="$(calc %.2f "$frames ? 1000 * $cpu_s / $frames : 0")" \
    cpu_core_pct="$(calc %.1f "100 * $cpu_s / $seconds")" \
    x_core_pct="$(calc %.1f "100 * $x_s / $fwall")" \
    disk_mb="$(calc %.1f "$disk_b / 1e6")" rss_a="$(mb "$fmaxrss")"
  echo "bench: $scene ffmpeg: $frames files in $seconds s (wall $fwall s; ${dup:-0} duplicated, ${drop:-0} dropped), CPU $cpu_s s" >&2
  [ -n "${BENCH_KEEP:-}" ] || rm -rf "$d/out"
}

# --- the runs --------------------------------------------------------------------------------
needed_bps=""
[ -z "$render_only" ] || repeat=$(awk -F'\t' 'NR > 1 {n[$1 SUBSEP $2]++} END {m = 0; for (k in n) if (n[k] > m) m = n[k]; print m}' "$results")
for ((rep = 1; rep <= repeat; rep++)); do
  [ -z "$render_only" ] || break
  for scene in $scenes; do
    case $scene in
      video) fps=$fps_video ;;
      *) fps=$fps_terminal ;;
    esac
    scene_num=$(bench_display)
    case $scene in
      desktop|buildlog)  # tests/support/scene.sh's scenes, on a screen of our own
        start_xvfb "$scene_num" || { echo "bench: Xvfb :$scene_num did not start" >&2; exit 1; }
        scene_xvfb=${pids[-1]}
        DISPLAY=:$scene_num bash "$root/tests/support/scene.sh" "${scene/buildlog/terminal}" \
          2>"$work/scene-$scene.log" &
        pids+=($!)
        wait_for_log "$work/scene-$scene.log" "scene ready" "${pids[-1]}" ||
          { echo "bench: scene $scene did not start (see $work/scene-$scene.log)" >&2; exit 1; } ;;
      *)
        mapfile -t scene_pids < <(GEOM=$geom bash "$scene_sh" "$scene_num" "$scene")
        pids+=("${scene_pids[@]}")
        scene_xvfb=${scene_pids[0]} ;;
    esac
    kill -0 "$scene_xvfb" 2>/dev/null && [ -e "/tmp/.X11-unix/X$scene_num" ] ||
      { echo "bench: the scene's Xvfb :$scene_num did not start" >&2; exit 1; }
    win_num=$(bench_display)
    start_xvfb "$win_num" || { echo "bench: Xvfb :$win_num (receiver window) did not start" >&2; exit 1; }
    win_xvfb=${pids[-1]}
    # What the screen's X server spends on the scene alone, to tell the grabs' share apart.
    sleep 2
    xi0=$(cpu_ticks "$scene_xvfb"); sleep 5; xi1=$(cpu_ticks "$scene_xvfb")
    x_idle_per_s=$(calc %.4f "($xi1 - $xi0) / $hz / 5")
    echo "bench: [$rep/$repeat] scene $scene on :$scene_num at $fps fps, receiver window on :$win_num;" \
      "the scene alone costs its X server $(calc %.1f "100 * $x_idle_per_s")% of a core" >&2

    if [ "$paused" = 1 ]; then  # the paused session alone
      run_paused "$scene" "$fps"
      cleanup
      continue
    fi
    if [ "$wire" = only ]; then
      # --wire lossless against the default (auto), alternating which goes first.
      if [ $((rep % 2)) = 1 ]; then run_screenreel "$scene" headless "$fps" 0; fi
      capture_args=(--wire lossless); run_screenreel "$scene" lossless "$fps" 0; capture_args=()
      if [ $((rep % 2)) = 0 ]; then run_screenreel "$scene" headless "$fps" 0; fi
      cleanup
      continue
    fi
    if [ "$chain" = only ]; then
      # The chain's cost alone: with and without, one after the other, in the order of the
      # repeat (odd repeats with first), so neither always comes first on a drifting machine.
      if [ $((rep % 2)) = 1 ]; then run_screenreel "$scene" headless "$fps" 0; fi
      receiver_env=(SCREENREEL_BENCH_NO_CHAIN=1); run_screenreel "$scene" nochain "$fps" 0; receiver_env=()
      if [ $((rep % 2)) = 0 ]; then run_screenreel "$scene" headless "$fps" 0; fi
      cleanup
      continue
    fi
    run_screenreel "$scene" window "$fps" 1
    run_screenreel "$scene" headless "$fps" 0
    if [ "$chain" = 1 ]; then
      receiver_env=(SCREENREEL_BENCH_NO_CHAIN=1); run_screenreel "$scene" nochain "$fps" 0; receiver_env=()
    fi
    if [ "$scene" = terminal ] && [ "${BENCH_OCR:-0}" = 1 ]; then run_screenreel "$scene" ocr "$fps" 0 "" --ocr; fi
    run_ffmpeg "$scene" "$fps"
    if [ "$scene" = video ] && [ "${BENCH_EVERY_FRAME:-1}" = 1 ]; then
      capture_args=(--every-frame)
      run_screenreel "$scene" every "$fps" 1
      run_screenreel "$scene" every-headless "$fps" 0
      capture_args=()
    fi
    if [ "$max_fps" -gt 0 ]; then run_screenreel "$scene" ceiling "$max_fps" 0; fi
    if [ "$scene" = video ] && [ "$throttle" = 1 ] && [ "$rep" = "$repeat" ]; then
      # What the stream needs: JPEG bytes per second of this scene's headless run.
      needed_bps=$(awk -F'\t' -v s="$scene" -v r="$rep" -v t="$seconds" '
        NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        $c["scene"] == s && $c["run"] == "headless" { b = $c["disk_mb"] * 1e6 / t } END { printf "%.0f", b }' "$results")
      echo "bench: throttled run: the stream needs $needed_bps bytes/s; the disk gives a tenth" >&2
      run_screenreel "$scene" throttled "$fps" 1 "$((needed_bps / 10))"
    fi
    cleanup
  done
done

# --- the tables ----------------------------------------------------------------------------
# One row per (scene, run), each numeric cell the median over the repeats.
medians() {
  awk -F'\t' -v OFS='\t' '
    NR == 1 { ncol = NF; print; next }
    { key = $1 SUBSEP $2; if (!(key in n)) order[++keys] = key; k = ++n[key]
      for (i = 1; i <= NF; i++) v[key, i, k] = $i }
    END {
      for (o = 1; o <= keys; o++) {
        key = order[o]; m = n[key]; line = ""
        for (i = 1; i <= ncol; i++) {
          if (i <= 3 || v[key, i, 1] == "-") x = v[key, i, 1]
          else {
            for (a = 1; a <= m; a++) s[a] = v[key, i, a] + 0
            for (a = 2; a <= m; a++) { t = s[a]; b = a - 1; while (b >= 1 && s[b] > t) { s[b + 1] = s[b]; b-- } s[b + 1] = t }
            x = (m % 2) ? s[(m + 1) / 2] : (s[m / 2] + s[m / 2 + 1]) / 2
          }
          line = line (i > 1 ? OFS : "") x
        }
        print line
      }
    }' "$results"
}

label() {
  case $1 in
    window) echo "screenreel, window on" ;;
    headless) echo "screenreel, --no-display" ;;
    nochain) echo "screenreel, --no-display, chain off (SCREENREEL_BENCH_NO_CHAIN=1)" ;;
    lossless) echo "screenreel, --no-display, --wire lossless" ;;
    ocr) echo "screenreel, --no-display --ocr" ;;
    ceiling) echo "screenreel, --no-display, --fps $max_fps" ;;
    every) echo "screenreel --every-frame, window on" ;;
    every-headless) echo "screenreel --every-frame, --no-display" ;;
    throttled) echo "screenreel, window on, disk at 1/10" ;;
    ffmpeg) echo "ffmpeg x11grab -q:v 3" ;;
    *) echo "$1" ;;
  esac
}

# get SCENE RUN COLUMN: a cell of the median table ("" when that run was not made)
get() {
  medians | awk -F'\t' -v s="$1" -v r="$2" -v col="$3" '
    NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    $1 == s && $2 == r { print $c[col] }'
}

# check VALUE OP LIMIT: "met" or "missed", for numbers (empty or "-": "not measured")
check() {
  case $1 in "" | "-") echo "not measured"; return ;; esac
  awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN { ok = (op == "<=") ? v <= l : v >= l; print ok ? "met" : "missed" }'
}

# The issue's targets (issue 4), each with what this run measured.
targets() {
  local vw vh vf tw th rw v dw
  echo
  echo "| target (issue 4) | measured | |"
  echo "|---|---|---|"
  vw=$(get video window cpu_ms_frame); vh=$(get video headless cpu_ms_frame); vf=$(get video ffmpeg cpu_ms_frame)
  if [ -n "$vf" ]; then
    v=$(get video window dropped); dw=$(get video headless dropped)
    echo "| video, ${fps_video} fps: no dropped ticks | window on: $v of $(get video window ticks); headless: $dw of $(get video headless ticks) | $([ "$v" = 0 ] && [ "$dw" = 0 ] && echo met || echo missed) |"
    v=$(calc %.2f "$vw / $vf"); echo "| video: CPU per recorded frame ≤ 0.5× ffmpeg's, window on | $vw / $vf ms = ${v}× | $(check "$v" "<=" 0.5) |"
    v=$(calc %.2f "$vh / $vf"); echo "| video: CPU per recorded frame ≤ 0.4× ffmpeg's, headless | $vh / $vf ms = ${v}× | $(check "$v" "<=" 0.4) |"
    # A copy costs ffmpeg an encode but no grab and no colour conversion: a run that is mostly
    # copies makes its CPU per file look low. Its runs that really grabbed, for comparison.
    local fg
    fg=$(awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
      $1 == "video" && $2 == "ffmpeg" && $c["dropped"] < 0.1 * $c["ticks"] { v[++n] = $c["cpu_ms_frame"] }
      END { if (!n) exit; for (a = 2; a <= n; a++) { t = v[a]; b = a - 1; while (b >= 1 && v[b] > t) { v[b + 1] = v[b]; b-- } v[b + 1] = t }
            printf "%s %d", (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2, n }' "$results")
    if [ -n "$fg" ]; then
      echo "| same, against ffmpeg's runs with < 10% copies (${fg#* } of them: ${fg% *} ms per file) | window on: $(calc %.2f "$vw / ${fg% *}")×; headless: $(calc %.2f "$vh / ${fg% *}")× | window on: $(check "$(calc %.2f "$vw / ${fg% *}")" "<=" 0.5); headless: $(check "$(calc %.2f "$vh / ${fg% *}")" "<=" 0.4) |"
    else
      echo "| same, against ffmpeg's runs with < 10% copies | none of its runs kept up | |"
    fi
    local ew eh
    ew=$(get video every cpu_ms_frame); eh=$(get video every-headless cpu_ms_frame)
    if [ -n "$ew" ]; then
      echo "| same, per JPEG file: screenreel with --every-frame (a file every tick, as ffmpeg) | window on: $ew / $vf ms = $(calc %.2f "$ew / $vf")×; headless: $eh / $vf ms = $(calc %.2f "$eh / $vf")× | window on: $(check "$(calc %.2f "$ew / $vf")" "<=" 0.5); headless: $(check "$(calc %.2f "$eh / $vf")" "<=" 0.4) |"
    fi
    echo "| (for reference) CPU per second of recording, against ffmpeg's (median) | window on: $(calc %.2f "$(get video window cpu_core_pct) / $(get video ffmpeg cpu_core_pct)")×; headless: $(calc %.2f "$(get video headless cpu_core_pct) / $(get video ffmpeg cpu_core_pct)")× | |"
  fi
  tw=$(get terminal window cpu_core_pct); th=$(get terminal headless cpu_core_pct)
  if [ -n "$th" ]; then
    echo "| terminal, ${fps_terminal} fps: CPU of both processes ≤ 15% of a core | window on: $tw%; headless: $th% | window on: $(check "$tw" "<=" 15); headless: $(check "$th" "<=" 15) |"
    v=$(get terminal headless raw_pct); echo "| terminal: wire bytes ≤ 2% of raw BGRA | $v% (window-on run: $(get terminal window raw_pct)%) | $(check "$v" "<=" 2) |"
  fi
  if [ -n "$vf" ]; then
    v=$(get video window d50); dw=$(get video window d99)
    echo "| video, ${fps_video} fps: capture→displayed p50 ≤ 15 ms | $v ms | $(check "$v" "<=" 15) |"
    echo "| video, ${fps_video} fps: capture→displayed p99 ≤ 40 ms | $dw ms (after the first second: $(get video window d99s) ms) | $(check "$dw" "<=" 40) |"
  fi
  local sc py_fps py_ms run fps_run ms
  for sc in terminal video; do
    [ "$sc" = terminal ] && { py_fps=9.4; py_ms=144; } || { py_fps=11.3; py_ms=86; }
    run=headless; [ -n "$(get "$sc" ceiling fps_achieved)" ] && run=ceiling
    fps_run=$(get "$sc" "$run" fps_achieved)
    [ -n "$fps_run" ] || continue
    v=$(calc %.1f "$fps_run / $py_fps")
    echo "| $sc: ≥ 6× the Python design's $py_fps fps | $fps_run ticks/s ($(label "$run")) = ${v}× | $(check "$v" ">=" 6) |"
    ms=$(get "$sc" window cpu_ms_frame)
    echo "| $sc: ≤ 1/8 of its $py_ms ms CPU per frame ($(calc %.1f "$py_ms / 8") ms) | window on: $ms ms; headless: $(get "$sc" headless cpu_ms_frame) ms | window on: $(check "$ms" "<=" "$(calc %.2f "$py_ms / 8")"); headless: $(check "$(get "$sc" headless cpu_ms_frame)" "<=" "$(calc %.2f "$py_ms / 8")") |"
  done
  rw=$(get video throttled rss_b)
  [ -z "$rw" ] || echo "| receiver RSS ≤ 300 MB with the disk at a tenth of what the stream needs | VmHWM $rw MB; the client dropped $(get video throttled dropped) of $(get video throttled ticks) ticks | $(check "$rw" "<=" 300) |"
}

# Issue 19: CPU per recorded frame with --wire auto (the default) against lossless (BENCH_WIRE).
wire_cost() {
  local sc a l header=""
  for sc in $scenes; do
    l=$(get "$sc" lossless cpu_ms_frame)
    [ -n "$l" ] || continue
    a=$(get "$sc" headless cpu_ms_frame)
    if [ -z "$header" ]; then
      header=1
      echo
      echo "| scene (headless, loopback) | CPU ms per recorded frame, --wire lossless / auto (capture + receiver) | auto against lossless | capture alone, lossless / auto | ticks dropped, lossless / auto |"
      echo "|---|---|---|---|---|"
    fi
    echo "| $sc | $l / $a | $(calc %+.1f "100 * ($a / $l - 1)")% | $(get "$sc" lossless cpu_a_ms) / $(get "$sc" headless cpu_a_ms) ms | $(get "$sc" lossless dropped) / $(get "$sc" headless dropped) of $(get "$sc" headless ticks) |"
  done
}

# Issue 18: CPU per recorded frame with the tamper-evidence chain against without (BENCH_CHAIN).
chain_cost() {
  local sc w o rw ro header=""
  for sc in $scenes; do
    o=$(get "$sc" nochain cpu_ms_frame)
    [ -n "$o" ] || continue
    w=$(get "$sc" headless cpu_ms_frame); rw=$(get "$sc" headless cpu_b_ms); ro=$(get "$sc" nochain cpu_b_ms)
    if [ -z "$header" ]; then
      header=1
      echo
      echo "| scene (headless) | CPU ms per recorded frame, chain off / on (capture + receiver) | more with the chain (target: under 3%) | receiver alone, off / on | ticks dropped, off / on |"
      echo "|---|---|---|---|---|"
    fi
    echo "| $sc | $o / $w | $(calc %+.1f "100 * ($w / $o - 1)")% ($(check "$(calc %.2f "100 * ($w / $o - 1)")" "<=" 3)) | $ro / $rw ms ($(calc %+.1f "100 * ($rw / $ro - 1)")%) | $(get "$sc" nochain dropped) / $(get "$sc" headless dropped) of $(get "$sc" headless ticks) |"
  done
}

# Issue 16: an idle paused session (BENCH_PAUSED=1), one row a run.
paused_cost() {
  [ -s "$paused_tsv" ] || return 0
  echo
  echo "| scene | run | recording: capture + receiver, % of a core | paused: capture + receiver, % of a core (target: under 1%) | s paused | frames stored while paused | pause rows | load average (1, 5, 15 min) |"
  echo "|---|---|---|---|---|---|---|---|"
  local scene rep secs ra rb pa pb in_pause rows load
  while IFS=$'\t' read -r scene rep secs ra rb pa pb in_pause rows load; do
    echo "| $scene | $rep | $ra + $rb = $(calc %.2f "$ra + $rb") | $pa + $pb = $(calc %.2f "$pa + $pb") ($(check "$(calc %.2f "$pa + $pb")" "<=" 1)) | $secs | $in_pause | $rows | $load |"
  done <"$paused_tsv"
}

render() {
  echo "screenreel benchmark, ${run_date:-}: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')), ${geom} Xvfb, ${seconds} s a run$([ "$repeat" -gt 1 ] && echo ", median of $repeat runs"); $version"
  if [ "$paused" = 1 ]; then
    paused_cost
    return
  fi
  echo
  echo "| scene | run | fps asked / achieved (grabs/s) | frames recorded | ticks dropped (ffmpeg: copies) | CPU ms per recorded frame (capture + receiver) | CPU, % of one core | X servers, % of one core | wire MB (% of raw: sent frames / all ticks) | disk MB | capture→written p50 / p99 (after 1 s) ms | capture→displayed p50 / p99 (after 1 s) ms | peak RSS MB |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  medians | awk -F'\t' 'NR > 1' | while IFS=$'\t' read -r "${columns[@]}"; do
    local rss wire ach cpf
    if [ "$run" = ffmpeg ]; then rss="ffmpeg $rss_a"; else rss="capture $rss_a, receiver $rss_b"; fi
    if [ "$wire_mb" = "-" ]; then wire="-"; else wire="$wire_mb ($raw_pct% / $raw_tick_pct%)"; fi
    ach=$fps_achieved
    [ "$grabs_per_s" = "$fps_achieved" ] || ach="$fps_achieved ($grabs_per_s)"
    cpf=$cpu_ms_frame
    [ "$cpu_a_ms" = "-" ] || cpf="$cpu_ms_frame ($cpu_a_ms + $cpu_b_ms)"
    echo "| $scene | $(label "$run") | $fps_asked / $ach | $frames | $dropped of $ticks | $cpf | $cpu_core_pct | $x_core_pct | $wire | $disk_mb | $w50 / $w99 ($w99s) | $d50 / $d99 ($d99s) | $rss |"
  done
  echo
  echo "- CPU: the run's programs (capture + receiver, or ffmpeg), user + system, all threads."
  echo "- X servers: CPU of the captured screen's Xvfb beyond what the scene alone costs it (the grabs), plus the window's Xvfb (drawing the window)."
  echo "- screenreel records a frame when the screen changed; an unchanged tick (nothing drawn, or drawn the same) costs an X round trip or a grab and a compare, and is not a frame. With --every-frame every tick is a frame: an unchanged one is sent as an empty FRAME and stored as a hard link to the previous JPEG."
  echo "- ffmpeg writes a file every tick; when a grab is late it writes copies of the previous grab (counted as copies; grabs/s = files - copies)."
  [ "$chain" = only ] || [ "$wire" = only ] || targets
  chain_cost
  wire_cost
  local o=$work/ocr-$repeat.txt
  if [ -f "$o" ]; then
    echo
    echo "OCR (terminal scene, receiver --ocr, last run): $(head -1 "$o"); index behind live p50 / p99: $(awk '/^lag/ {print $2 " / " $3 " ms; receiver took " $5 " s to exit after SIGTERM (last pass)"}' "$o")"
  fi
  local t=$work/throttle-$repeat.txt
  if [ -f "$t" ]; then
    echo
    echo "Throttled disk (video scene, window on; the archive writes a tenth of the bytes per second the headless run needed):"
    echo
    sed 's/^/- /' "$t"
  fi
}

table=$(render)
echo "$table"
[ -z "$out_file" ] || echo "$table" >"$out_file"
echo "bench: every run's numbers in $results, logs beside it" >&2

#!/usr/bin/env bash
# A fleet (issue 17): the catalog in SQLite against PostgreSQL, recording and reading.
#
# Starts its own PostgreSQL 15 (Debian's postgresql package: initdb and pg_ctl into a temporary
# folder, on a Unix socket there, no TCP; as the user nobody when run as root, as
# tests/support/postgres_server.cpp does) with PostgreSQL's default settings (fsync and
# synchronous_commit on, as a fleet's database runs; SQLite's catalog.db runs in WAL with
# synchronous=NORMAL, which does not sync at each commit) and stops it at the end.
#
# record  For each backend, one after the other: 2 screenreel-receiver --no-display, each with its
#         own archive (sqlite: each its own catalog.db; postgresql: both on one database, with
#         --receiver-name r1 and r2), and BENCH_CLIENTS screenreel-capture --source test-pattern
#         --size BENCH_SIZE --fps BENCH_FPS --duration BENCH_SECONDS, half to each receiver, all at
#         once. Measured: catalog rows per second (frame rows in the catalogs / seconds from the
#         first client's start to the last one's end); the ticks each client dropped (its summary
#         line); each receiver's catalog commit times (its exit line "catalog commits: N commits:
#         p50 .. ms, p99 .. ms, max .. ms": the catalog thread times each batch of frame rows, one
#         transaction, receiver/include/screenreel/receiver/commit_times.hpp). The target: no
#         client drops a tick with PostgreSQL that it does not drop with SQLite (client i against
#         client i).
# read    For each backend: a catalog made by the real receiver (started once on it, so the schema
#         is the program's own), filled with SQL: BENCH_SESSIONS ended sessions of BENCH_FRAMES
#         frame rows each (SQLite: a recursive CTE; PostgreSQL: generate_series), and
#         BENCH_SPANS text-index rows a session (each with the word "compiling"; one in 1000
#         also with "needle"); PostgreSQL then gets VACUUM ANALYZE (what autovacuum does after a
#         load), SQLite nothing (the receiver runs no ANALYZE either). Then BENCH_RUNS runs each of
#         screenreel-replay list, list --json, search needle, search compiling; the median wall
#         time of each.
# Prints markdown tables on stdout (and into FILE with --out FILE). Not run by CI.
#
#   scripts/bench-fleet.sh [--out FILE]
#   BENCH_PARTS="record read"   which parts
#   BENCH_CLIENTS=50  BENCH_SIZE=320x240  BENCH_FPS=10  BENCH_SECONDS=20   (record)
#   BENCH_SESSIONS=1000  BENCH_FRAMES=10000  BENCH_SPANS=100  BENCH_RUNS=3    (read: 10 M rows)
#   BENCH_PG_OPTIONS="-c fsync=off"   more server settings (pg_ctl -o), default none
#   BENCH_BUILD_DIR=build    screenreel-capture, -receiver and -replay, built beforehand
#   BENCH_WORK=DIR           where runs write (default: a new folder under /tmp, deleted at the
#                            end unless BENCH_KEEP=1); the read part's catalogs take about 3 GB
#                            each at 10 M rows
# (--help: the program's start alone, for scale.) The wall time includes the database server's
# work; "its CPU" is screenreel-replay's own user + system time, which the machine's load moves
# less.
# Needs: postgresql (15) sqlite3 time (Debian packages; scripts/install-deps.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out_file=""
while [ $# -gt 0 ]; do
  case $1 in
    --out) out_file=${2:?--out needs a file}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-fleet: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
done

parts=${BENCH_PARTS:-record read}
clients=${BENCH_CLIENTS:-50}
size=${BENCH_SIZE:-320x240}
fps=${BENCH_FPS:-10}
seconds=${BENCH_SECONDS:-20}
sessions=${BENCH_SESSIONS:-1000}
frames=${BENCH_FRAMES:-10000}
spans=${BENCH_SPANS:-100}
runs=${BENCH_RUNS:-3}
bin=${BENCH_BUILD_DIR:-$root/build}/bin
pg_bin=/usr/lib/postgresql/15/bin
for f in "$bin/screenreel-capture" "$bin/screenreel-receiver" "$bin/screenreel-replay"; do
  [ -x "$f" ] || { echo "bench-fleet: $f missing (ninja -C build screenreel-capture screenreel-receiver screenreel-replay)" >&2; exit 1; }
done
for f in "$pg_bin/initdb" "$pg_bin/pg_ctl" "$(command -v psql || true)" "$(command -v sqlite3 || true)" /usr/bin/time; do
  [ -x "$f" ] || { echo "bench-fleet: needs PostgreSQL 15, sqlite3 and time (apt-get install postgresql sqlite3 time)" >&2; exit 1; }
done
unset DISPLAY
work=${BENCH_WORK:-$(mktemp -d /tmp/screenreel-bench-fleet.XXXXXX)}
mkdir -p "$work"
log() { echo "bench-fleet: $*" >&2; }
log "writing runs under $work"

# --- everything started here is stopped here, by pid; the PostgreSQL server by pg_ctl ------------
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh   # pids=(), stop_started, wait_for
pg_dir=""
pg_up=""
as_pg() {  # COMMAND: in the server's folder, as nobody when root (it may not read $work)
  if [ "$(id -u)" = 0 ]; then runuser -u nobody -- sh -c "cd '$pg_dir' && $1"; else sh -c "cd '$pg_dir' && $1"; fi
}
finish() {
  stop_started
  if [ -n "$pg_up" ]; then as_pg "$pg_bin/pg_ctl -D data -w -m fast stop" >/dev/null 2>&1 || true; fi
  [ -z "$pg_dir" ] || rm -rf "$pg_dir"
  [ -n "${BENCH_KEEP:-}" ] || [ -n "${BENCH_WORK:-}" ] || rm -rf "$work"
}
trap finish EXIT
trap 'exit 130' INT TERM

start_postgres() {
  pg_dir=$(mktemp -d /tmp/screenreel-bench-pg.XXXXXX)
  [ "$(id -u)" != 0 ] || chown nobody "$pg_dir"
  log "PostgreSQL: initdb and pg_ctl start in $pg_dir"
  as_pg "$pg_bin/initdb -D data -U screenreel -A trust -E UTF8 --locale=C.UTF-8 >initdb.log 2>&1"
  as_pg "$pg_bin/pg_ctl -D data -l server.log -w -t 60 -o '-c listen_addresses= -c unix_socket_directories=$pg_dir ${BENCH_PG_OPTIONS:-}' start >/dev/null"
  pg_up=1
}
psql_do() {  # DATABASE SQL
  psql -X -q -t -A -v ON_ERROR_STOP=1 "host=$pg_dir user=screenreel dbname=$1" -c "$2"
}
pg_url() { echo "postgresql:///$1?host=$pg_dir&user=screenreel"; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : 0) }'; }

# receiver DIR [ARGS...]: starts one in the background (pid in $rpid) and sets $port.
receiver() {
  local d=$1
  shift
  mkdir -p "$d"
  "$bin/screenreel-receiver" --no-display --listen 127.0.0.1:0 --archive "$d/archive" "$@" \
    </dev/null >"$d/receiver.out" 2>"$d/receiver.err" &
  rpid=$!
  pids+=("$rpid")
  wait_for "$d/receiver.err" "listening on" || { cat "$d/receiver.err" >&2; return 1; }
  port=$(grep -o 'listening on [0-9.]*:[0-9]*' "$d/receiver.err" | head -1 | sed 's/.*://')
}
stop_pid() {  # PID: SIGTERM, wait, and out of pids
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  local keep=() p
  for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  pids=("${keep[@]}")
}

# --- record: 50 clients into 2 receivers ----------------------------------------------------------
record_rows=()
commit_rows=()
record() {  # BACKEND
  local backend=$1 d=$work/record-$1 r i catalog_args=() rpids=() ports=() cpids=()
  mkdir -p "$d"
  if [ "$backend" = postgresql ]; then psql_do postgres "CREATE DATABASE fleet" >/dev/null; fi
  for r in 1 2; do
    [ "$backend" = sqlite ] || catalog_args=(--catalog "$(pg_url fleet)" --receiver-name "r$r")
    receiver "$d/r$r" "${catalog_args[@]}"
    rpids+=("$rpid")
    ports+=("$port")
  done
  log "$backend: $clients clients (test pattern $size at $fps fps for $seconds s) into 2 receivers"
  local t0 t1
  t0=$(date +%s%N)
  for i in $(seq -w 1 "$clients"); do
    "$bin/screenreel-capture" --source test-pattern --size "$size" --fps "$fps" --duration "$seconds" \
      --connect "127.0.0.1:${ports[$((10#$i % 2))]}" --name "fleet-$i" --quiet \
      >"$d/client-$i.out" 2>"$d/client-$i.err" &
    cpids+=($!)
    pids+=($!)
  done
  for i in "${cpids[@]}"; do wait "$i" || true; done
  t1=$(date +%s%N)
  pids=("${rpids[@]}")
  for r in 1 2; do stop_pid "${rpids[$((r - 1))]}"; done
  # Ticks each client dropped, and the frames its receiver stored, from its summary line.
  local rows=0 n
  for i in $(seq -w 1 "$clients"); do
    local line
    line=$(grep -h 'screenreel-capture: .* dropped)' "$d/client-$i.out" "$d/client-$i.err" | tail -1 || true)
    [ -n "$line" ] || { log "client $i wrote no summary line: $(tail -1 "$d/client-$i.err")"; echo "$i -1 0 0" >>"$d/clients.txt"; continue; }
    echo "$i $(sed -E 's/.* of ([0-9]+) ticks \(([0-9]+) unchanged, ([0-9]+) dropped\).*receiver stored ([0-9]+|unknown).*/\3 \1 \4/' <<<"$line")" >>"$d/clients.txt"
  done
  if [ "$backend" = sqlite ]; then
    for r in 1 2; do
      n=$(sqlite3 "$d/r$r/archive/catalog.db" "SELECT count(*) FROM frames")
      rows=$((rows + n))
    done
  else
    rows=$(psql_do fleet "SELECT count(*) FROM frames")
  fi
  echo "$rows" >"$d/rows.txt"
  local secs dropped_total ticks_total with_drops worst
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
  read -r dropped_total ticks_total with_drops worst < <(awk '$2 >= 0 { d += $2; t += $3; if ($2 > 0) w++; if ($2 > m) m = $2 }
    END { print d + 0, t + 0, w + 0, m + 0 }' "$d/clients.txt")
  local missing
  missing=$(awk '$2 < 0' "$d/clients.txt" | wc -l)
  record_rows+=("| $backend | $clients ($missing without a summary) | $rows | $secs | $(awk -v r="$rows" -v s="$secs" 'BEGIN { printf "%.0f", r / s }') | $ticks_total | $dropped_total | $with_drops | $worst |")
  for r in 1 2; do
    local c
    c=$(grep -o 'catalog commits: .*' "$d/r$r/receiver.err" | tail -1 | sed 's/catalog commits: //' || true)
    commit_rows+=("| $backend | r$r | $(sed -E 's/^([0-9]+) commits: p50 ([0-9.]+) ms, p99 ([0-9.]+) ms, max ([0-9.]+) ms$/\1 | \2 | \3 | \4/' <<<"${c:-none}") |")
  done
}

# --- read: list and search on a catalog of BENCH_SESSIONS x BENCH_FRAMES frame rows -------------
# The rows: session i (1..S) started at t0 + (i-1) * F * 100 ms, F frames 100 ms apart (10 fps),
# ended; each frame row as the receiver writes one (file name, 32-byte sha256 and chain link,
# activity). Span j of a session: 4 words, shown for 10 s; one in 1000 has "needle".
t0_us=$(( ($(date +%s) - sessions * frames / 10) * 1000000 ))
words_json='[[10,20,60,12],[76,20,40,12],[122,20,50,12],[178,20,30,12]]'
sqlite_fill() {  # CATALOG.DB
  sqlite3 "$1" <<SQL
PRAGMA synchronous = OFF;
BEGIN;
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $sessions)
INSERT INTO sessions (id, name, folder, client_address, source, width, height, fps, started_us, ended_us,
                      end_reason, frame_count, bytes)
SELECT i, 'bench-' || i, 'bench-' || i, '127.0.0.1:1', 'test-pattern 320x240', 320, 240, 10,
       $t0_us + (i - 1) * $frames * 100000, $t0_us + i * $frames * 100000, 'client', $frames, $frames * 20000 FROM s;
WITH RECURSIVE f(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM f WHERE i < $sessions * $frames - 1)
INSERT INTO frames (session_id, seq, tick, capture_us, receive_us, written_us, file, width, height, jpeg_bytes,
                    sha256, chain, changed_share, changed_tiles)
SELECT i / $frames + 1, i % $frames + 1, i % $frames + 1, $t0_us + i * 100000, $t0_us + i * 100000 + 2000,
       $t0_us + i * 100000 + 9000, printf('frame_%06d.jpg', i % $frames + 1), 320, 240, 20000,
       zeroblob(32), zeroblob(32), 0.25, 5 FROM f;
INSERT INTO ocr_sessions (session_id, indexer, lang, interval_us, through_seq, complete)
SELECT id, 'receiver', 'eng', 1000000, $frames, 1 FROM sessions;
WITH RECURSIVE t(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM t WHERE i < $sessions * $spans - 1)
INSERT INTO text_spans (session_id, text, x, y, w, h, words, confidence, first_seq, first_us, last_seq, last_us, open)
SELECT i / $spans + 1, 'compiling module' || (i % 97) || ' step ' || (CASE WHEN i % 1000 = 7 THEN 'needle' ELSE i END),
       10, 20, 198, 12, '$words_json', 91.5, (i % $spans) * ($frames / $spans) + 1,
       $t0_us + (i / $spans * $frames + (i % $spans) * ($frames / $spans)) * 100000,
       (i % $spans) * ($frames / $spans) + 100,
       $t0_us + (i / $spans * $frames + (i % $spans) * ($frames / $spans) + 99) * 100000, 0 FROM t;
COMMIT;
SQL
}
pg_fill() {  # DATABASE ARCHIVE_ROOT
  psql_do "$1" "
BEGIN;
INSERT INTO sessions (id, name, folder, client_address, source, width, height, fps, started_us, ended_us,
                      end_reason, frame_count, bytes, receiver, archive_root)
SELECT i, 'bench-' || i, 'bench-' || i, '127.0.0.1:1', 'test-pattern 320x240', 320, 240, 10,
       $t0_us + (i - 1) * $frames * 100000::bigint, $t0_us + i * $frames * 100000::bigint, 'client', $frames,
       $frames * 20000, 'bench', '$2' FROM generate_series(1, $sessions) i;
SELECT setval('session_ids', $sessions);
INSERT INTO frames (session_id, seq, tick, capture_us, receive_us, written_us, file, width, height, jpeg_bytes,
                    sha256, chain, changed_share, changed_tiles)
SELECT i / $frames + 1, i % $frames + 1, i % $frames + 1, $t0_us + i * 100000, $t0_us + i * 100000 + 2000,
       $t0_us + i * 100000 + 9000, 'frame_' || lpad((i % $frames + 1)::text, 6, '0') || '.jpg', 320, 240, 20000,
       '\\x$(printf '%064d' 0)'::bytea, '\\x$(printf '%064d' 0)'::bytea, 0.25, 5
FROM generate_series(0::bigint, $sessions::bigint * $frames - 1) i;
INSERT INTO ocr_sessions (session_id, indexer, lang, interval_us, through_seq, complete)
SELECT id, 'receiver', 'eng', 1000000, $frames, true FROM sessions;
INSERT INTO text_spans (session_id, text, x, y, w, h, words, confidence, first_seq, first_us, last_seq, last_us, open)
SELECT i / $spans + 1, 'compiling module' || (i % 97) || ' step ' || (CASE WHEN i % 1000 = 7 THEN 'needle' ELSE i::text END),
       10, 20, 198, 12, '$words_json', 91.5, (i % $spans) * ($frames / $spans) + 1,
       $t0_us + (i / $spans * $frames + (i % $spans) * ($frames / $spans)) * 100000,
       (i % $spans) * ($frames / $spans) + 100,
       $t0_us + (i / $spans * $frames + (i % $spans) * ($frames / $spans) + 99) * 100000, false
FROM generate_series(0::bigint, $sessions::bigint * $spans - 1) i;
COMMIT;" >/dev/null
  psql_do "$1" "VACUUM ANALYZE"
}

read_rows=()
fill_rows=()
read_bench() {  # BACKEND
  local backend=$1 d=$work/read-$1 where=() t_a t_b
  mkdir -p "$d"
  log "$backend: a catalog of $sessions sessions x $frames frame rows, $((sessions * spans)) text spans"
  if [ "$backend" = sqlite ]; then
    receiver "$d/make"  # the program makes the catalog and its schema
    stop_pid "$rpid"
    t_a=$(date +%s%N)
    sqlite_fill "$d/make/archive/catalog.db"
    t_b=$(date +%s%N)
    where=(--archive "$d/make/archive")
    fill_rows+=("| sqlite | $(awk -v a="$t_a" -v b="$t_b" 'BEGIN { printf "%.0f", (b - a) / 1e9 }') | $(du -sh "$d/make/archive" | cut -f1) |")
  else
    psql_do postgres "CREATE DATABASE catalog10m" >/dev/null
    receiver "$d/make" --catalog "$(pg_url catalog10m)" --receiver-name bench
    stop_pid "$rpid"
    t_a=$(date +%s%N)
    pg_fill catalog10m "$d/make/archive"
    t_b=$(date +%s%N)
    where=(--catalog "$(pg_url catalog10m)")
    fill_rows+=("| postgresql | $(awk -v a="$t_a" -v b="$t_b" 'BEGIN { printf "%.0f", (b - a) / 1e9 }') | $(psql_do catalog10m "SELECT pg_size_pretty(pg_database_size('catalog10m'))") |")
  fi
  local what cmd walls cpus lines
  for what in "--help" "list" "list --json" "search needle" "search compiling"; do
    read -r -a cmd <<<"$what"
    walls=()
    cpus=()
    for _ in $(seq "$runs"); do
      /usr/bin/time -f '%e %U %S' -o "$d/time.txt" "$bin/screenreel-replay" "${where[@]}" "${cmd[@]}" \
        >"$d/out.txt" 2>"$d/err.txt" || log "$backend: screenreel-replay $what failed: $(tail -3 "$d/err.txt")"
      walls+=("$(awk '{ printf "%.0f", $1 * 1000 }' "$d/time.txt")")
      cpus+=("$(awk '{ printf "%.0f", ($2 + $3) * 1000 }' "$d/time.txt")")
    done
    lines=$(wc -l <"$d/out.txt")
    read_rows+=("| $backend | \`$what\` | $(printf '%s\n' "${walls[@]}" | median) | $(printf '%s\n' "${cpus[@]}" | median) | ${walls[*]} | $lines |")
    log "$backend: $what: ${walls[*]} ms"
  done
}

start_postgres
for part in $parts; do
  for backend in sqlite postgresql; do
    case $part in
      record) record "$backend" ;;
      read) read_bench "$backend" ;;
      *) echo "bench-fleet: unknown part $part" >&2; exit 2 ;;
    esac
  done
done

load=$(cut -d' ' -f1-3 /proc/loadavg)
{
  echo "A fleet, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average at the end $load; commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- archive receiver 2>/dev/null || echo ' + uncommitted changes')"
  if [ ${#record_rows[@]} -gt 0 ]; then
    echo
    echo "$clients clients (test pattern $size, $fps fps, $seconds s) into 2 receivers:"
    echo
    echo "| catalog | clients | frame rows | seconds | rows/s | ticks | ticks dropped | clients that dropped | most by one client |"
    echo "|---|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${record_rows[@]}"
    echo
    echo "| catalog | receiver | commits | p50 ms | p99 ms | max ms |"
    echo "|---|---|---|---|---|---|"
    printf '%s\n' "${commit_rows[@]}"
    if [ -f "$work/record-sqlite/clients.txt" ] && [ -f "$work/record-postgresql/clients.txt" ]; then
      echo
      echo "Clients that dropped more ticks with PostgreSQL than the same client with SQLite: $(join "$work/record-sqlite/clients.txt" "$work/record-postgresql/clients.txt" | awk '$5 > $2 { n++; s = s " " $1 " (" $2 " -> " $5 ")" } END { print n + 0 (n ? ":" s : "") }')"
    fi
  fi
  if [ ${#read_rows[@]} -gt 0 ]; then
    echo
    echo "A catalog of $sessions sessions x $frames frames = $((sessions * frames)) frame rows and $((sessions * spans)) text spans; wall time of screenreel-replay, $runs runs:"
    echo
    echo "| catalog | seconds to fill with SQL | size |"
    echo "|---|---|---|"
    printf '%s\n' "${fill_rows[@]}"
    echo
    echo "| catalog | screenreel-replay | median ms | its CPU ms (median) | runs ms | lines out |"
    echo "|---|---|---|---|---|---|"
    printf '%s\n' "${read_rows[@]}"
  fi
} | tee ${out_file:+"$out_file"}

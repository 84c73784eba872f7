#!/usr/bin/env bash
# Issue 20: screenreel installs like a tool. Builds the .deb with CPack from BUILD_DIR, unpacks
# it into a temporary root (dpkg-deb -x) and checks what a user meets: the programs run
# (--help, --version), each man page renders with man -l, the bash completion loads and
# completes replay's commands and options, the receiver's unit passes systemd-analyze verify
# with its hardening, and the capture user unit passes systemd-analyze --user verify; the
# archive format's page (section 5) renders and holds schemas/; cmake --install into a DESTDIR
# lays out the same files; and the installed library is usable: examples/list_sessions builds
# against it with find_package(screenreel) and with pkg-config --static, and reads an archive
# recorded by the build's receiver and capture.
# Usage: install_test.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

(cd "$tmp" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/pkg" >"$tmp/cpack.log" 2>&1) \
  || { cat "$tmp/cpack.log"; fail "cpack -G DEB"; }
deb=$(ls "$tmp"/pkg/screenreel_*.deb)
echo "built $(basename "$deb")"

# Dependencies: computed from the shared libraries, plus adduser; Tesseract's data recommended.
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libc6 libsqlite3 liblz4 libssl3 libtesseract adduser; do
  [[ $depends == *"$lib"* ]] || fail "Depends lacks $lib: $depends"
done
[[ $(dpkg-deb -f "$deb" Recommends) == *tesseract-ocr-eng* ]] || fail "Recommends lacks tesseract-ocr-eng"
grep -q 'adduser --system' <<<"$(dpkg-deb -I "$deb" postinst)" || fail "postinst does not make the screenreel user"

# Lintian: no errors (its warnings are printed, for the record).
lintian --tag-display-limit 0 "$deb" >"$tmp/lintian" 2>&1 || true
if grep -q '^E: ' "$tmp/lintian"; then cat "$tmp/lintian"; fail "lintian reports errors"; fi
echo "lintian: 0 errors, $(grep -c '^W: ' "$tmp/lintian") warnings"
grep '^W: ' "$tmp/lintian" || true

# Installed for real with dpkg (as root, where screenreel is not installed already: CI's fresh
# machine), then removed: the programs and man pages where a user meets them, the service's user
# and state folder, and nothing left of the package's files after dpkg -r.
if [[ $(id -u) -eq 0 ]] && ! dpkg -s screenreel >/dev/null 2>&1; then
  dpkg -i "$deb" >"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log"; fail "dpkg -i"; }
  grep -q "screenreel-receiver 0\." <<<"$(/usr/bin/screenreel-receiver --version)" || fail "installed screenreel-receiver --version"
  for page in man1/screenreel-capture.1.gz man1/screenreel-receiver.1.gz man1/screenreel-replay.1.gz man5/screenreel-archive.5.gz; do
    man -l "/usr/share/man/$page" 2>/dev/null | grep -q screenreel || fail "man -l /usr/share/man/$page (installed)"
  done
  id screenreel >/dev/null 2>&1 || fail "dpkg -i made no screenreel user"
  [[ -d /var/lib/screenreel ]] || fail "dpkg -i made no /var/lib/screenreel"
  dpkg -L screenreel | grep '^/usr/.*\.' >"$tmp/installed-files"
  dpkg -r screenreel >"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log"; fail "dpkg -r"; }
  while read -r f; do [[ ! -e $f ]] || fail "dpkg -r left $f"; done <"$tmp/installed-files"
  echo "dpkg -i installs it (programs, man pages, user, state folder); dpkg -r removes its $(wc -l <"$tmp/installed-files") files"
else
  echo "SKIP dpkg -i / -r: needs root and no screenreel package installed"
fi

root=$tmp/root
dpkg-deb -x "$deb" "$root"
(cd "$root" && find . -type f -o -type l | sort) >"$tmp/deb-files"

# Exactly these files: the fixed ones, and the headers, schemas and examples of the source tree.
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt" | tr '[:upper:]' '[:lower:]')
expected=(
  ./usr/bin/screenreel-capture ./usr/bin/screenreel-receiver ./usr/bin/screenreel-replay
  ./usr/share/man/man1/screenreel-capture.1.gz ./usr/share/man/man1/screenreel-receiver.1.gz
  ./usr/share/man/man1/screenreel-replay.1.gz ./usr/share/man/man5/screenreel-archive.5.gz
  ./usr/share/bash-completion/completions/screenreel-capture
  ./usr/share/bash-completion/completions/screenreel-receiver
  ./usr/share/bash-completion/completions/screenreel-replay
  ./usr/lib/systemd/system/screenreel-receiver.service
  ./usr/lib/systemd/user/screenreel-capture.service
  ./usr/lib/libscreenreel_archive.a ./usr/lib/libscreenreel_common.a
  ./usr/lib/pkgconfig/screenreel-archive.pc
  ./usr/lib/cmake/screenreel/screenreelConfig.cmake
  ./usr/lib/cmake/screenreel/screenreelConfigVersion.cmake
  ./usr/lib/cmake/screenreel/screenreelTargets.cmake
  "./usr/lib/cmake/screenreel/screenreelTargets-${build_type:-noconfig}.cmake"
  ./usr/share/doc/screenreel/README.md ./usr/share/doc/screenreel/copyright
  ./usr/share/doc/screenreel/changelog.gz
  ./usr/share/doc/screenreel/examples/screenreel-receiver.conf
  ./usr/share/doc/screenreel/examples/screenreel-capture.conf
)
{
  printf '%s\n' "${expected[@]}"
  (cd "$src" && find archive/include common/include -type f) | sed 's#^[a-z]*/include/#./usr/include/#'
  (cd "$src/schemas" && find . -type f) | sed 's#^\./#./usr/share/screenreel/schemas/#'
  (cd "$src/examples" && find . -type f) | sed 's#^\./#./usr/share/doc/screenreel/examples/#'
} | sort >"$tmp/expected-files"
diff "$tmp/expected-files" "$tmp/deb-files" || fail "the package's files differ from the expected (< expected, > packaged)"
grep -q '^./usr/include/screenreel/archive/catalog.hpp$' "$tmp/deb-files" || fail "no archive headers"
echo "package: exactly the $(wc -l <"$tmp/deb-files") expected files"

for p in capture receiver replay; do
  bin=$root/usr/bin/screenreel-$p
  "$bin" --help >"$tmp/help" 2>&1 || fail "screenreel-$p --help"
  grep -q "Usage: screenreel-$p" "$tmp/help" || fail "screenreel-$p --help has no usage line"
  grep -q "screenreel-$p 0\." <<<"$("$bin" --version)" || fail "screenreel-$p --version"
  # The man page is the program's --help: every option of --help is in it.
  MANWIDTH=200 man -l "$root/usr/share/man/man1/screenreel-$p.1.gz" 2>/dev/null | col -b >"$tmp/man" \
    || fail "man -l screenreel-$p.1"
  grep -q "screenreel-$p" "$tmp/man" || fail "man page of screenreel-$p renders empty"
  for opt in $(grep -oE -- '--[a-z0-9][a-z0-9-]*' "$tmp/help" | sort -u); do
    grep -qF -- "$opt" "$tmp/man" || fail "man page of screenreel-$p lacks $opt"
  done
done
echo "programs run; 3 man pages render and list every --help option"

# Completion: sourced in bash, it completes replay's commands and each program's options.
complete_words() { # PROGRAM WORDS...: prints the candidates for the last word
  PATH=$root/usr/bin:$PATH bash -c '
    source "$0"
    COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
    _screenreel; printf "%s\n" "${COMPREPLY[@]}"' \
    "$root/usr/share/bash-completion/completions/screenreel-replay" "$@"
}
[[ $(complete_words screenreel-replay pl) == play ]] || fail "screenreel-replay pl<Tab>: $(complete_words screenreel-replay pl)"
[[ $(complete_words screenreel-replay --archive /tmp rec | tr '\n' ' ') == "recover " ]] \
  || fail "screenreel-replay --archive DIR rec<Tab>"
# (into a variable first: grep -q closing the pipe early would fail the pipeline under pipefail)
candidates=$(complete_words screenreel-replay export x --fr)
grep -qx -- --frames <<<"$candidates" || fail "screenreel-replay export --fr<Tab>: $candidates"
candidates=$(complete_words screenreel-receiver --no-d)
grep -qx -- --no-display <<<"$candidates" || fail "screenreel-receiver --no-d<Tab>: $candidates"
echo "completion: commands and options complete"

unit=$root/usr/lib/systemd/system/screenreel-receiver.service
for setting in Type=notify WatchdogSec= "ExecReload=kill -HUP" User=screenreel StateDirectory=screenreel ProtectSystem=strict ProtectHome=yes \
  PrivateTmp=yes NoNewPrivileges=yes RestrictAddressFamilies= SystemCallFilter=@system-service; do
  grep -q "^$setting" "$unit" || fail "unit lacks $setting"
done
if command -v systemd-analyze >/dev/null; then
  # ExecStart names the program without a path (systemd looks in /usr/local/bin and /usr/bin,
  # so one unit fits both prefixes); verify a copy that points into the unpacked root.
  sed "s#^ExecStart=screenreel-receiver #ExecStart=$root/usr/bin/screenreel-receiver #" "$unit" \
    >"$tmp/screenreel-receiver.service"
  MANPATH=$root/usr/share/man systemd-analyze verify "$tmp/screenreel-receiver.service" >"$tmp/verify" 2>&1 || true
  if grep -q . "$tmp/verify"; then
    cat "$tmp/verify"; fail "systemd-analyze verify"
  fi
  echo "systemd-analyze verify: clean"
else
  echo "SKIP: systemd-analyze not available, unit not verified"
fi

# The capture user unit: starts and stops with the graphical session, restarts after a failure.
user_unit=$root/usr/lib/systemd/user/screenreel-capture.service
for setting in WantedBy=graphical-session.target PartOf=graphical-session.target \
  After=graphical-session.target Restart=on-failure "ExecStart=screenreel-capture"; do
  grep -q "^$setting" "$user_unit" || fail "capture user unit lacks $setting"
done
if command -v systemd-analyze >/dev/null; then
  # --user needs a user manager's runtime directory, which root in CI has none of: a private one.
  mkdir -m 700 "$tmp/runtime"
  sed "s#^ExecStart=screenreel-capture#ExecStart=$root/usr/bin/screenreel-capture#" "$user_unit" \
    >"$tmp/screenreel-capture.service"
  XDG_RUNTIME_DIR=$tmp/runtime MANPATH=$root/usr/share/man \
    systemd-analyze --user verify "$tmp/screenreel-capture.service" >"$tmp/verify" 2>&1 || true
  if grep -q . "$tmp/verify"; then
    cat "$tmp/verify"; fail "systemd-analyze --user verify screenreel-capture.service"
  fi
  echo "systemd-analyze --user verify (capture user unit): clean"
fi

# screenreel-archive(5) renders and is schemas/archive-layout.md and catalog.sql: every section
# of the layout, the catalog's file and frame names, and every table of the catalog are in it.
MANWIDTH=200 man -l "$root/usr/share/man/man5/screenreel-archive.5.gz" 2>/dev/null | col -b >"$tmp/man5" \
  || fail "man -l screenreel-archive.5"
for word in 'SCREENREEL-ARCHIVE(5)' catalog.db frame_000001.jpg session.json .receiver.lock; do
  grep -qF -- "$word" "$tmp/man5" || fail "screenreel-archive(5) does not name $word"
done
while read -r section; do
  grep -qF -- "$section" "$tmp/man5" || fail "screenreel-archive(5) lacks the layout's section \"$section\""
done < <(sed -n 's/^## //p' "$src/schemas/archive-layout.md")
for table in $(sed -n 's/^CREATE \(VIRTUAL \)\{0,1\}TABLE \([a-z_]*\).*/\2/p' "$src/schemas/catalog.sql"); do
  grep -q "CREATE.*TABLE $table" "$tmp/man5" || fail "screenreel-archive(5) lacks the catalog table $table"
done
echo "screenreel-archive(5) renders with every section of archive-layout.md and every table of catalog.sql"

# cmake --install into a DESTDIR lays out the same files under the prefix.
DESTDIR=$tmp/destdir cmake --install "$build" --prefix /usr >/dev/null
(cd "$tmp/destdir" && find . -type f -o -type l | sort) >"$tmp/install-files"
diff <(grep -v '/schemas/' "$tmp/deb-files") <(grep -v '/schemas/' "$tmp/install-files") \
  || fail "cmake --install and the .deb differ"
grep -q '/usr/share/screenreel/schemas/wire-protocol.md' "$tmp/install-files" || fail "schemas not installed"

# The library, as another program uses it: the installed example, built against the DESTDIR.
prefix=$tmp/destdir/usr
# A sanitizer build's library needs the sanitizers' runtime in the program that links it.
sanitize=$(sed -n 's/^SCREENREEL_SANITIZE:[A-Z]*=//p' "$build/CMakeCache.txt")
cxxflags="-Wall -Wextra -Wpedantic -Werror${sanitize:+ -fsanitize=$sanitize}"
cmake -S "$prefix/share/doc/screenreel/examples" -B "$tmp/example" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_CXX_FLAGS="$cxxflags" >"$tmp/example.log" 2>&1 || { cat "$tmp/example.log"; fail "cmake: find_package(screenreel)"; }
grep -q "$prefix/lib/cmake/screenreel" "$tmp/example/CMakeCache.txt" || fail "find_package(screenreel) found another screenreel"
cmake --build "$tmp/example" >"$tmp/example.log" 2>&1 || { cat "$tmp/example.log"; fail "building examples/list_sessions with CMake"; }
# pkg-config: the .pc file finds its prefix from where it is, so the DESTDIR copy works as it is.
pc_flags=$(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --static --cflags --libs screenreel-archive) \
  || fail "pkg-config --static screenreel-archive"
[[ $pc_flags == *"-L$prefix/lib/pkgconfig/../../lib "* ]] || fail "the .pc file does not point into its prefix: $pc_flags"
# shellcheck disable=SC2086 # the flags are words
c++ -std=c++20 $cxxflags "$prefix/share/doc/screenreel/examples/list_sessions.cpp" -o "$tmp/list_sessions_pc" $pc_flags \
  || fail "building examples/list_sessions with pkg-config --static ($pc_flags)"
echo "examples/list_sessions builds with find_package(screenreel) and with pkg-config --static"

# A short real recording: the build's receiver on a free port, 5 frames of the test pattern.
"$build/bin/screenreel-receiver" --no-display --listen 127.0.0.1:0 --archive "$tmp/archive" 2>"$tmp/receiver.err" &
receiver=$!
for _ in $(seq 100); do grep -q 'listening on' "$tmp/receiver.err" && break; sleep 0.1; done
port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/receiver.err" | head -n 1)
[[ -n $port ]] || { kill "$receiver"; cat "$tmp/receiver.err"; fail "the receiver did not say where it listens"; }
timeout 60 "$build/bin/screenreel-capture" --connect "127.0.0.1:$port" --source test-pattern --size 320x240 \
  --max-frames 5 --name install-example >"$tmp/capture.log" 2>&1 || { kill "$receiver"; cat "$tmp/capture.log"; fail "capture"; }
kill -INT "$receiver"
wait "$receiver" || { cat "$tmp/receiver.err"; fail "the receiver did not end cleanly"; }

capture_us=$(sqlite3 "$tmp/archive/catalog.db" 'SELECT capture_us FROM frames WHERE session_id = 1 AND seq = 1')
captured=$(date -u -d "@$((capture_us / 1000000))" '+%Y-%m-%d %H:%M:%S').$(printf '%06d' $((capture_us % 1000000)))
for program in "$tmp/example/list_sessions" "$tmp/list_sessions_pc"; do
  "$program" "$tmp/archive" >"$tmp/listed" 2>&1 || { cat "$tmp/listed"; fail "$program on a recorded archive"; }
  grep -qx 'session 1 "install-example": 5 frames, 320x240, ended (client)' "$tmp/listed" \
    || { cat "$tmp/listed"; fail "$(basename "$program") does not list the session and its 5 frames"; }
  grep -qx "  frame 1: frame_000001.jpg, 320x240, captured $captured UTC" "$tmp/listed" \
    || { cat "$tmp/listed"; fail "$(basename "$program") does not read frame 1 (size, capture time $captured)"; }
done
echo "examples/list_sessions lists the recorded session and reads its first frame"

# Completion of a SESSION argument: the recorded archive's ids and names.
[[ $(complete_words screenreel-replay --archive "$tmp/archive" play inst) == install-example ]] \
  || fail "screenreel-replay play inst<Tab>: $(complete_words screenreel-replay --archive "$tmp/archive" play inst)"
[[ $(complete_words screenreel-replay --archive "$tmp/archive" info "" | tr '\n' ' ') == "1 install-example " ]] \
  || fail "screenreel-replay info <Tab>: $(complete_words screenreel-replay --archive "$tmp/archive" info "")"
echo "completion: session ids and names from the archive"
echo "1 passed, 0 failed"

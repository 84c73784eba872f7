#!/usr/bin/env bash
# Issue 20: screenreel installs like a tool. Builds the .deb with CPack from BUILD_DIR, unpacks
# it into a temporary root (dpkg-deb -x) and checks what a user meets: the programs run
# (--help, --version), each man page renders with man -l, the bash completion loads and
# completes replay's commands and options, the receiver's unit passes systemd-analyze verify
# with its hardening, and cmake --install into a DESTDIR lays out the same files.
# Usage: install_test.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
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

root=$tmp/root
dpkg-deb -x "$deb" "$root"
(cd "$root" && find . -type f -o -type l | sort) >"$tmp/deb-files"

expected=(
  ./usr/bin/screenreel-capture ./usr/bin/screenreel-receiver ./usr/bin/screenreel-replay
  ./usr/share/man/man1/screenreel-capture.1 ./usr/share/man/man1/screenreel-receiver.1
  ./usr/share/man/man1/screenreel-replay.1
  ./usr/share/bash-completion/completions/screenreel-capture
  ./usr/share/bash-completion/completions/screenreel-receiver
  ./usr/share/bash-completion/completions/screenreel-replay
  ./usr/lib/systemd/system/screenreel-receiver.service
  ./usr/share/doc/screenreel/README.md
)
for f in "${expected[@]}"; do grep -qxF "$f" "$tmp/deb-files" || fail "package lacks $f"; done

for p in capture receiver replay; do
  bin=$root/usr/bin/screenreel-$p
  "$bin" --help >"$tmp/help" 2>&1 || fail "screenreel-$p --help"
  grep -q "Usage: screenreel-$p" "$tmp/help" || fail "screenreel-$p --help has no usage line"
  grep -q "screenreel-$p 0\." <<<"$("$bin" --version)" || fail "screenreel-$p --version"
  # The man page is the program's --help: every option of --help is in it.
  MANWIDTH=200 man -l "$root/usr/share/man/man1/screenreel-$p.1" 2>/dev/null | col -b >"$tmp/man" \
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
for setting in User=screenreel StateDirectory=screenreel ProtectSystem=strict ProtectHome=yes \
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

# cmake --install into a DESTDIR lays out the same files under the prefix.
DESTDIR=$tmp/destdir cmake --install "$build" --prefix /usr >/dev/null
(cd "$tmp/destdir" && find . -type f -o -type l | sort) >"$tmp/install-files"
diff <(grep -v '/schemas/' "$tmp/deb-files") <(grep -v '/schemas/' "$tmp/install-files") \
  || fail "cmake --install and the .deb differ"
grep -q '/usr/share/screenreel/schemas/wire-protocol.md' "$tmp/install-files" || fail "schemas not installed"
echo "1 passed, 0 failed"

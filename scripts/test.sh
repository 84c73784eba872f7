#!/usr/bin/env bash
# Sets everything up (packages, build with warnings as errors) and runs every test: the
# receiver's parser under libFuzzer for a bounded time (FUZZ_SECONDS, default 60), then every
# GoogleTest suite with CTest. Tests that need a display start their own Xvfb; nothing here
# needs $DISPLAY.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh -DSCREENREEL_WERROR=ON
bash scripts/fuzz.sh
cd build
# Tests labelled needs-wire hold issue 19's shaped-link targets that need the copy rectangles and
# JPEG strips; they stay out until those are merged (SCREENREEL_WIRE_TESTS=1 runs them too).
exclude=()
[ "${SCREENREEL_WIRE_TESTS:-0}" = 1 ] || exclude=(-LE needs-wire)
ctest --output-on-failure -j 2 --timeout 600 "${exclude[@]}" "$@"

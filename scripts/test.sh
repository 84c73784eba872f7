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
ctest --output-on-failure -j 2 --timeout 600 "$@"

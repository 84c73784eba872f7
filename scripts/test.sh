#!/usr/bin/env bash
# Sets everything up (packages, build with warnings as errors) and runs every test with CTest.
# Tests that need a display start their own Xvfb; nothing here needs $DISPLAY.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh -DSCREENREEL_WERROR=ON
cd build
ctest --output-on-failure -j 2 --timeout 600 "$@"

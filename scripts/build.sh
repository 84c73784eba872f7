#!/usr/bin/env bash
# Installs what screenreel needs (Debian packages), then configures and builds it into build/.
# Binaries land in build/bin/. Extra arguments go to cmake's configure step.
#   SCREENREEL_TARGETS="a b"   build only these targets (default: everything, tests included)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
targets=()
for t in ${SCREENREEL_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build build -j "$(nproc)" "${targets[@]}"

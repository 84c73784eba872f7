#!/usr/bin/env bash
# Installs what screenreel needs (Debian packages), then configures and builds it into build/.
# Binaries land in build/bin/. Extra arguments go to cmake's configure step.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
cmake --build build -j "$(nproc)"

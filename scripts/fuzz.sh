#!/usr/bin/env bash
# Fuzzes the receiver's message parser and frame decoder (tests/fuzz/receiver_fuzz.cpp) with
# libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer, for a bounded time.
#
#   bash scripts/fuzz.sh                     # 60 s (what CI runs)
#   FUZZ_SECONDS=600 bash scripts/fuzz.sh    # longer; extra arguments go to libFuzzer
#
# The longer run, before a release or after a change to protocol/src/{wire,message_reader,
# frame_codec}.cpp: one hour on every core, keeping the corpus it grows in build-fuzz/corpus
# for the next run:
#
#   FUZZ_SECONDS=3600 bash scripts/fuzz.sh -jobs="$(nproc)" -workers="$(nproc)"
#
# It builds into build-fuzz/ with clang (a standalone CMake project, tests/fuzz/CMakeLists.txt,
# which builds the protocol library with the same sanitizer flags as the target), writes the
# seed corpus (real streams from the capture test pattern, tests/fuzz/make_seeds.cpp) and runs
# the fuzzer. Exit status: 0 when nothing was found; non-zero on a crash, a sanitizer report, a
# leak, a timeout or an out-of-memory input; the input is saved in build-fuzz/artifacts/ and can
# be replayed with: build-fuzz/receiver_fuzz build-fuzz/artifacts/crash-...
# Needs clang and libFuzzer's runtime (Debian 12: clang, libclang-rt-14-dev).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-60}"
build=build-fuzz

if ! command -v clang++ >/dev/null; then
  echo "fuzz.sh: clang++ not found (Debian: apt-get install clang libclang-rt-14-dev)" >&2
  exit 1
fi
if ! echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }' |
  clang++ -x c++ -fsanitize=fuzzer - -o /dev/null 2>/dev/null; then
  echo "fuzz.sh: clang++ cannot link -fsanitize=fuzzer: libFuzzer's runtime is missing" \
    "(Debian 12: apt-get install libclang-rt-14-dev)" >&2
  exit 1
fi

CC=clang CXX=clang++ cmake -S tests/fuzz -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)"

rm -rf "$build/seeds"
"$build/make_seeds" "$build/seeds"
mkdir -p "$build/corpus" "$build/artifacts"

echo "fuzz.sh: fuzzing the receiver's read path for ${seconds} s"
# New inputs go to corpus/ (first directory); seeds/ is only read. -max_len: a FRAME of a small
# frame fits; larger inputs only slow the fuzzer down on the same code.
status=0
"$build/receiver_fuzz" \
  -max_len=65536 \
  -max_total_time="$seconds" \
  -timeout=10 \
  -rss_limit_mb=2048 \
  -dict=tests/fuzz/wire.dict \
  -artifact_prefix="$build/artifacts/" \
  -print_final_stats=1 \
  "$@" \
  "$build/corpus" "$build/seeds" || status=$?
if [ "$status" -ne 0 ]; then
  echo "fuzz.sh: the fuzzer found a problem (exit status $status); inputs in $build/artifacts/:" >&2
  ls -l "$build/artifacts/" >&2 || true
  exit "$status"
fi
echo "fuzz.sh: no crash in ${seconds} s"

// Writes the fuzzer's seed corpus: real client streams (recorded_stream.hpp) made with the real
// FrameEncoder from the capture test pattern, each behind the two slicing bytes that
// receiver_fuzz.cpp reads first. Small frames, so the fuzzer spends its time on the parser.
//
//   make_seeds DIR      # writes DIR/<name>-<slicing>.bin
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "recorded_stream.hpp"
#include "screenreel/protocol/wire.hpp"

namespace {
using screenreel::test::StreamSpec;

bool write(const std::filesystem::path& p, const std::vector<std::uint8_t>& bytes) {
  std::ofstream f(p, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(f);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds DIR\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  // (largest slice, slice seed): whole reads, one byte at a time, and two uneven patterns.
  const std::pair<int, int> slicings[] = {{0, 0}, {1, 0}, {7, 42}, {200, 3}};
  int written = 0;
  for (const auto& [name, spec] : screenreel::test::seed_specs()) {
    const auto stream = screenreel::test::make_recorded_stream(spec);
    for (const auto& [max, seed] : slicings) {
      std::vector<std::uint8_t> input = {static_cast<std::uint8_t>(max),
                                         static_cast<std::uint8_t>(seed)};
      input.insert(input.end(), stream.bytes.begin(), stream.bytes.end());
      const auto file =
          dir / (name + "-" + std::to_string(max) + "-" + std::to_string(seed) + ".bin");
      if (!write(file, input)) {
        std::fprintf(stderr, "make_seeds: cannot write %s\n", file.c_str());
        return 1;
      }
      ++written;
    }
  }
  // A client ERROR mid-session, and a stream that stops after the HELLO.
  auto basic = screenreel::test::make_recorded_stream(StreamSpec{});
  std::vector<std::uint8_t> err = {0, 0};
  err.insert(err.end(), basic.bytes.begin(),
             basic.bytes.begin() + static_cast<long>(basic.unit_starts[3]));
  const auto e = screenreel::wire::encode(
      screenreel::wire::Error{screenreel::wire::ErrorCode::kInternal, "capture failed"});
  err.insert(err.end(), e.begin(), e.end());
  std::vector<std::uint8_t> hello_only = {0, 0};
  hello_only.insert(hello_only.end(), basic.bytes.begin(),
                    basic.bytes.begin() + static_cast<long>(basic.unit_starts[2]));
  // Protocol 4: a key frame of JPEG strips (64x48: three strips of 64x16), their bytes only
  // shaped like entropy-coded data (a stuffed FF among them), then a delta frame of one strip.
  std::vector<std::uint8_t> strips = {0, 0};
  const auto add = [&strips](const std::vector<std::uint8_t>& m) { strips.insert(strips.end(), m.begin(), m.end()); };
  add(screenreel::wire::encode_preamble(4));
  screenreel::wire::Hello hello;
  hello.width = 64;
  hello.height = 48;
  hello.fps_milli = 30000;
  hello.name = "strips";
  add(screenreel::wire::encode(hello));
  const screenreel::JpegStripGrid grid(64, 48);
  const std::vector<std::uint8_t> coded = {0x12, 0x34, 0xFF, 0x00, 0x56};
  std::vector<std::uint8_t> frame;
  screenreel::wire::FrameMessageWriter key(frame, 1, 1000, 64, 48, screenreel::wire::kFrameFlagKey);
  for (std::uint32_t i = 0; i < grid.size(); ++i) key.add_jpeg_strip(grid, i, 90, coded);
  key.finish(0);
  add(frame);
  screenreel::wire::FrameMessageWriter delta(frame, 2, 2000, 64, 48, 0);
  delta.add_jpeg_strip(grid, 1, 90, coded);
  delta.finish(0);
  add(frame);
  add(screenreel::wire::encode(screenreel::wire::Bye{2, 0}));
  // Protocol 6: the basic stream (which offers version 6) with a WINDOWS after its first frame.
  std::vector<std::uint8_t> windows = {0, 0};
  windows.insert(windows.end(), basic.bytes.begin(), basic.bytes.begin() + static_cast<long>(basic.unit_starts[3]));
  screenreel::wire::Windows list;
  list.tick = 1;
  list.time_us = 1000;
  list.windows.push_back({0x00a00007, -5, 20, 320, 200, true, "notes"});
  list.windows.push_back({0x00c00003, 400, 0, 240, 180, false, "mail"});
  const auto w = screenreel::wire::encode(list);
  windows.insert(windows.end(), w.begin(), w.end());
  windows.insert(windows.end(), basic.bytes.begin() + static_cast<long>(basic.unit_starts[3]), basic.bytes.end());
  if (!write(dir / "client-error.bin", err) || !write(dir / "hello-only.bin", hello_only) ||
      !write(dir / "jpeg-strips.bin", strips) || !write(dir / "windows.bin", windows))
    return 1;
  written += 4;
  std::printf("make_seeds: %d seed streams in %s\n", written, dir.c_str());
  return 0;
}

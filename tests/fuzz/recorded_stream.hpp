// Real client byte streams (what screenreel-capture sends: preamble, HELLO, FRAMEs, BYE), made
// with the project's own FrameEncoder from the capture test pattern. They seed the fuzzer and
// give the hostile-client tests a genuine recording to cut, corrupt and replay.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace screenreel::test {

struct StreamSpec {
  std::uint32_t width = 64;
  std::uint32_t height = 48;
  double fps = 10;
  std::string name = "seed";
  int frames = 5;            // FRAMEs after the first (key) one is counted in
  int key_every = 0;         // > 0: every key_every-th frame is a key frame (besides the first)
  bool repeat_last = false;  // one more FRAME with no rectangles (--every-frame on a still screen)
  bool noise_frame = false;  // frame 2 is random noise: its tiles go raw (LZ4 does not help)
  bool scroll = false;       // text scrolling up 8 rows a frame, sent with copies (protocol 3)
  bool yuv420 = false;       // tiles as 4:2:0 planes (protocol 5: HELLO offers them, as --wire-pixels yuv420)
  bool bye = true;           // end with BYE (a client that stops on its own)
  // Protocol 4's SKIPPED for the tick without a frame, then MARKER, PAUSE and RESUME, each in the
  // unit of the FRAME that follows it (so unit_starts still names FRAMEs).
  bool events = false;
};

struct RecordedStream {
  std::vector<std::uint8_t> bytes;
  // Where each unit starts in `bytes`: [0] the preamble, [1] HELLO, then each FRAME, then BYE;
  // the last element is bytes.size().
  std::vector<std::size_t> unit_starts;
  std::vector<std::uint64_t> frame_seqs;  // the FRAMEs' seq (tick) fields, in order
  // The pixels (BGRX) each FRAME leaves the receiver's decoder with.
  std::vector<std::vector<std::uint8_t>> frame_pixels;
};

RecordedStream make_recorded_stream(const StreamSpec& spec);

// The streams the fuzzer is seeded with, by name: frames of one tile and of several partial
// tiles, a second key frame, a repeat without rectangles, raw (incompressible) tiles, the
// smallest size, a stream without BYE, scrolled text sent as copy rectangles, and protocol 4's
// markers, pause and skipped ticks between the frames, and protocol 5's 4:2:0 tiles.
std::vector<std::pair<std::string, StreamSpec>> seed_specs();

// The test pattern's pixels at `tick` (0-based) with the size and fps of `spec`.
std::vector<std::uint8_t> pattern_pixels(const StreamSpec& spec, std::uint64_t tick);

}  // namespace screenreel::test

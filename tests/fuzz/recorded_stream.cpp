// Builds client streams with the real encoder (see recorded_stream.hpp).
#include "recorded_stream.hpp"

#include <random>
#include <stdexcept>

#include "screenreel/capture/test_pattern.hpp"
#include "screenreel/protocol/frame_codec.hpp"
#include "screenreel/protocol/wire.hpp"

namespace screenreel::test {

std::vector<std::uint8_t> pattern_pixels(const StreamSpec& spec, std::uint64_t tick) {
  std::vector<std::uint8_t> px(std::size_t{spec.width} * spec.height * 4);
  capture::render_test_pattern(spec.width, spec.height, spec.fps, tick, px.data());
  return px;
}

RecordedStream make_recorded_stream(const StreamSpec& spec) {
  RecordedStream s;
  auto append = [&s](const std::vector<std::uint8_t>& unit) {
    s.unit_starts.push_back(s.bytes.size());
    s.bytes.insert(s.bytes.end(), unit.begin(), unit.end());
  };
  append(wire::encode_preamble());
  wire::Hello hello;
  hello.width = spec.width;
  hello.height = spec.height;
  hello.fps_milli = static_cast<std::uint32_t>(spec.fps * 1000);
  hello.client_time_us = 1'700'000'000'000'000;
  hello.name = spec.name;
  hello.source = "test-pattern " + std::to_string(spec.width) + "x" + std::to_string(spec.height);
  append(wire::encode(hello));

  FrameEncoder encoder(spec.width, spec.height);
  std::mt19937 noise_rng(7);
  std::uint64_t tick = 0;
  std::vector<std::uint8_t> last;
  const std::size_t stride = std::size_t{spec.width} * 4;
  auto emit = [&](const std::vector<std::uint8_t>& px, bool key, bool force) {
    ++tick;
    std::vector<std::uint8_t> message;
    const auto t_us = static_cast<std::int64_t>(1'700'000'000'000'000 + tick * 100'000);
    // Nothing changed (a frame too small to show the pattern's counter): sent anyway, as
    // --every-frame would, with no rectangles.
    if (!encoder.encode(px.data(), stride, tick, t_us, key, force, message) &&
        !encoder.encode(px.data(), stride, tick, t_us, key, true, message))
      throw std::logic_error("test stream: the encoder sent nothing");
    append(message);
    s.frame_seqs.push_back(tick);
    s.frame_pixels.push_back(encoder.reference().pixels);
    last = px;
  };
  for (int i = 0; i < spec.frames; ++i) {
    if (i == 3) ++tick;  // a tick with nothing sent: seq has gaps, as from a real client
    std::vector<std::uint8_t> px;
    if (spec.noise_frame && i == 1) {
      px.resize(stride * spec.height);
      for (auto& b : px) b = static_cast<std::uint8_t>(noise_rng());
    } else {
      px = pattern_pixels(spec, tick);
    }
    const bool key = spec.key_every > 0 && i > 0 && i % spec.key_every == 0;
    emit(px, key, false);
  }
  if (spec.repeat_last) emit(last, false, true);
  if (spec.bye) append(wire::encode(wire::Bye{s.frame_seqs.size(), 0}));
  s.unit_starts.push_back(s.bytes.size());
  return s;
}

std::vector<std::pair<std::string, StreamSpec>> seed_specs() {
  std::vector<std::pair<std::string, StreamSpec>> out;
  StreamSpec basic;  // 64x48: one tile, a key frame then deltas, BYE
  out.emplace_back("basic-64x48", basic);
  StreamSpec
      tiles;  // 130x70: partial tiles, rectangles narrower than the frame, a second key frame
  tiles.width = 130;
  tiles.height = 70;
  tiles.frames = 5;
  tiles.key_every = 4;
  out.emplace_back("tiles-130x70", tiles);
  StreamSpec repeat;  // a FRAME without rectangles (--every-frame on a still screen)
  repeat.frames = 3;
  repeat.repeat_last = true;
  out.emplace_back("repeat-64x48", repeat);
  StreamSpec noise;  // incompressible tiles are sent raw
  noise.width = 40;
  noise.height = 32;
  noise.frames = 3;
  noise.noise_frame = true;
  out.emplace_back("raw-40x32", noise);
  StreamSpec tiny;  // the smallest frame the protocol allows, and no BYE (the link drops)
  tiny.width = tiny.height = 16;
  tiny.frames = 4;
  tiny.noise_frame = true;
  tiny.bye = false;
  out.emplace_back("min-16x16", tiny);
  return out;
}

}  // namespace screenreel::test

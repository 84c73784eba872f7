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

namespace {

// Rows `top` to `top + height` of an endless page of text-like lines: ink in cells of 4 pixels,
// each row different from the others (so a scroll is found), a blank line every 16.
std::vector<std::uint8_t> page_pixels(const StreamSpec& spec, std::uint32_t top) {
  std::vector<std::uint8_t> px(std::size_t{spec.width} * spec.height * 4);
  for (std::uint32_t y = 0; y < spec.height; ++y)
    for (std::uint32_t x = 0; x < spec.width; ++x) {
      const std::uint32_t r = top + y;
      std::uint32_t v = r * 2654435761u ^ (x / 4) * 40503u;
      v ^= v >> 13;
      v *= 0x5bd1e995u;
      v ^= v >> 15;
      const std::uint8_t ink = r % 16 == 15 ? 0 : v % 3 == 0 ? 230 : 20;
      std::uint8_t* p = px.data() + (std::size_t{y} * spec.width + x) * 4;
      p[0] = p[1] = p[2] = ink;
    }
  return px;
}

}  // namespace

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
  hello.wire_pixels = spec.yuv420 ? wire::kWirePixelsYuv420 : 0;
  append(wire::encode(hello));

  FrameEncoder encoder(spec.width, spec.height);
  encoder.enable_copies(spec.scroll);
  encoder.enable_yuv420(spec.yuv420);
  std::mt19937 noise_rng(7);
  std::uint64_t tick = 0;
  std::vector<std::uint8_t> last;
  std::vector<std::uint8_t> pending;  // protocol 4 messages for the next FRAME's unit
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
    message.insert(message.begin(), pending.begin(), pending.end());
    pending.clear();
    append(message);
    s.frame_seqs.push_back(tick);
    s.frame_pixels.push_back(encoder.peer().pixels);
    last = px;
  };
  for (int i = 0; i < spec.frames; ++i) {
    std::vector<std::uint8_t> events;  // protocol 4: they go before this frame, in its unit
    const auto add = [&events](const std::vector<std::uint8_t>& m) { events.insert(events.end(), m.begin(), m.end()); };
    if (i == 3) {
      ++tick;  // a tick with nothing sent: seq has gaps, as from a real client
      if (spec.events) add(wire::encode(wire::Skipped{tick, tick, wire::SkipCause::kUnchanged}));
    }
    if (spec.events && i == 2) add(wire::encode(wire::Marker{tick, 1'700'000'000'000'000, wire::MarkerSource::kSignal, "seed"}));
    if (spec.events && i == 4) {
      add(wire::encode(wire::Pause{tick + 1, 1'700'000'000'000'000, "key p"}));
      add(wire::encode(wire::Skipped{tick + 1, tick + 2, wire::SkipCause::kPaused}));
      add(wire::encode(wire::Resume{tick + 3, 1'700'000'000'000'000}));
      tick += 2;
    }
    std::vector<std::uint8_t> px;
    if (spec.noise_frame && i == 1) {
      px.resize(stride * spec.height);
      for (auto& b : px) b = static_cast<std::uint8_t>(noise_rng());
    } else if (spec.scroll) {
      px = page_pixels(spec, static_cast<std::uint32_t>(i) * 8);
    } else {
      px = pattern_pixels(spec, tick);
    }
    const bool key = spec.key_every > 0 && i > 0 && i % spec.key_every == 0;
    pending = std::move(events);
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
  StreamSpec scroll;  // two tile rows of text scrolling up: copy rectangles, then the new rows
  scroll.width = 64;
  scroll.height = 80;
  scroll.frames = 5;
  scroll.scroll = true;
  out.emplace_back("scroll-64x80", scroll);
  StreamSpec events;  // protocol 4: a skipped tick, a marker, a pause of two ticks
  events.frames = 6;
  events.events = true;
  out.emplace_back("events-64x48", events);
  StreamSpec yuv;  // protocol 5: 4:2:0 tiles, partial ones at odd edges, with copies of scrolled text
  yuv.width = 130;
  yuv.height = 81;
  yuv.frames = 5;
  yuv.scroll = true;
  yuv.yuv420 = true;
  out.emplace_back("yuv420-130x81", yuv);
  return out;
}

}  // namespace screenreel::test

// The fuzz target (tests/fuzz/receiver_fuzz.cpp) in the ordinary build: its seed streams are
// real recordings that decode frame for frame, and the target survives them, every truncation
// of them, and a fixed set of random mutations. libFuzzer itself runs in scripts/fuzz.sh; this
// keeps the target compiling and its invariants passing in every CTest run (and under the asan
// preset, with the sanitizers).
#include <gtest/gtest.h>

#include <random>

#include "../fuzz/recorded_stream.hpp"
#include "screenreel/protocol/frame_codec.hpp"
#include "screenreel/protocol/message_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace screenreel {
namespace {
using Bytes = std::vector<std::uint8_t>;

int fuzz(const Bytes& input) {
  return LLVMFuzzerTestOneInput(input.data(), input.size());
}

Bytes with_slicing(std::uint8_t max, std::uint8_t seed, const Bytes& stream) {
  Bytes out = {max, seed};
  out.insert(out.end(), stream.begin(), stream.end());
  return out;
}

TEST(FuzzSeeds, EverySeedStreamDecodesFrameForFrame) {
  for (const auto& [name, spec] : test::seed_specs()) {
    SCOPED_TRACE(name);
    const auto stream = test::make_recorded_stream(spec);
    EXPECT_LE(stream.bytes.size() + 2, 65536u) << "over the fuzzer's -max_len";
    wire::MessageReader reader;
    std::optional<FrameDecoder> decoder;
    std::size_t pos = 0, frames = 0, copies = 0;
    bool bye = false;
    while (pos < stream.bytes.size()) {
      auto buf = reader.buffer();
      ASSERT_FALSE(buf.empty());
      const std::size_t n = std::min(buf.size(), stream.bytes.size() - pos);
      std::copy_n(stream.bytes.begin() + static_cast<long>(pos), n, buf.begin());
      pos += n;
      const auto e = reader.commit(n);
      ASSERT_NE(e, wire::MessageReader::Event::kError) << reader.error().what;
      if (e != wire::MessageReader::Event::kMessage) continue;
      auto m = wire::decode_body(reader.type(), reader.body());
      ASSERT_TRUE(m) << m.error().what;
      if (auto* h = std::get_if<wire::Hello>(&*m)) decoder.emplace(h->width, h->height);
      if (auto* f = std::get_if<wire::FrameView>(&*m)) {
        ASSERT_TRUE(decoder);
        for (const auto& r : f->rects) copies += r.encoding == wire::RectEncoding::kCopy;
        auto applied = decoder->apply(*f);
        ASSERT_TRUE(applied) << applied.error().what;
        ASSERT_LT(frames, stream.frame_pixels.size());
        EXPECT_EQ(decoder->frame().pixels, stream.frame_pixels[frames]) << "frame " << frames;
        ++frames;
      }
      if (std::holds_alternative<wire::Bye>(*m)) bye = true;
    }
    EXPECT_EQ(frames, stream.frame_seqs.size());
    EXPECT_EQ(bye, spec.bye);
    // The scrolling seed puts copy rectangles before the fuzzer (the others have none to find).
    if (spec.scroll) EXPECT_GE(copies, 4u);
    else EXPECT_EQ(copies, 0u);
  }
}

TEST(FuzzTarget, SurvivesTheSeedsSlicedEveryWayAndEveryTruncation) {
  for (const auto& [name, spec] : test::seed_specs()) {
    SCOPED_TRACE(name);
    const auto stream = test::make_recorded_stream(spec);
    for (int max : {0, 1, 2, 3, 7, 64, 255})
      for (int seed : {0, 1, 200})
        EXPECT_EQ(fuzz(with_slicing(static_cast<std::uint8_t>(max), static_cast<std::uint8_t>(seed),
                                    stream.bytes)),
                  0);
    for (std::size_t n = 0; n <= stream.bytes.size(); n += 7)
      fuzz(with_slicing(0, 0,
                        Bytes(stream.bytes.begin(), stream.bytes.begin() + static_cast<long>(n))));
  }
}

// Mutations like libFuzzer's simplest ones, reproducible: flip bits, set bytes to boundary
// values, insert or erase a run, splice two streams.
TEST(FuzzTarget, SurvivesRandomMutationsOfTheSeeds) {
  std::vector<Bytes> streams;
  for (const auto& [name, spec] : test::seed_specs())
    streams.push_back(test::make_recorded_stream(spec).bytes);
  std::mt19937_64 rng(20261125);
  const std::uint8_t interesting[] = {0x00, 0x01, 0x7f, 0x80, 0xff, 0x10, 0x20, 0x40};
  for (int i = 0; i < 3000; ++i) {
    Bytes s = streams[rng() % streams.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !s.empty(); ++e) {
      const std::size_t at = rng() % s.size();
      switch (rng() % 5) {
        case 0:
          s[at] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
          break;
        case 1:
          s[at] = interesting[rng() % sizeof interesting];
          break;
        case 2:
          s.erase(s.begin() + static_cast<long>(at),
                  s.begin() + static_cast<long>(std::min(s.size(), at + 1 + rng() % 16)));
          break;
        case 3:
          s.insert(s.begin() + static_cast<long>(at), 1 + rng() % 16,
                   static_cast<std::uint8_t>(rng()));
          break;
        case 4: {
          const Bytes& other = streams[rng() % streams.size()];
          const std::size_t from = rng() % other.size();
          s.resize(at);
          s.insert(s.end(), other.begin() + static_cast<long>(from), other.end());
          break;
        }
      }
    }
    EXPECT_EQ(
        fuzz(with_slicing(static_cast<std::uint8_t>(rng()), static_cast<std::uint8_t>(rng()), s)),
        0);
  }
}

}  // namespace
}  // namespace screenreel

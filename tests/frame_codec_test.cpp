// The tile-diff + LZ4 frame codec: bit-exact round trips through real FRAME bytes, and the
// decoder's refusals (bad LZ4, wrong size, hash mismatch, sequence rules).
#include "screenreel/protocol/frame_codec.hpp"

#include <gtest/gtest.h>

#include <limits>

#include <algorithm>
#include <cstring>
#include <random>

#include "screenreel/protocol/wire.hpp"

namespace screenreel {
namespace {

using Bytes = std::vector<std::uint8_t>;

FrameBuffer pattern(std::uint32_t w, std::uint32_t h, std::uint32_t seed) {
  FrameBuffer f(w, h);
  std::mt19937 rng(seed);
  for (std::uint32_t y = 0; y < h; ++y)
    for (std::uint32_t x = 0; x < w; ++x) {
      std::uint8_t* p = f.row(y) + x * 4;
      p[0] = static_cast<std::uint8_t>(x + seed);
      p[1] = static_cast<std::uint8_t>(y * 3);
      p[2] = static_cast<std::uint8_t>((x / 8 + y / 8) % 2 ? 200 : rng() & 0xff);
      p[3] = 0;
    }
  return f;
}

wire::FrameView parse(const Bytes& message) {
  auto h = wire::decode_header(std::span(message).first(wire::kHeaderBytes));
  EXPECT_TRUE(h) << h.error().what;
  auto m =
      wire::decode_body(wire::MessageType::kFrame, std::span(message).subspan(wire::kHeaderBytes));
  EXPECT_TRUE(m) << m.error().what;
  return std::get<wire::FrameView>(*m);
}

TEST(FrameCodec, RoundTripsBitExactThroughChangesOfEveryShape) {
  // Not a multiple of the tile size, so edge tiles are partial.
  const std::uint32_t w = 300, h = 170;
  FrameEncoder enc(w, h);
  FrameDecoder dec(w, h);
  FrameBuffer screen = pattern(w, h, 1);
  Bytes msg;
  std::uint64_t seq = 0;

  auto send = [&](bool key) {
    msg.clear();
    ++seq;
    auto stats =
        enc.encode(screen.pixels.data(), screen.stride(), seq, 1000 * seq, key, false, msg);
    if (!stats) return false;
    const Bytes copy = msg;  // the view points into it
    auto view = parse(copy);
    auto applied = dec.apply(view);
    EXPECT_TRUE(applied) << applied.error().what;
    EXPECT_EQ(dec.frame().pixels, screen.pixels) << "after seq " << seq;
    return true;
  };

  ASSERT_TRUE(send(false));   // first frame: always whole
  EXPECT_FALSE(send(false));  // nothing changed: nothing to send

  screen.row(5)[4] ^= 0xff;  // one pixel in the first tile
  ASSERT_TRUE(send(false));
  screen.row(h - 1)[(w - 1) * 4] ^= 0x55;  // last pixel: the partial corner tile
  ASSERT_TRUE(send(false));
  for (std::uint32_t y = 60; y < 140; ++y)
    std::memset(screen.row(y) + 100 * 4, y, 150 * 4);  // a block over tiles
  ASSERT_TRUE(send(false));
  screen = pattern(w, h, 2);  // everything
  ASSERT_TRUE(send(false));
  EXPECT_FALSE(send(true));  // a key frame of an unchanged screen is not sent either
}

// The compare runs a pixel row at a time over runs of neighbouring tiles in the same state (see
// FrameEncoder::encode): a change anywhere in a tile (its first or last row, its first or last
// byte, next to a changed or an unchanged neighbour) must mark exactly that tile, and the frame
// must still round-trip bit-exact.
TEST(FrameCodec, FindsExactlyTheTilesThatChangedWhereverInTheTileTheChangeIs) {
  const std::uint32_t w = 64 * 7 + 13, h = 64 * 4 + 5, tiles_x = 8,
                      tiles_y = 5;  // partial edge tiles
  FrameEncoder enc(w, h);
  FrameDecoder dec(w, h);
  FrameBuffer screen = pattern(w, h, 7);
  Bytes msg;
  ASSERT_TRUE(enc.encode(screen.pixels.data(), screen.stride(), 1, 0, false, false, msg));
  ASSERT_TRUE(dec.apply(parse(Bytes(msg))));
  std::mt19937 rng(11);
  for (std::uint64_t seq = 2; seq < 200; ++seq) {
    std::vector<bool> touched(tiles_x * tiles_y);
    const int changes = static_cast<int>(rng() % 6);  // 0: nothing changes, nothing is sent
    for (int i = 0; i < changes; ++i) {
      const std::uint32_t tx = rng() % tiles_x, ty = rng() % tiles_y;
      const std::uint32_t tw = std::min(w - tx * 64, 64u), th = std::min(h - ty * 64, 64u);
      // Corners and edges of the tile as often as anywhere inside it.
      const std::uint32_t picks[] = {0, th - 1, static_cast<std::uint32_t>(rng() % th)};
      const std::uint32_t y = ty * 64 + picks[rng() % 3];
      const std::uint32_t xs[] = {0, tw * 4 - 1, static_cast<std::uint32_t>(rng() % (tw * 4))};
      const std::uint32_t byte = tx * 64 * 4 + xs[rng() % 3];
      screen.row(y)[byte] ^= static_cast<std::uint8_t>(1 + rng() % 255);
      touched[ty * tiles_x + tx] = true;
    }
    msg.clear();
    const auto stats = enc.encode(screen.pixels.data(), screen.stride(), seq, 0, false, false, msg);
    const auto expected =
        static_cast<std::uint32_t>(std::count(touched.begin(), touched.end(), true));
    if (expected == 0) {
      EXPECT_FALSE(stats) << "seq " << seq;
      continue;
    }
    ASSERT_TRUE(stats) << "seq " << seq;
    EXPECT_EQ(stats->tiles_changed, expected) << "seq " << seq;
    const Bytes copy = msg;
    const auto view = parse(copy);
    std::vector<bool> sent(tiles_x * tiles_y);
    for (const auto& r : view.rects)
      for (std::uint32_t ty = r.y / 64; ty < (r.y + r.h + 63) / 64; ++ty)
        for (std::uint32_t tx = r.x / 64; tx < (r.x + r.w + 63) / 64; ++tx)
          sent[ty * tiles_x + tx] = true;
    EXPECT_EQ(sent, touched) << "seq " << seq;
    const auto applied = dec.apply(view);
    ASSERT_TRUE(applied) << applied.error().what;
    ASSERT_EQ(dec.frame().pixels, screen.pixels) << "seq " << seq;
  }
}

TEST(FrameCodec, OnlyChangedTilesAreSent) {
  FrameEncoder enc(640, 480);
  FrameBuffer screen = pattern(640, 480, 3);
  Bytes msg;
  auto first = enc.encode(screen.pixels.data(), screen.stride(), 1, 0, false, false, msg);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->tiles_changed, first->tiles_total);
  screen.row(100)[200 * 4] ^= 1;
  auto second = enc.encode(screen.pixels.data(), screen.stride(), 2, 0, false, false, msg);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->tiles_changed, 1u);
  EXPECT_EQ(second->rects, 1u);
  EXPECT_EQ(second->raw_bytes, 64u * 64 * 4);
  EXPECT_FALSE(parse(msg).is_key());
}

TEST(FrameCodec, KeyFrameSendsEveryTileWhenSomethingChanged) {
  FrameEncoder enc(256, 128);
  FrameBuffer screen = pattern(256, 128, 4);
  Bytes msg;
  ASSERT_TRUE(enc.encode(screen.pixels.data(), screen.stride(), 1, 0, false, false, msg));
  screen.row(0)[0] ^= 1;
  auto key = enc.encode(screen.pixels.data(), screen.stride(), 2, 0, true, false, msg);
  ASSERT_TRUE(key);
  EXPECT_TRUE(parse(msg).is_key());
  EXPECT_EQ(key->raw_bytes, 256u * 128 * 4);
}

TEST(FrameCodec, ForceSendsAnUnchangedFrameWithNoRects) {
  FrameEncoder enc(64, 64);
  FrameDecoder dec(64, 64);
  FrameBuffer screen = pattern(64, 64, 5);
  Bytes msg;
  ASSERT_TRUE(enc.encode(screen.pixels.data(), screen.stride(), 1, 0, false, false, msg));
  Bytes first = msg;
  ASSERT_TRUE(dec.apply(parse(first)));
  ASSERT_TRUE(enc.encode(screen.pixels.data(), screen.stride(), 2, 0, false, true, msg));
  auto view = parse(msg);
  EXPECT_TRUE(view.rects.empty());
  EXPECT_TRUE(dec.apply(view));
}

TEST(FrameCodec, StridedSourceIsReadCorrectly) {
  const std::uint32_t w = 100, h = 70;
  const std::size_t stride = w * 4 + 64;  // padded rows, as some X servers give
  Bytes padded(stride * h, 0xEE);
  FrameBuffer expect = pattern(w, h, 6);
  for (std::uint32_t y = 0; y < h; ++y)
    std::memcpy(padded.data() + y * stride, expect.row(y), w * 4);
  FrameEncoder enc(w, h);
  FrameDecoder dec(w, h);
  Bytes msg;
  ASSERT_TRUE(enc.encode(padded.data(), stride, 1, 0, false, false, msg));
  ASSERT_TRUE(dec.apply(parse(msg)));
  EXPECT_EQ(dec.frame().pixels, expect.pixels);
}

// The capture source's hint (X DAMAGE): only the tiles it touches are compared; an empty hint
// reads nothing; the first frame and key frames compare everything whatever it says.
TEST(FrameCodec, AFrameHandedToReadersIsNeverChangedAndIsReusedOnceTheyLetGo) {
  const std::uint32_t w = 200, h = 130;
  FrameEncoder enc(w, h);
  int allocations = 0;
  FrameDecoder dec(w, h, [&](std::uint32_t fw, std::uint32_t fh) {
    ++allocations;
    return std::make_shared<FrameBuffer>(fw, fh);
  });
  FrameBuffer screen = pattern(w, h, 7);
  std::uint64_t seq = 0;
  const auto send = [&] {
    Bytes msg;
    ++seq;
    ASSERT_TRUE(enc.encode(screen.pixels.data(), screen.stride(), seq, 0, false, false, msg));
    const auto applied = dec.apply(parse(msg));
    ASSERT_TRUE(applied) << applied.error().what;
    ASSERT_EQ(dec.frame().pixels, screen.pixels);
  };
  send();  // the key frame allocates the first buffer
  EXPECT_EQ(allocations, 1);

  // A reader holds frame 1: frame 2 goes into a new buffer built on a copy of it, and frame 1
  // stays as it was.
  auto first = dec.share();
  const Bytes first_pixels = first->pixels;
  std::memset(screen.row(70) + 130 * 4, 0xee, 40 * 4);
  send();
  EXPECT_EQ(allocations, 2);
  EXPECT_EQ(first->pixels, first_pixels);
  EXPECT_NE(dec.share().get(), first.get());

  // Nobody holds frame 2 beyond the decoder: frame 3 is drawn into it in place.
  first.reset();
  const FrameBuffer* second = dec.share().get();
  std::memset(screen.row(5) + 5 * 4, 0x11, 10 * 4);
  send();
  EXPECT_EQ(allocations, 2);
  EXPECT_EQ(dec.share().get(), second);
}

// As in the receiver: buffers come from a pool that gets them back when their readers let go,
// and readers (the encoders, the window) hold frames for a while. A recycled buffer that held
// an earlier frame is brought up to date with the tiles changed since; one too old, or from
// another decoder, is copied whole. Every frame must still be the screen, bit for bit.
TEST(FrameCodec, ARecycledBufferGetsOnlyTheTilesChangedSinceItsFrame) {
  const std::uint32_t w = 640, h = 400;
  std::vector<std::unique_ptr<FrameBuffer>> pool;
  const auto allocate = [&pool](std::uint32_t fw, std::uint32_t fh) {
    std::unique_ptr<FrameBuffer> b;
    if (!pool.empty()) {
      b = std::move(pool.back());  // the last one let go (as the receiver's pool)
      pool.pop_back();
    } else {
      b = std::make_unique<FrameBuffer>(fw, fh);
    }
    return std::shared_ptr<FrameBuffer>(b.release(), [&pool](FrameBuffer* p) { pool.emplace_back(p); });
  };
  FrameEncoder enc(w, h), other_enc(w, h);
  FrameDecoder dec(w, h, allocate), other(w, h, allocate);  // two sessions share the pool
  FrameBuffer screen = pattern(w, h, 3), other_screen = pattern(w, h, 4);
  std::mt19937 rng(9);
  std::vector<std::shared_ptr<const FrameBuffer>> readers;
  std::uint64_t seq = 0;
  const std::size_t frame_bytes = screen.pixels.size();
  std::uint64_t carried_before = 0, frames_carried = 0;
  for (int i = 0; i < 300; ++i) {
    // A small change: one block somewhere.
    const std::uint32_t x = rng() % (w - 20), y = rng() % (h - 20);
    for (std::uint32_t r = y; r < y + 1 + rng() % 19; ++r) std::memset(screen.row(r) + x * 4, static_cast<int>(rng()), 20 * 4);
    Bytes msg;
    ++seq;
    const bool key = i % 97 == 50;
    if (!enc.encode(screen.pixels.data(), screen.stride(), seq, 0, key, false, msg)) continue;
    const auto applied = dec.apply(parse(msg));
    ASSERT_TRUE(applied) << applied.error().what << " at frame " << i;
    ASSERT_EQ(dec.frame().pixels, screen.pixels) << "frame " << i;
    if (dec.bytes_carried() != carried_before) ++frames_carried;
    carried_before = dec.bytes_carried();
    // Readers take the frame and let go of frames in random order, up to 6 held.
    readers.push_back(dec.share());
    while (readers.size() > 1 + rng() % 6) readers.erase(readers.begin() + static_cast<long>(rng() % readers.size()));
    if (i % 40 == 7) {  // now and then the other session draws into a buffer from the same pool
      Bytes other_msg;
      other_screen.row(i % h)[0] ^= 0xff;
      if (other_enc.encode(other_screen.pixels.data(), other_screen.stride(), seq, 0, false, false, other_msg)) {
        ASSERT_TRUE(other.apply(parse(other_msg)));
        readers.push_back(other.share());
      }
    }
  }
  // The frames carried over copied far less than whole frames would have.
  ASSERT_GT(frames_carried, 200u);
  EXPECT_LT(dec.bytes_carried(), frames_carried * frame_bytes / 4);
}

TEST(FrameCodec, ChangedRectanglesLimitTheCompareToTheTilesTheyTouch) {
  const std::uint32_t w = 300, h = 170;  // partial edge tiles
  FrameEncoder enc(w, h);
  FrameDecoder dec(w, h);
  FrameBuffer screen = pattern(w, h, 7);
  Bytes msg;
  std::uint64_t seq = 0;
  const auto send = [&](std::optional<std::span<const PixelRect>> changed, bool key = false) {
    msg.clear();
    ++seq;
    auto stats =
        enc.encode(screen.pixels.data(), screen.stride(), seq, 0, key, false, msg, changed);
    if (stats) {
      const Bytes copy = msg;
      auto applied = dec.apply(parse(copy));
      EXPECT_TRUE(applied) << applied.error().what;
    }
    return stats;
  };
  const std::vector<PixelRect> nothing;
  ASSERT_TRUE(send(nothing)) << "the first frame is whole, whatever the hint";
  EXPECT_EQ(dec.frame().pixels, screen.pixels);

  // Two tiles change; the hint names one of them (a rectangle inside tile 1,0): only it is sent.
  screen.row(10)[70 * 4] ^= 0xff;   // tile (1, 0)
  screen.row(100)[10 * 4] ^= 0xff;  // tile (0, 1)
  const std::vector<PixelRect> one{{66, 5, 10, 10}};
  auto stats = send(one);
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->tiles_changed, 1u);
  EXPECT_EQ(stats->rects, 1u);
  EXPECT_EQ(parse(msg).rects[0].x, 64u);
  EXPECT_EQ(parse(msg).rects[0].y, 0u);

  // Nothing changed: nothing read (no pixels at all) and nothing sent, even for a key frame.
  EXPECT_FALSE(
      enc.encode(nullptr, 0, ++seq, 0, false, false, msg, std::span<const PixelRect>(nothing)));
  EXPECT_FALSE(
      enc.encode(nullptr, 0, ++seq, 0, true, false, msg, std::span<const PixelRect>(nothing)));

  // A rectangle past the frame's edges is clipped to it (the corner tile is partial).
  screen.row(h - 1)[(w - 1) * 4] ^= 0x55;
  const std::vector<PixelRect> corner{{290, 160, 1000, 1000}};
  stats = send(corner);
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->tiles_changed, 1u);

  // A key frame compares everything: the change the hint left out arrives with it.
  screen.row(0)[0] ^= 1;
  const std::vector<PixelRect> first_pixel{{0, 0, 1, 1}};
  stats = send(first_pixel, true);
  ASSERT_TRUE(stats);
  EXPECT_TRUE(parse(msg).is_key());
  EXPECT_EQ(dec.frame().pixels, screen.pixels);
}

class Decoder : public ::testing::Test {
 protected:
  void SetUp() override {
    // A smooth picture, so that LZ4 compresses it and the rects travel as LZ4.
    screen = FrameBuffer(128, 128);
    for (std::uint32_t y = 0; y < 128; ++y)
      for (std::uint32_t x = 0; x < 128; ++x)
        screen.row(y)[x * 4 + 1] = static_cast<std::uint8_t>(x / 4 + y / 4);
    ASSERT_TRUE(enc.encode(screen.pixels.data(), screen.stride(), 5, 0, false, false, key_msg));
  }
  FrameBuffer screen;
  FrameEncoder enc{128, 128};
  FrameDecoder dec{128, 128};
  Bytes key_msg;
};

TEST_F(Decoder, RefusesAHashMismatch) {
  auto view = parse(key_msg);
  view.pixel_hash ^= 1;
  auto applied = dec.apply(view);
  ASSERT_FALSE(applied);
  EXPECT_EQ(applied.error().code, wire::ErrorCode::kHashMismatch);
}

TEST_F(Decoder, RefusesLz4DataThatDecodesToTheWrongSize) {
  auto view = parse(key_msg);
  ASSERT_EQ(view.rects[0].encoding, wire::RectEncoding::kLz4);
  view.rects[0].h -= 1;  // declared size != decoded size
  auto applied = dec.apply(view);
  ASSERT_FALSE(applied);
  EXPECT_NE(applied.error().what.find("LZ4"), std::string::npos);
}

TEST_F(Decoder, RefusesCorruptLz4Data) {
  Bytes corrupt = key_msg;
  // Overwrite the start of the first rect's data with garbage tokens.
  const std::size_t data = wire::kHeaderBytes + 40 + 24;
  for (std::size_t i = 0; i < 16; ++i) corrupt[data + i] = 0xFF;
  auto view = parse(corrupt);
  EXPECT_FALSE(dec.apply(view));
}

TEST_F(Decoder, RefusesARectOutsideTheFrameEvenIfTheParserWasBypassed) {
  auto view = parse(key_msg);
  view.rects[0].x = 100;
  EXPECT_FALSE(dec.apply(view));
}

TEST_F(Decoder, EnforcesTheSequenceRules) {
  screen.row(0)[0] ^= 1;
  Bytes delta;
  ASSERT_TRUE(enc.encode(screen.pixels.data(), screen.stride(), 6, 0, false, false, delta));
  auto applied = dec.apply(parse(delta));  // first frame not a key frame
  ASSERT_FALSE(applied);
  EXPECT_EQ(applied.error().code, wire::ErrorCode::kBadSequence);

  ASSERT_TRUE(dec.apply(parse(key_msg)));  // seq 5
  auto again = dec.apply(parse(key_msg));     // seq 5 again
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, wire::ErrorCode::kBadSequence);
  ASSERT_TRUE(dec.apply(parse(delta)));  // seq 6
  EXPECT_EQ(dec.frame().pixels, screen.pixels);
}

TEST_F(Decoder, AKeyFrameMayChangeTheSizeADeltaMayNot) {
  ASSERT_TRUE(dec.apply(parse(key_msg)));  // 128x128, seq 5
  // The screen is resized to 96x64: the encoder starts over, its first frame is a key frame.
  FrameBuffer small(96, 64);
  for (std::size_t i = 0; i < small.pixels.size(); ++i)
    small.pixels[i] = static_cast<std::uint8_t>(i / 7);
  FrameEncoder resized(96, 64);
  Bytes msg;
  ASSERT_TRUE(resized.encode(small.pixels.data(), small.stride(), 6, 0, false, false, msg));
  ASSERT_TRUE(dec.apply(parse(msg)));
  EXPECT_EQ(dec.frame().width, 96u);
  EXPECT_EQ(dec.frame().pixels, small.pixels);
  // A delta of the old size is refused.
  screen.row(0)[0] ^= 1;
  Bytes delta;
  ASSERT_TRUE(enc.encode(screen.pixels.data(), screen.stride(), 7, 0, false, false, delta));
  auto applied = dec.apply(parse(delta));
  ASSERT_FALSE(applied);
  EXPECT_NE(applied.error().what.find("not a key frame"), std::string::npos);
}

// A 64x64 session through an encoder and a decoder, one changed pixel a frame: for the
// decoder's checks of the frames' capture times.
struct TimedSession {
  explicit TimedSession(std::uint32_t seed) : screen(pattern(64, 64, seed)) {}
  Result<void, wire::WireError> send(std::int64_t capture_us) {
    screen.row(0)[0] ^= 0xff;  // something changes every time
    Bytes msg;
    EXPECT_TRUE(enc.encode(screen.pixels.data(), screen.stride(), ++seq, capture_us, false, false, msg));
    const Bytes copy = msg;
    return dec.apply(parse(copy));
  }
  FrameEncoder enc{64, 64};
  FrameDecoder dec{64, 64};
  FrameBuffer screen;
  std::uint64_t seq = 0;
};

TEST(FrameCodec, CaptureTimesNeverGoBackwardsAClockStepIsClampedMoreIsRefused) {
  TimedSession session(3);
  const auto send = [&](std::int64_t capture_us) { return session.send(capture_us); };
  const FrameDecoder& dec = session.dec;
  ASSERT_TRUE(send(10'000'000));
  EXPECT_EQ(dec.capture_time_us(), 10'000'000);
  ASSERT_TRUE(send(9'200'000));  // 0.8 s back: an NTP step, stored with the previous time
  EXPECT_EQ(dec.capture_time_us(), 10'000'000);
  ASSERT_TRUE(send(10'500'000));
  EXPECT_EQ(dec.capture_time_us(), 10'500'000);
  const auto applied = send(-1'000'000'000'000);  // 11 days back: refused
  ASSERT_FALSE(applied);
  EXPECT_EQ(applied.error().code, wire::ErrorCode::kBadMessage);
  EXPECT_NE(applied.error().what.find("at most 1 s"), std::string::npos) << applied.error().what;
  // The farthest back a FRAME can say (-2^63): refused with the gap in the message, no overflow
  // (the fuzzer's UBSan found it).
  const auto far = send(std::numeric_limits<std::int64_t>::min());
  ASSERT_FALSE(far);
  EXPECT_NE(far.error().what.find("capture time is 9223372036865275 ms before"), std::string::npos) << far.error().what;
}

// A session whose first frame says the earliest time there is (-2^63): the next frames are
// checked against it without overflow (the fuzzer's UBSan found the tolerance subtracted from it).
TEST(FrameCodec, ASessionStartingAtTheEarliestTimeTakesTheFramesAfterIt) {
  TimedSession session(4);
  const auto send = [&](std::int64_t capture_us) { return session.send(capture_us); };
  const FrameDecoder& dec = session.dec;
  constexpr std::int64_t kEarliest = std::numeric_limits<std::int64_t>::min();
  ASSERT_TRUE(send(kEarliest));
  ASSERT_TRUE(send(kEarliest));
  ASSERT_TRUE(send(kEarliest + 2'000'000));
  EXPECT_EQ(dec.capture_time_us(), kEarliest + 2'000'000);
  const auto back = send(kEarliest);  // 2 s back from there: refused, not wrapped
  ASSERT_FALSE(back);
  EXPECT_NE(back.error().what.find("capture time is 2000 ms before"), std::string::npos) << back.error().what;
}

}  // namespace
}  // namespace screenreel

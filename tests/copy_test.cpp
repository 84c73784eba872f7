// Scrolled content sent as copies (RectEncoding::kCopy, CopyFinder): the finder finds a scroll of
// k rows; the encoder and decoder stay bit-exact whatever the frames do (random scrolls, moved
// windows, edits, blank areas), through real FRAME bytes; a scroll costs a fraction of the bytes;
// and the wire refuses copies that are malformed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "screenreel/protocol/copy_finder.hpp"
#include "screenreel/protocol/frame_codec.hpp"
#include "screenreel/protocol/wire.hpp"

namespace screenreel {
namespace {

using Bytes = std::vector<std::uint8_t>;

// Text-like content: each row of 8-pixel cells is random ink on a background, so rows differ
// from one another (as lines of a terminal do), with blank lines between paragraphs.
FrameBuffer page(std::uint32_t w, std::uint32_t h, std::uint32_t seed) {
  FrameBuffer f(w, h);
  std::mt19937 rng(seed);
  for (std::uint32_t y = 0; y < h; ++y) {
    const bool blank = (y / 16) % 7 == 6;
    for (std::uint32_t x = 0; x < w; ++x) {
      std::uint8_t* p = f.row(y) + x * 4;
      const std::uint8_t ink = blank ? 0 : static_cast<std::uint8_t>(rng() % 3 == 0 ? 230 : 20);
      p[0] = p[1] = p[2] = ink;
      p[3] = 0;
    }
  }
  return f;
}

// Moves the rows of [x, x+w) x [y0, y1) up by k (k < 0: down), filling the uncovered rows with
// new content, as a terminal scrolls.
void scroll(FrameBuffer& f, std::uint32_t x, std::uint32_t w, std::uint32_t y0, std::uint32_t y1, int k,
            std::mt19937& rng) {
  Bytes old(f.pixels);
  for (std::uint32_t y = y0; y < y1; ++y) {
    const long from = static_cast<long>(y) + k;
    for (std::uint32_t c = x; c < x + w; ++c) {
      std::uint8_t* p = f.row(y) + c * 4;
      if (from >= y0 && from < static_cast<long>(y1)) {
        std::memcpy(p, old.data() + (static_cast<std::size_t>(from) * f.width + c) * 4, 4);
      } else {
        p[0] = p[1] = p[2] = static_cast<std::uint8_t>(rng());
      }
    }
  }
}

wire::FrameView parse(const Bytes& message) {
  auto h = wire::decode_header(std::span(message).first(wire::kHeaderBytes));
  EXPECT_TRUE(h) << h.error().what;
  auto m = wire::decode_body(wire::MessageType::kFrame, std::span(message).subspan(wire::kHeaderBytes));
  EXPECT_TRUE(m) << m.error().what;
  return std::get<wire::FrameView>(*m);
}

// Encodes `screen` with `enc`, decodes the bytes with `dec`, and checks the decoded frame is the
// screen. Returns the message's size (0 when nothing was sent).
std::size_t round_trip(FrameEncoder& enc, FrameDecoder& dec, const FrameBuffer& screen, std::uint64_t seq,
                       bool key = false, EncodeStats* stats_out = nullptr) {
  Bytes msg;
  auto stats = enc.encode(screen.pixels.data(), screen.stride(), seq, 1000 * static_cast<std::int64_t>(seq), key,
                          false, msg);
  if (!stats) return 0;
  if (stats_out) *stats_out = *stats;
  const auto view = parse(msg);
  const auto applied = dec.apply(view);
  EXPECT_TRUE(applied) << (applied ? "" : applied.error().what);
  EXPECT_TRUE(dec.frame().pixels == screen.pixels) << "seq " << seq;
  return msg.size();
}

std::vector<std::uint8_t> all_changed(std::uint32_t w, std::uint32_t h) {
  return std::vector<std::uint8_t>(std::size_t{(w + 63) / 64} * ((h + 63) / 64), 1);
}

TEST(CopyFinder, FindsAScrollOfKRows) {
  const std::uint32_t w = 640, h = 480;
  for (const int k : {1, 17, 100, -23}) {
    SCOPED_TRACE("k " + std::to_string(k));
    std::mt19937 rng(7);
    const FrameBuffer before = page(w, h, 3);
    FrameBuffer after = before;
    scroll(after, 0, w, 0, h, k, rng);
    CopyFinder finder(w, h);
    const auto changed = all_changed(w, h);
    const auto copies = finder.find(before, after.pixels.data(), after.stride(), changed);
    ASSERT_FALSE(copies.empty());
    std::int64_t rows = 0;
    for (const CopyRect& c : copies) {
      EXPECT_EQ(c.src_y - c.dst.y, k);
      EXPECT_EQ(c.src_x, c.dst.x);
      rows += std::int64_t{c.dst.h} * c.dst.w;
    }
    // Everything but the k new rows (and the blank paragraphs at the edge) comes from a copy.
    EXPECT_GE(rows, std::int64_t{w} * (h - std::abs(k) - 32));
    FrameBuffer applied = before;
    for (const CopyRect& c : copies) apply_copy(applied, c);
    for (const CopyRect& c : copies)
      for (std::int32_t y = c.dst.y; y < c.dst.y + c.dst.h; ++y)
        ASSERT_EQ(0, std::memcmp(applied.row(static_cast<std::uint32_t>(y)) + c.dst.x * 4,
                                 after.row(static_cast<std::uint32_t>(y)) + c.dst.x * 4, std::size_t(c.dst.w) * 4));
  }
}

TEST(CopyFinder, ProposesNothingForUnrelatedContentOrBlankScreens) {
  const std::uint32_t w = 320, h = 200;
  CopyFinder finder(w, h);
  const auto changed = all_changed(w, h);
  const FrameBuffer a = page(w, h, 1), b = page(w, h, 2);
  EXPECT_TRUE(finder.find(a, b.pixels.data(), b.stride(), changed).empty());
  const FrameBuffer black(w, h);
  CopyFinder blank(w, h);
  EXPECT_TRUE(blank.find(black, black.pixels.data(), black.stride(), changed).empty());
}

TEST(CopyCodec, AScrolledTerminalCostsAFractionOfTheBytes) {
  const std::uint32_t w = 1280, h = 720;
  std::mt19937 rng(11);
  FrameBuffer screen = page(w, h, 5);
  FrameEncoder plain(w, h), copying(w, h);
  copying.enable_copies(true);
  FrameDecoder dec_plain(w, h), dec_copying(w, h);
  round_trip(plain, dec_plain, screen, 1);
  round_trip(copying, dec_copying, screen, 1);
  std::size_t bytes_plain = 0, bytes_copying = 0;
  for (std::uint64_t seq = 2; seq < 12; ++seq) {
    scroll(screen, 0, 960, 0, h, 16, rng);  // a terminal on the left scrolls a line of 16 rows
    bytes_plain += round_trip(plain, dec_plain, screen, seq);
    EncodeStats stats;
    bytes_copying += round_trip(copying, dec_copying, screen, seq, false, &stats);
    EXPECT_GE(stats.copies, 1u);
  }
  EXPECT_LT(bytes_copying * 5, bytes_plain) << bytes_copying << " bytes with copies, " << bytes_plain << " without";
}

// A frame whose busiest columns find no shift (a video playing) ends the search after their
// vote, leaving the other changed columns' hashes to be made later: a scroll in those columns on
// the next frame is still found in full (the stale hashes are made again from the reference).
TEST(CopyCodec, AScrollAfterAFrameWithoutOneIsFoundInFull) {
  const std::uint32_t w = 256, h = 256;  // four columns of four tiles
  std::mt19937 rng(5);
  FrameBuffer screen = page(w, h, 9);
  FrameEncoder enc(w, h);
  enc.enable_copies(true);
  FrameDecoder dec(w, h);
  round_trip(enc, dec, screen, 1);
  // Frame 2: columns 0-2 become noise in every row (they vote, and find nothing); column 3
  // changes in its top two tiles only, by a scroll of those rows alone.
  for (std::uint32_t y = 0; y < h; ++y)
    for (std::uint32_t x = 0; x < 192; ++x) screen.row(y)[x * 4] = static_cast<std::uint8_t>(rng());
  scroll(screen, 192, 64, 0, 128, 5, rng);
  EncodeStats stats;
  round_trip(enc, dec, screen, 2, false, &stats);
  EXPECT_EQ(stats.copies, 0u);
  // Frame 3: column 3 scrolls whole; columns 0-2 are still.
  scroll(screen, 192, 64, 0, h, 24, rng);
  round_trip(enc, dec, screen, 3, false, &stats);
  ASSERT_GE(stats.copies, 1u);
  // Every row but the 24 new ones came as a copy from the right place: only the tile that holds
  // the new rows is sent (a copy proposed from out-of-date hashes would leave its tiles to resend).
  EXPECT_GE(stats.copied_pixels, std::uint64_t{64} * (h - 24 - 16));
  EXPECT_EQ(stats.tiles_changed, 1u);
}

// Random frames with random scrolls, moved windows, edits and key frames: the decoded frame is
// always the screen (the decoder also checks the client's hash). With copies on, an encoder never
// sends a wrong frame, whatever the finder proposes.
TEST(CopyCodec, EveryFrameIsBitExactThroughRandomScrollsMovesAndEdits) {
  for (const auto& [w, h] : {std::pair{300u, 170u}, std::pair{1000u, 701u}, std::pair{64u, 64u}}) {
    SCOPED_TRACE(std::to_string(w) + "x" + std::to_string(h));
    std::mt19937 rng(w * 31 + h);
    FrameBuffer screen = page(w, h, w);
    FrameEncoder enc(w, h);
    enc.enable_copies(true);
    FrameDecoder dec(w, h);
    std::uint32_t copies = 0;
    for (std::uint64_t seq = 1; seq <= 120; ++seq) {
      const auto pick = [&](std::uint32_t n) { return static_cast<std::uint32_t>(rng() % n); };
      switch (pick(5)) {
        case 0: {  // a region scrolls by a random amount either way
          const std::uint32_t x = pick(w), cw = 1 + pick(w - x), y0 = pick(h), y1 = y0 + 1 + pick(h - y0);
          scroll(screen, x, cw, y0, y1, static_cast<int>(pick(40)) - 20, rng);
          break;
        }
        case 1: {  // a whole-width scroll, as a full-screen terminal
          scroll(screen, 0, w, 0, h, 1 + static_cast<int>(pick(30)), rng);
          break;
        }
        case 2: {  // a window moves (content copied elsewhere, the old place repainted)
          const std::uint32_t rw = 1 + pick(w / 2), rh = 1 + pick(h / 2);
          const std::uint32_t sx = pick(w - rw + 1), sy = pick(h - rh + 1), dx = pick(w - rw + 1), dy = pick(h - rh + 1);
          const Bytes old = screen.pixels;
          for (std::uint32_t y = 0; y < rh; ++y)
            std::memcpy(screen.row(dy + y) + dx * 4, old.data() + ((sy + y) * std::size_t{w} + sx) * 4, rw * 4);
          break;
        }
        case 3: {  // a few pixels change
          for (int i = 0; i < 5; ++i) screen.row(pick(h))[pick(w) * 4] ^= 0x5a;
          break;
        }
        default: break;  // nothing changes
      }
      EncodeStats stats;
      round_trip(enc, dec, screen, seq, seq % 50 == 0, &stats);
      copies += stats.copies;
      if (HasFatalFailure() || HasFailure()) return;
    }
    if (w >= 300) {
      EXPECT_GT(copies, 0u) << "the scrolls were never sent as copies";
    }
  }
}

Bytes frame_with_rect(bool key, std::uint32_t encoding, std::uint32_t data_length, std::uint32_t src_x,
                      std::uint32_t src_y) {
  Bytes msg;
  wire::FrameMessageWriter writer(msg, 1, 0, 64, 64, key ? wire::kFrameFlagKey : 0);
  std::uint8_t data[16] = {};
  for (int i = 0; i < 4; ++i) {
    data[i] = static_cast<std::uint8_t>(src_x >> (8 * i));
    data[4 + i] = static_cast<std::uint8_t>(src_y >> (8 * i));
  }
  writer.add_rect(0, 0, 32, 32, static_cast<wire::RectEncoding>(encoding), {data, data_length});
  writer.finish(0);
  return msg;
}

TEST(CopyWire, MalformedCopiesAreRefusedWithTheReason) {
  const auto refusal = [](const Bytes& msg) {
    auto m = wire::decode_body(wire::MessageType::kFrame, std::span(msg).subspan(wire::kHeaderBytes));
    EXPECT_FALSE(m);
    return m ? std::string() : m.error().what;
  };
  EXPECT_NE(refusal(frame_with_rect(true, 2, 8, 0, 0)).find("key frame has nothing to copy"), std::string::npos);
  EXPECT_NE(refusal(frame_with_rect(false, 2, 9, 0, 0)).find("copy data length"), std::string::npos);
  EXPECT_NE(refusal(frame_with_rect(false, 2, 8, 40, 0)).find("outside the frame"), std::string::npos);
  EXPECT_NE(refusal(frame_with_rect(false, 2, 8, 0, 0xFFFFFFF0u)).find("outside the frame"), std::string::npos);
  // A well-formed copy parses, with its source.
  const Bytes good = frame_with_rect(false, 2, 8, 16, 32);
  const auto view = parse(good);
  ASSERT_EQ(view.rects.size(), 1u);
  EXPECT_EQ(view.rects[0].encoding, wire::RectEncoding::kCopy);
  EXPECT_EQ(view.rects[0].src_x, 16u);
  EXPECT_EQ(view.rects[0].src_y, 32u);
}

// Copies are protocol 3: on a protocol-2 connection the encoding is unknown, as it was in 2.
TEST(CopyWire, ACopyOnAProtocol2ConnectionIsAnUnknownEncoding) {
  const Bytes good = frame_with_rect(false, 2, 8, 16, 32);
  auto m = wire::decode_body(wire::MessageType::kFrame, std::span(good).subspan(wire::kHeaderBytes), 2);
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().what.find("unknown encoding 2"), std::string::npos) << m.error().what;
  EXPECT_TRUE(wire::decode_body(wire::MessageType::kFrame, std::span(good).subspan(wire::kHeaderBytes), 3));
}

}  // namespace
}  // namespace screenreel

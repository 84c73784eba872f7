// Protocol 4's JPEG strips end to end without a socket: the client's FrameEncoder codes changed
// strips with the capture's JpegStripCoder, the receiver's FrameDecoder draws them with
// JpegStripDecoder (as receiver/src/connection.cpp does) and checks the client's hash, and the
// strips spliced into the stored JPEG as the recorder does give the very file the receiver would
// have coded from the screen's pixels (no second generation of loss).
#include <gtest/gtest.h>
#include <turbojpeg.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "jpeg_strip_coder.hpp"
#include "screenreel/archive/jpeg.hpp"
#include "screenreel/common/yuv420.hpp"
#include "screenreel/protocol/frame_codec.hpp"
#include "screenreel/protocol/wire.hpp"

namespace screenreel {
namespace {

constexpr int kQuality = 90;
using Plan = FrameEncoder::WirePlan;

// A desktop-like frame: a gradient with blocks of colour that `seed` moves.
FrameBuffer picture(std::uint32_t w, std::uint32_t h, unsigned seed) {
  FrameBuffer f(w, h);
  std::mt19937 rng(seed);
  for (std::uint32_t y = 0; y < h; ++y)
    for (std::uint32_t x = 0; x < w; ++x) {
      std::uint8_t* p = f.row(y) + x * 4;
      p[0] = static_cast<std::uint8_t>(x * 255 / w);
      p[1] = static_cast<std::uint8_t>(y * 255 / h);
      p[2] = 80;
      p[3] = 0;
    }
  for (int i = 0; i < 40; ++i) {
    const std::uint32_t x0 = rng() % w, y0 = rng() % h, c = rng();
    for (std::uint32_t y = y0; y < std::min(h, y0 + 12); ++y)
      for (std::uint32_t x = x0; x < std::min(w, x0 + 9); ++x) std::memcpy(f.row(y) + x * 4, &c, 3);
  }
  return f;
}

// The receiver's side of one connection: a decoder that takes JPEG strips, as Connection sets it up.
struct Receiver {
  JpegStripDecoder strips{kQuality};
  FrameDecoder decoder;
  Receiver(std::uint32_t w, std::uint32_t h) : decoder(w, h) {
    decoder.set_strip_decoder([this](std::span<const wire::RectView> rects, FrameBuffer& frame)
                                  -> Result<void, wire::WireError> {
      std::vector<JpegStripDecoder::Strip> list;
      for (const auto& r : rects) list.push_back({r.strip, r.jpeg});
      if (auto done = strips.decode(JpegStripGrid(frame.width, frame.height), list, frame.pixels.data(), frame.stride());
          !done)
        return wire::WireError{wire::ErrorCode::kBadMessage, done.error().message};
      return {};
    });
  }
  // Parses and applies a FRAME message; the parsed view (pointing into `message`) for more checks.
  wire::FrameView apply(const std::vector<std::uint8_t>& message, std::uint32_t version = 4) {
    auto parsed = wire::decode_body(wire::MessageType::kFrame, std::span(message).subspan(wire::kHeaderBytes), version);
    EXPECT_TRUE(parsed) << parsed.error().what;
    if (!parsed) return {};
    auto f = std::get<wire::FrameView>(*parsed);
    auto applied = decoder.apply(f);
    EXPECT_TRUE(applied) << applied.error().what;
    return f;
  }
};

// The message's JPEG strips, as the receiver hands them to the recorder.
CodedStrips strips_of(const wire::FrameView& f) {
  CodedStrips out;
  out.clear(JpegStripGrid(f.width, f.height));
  for (const auto& r : f.rects)
    if (r.encoding == wire::RectEncoding::kJpegStrip) out.add(r.strip, r.jpeg);
  return out;
}

std::vector<std::uint8_t> whole_jpeg(JpegEncoder& enc, const FrameBuffer& f) {
  const auto bytes = enc.encode_bgrx(f.pixels.data(), f.width, f.height, f.stride());
  return {bytes.begin(), bytes.end()};
}

// The recorder's side (receiver/src/recorder.cpp): the strips the FRAME's other rectangles touch,
// coded from the receiver's pixels, and the client's strips spliced over them.
struct Recorder {
  JpegEncoder archive{kQuality};
  JpegStrips stored;
  std::vector<std::uint8_t> file;
  // The file of the frame `view` left the receiver with (`theirs`).
  const std::vector<std::uint8_t>& store(const wire::FrameView& view, const FrameBuffer& theirs) {
    const JpegStripGrid grid(theirs.width, theirs.height);
    std::vector<PixelRect> own;
    for (const auto& r : view.rects)
      if (r.encoding != wire::RectEncoding::kJpegStrip) own.push_back(r.area());
    if (!stored.holds(grid)) stored.start(grid, archive.header(theirs.width, theirs.height));
    stored.update(archive.encode_strips(theirs.pixels.data(), theirs.width, theirs.height, theirs.stride(), own), own);
    stored.update(strips_of(view));
    stored.write({}, file);
    return file;
  }
  std::vector<std::uint8_t> screens(const FrameBuffer& screen) { return whole_jpeg(archive, screen); }
};

class JpegWire : public ::testing::TestWithParam<std::pair<std::uint32_t, std::uint32_t>> {};

// 640x360: strips of 128 columns, a last row of 8 pixel rows; 200x120: strips of one MCU (200 is
// 13 MCUs, a prime), the last column 8 pixels wide.
INSTANTIATE_TEST_SUITE_P(Sizes, JpegWire,
                         ::testing::Values(std::pair<std::uint32_t, std::uint32_t>{640, 360},
                                           std::pair<std::uint32_t, std::uint32_t>{200, 120}));

TEST_P(JpegWire, ClientStripsSpliceIntoTheJpegTheReceiverWouldWriteFromTheScreen) {
  const auto [w, h] = GetParam();
  capture::JpegStripCoder coder(kQuality);
  FrameEncoder encoder(w, h);
  encoder.enable_jpeg(&coder, [] { return Plan{Plan::kJpeg}; });
  Receiver receiver(w, h);
  JpegEncoder archive(kQuality);  // the recorder's
  JpegStrips stored;
  std::vector<std::uint8_t> message, file;

  FrameBuffer screen = picture(w, h, 1);
  auto stats = encoder.encode(screen.pixels.data(), screen.stride(), 1, 1000, false, false, message);
  ASSERT_TRUE(stats && stats->jpeg && stats->key);
  const auto key = receiver.apply(message);  // its hash (of the decoded strips) checked
  const CodedStrips all = strips_of(key);
  ASSERT_TRUE(all.whole());
  stored.start(all.grid, archive.header(w, h));
  stored.update(all);
  stored.write({}, file);
  EXPECT_EQ(file, whole_jpeg(archive, screen)) << "a key frame of client strips is the receiver's own JPEG";

  // A change in a few places: only the strips it touches travel, and the spliced file is still
  // the JPEG of the whole new screen, byte for byte.
  FrameBuffer next = screen;
  for (std::uint32_t y = 20; y < 50; ++y)
    for (std::uint32_t x = 30; x < 90; ++x) next.row(y)[x * 4 + 2] = static_cast<std::uint8_t>(x + y);
  stats = encoder.encode(next.pixels.data(), next.stride(), 2, 2000, false, false, message);
  ASSERT_TRUE(stats && stats->jpeg && !stats->key);
  const auto delta = receiver.apply(message);
  const CodedStrips changed = strips_of(delta);
  EXPECT_LT(changed.strips.size(), changed.grid.size() / 2);
  stored.update(changed);
  stored.write({}, file);
  EXPECT_EQ(file, whole_jpeg(archive, next)) << "spliced client strips are the receiver's own JPEG of the screen";

  // The receiver's frame (the window's, OCR's) is that file decoded with plain upsampling.
  tjhandle tj = tjInitDecompress();
  std::vector<std::uint8_t> decoded(std::size_t{w} * h * 4);
  ASSERT_EQ(tjDecompress2(tj, file.data(), file.size(), decoded.data(), static_cast<int>(w), static_cast<int>(w * 4),
                          static_cast<int>(h), TJPF_BGRX, TJFLAG_FASTUPSAMPLE),
            0);
  tjDestroy(tj);
  EXPECT_EQ(decoded, receiver.decoder.frame().pixels);
}

// Scrolls while strips decoded from a JPEG are out: the copies go on (a scrolling terminal on a
// thin link keeps them), they move the receiver's decoded pixels too, and a copy that reads or
// writes such a strip puts the blocks it writes in the frame's JPEG strips or LZ4 blocks (or the
// next frame of tiles' heal). The receiver's JPEG, made as the recorder makes it (its own strips
// for the tiles, blocks and copies, the client's over them), is then the JPEG of the screen byte
// for byte after every frame, whatever the frames do and however each goes (tiles, all JPEG, or
// fitted to a random budget, block by block): no pixel decoded from a JPEG is ever coded again;
// and a frame of tiles leaves the receiver the screen exactly.
TEST_P(JpegWire, CopiesWhileJpegStripsAreOutNeverCodeDecodedPixelsAgain) {
  const auto [w, h] = GetParam();
  capture::JpegStripCoder coder(kQuality);
  FrameEncoder encoder(w, h);
  encoder.enable_copies(true);
  std::mt19937 rng(7);
  Plan plan;
  encoder.enable_jpeg(&coder, [&plan] { return plan; });
  Receiver receiver(w, h);
  Recorder recorder;
  std::vector<std::uint8_t> message;
  FrameBuffer screen = picture(w, h, 3);
  int copies_while_lossy = 0, jpeg_frames = 0, mixed_frames = 0;
  bool lossy = false;
  for (std::uint64_t seq = 1; seq <= 40; ++seq) {
    if (seq > 1) {
      const int k = 8 * static_cast<int>(1 + rng() % 3);
      const auto old = screen.pixels;  // the whole screen scrolls up by k rows; new rows at the bottom
      for (std::uint32_t y = 0; y < h; ++y)
        for (std::uint32_t x = 0; x < w; ++x) {
          std::uint8_t* px = screen.row(y) + x * 4;
          if (y + k < h) std::memcpy(px, old.data() + (std::size_t{y + k} * w + x) * 4, 4);
          else px[0] = px[1] = px[2] = static_cast<std::uint8_t>(x * 7 + seq * 13);
        }
      if (rng() % 4 == 0) {  // and an edit somewhere
        const std::uint32_t x0 = rng() % (w - 20), y0 = rng() % (h - 20);
        for (std::uint32_t y = y0; y < y0 + 20; ++y) screen.row(y)[x0 * 4 + 1] ^= 0x5A;
      }
    }
    const unsigned way = seq == 1 ? 1 : rng() % 3;
    plan = way == 0 ? Plan{} : way == 1 ? Plan{Plan::kJpeg} : Plan{Plan::kFit, rng() % 60'000};
    auto stats = encoder.encode(screen.pixels.data(), screen.stride(), seq, seq * 1000, false, false, message);
    ASSERT_TRUE(stats);
    if (plan.mode != Plan::kFit) {
      ASSERT_EQ(stats->jpeg, plan.mode == Plan::kJpeg) << "frame " << seq;
    }
    const auto view = receiver.apply(message);  // the client's hash of its copy of the frame, checked
    ASSERT_FALSE(::testing::Test::HasFailure()) << "frame " << seq;
    mixed_frames += stats->jpeg && stats->rects > stats->jpeg_strips + stats->copies;
    if (lossy && stats->copies > 0) ++copies_while_lossy;
    const FrameBuffer& theirs = receiver.decoder.frame();
    ASSERT_EQ(recorder.store(view, theirs), recorder.screens(screen)) << "frame " << seq << " (way " << way << ")";
    if (plan.mode == Plan::kTiles) {
      EXPECT_EQ(theirs.pixels, screen.pixels) << "frame " << seq << ": tiles heal every strip";
    }
    jpeg_frames += stats->jpeg;
    lossy = theirs.pixels != screen.pixels;
  }
  EXPECT_GT(jpeg_frames, 10);
  EXPECT_GT(mixed_frames, 0) << "fitted frames with JPEG strips and LZ4 blocks";
  EXPECT_GT(copies_while_lossy, 3) << "copies go on while JPEG strips are out";
}

// Issue 19: in a session of 4:2:0 tiles the receiver keeps the planes, for its JPEGs. JPEG
// strips (spliced as they came, never coded again) leave the planes of their decoded pixels;
// the 4:2:0 tiles that heal them bring the screen's planes back.
TEST(JpegWire, InA420SessionStripsLeaveThePlanesOfTheirPixelsAndTilesTheScreens) {
  const std::uint32_t w = 200, h = 72;
  capture::JpegStripCoder coder(kQuality);
  FrameEncoder encoder(w, h);
  encoder.enable_yuv420(true);
  bool jpeg = false;
  encoder.enable_jpeg(&coder, [&jpeg] { return jpeg ? Plan{Plan::kJpeg} : Plan{}; });
  Receiver receiver(w, h);
  receiver.decoder.keep_planes(true);
  const auto planes_of = [&](const FrameBuffer& f) {
    std::vector<std::uint8_t> planes(Yuv420Layout{w, h}.bytes());
    bgrx_to_yuv420(f.pixels.data(), f.stride(), w, h, planes.data());
    return planes;
  };
  std::vector<std::uint8_t> message;
  FrameBuffer a = picture(w, h, 1), b = picture(w, h, 2), c = b;
  ASSERT_TRUE(encoder.encode(a.pixels.data(), a.stride(), 1, 1, false, false, message));
  receiver.apply(message, 5);
  EXPECT_EQ(receiver.decoder.frame().yuv420, planes_of(a)) << "4:2:0 tiles: the screen's planes";
  jpeg = true;
  auto stats = encoder.encode(b.pixels.data(), b.stride(), 2, 2, false, false, message);
  ASSERT_TRUE(stats && stats->jpeg);
  receiver.apply(message, 5);
  EXPECT_NE(receiver.decoder.frame().yuv420, planes_of(b)) << "JPEG strips are lossy";
  EXPECT_EQ(receiver.decoder.frame().yuv420, planes_of(receiver.decoder.frame())) << "the strips' pixels' planes";
  jpeg = false;
  c.row(0)[0] ^= 0xFF;
  stats = encoder.encode(c.pixels.data(), c.stride(), 3, 3, false, false, message);
  ASSERT_TRUE(stats && !stats->jpeg && stats->yuv420);
  receiver.apply(message, 5);
  EXPECT_EQ(receiver.decoder.frame().yuv420, planes_of(c)) << "the healing tiles: the screen's planes again";
}

// A desktop: text on the left (glyphs on black, `lines` of them: at most 24), a video on the right
// from x = 384 (a strip column's edge: 640 is 5 columns of 128), frame `t` of it.
FrameBuffer desktop(std::uint32_t t, std::uint32_t lines) {
  constexpr std::uint32_t w = 640, h = 360;
  FrameBuffer f(w, h);
  std::mt19937 glyphs(11);
  for (std::uint32_t line = 0; line < lines; ++line)
    for (std::uint32_t c = 0; c < 40; ++c) {
      const std::uint32_t bits = glyphs();
      for (std::uint32_t y = 0; y < 9; ++y)
        for (std::uint32_t x = 0; x < 5; ++x)
          if (bits >> ((y * 5 + x) % 32) & 1)
            std::memset(f.row(line * 14 + 3 + y) + (4 + c * 8 + x) * 4, 0xE0, 3);
    }
  std::mt19937 grain(t);
  for (std::uint32_t y = 0; y < h; ++y)
    for (std::uint32_t x = 384; x < w; ++x) {
      std::uint8_t* p = f.row(y) + x * 4;
      const double v = 128 + 90 * std::sin((x + 3.0 * t) / 13.0) * std::cos((y + 2.0 * t) / 9.0);
      for (int c = 0; c < 3; ++c) p[c] = static_cast<std::uint8_t>(std::clamp(v + c * 20 + int(grain() % 7) - 3, 0.0, 255.0));
    }
  return f;
}

// Issue 19: a frame fitted to a thin link is weighed block by block. The video's blocks save the
// most as JPEG strips and go so; the text's, whose LZ4 is smaller than their JPEG, go as LZ4
// even with no budget at all. The file is still the receiver's own JPEG of the screen, and once
// the video stops, budget left over heals the video's blocks in turn until the receiver holds
// the screen exactly.
TEST(JpegWire, AFittedFrameSendsTheVideoAsJpegStripsAndTheTextLossless) {
  constexpr std::uint32_t w = 640, h = 360, kVideoX = 384;
  capture::JpegStripCoder coder(kQuality);
  FrameEncoder encoder(w, h);
  Plan plan;
  encoder.enable_jpeg(&coder, [&plan] { return plan; });
  Receiver receiver(w, h);
  Recorder recorder;
  std::vector<std::uint8_t> message;
  const auto send = [&](const FrameBuffer& screen, std::uint64_t seq) {
    auto stats = encoder.encode(screen.pixels.data(), screen.stride(), seq, seq * 1000, false, false, message);
    EXPECT_TRUE(stats);
    const auto view = receiver.apply(message);
    EXPECT_EQ(recorder.store(view, receiver.decoder.frame()), recorder.screens(screen)) << "frame " << seq;
    return std::pair{*stats, view};
  };
  send(desktop(0, 1), 1);  // a key frame of tiles
  EXPECT_EQ(receiver.decoder.frame().pixels, desktop(0, 1).pixels);

  plan = Plan{Plan::kFit, 0};
  std::uint64_t seq = 2;
  for (std::uint32_t t = 1; t <= 4; ++t, ++seq) {
    const auto [stats, view] = send(desktop(t, t + 1), seq);
    std::uint64_t video_jpeg = 0, text_lossless = 0;
    for (const auto& r : view.rects) {
      if (r.encoding == wire::RectEncoding::kJpegStrip) {
        EXPECT_GE(r.x, kVideoX) << "frame " << seq << ": a strip of text went as JPEG";
        video_jpeg += std::uint64_t{r.w} * r.h;
      } else {
        EXPECT_LE(r.x + r.w, kVideoX) << "frame " << seq << ": a block of video went as LZ4";
        text_lossless += std::uint64_t{r.w} * r.h;
      }
    }
    EXPECT_EQ(video_jpeg, std::uint64_t{w - kVideoX} * h) << "the whole video, as JPEG strips";
    EXPECT_GT(text_lossless, 0u) << "the blocks of the typed line";
    EXPECT_LE(text_lossless, 384u * 128);
    EXPECT_EQ(stats.jpeg_pixels, video_jpeg);
    EXPECT_GT(stats.lossless_bytes, stats.message_bytes) << "the video's LZ4, measured, is what the link was spared";
  }
  // A budget that holds the whole frame: everything goes as LZ4, nothing is coded as JPEG.
  plan = Plan{Plan::kFit, 10'000'000};
  auto [fat, fat_view] = send(desktop(5, 6), seq++);
  EXPECT_FALSE(fat.jpeg);
  EXPECT_EQ(receiver.decoder.frame().pixels, desktop(5, 6).pixels) << "and heals what was JPEG";

  // The video stops on a JPEG frame; then only text changes, with room for a block of video (an
  // incompressible 32 kB) a frame besides.
  plan = Plan{Plan::kFit, 0};
  send(desktop(6, 7), seq++);
  ASSERT_NE(receiver.decoder.frame().pixels, desktop(6, 7).pixels);
  plan = Plan{Plan::kFit, 50'000};
  std::uint64_t healed = 0;
  for (std::uint32_t line = 8; line <= 24 && receiver.decoder.frame().pixels != desktop(6, line - 1).pixels; ++line) {
    const auto [stats, view] = send(desktop(6, line), seq++);
    EXPECT_FALSE(stats.jpeg);
    EXPECT_LE(stats.message_bytes, 50'000u) << "healing stays within the budget";
    healed += stats.heal_pixels;
  }
  EXPECT_TRUE(receiver.decoder.frame().pixels == encoder.reference().pixels) << "healed in turn";
  EXPECT_GE(healed, std::uint64_t{w - kVideoX} * h);
}

TEST_P(JpegWire, TilesAfterJpegStripsResendTheStripsLosslessly) {
  const auto [w, h] = GetParam();
  capture::JpegStripCoder coder(kQuality);
  FrameEncoder encoder(w, h);
  bool jpeg = false;
  encoder.enable_jpeg(&coder, [&jpeg] { return jpeg ? Plan{Plan::kJpeg} : Plan{}; });
  Receiver receiver(w, h);
  std::vector<std::uint8_t> message;
  FrameBuffer a = picture(w, h, 1), b = picture(w, h, 2), c = b;
  ASSERT_TRUE(encoder.encode(a.pixels.data(), a.stride(), 1, 1, false, false, message));
  receiver.apply(message);
  EXPECT_EQ(receiver.decoder.frame().pixels, a.pixels) << "a lossless key frame";
  jpeg = true;
  auto stats = encoder.encode(b.pixels.data(), b.stride(), 2, 2, false, false, message);
  ASSERT_TRUE(stats && stats->jpeg);
  receiver.apply(message);
  EXPECT_NE(receiver.decoder.frame().pixels, b.pixels) << "JPEG strips are lossy";
  // One pixel changes; the frame goes as tiles, which bring back every strip sent as JPEG.
  jpeg = false;
  c.row(0)[0] ^= 0xFF;
  stats = encoder.encode(c.pixels.data(), c.stride(), 3, 3, false, false, message);
  ASSERT_TRUE(stats && !stats->jpeg);
  EXPECT_GT(stats->lossless_pixels, std::uint64_t{w} * h / 2) << "the healed tiles count in what lossless costs";
  EXPECT_EQ(stats->lossless_pixels - stats->heal_pixels, 64u * 64u) << "of which one changed tile";
  receiver.apply(message);
  EXPECT_EQ(receiver.decoder.frame().pixels, c.pixels) << "the screen exactly again";
}

TEST(JpegWireParse, AStripThatIsNotOneStripOfTheGridOrHoldsAMarkerIsRefused) {
  const std::uint8_t strip[] = {90, 0, 0, 0, 0x12, 0xFF, 0xD9, 0x00};
  const auto parse = [](const std::vector<std::uint8_t>& m) {
    return wire::decode_body(wire::MessageType::kFrame, std::span(m).subspan(wire::kHeaderBytes), 4);
  };
  std::vector<std::uint8_t> m;
  wire::FrameMessageWriter marker(m, 2, 1, 64, 48, 0);
  marker.add_rect(0, 16, 64, 16, wire::RectEncoding::kJpegStrip, strip);
  marker.finish(0);
  auto r = parse(m);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what.find("marker"), std::string::npos) << r.error().what;
  const std::uint8_t clean[] = {90, 0, 0, 0, 0x12, 0xFF, 0x00};
  wire::FrameMessageWriter off(m, 2, 1, 64, 48, 0);
  off.add_rect(0, 8, 64, 16, wire::RectEncoding::kJpegStrip, clean);
  off.finish(0);
  r = parse(m);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what.find("not a strip"), std::string::npos) << r.error().what;
  wire::FrameMessageWriter good(m, 2, 1, 64, 48, 0);
  good.add_rect(0, 32, 64, 16, wire::RectEncoding::kJpegStrip, clean);
  good.finish(0);
  EXPECT_TRUE(parse(m));
  // A decoder that was not given a strip decoder (a receiver that offered none) refuses them.
  wire::FrameMessageWriter key(m, 1, 1, 64, 48, wire::kFrameFlagKey);
  for (std::uint32_t y : {0u, 16u, 32u}) key.add_rect(0, y, 64, 16, wire::RectEncoding::kJpegStrip, clean);
  key.finish(0);
  auto parsed = parse(m);
  ASSERT_TRUE(parsed) << parsed.error().what;
  FrameDecoder none(64, 48);
  auto applied = none.apply(std::get<wire::FrameView>(*parsed));
  ASSERT_FALSE(applied);
  EXPECT_NE(applied.error().what.find("did not offer"), std::string::npos) << applied.error().what;
}

}  // namespace
}  // namespace screenreel

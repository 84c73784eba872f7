// A frame's JPEG made from the strips that changed since the frame before (JpegStrips) is the
// JPEG of the whole frame, byte for byte, whatever the frame size and wherever the changes are;
// and it decodes to the same pixels as TurboJPEG's own encode of the frame.
#include <gtest/gtest.h>
#include <turbojpeg.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "screenreel/archive/jpeg.hpp"

namespace screenreel {
namespace {

// BGRX pixels shaped like a desktop: a gradient background with small flat blocks ("glyphs").
struct Frame {
  std::uint32_t width, height;
  std::vector<std::uint8_t> bgrx;
  Frame(std::uint32_t w, std::uint32_t h) : width(w), height(h), bgrx(std::size_t{w} * h * 4) {
    for (std::uint32_t y = 0; y < h; ++y)
      for (std::uint32_t x = 0; x < w; ++x) {
        auto* p = px(x, y);
        p[0] = static_cast<std::uint8_t>(x * 255 / std::max(1u, w - 1));
        p[1] = static_cast<std::uint8_t>(y * 255 / std::max(1u, h - 1));
        p[2] = 90;
      }
  }
  std::uint8_t* px(std::uint32_t x, std::uint32_t y) { return &bgrx[(std::size_t{y} * width + x) * 4]; }
  std::size_t stride() const { return std::size_t{width} * 4; }
  // Paints random glyph-sized blocks inside `r`.
  void scribble(const PixelRect& r, std::mt19937& rng) {
    std::uniform_int_distribution<int> colour(0, 255);
    for (int i = 0; i < 1 + r.w * r.h / 64; ++i) {
      const int x0 = r.x + static_cast<int>(rng() % static_cast<unsigned>(r.w));
      const int y0 = r.y + static_cast<int>(rng() % static_cast<unsigned>(r.h));
      const int x1 = std::min(r.right(), x0 + 1 + static_cast<int>(rng() % 7));
      const int y1 = std::min(r.bottom(), y0 + 1 + static_cast<int>(rng() % 11));
      const std::uint8_t b = static_cast<std::uint8_t>(colour(rng)), g = static_cast<std::uint8_t>(colour(rng));
      for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) {
          auto* p = px(static_cast<std::uint32_t>(x), static_cast<std::uint32_t>(y));
          p[0] = b;
          p[1] = g;
        }
    }
  }
};

std::vector<std::uint8_t> whole_jpeg(JpegEncoder& enc, const Frame& f, const std::string& comment) {
  const auto bytes = enc.encode_bgrx(f.bgrx.data(), f.width, f.height, f.stride(), comment);
  return {bytes.begin(), bytes.end()};
}

PixelRect random_rect(const Frame& f, std::mt19937& rng, int max_side) {
  const int w = 1 + static_cast<int>(rng() % static_cast<unsigned>(std::min<int>(max_side, static_cast<int>(f.width))));
  const int h = 1 + static_cast<int>(rng() % static_cast<unsigned>(std::min<int>(max_side, static_cast<int>(f.height))));
  return {static_cast<int>(rng() % (f.width - static_cast<unsigned>(w) + 1)),
          static_cast<int>(rng() % (f.height - static_cast<unsigned>(h) + 1)), w, h};
}

TEST(JpegStripGrid, StripsAreWholeMcusThatDivideTheRowAndCoverTheFrame) {
  const JpegStripGrid hd(1920, 1080);
  EXPECT_EQ(hd.mcus_per_strip(), 8u);  // 120 MCUs across
  EXPECT_EQ(hd.columns(), 15u);
  EXPECT_EQ(hd.rows(), 68u);  // 67.5 MCU rows: the last strip row is 8 pixels high
  EXPECT_EQ(JpegStripGrid(1366, 768).mcus_per_strip(), 2u);   // 86 MCUs (the last one partial)
  EXPECT_EQ(JpegStripGrid(1680, 1050).mcus_per_strip(), 7u);  // 105 MCUs
  EXPECT_EQ(JpegStripGrid(1072, 16).mcus_per_strip(), 1u);    // 67 MCUs: a prime

  std::vector<std::uint8_t> marks(hd.size());
  hd.mark({127, 15, 2, 2}, marks);    // across a strip corner: four strips
  hd.mark({1900, 1075, 500, 500}, marks);  // clipped to the frame: the last strip
  hd.mark({-50, -50, 10, 10}, marks);      // outside: nothing
  std::vector<std::size_t> set;
  for (std::size_t i = 0; i < marks.size(); ++i)
    if (marks[i]) set.push_back(i);
  EXPECT_EQ(set, (std::vector<std::size_t>{0, 1, 15, 16, hd.size() - 1}));
}

// The sizes cover a frame whose width is not a multiple of 16 (a narrower last strip column),
// a height that is not (a shorter last strip row), both, one MCU, and less than one MCU.
TEST(JpegStrips, AFrameMadeFromItsChangedStripsIsTheWholeFrameJpegByteForByte) {
  const std::pair<std::uint32_t, std::uint32_t> sizes[] = {{1920, 1080}, {1366, 768}, {1000, 701}, {160, 48},
                                                           {16, 16},     {17, 9},     {3, 40}};
  for (const auto& [w, h] : sizes) {
    SCOPED_TRACE(std::to_string(w) + "x" + std::to_string(h));
    std::mt19937 rng(w * 7919 + h);
    Frame frame(w, h);
    frame.scribble({0, 0, static_cast<int>(w), static_cast<int>(h)}, rng);
    JpegEncoder strips_encoder(90), whole_encoder(90);
    JpegStrips strips;
    const PixelRect all{0, 0, static_cast<int>(w), static_cast<int>(h)};
    strips.update(strips_encoder.encode_strips(frame.bgrx.data(), w, h, frame.stride(), std::span(&all, 1)));
    std::vector<std::uint8_t> made;
    std::size_t partial = 0;
    for (int step = 0; step < 12; ++step) {
      // Mostly a few small changes; sometimes many; now and then nearly the whole frame.
      std::vector<PixelRect> changed;
      const int n = step % 5 == 4 ? 40 : 1 + step % 3;
      for (int i = 0; i < n; ++i) changed.push_back(random_rect(frame, rng, step % 6 == 5 ? 4000 : 70));
      for (const auto& r : changed) frame.scribble(r, rng);
      const CodedStrips& coded = strips_encoder.encode_strips(frame.bgrx.data(), w, h, frame.stride(), changed);
      if (!coded.whole()) ++partial;
      strips.update(coded);
      const std::string comment = "frame " + std::to_string(step);
      strips.write(comment, made);
      ASSERT_EQ(made, whole_jpeg(whole_encoder, frame, comment)) << "step " << step;
    }
    if (JpegStripGrid(w, h).size() > 4) {
      EXPECT_GT(partial, 6u);  // the test took the strips path
    }
  }
}

// The control: strips left out of an update leave their old bytes, and the JPEG is not the
// frame's. (So the byte comparison above can fail.)
TEST(JpegStrips, AChangeOutsideTheCodedStripsIsNotInTheJpeg) {
  std::mt19937 rng(5);
  Frame frame(640, 480);
  JpegEncoder enc(90), whole(90);
  JpegStrips strips;
  const PixelRect all{0, 0, 640, 480};
  strips.update(enc.encode_strips(frame.bgrx.data(), 640, 480, frame.stride(), std::span(&all, 1)));
  frame.scribble({300, 200, 20, 20}, rng);
  const PixelRect elsewhere{0, 0, 20, 20};
  strips.update(enc.encode_strips(frame.bgrx.data(), 640, 480, frame.stride(), std::span(&elsewhere, 1)));
  std::vector<std::uint8_t> made;
  strips.write({}, made);
  EXPECT_NE(made, whole_jpeg(whole, frame, {}));
}

TEST(JpegStrips, RefusesChangedStripsWithoutTheFrameBefore) {
  Frame frame(64, 32);
  JpegEncoder enc(90);
  JpegStrips strips;
  const PixelRect some{0, 0, 8, 8};
  EXPECT_THROW(strips.update(enc.encode_strips(frame.bgrx.data(), 64, 32, frame.stride(), std::span(&some, 1))),
               std::logic_error);
  std::vector<std::uint8_t> out;
  EXPECT_THROW(strips.write({}, out), std::logic_error);
  const PixelRect all{0, 0, 64, 32};
  strips.update(enc.encode_strips(frame.bgrx.data(), 64, 32, frame.stride(), std::span(&all, 1)));
  EXPECT_TRUE(strips.holds(JpegStripGrid(64, 32)));
  EXPECT_FALSE(strips.holds(JpegStripGrid(64, 48)));  // another size: a whole frame first
}

// Restart markers change only how the coded bytes are cut: the pixels are those of TurboJPEG's
// encode of the whole frame at the same quality and DCT, and any decoder reads them.
TEST(JpegStrips, DecodesToTheSamePixelsAsTurboJpegsOwnEncode) {
  std::mt19937 rng(11);
  Frame frame(1366, 768);
  frame.scribble({0, 0, 1366, 768}, rng);
  JpegEncoder enc(90);
  const auto ours = whole_jpeg(enc, frame, {});

  tjhandle tj = tjInitCompress();
  unsigned char* theirs = nullptr;
  unsigned long theirs_size = 0;
  ASSERT_EQ(tjCompress2(tj, frame.bgrx.data(), 1366, static_cast<int>(frame.stride()), 768, TJPF_BGRX, &theirs,
                        &theirs_size, TJSAMP_420, 90, TJFLAG_FASTDCT),
            0);
  tjDestroy(tj);
  const std::vector<std::uint8_t> turbo(theirs, theirs + theirs_size);
  tjFree(theirs);
  EXPECT_NE(ours, turbo);  // ours has restart markers

  const auto a = decode_jpeg_bgr(ours), b = decode_jpeg_bgr(turbo);
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(a->bgr == b->bgr);
}

}  // namespace
}  // namespace screenreel

// A frame's JPEG made from the strips that changed since the frame before (JpegStrips) is the
// JPEG of the whole frame, byte for byte, whatever the frame size and wherever the changes are;
// and it decodes to the same pixels as TurboJPEG's own encode of the frame.
#include <gtest/gtest.h>
#include <turbojpeg.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "screenreel/archive/jpeg.hpp"
#include "screenreel/common/yuv420.hpp"

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

// The frame's 4:2:0 planes, as the capture client makes them from its pixels (protocol 5).
std::vector<std::uint8_t> planes_of(const Frame& f) {
  std::vector<std::uint8_t> planes(Yuv420Layout{f.width, f.height}.bytes());
  bgrx_to_yuv420(f.bgrx.data(), f.stride(), f.width, f.height, planes.data());
  return planes;
}

double psnr(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
  double sum = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double d = static_cast<double>(a[i]) - static_cast<double>(b[i]);
    sum += d * d;
  }
  return sum == 0 ? 99.0 : 10 * std::log10(255.0 * 255.0 * static_cast<double>(a.size()) / sum);
}

// Raw data in: libjpeg codes the planes bgrx_to_yuv420 made of a frame exactly as it codes the
// frame's pixels (the same colour conversion and downsampling, to the bit), header included, as
// long as the width leaves no MCU padding at the right edge; the bottom edge is padded alike.
TEST(JpegStrips, PlanesCodeTheBytesOfThePixelsTheyCameFromWhenTheWidthIsWholeMcus) {
  const std::pair<std::uint32_t, std::uint32_t> sizes[] = {{1920, 1080}, {640, 480}, {160, 41}, {16, 7}};
  for (const auto& [w, h] : sizes) {
    SCOPED_TRACE(std::to_string(w) + "x" + std::to_string(h));
    std::mt19937 rng(w + h);
    Frame frame(w, h);
    frame.scribble({0, 0, static_cast<int>(w), static_cast<int>(h)}, rng);
    JpegEncoder from_pixels(90), from_planes(90);
    for (int step = 0; step < 6; ++step) {
      std::vector<PixelRect> changed;
      if (step == 0) changed.push_back({0, 0, static_cast<int>(w), static_cast<int>(h)});
      for (int i = 0; i < 1 + step; ++i) changed.push_back(random_rect(frame, rng, 90));
      for (const auto& r : changed) frame.scribble(r, rng);
      const auto planes = planes_of(frame);
      const CodedStrips& a = from_pixels.encode_strips(frame.bgrx.data(), w, h, frame.stride(), changed);
      const CodedStrips& b = from_planes.encode_strips_yuv420(planes.data(), w, h, changed);
      ASSERT_EQ(a.strips, b.strips) << "step " << step;
      ASSERT_EQ(a.offsets, b.offsets) << "step " << step;
      ASSERT_TRUE(a.data == b.data) << "step " << step;
      ASSERT_EQ(a.header, b.header) << "step " << step;
    }
  }
}

// At any size: strips coded from planes splice with strips coded from pixels into a JPEG any
// decoder reads, and its pixels are within the edge padding's ringing of the pixels' JPEG
// (measured, the worst step of each: 1366x768 identical, 1000x701 71 dB, 333x201 63 dB, 17x9
// 55 dB, 3x40 41 dB; identical at widths of whole MCUs).
TEST(JpegStrips, PlanesAndPixelsSpliceIntoOneJpegAtAnySize) {
  const std::pair<std::uint32_t, std::uint32_t> sizes[] = {{1366, 768}, {1000, 701}, {333, 201}, {17, 9}, {3, 40}};
  for (const auto& [w, h] : sizes) {
    SCOPED_TRACE(std::to_string(w) + "x" + std::to_string(h));
    std::mt19937 rng(w * 31 + h);
    Frame frame(w, h);
    frame.scribble({0, 0, static_cast<int>(w), static_cast<int>(h)}, rng);
    JpegEncoder pixels_encoder(90), planes_encoder(90), whole_encoder(90);
    JpegStrips strips;
    const PixelRect all{0, 0, static_cast<int>(w), static_cast<int>(h)};
    strips.update(pixels_encoder.encode_strips(frame.bgrx.data(), w, h, frame.stride(), std::span(&all, 1)));
    std::vector<std::uint8_t> made;
    double worst = 99.0;
    for (int step = 0; step < 8; ++step) {
      std::vector<PixelRect> changed;
      for (int i = 0; i < 1 + step % 3; ++i) changed.push_back(random_rect(frame, rng, step == 7 ? 4000 : 70));
      for (const auto& r : changed) frame.scribble(r, rng);
      // Alternately from planes and from pixels, as a 4:2:0 session's frames and its client's
      // JPEG strips (or a frame of BGRX tiles) come.
      const auto planes = planes_of(frame);
      strips.update(step % 2 ? pixels_encoder.encode_strips(frame.bgrx.data(), w, h, frame.stride(), changed)
                             : planes_encoder.encode_strips_yuv420(planes.data(), w, h, changed));
      strips.write("step", made);
      const auto spliced = decode_jpeg_bgr(made);
      ASSERT_TRUE(spliced) << "step " << step;
      const auto reference = decode_jpeg_bgr(whole_jpeg(whole_encoder, frame, "step"));
      ASSERT_TRUE(reference);
      const double db = psnr(spliced->bgr, reference->bgr);
      if (w % 16 == 0) {
        EXPECT_EQ(db, 99.0) << "step " << step;
      } else {  // the fewer columns the last MCU has, the more of it is padding (3 of 16 at 3x40)
        EXPECT_GT(db, w > 32 ? 60.0 : 40.0) << "step " << step;
      }
      worst = std::min(worst, db);
    }
    std::cout << w << "x" << h << ": the spliced JPEG vs the pixels' JPEG, worst step " << worst << " dB\n";
  }
}

}  // namespace
}  // namespace screenreel

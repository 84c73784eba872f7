// 4:2:0 planes (common/yuv420.hpp, protocol 5's encoding 4): the conversion round-trips within
// the rounding of 8-bit YCbCr, a JPEG coded from the planes is the one libjpeg codes from the
// pixels, and the frame codec sends them with copies and edits, the receiver's frame always
// the one the client hashed.
#include "screenreel/common/yuv420.hpp"

#include <gtest/gtest.h>
#include <turbojpeg.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <random>
#include <vector>

#include "screenreel/protocol/frame_codec.hpp"
#include "screenreel/protocol/wire.hpp"
#include "support/yuv420_reference.hpp"

namespace screenreel {
namespace {

using Bytes = std::vector<std::uint8_t>;

// A screen-like picture: flat areas, hard coloured edges (text), gradients, some grey noise.
Bytes screen_like(std::uint32_t w, std::uint32_t h, std::uint32_t seed) {
  Bytes px(std::size_t{w} * h * 4);
  std::mt19937 rng(seed);
  for (std::uint32_t y = 0; y < h; ++y)
    for (std::uint32_t x = 0; x < w; ++x) {
      std::uint8_t* p = &px[(std::size_t{y} * w + x) * 4];
      const bool ink = ((x / 3 + y / 5 + seed) % 7) == 0;
      p[0] = ink ? 20 : static_cast<std::uint8_t>(x * 255 / w);
      p[1] = ink ? 230 : static_cast<std::uint8_t>(y * 255 / h);
      p[2] = static_cast<std::uint8_t>(128 + (seed & 63));
      if (y > h / 2 && x < w / 4) p[0] = p[1] = p[2] = static_cast<std::uint8_t>(rng());  // grey noise (a photo's grain)
      p[3] = 0;
    }
  return px;
}

int max_difference(const Bytes& a, const Bytes& b) {  // over B, G and R
  int worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (i % 4 != 3) worst = std::max(worst, std::abs(int{a[i]} - int{b[i]}));
  return worst;
}

double psnr(const Bytes& a, const Bytes& b) {
  double se = 0;
  std::size_t n = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (i % 4 != 3) {
      const double d = static_cast<double>(a[i]) - static_cast<double>(b[i]);
      se += d * d;
      ++n;
    }
  return se == 0 ? 99 : 10 * std::log10(255.0 * 255.0 / (se / static_cast<double>(n)));
}

// The library's rows are written for the vectoriser; they must give libjpeg's formulas' bytes,
// pixel by pixel, on any pixels (random: every clamp and rounding met), odd and even sizes, a
// stride wider than the row and a destination inside a larger frame (what a tile is).
TEST(Yuv420, BothDirectionsAreBitExactWithLibjpegsFormulasOnRandomPixels) {
  std::mt19937 rng(42);
  for (const auto& [w, h] : {std::pair<std::uint32_t, std::uint32_t>{64, 64}, {1, 1}, {1, 2}, {2, 1}, {3, 3},
                             {33, 17}, {64, 15}, {127, 64}, {1920, 16}, {333, 7}}) {
    const std::size_t stride = std::size_t{w} * 4 + 12;  // padding bytes the conversion must not read as pixels
    Bytes px(stride * h);
    for (auto& b : px) b = static_cast<std::uint8_t>(rng());
    const Yuv420Layout layout{w, h};
    Bytes planes(layout.bytes(), 0xAA), expected_planes(layout.bytes(), 0x55);
    bgrx_to_yuv420(px.data(), stride, w, h, planes.data());
    test::yuv420_reference::bgrx_to_yuv420(px.data(), stride, w, h, expected_planes.data());
    ASSERT_EQ(planes, expected_planes) << w << "x" << h;

    // Back: random planes (not only ones made from pixels), into a frame 8 pixels wider.
    for (auto& b : planes) b = static_cast<std::uint8_t>(rng());
    const std::size_t out_stride = std::size_t{w + 8} * 4;
    Bytes back(out_stride * h, 0x11), expected_back(out_stride * h, 0x11);
    yuv420_to_bgrx(planes.data(), w, h, back.data() + 16, out_stride);
    test::yuv420_reference::yuv420_to_bgrx(planes.data(), w, h, expected_back.data() + 16, out_stride);
    ASSERT_EQ(back, expected_back) << w << "x" << h << ": and nothing outside the rectangle is written";
  }
}

TEST(Yuv420, PixelsWithOneColourAPerBlockComeBackWithinRounding) {
  // Every 2x2 block one colour: only the 8-bit rounding of Y, Cb and Cr is lost.
  const std::uint32_t w = 256, h = 130;
  Bytes px(std::size_t{w} * h * 4);
  std::mt19937 rng(3);
  for (std::uint32_t y = 0; y < h; y += 2)
    for (std::uint32_t x = 0; x < w; x += 2) {
      const std::uint8_t c[3] = {static_cast<std::uint8_t>(rng()), static_cast<std::uint8_t>(rng()),
                                 static_cast<std::uint8_t>(rng())};
      for (std::uint32_t dy = 0; dy < 2; ++dy)
        for (std::uint32_t dx = 0; dx < 2; ++dx)
          std::copy_n(c, 3, &px[(std::size_t{y + dy} * w + x + dx) * 4]);
    }
  Bytes planes(Yuv420Layout{w, h}.bytes()), back(px.size());
  bgrx_to_yuv420(px.data(), w * 4, w, h, planes.data());
  yuv420_to_bgrx(planes.data(), w, h, back.data(), w * 4);
  EXPECT_LE(max_difference(px, back), 3);
  EXPECT_GE(psnr(px, back), 45);
  for (std::size_t i = 3; i < back.size(); i += 4) ASSERT_EQ(back[i], 0xFF);
}

TEST(Yuv420, GreyPixelsComeBackExactlyOddSizesIncluded) {
  // Grey has no chroma (Cb = Cr = 128 whatever the averaging): the edges' padding must not add any.
  for (const auto& [w, h] : {std::pair<std::uint32_t, std::uint32_t>{320, 200}, {67, 33}, {1, 1}, {17, 2}}) {
    Bytes px = screen_like(w, h, w);
    for (std::size_t i = 0; i < px.size(); i += 4) px[i + 1] = px[i + 2] = px[i];
    Bytes planes(Yuv420Layout{w, h}.bytes()), back(px.size());
    bgrx_to_yuv420(px.data(), std::size_t{w} * 4, w, h, planes.data());
    yuv420_to_bgrx(planes.data(), w, h, back.data(), std::size_t{w} * 4);
    EXPECT_EQ(max_difference(px, back), 0) << w << "x" << h;
  }
}

// libjpeg's own conversion from the same pixels (coded at quality 100, decoded with plain
// upsampling) and the planes coded as raw data give the same picture within the DCT's rounding.
TEST(Yuv420, PlanesCodedAsRawDataGiveTheJpegLibjpegCodesFromThePixels) {
  const std::uint32_t w = 322, h = 198;  // partial MCUs at both edges
  const Bytes px = screen_like(w, h, 11);
  Bytes planes(Yuv420Layout{w, h}.bytes());
  bgrx_to_yuv420(px.data(), std::size_t{w} * 4, w, h, planes.data());
  const Yuv420Layout l{w, h};
  const unsigned char* plane_ptrs[3] = {planes.data(), planes.data() + l.luma_bytes(),
                                        planes.data() + l.luma_bytes() + l.chroma_bytes()};
  const int strides[3] = {static_cast<int>(w), static_cast<int>(l.chroma_width()), static_cast<int>(l.chroma_width())};
  tjhandle c = tjInitCompress();
  tjhandle d = tjInitDecompress();
  unsigned char *from_pixels = nullptr, *from_planes = nullptr;
  unsigned long pixels_size = 0, planes_size = 0;
  ASSERT_EQ(tjCompress2(c, px.data(), static_cast<int>(w), static_cast<int>(w * 4), static_cast<int>(h), TJPF_BGRX,
                        &from_pixels, &pixels_size, TJSAMP_420, 100, TJFLAG_ACCURATEDCT), 0);
  ASSERT_EQ(tjCompressFromYUVPlanes(c, plane_ptrs, static_cast<int>(w), strides, static_cast<int>(h), TJSAMP_420,
                                    &from_planes, &planes_size, 100, TJFLAG_ACCURATEDCT), 0);
  Bytes a(px.size()), b(px.size());
  ASSERT_EQ(tjDecompress2(d, from_pixels, pixels_size, a.data(), static_cast<int>(w), static_cast<int>(w * 4),
                          static_cast<int>(h), TJPF_BGRX, TJFLAG_FASTUPSAMPLE | TJFLAG_ACCURATEDCT), 0);
  ASSERT_EQ(tjDecompress2(d, from_planes, planes_size, b.data(), static_cast<int>(w), static_cast<int>(w * 4),
                          static_cast<int>(h), TJPF_BGRX, TJFLAG_FASTUPSAMPLE | TJFLAG_ACCURATEDCT), 0);
  tjFree(from_pixels);
  tjFree(from_planes);
  tjDestroy(c);
  tjDestroy(d);
  EXPECT_LE(max_difference(a, b), 2) << "the planes are libjpeg's conversion and downsampling";
  EXPECT_GE(psnr(a, b), 50);
  // Against the screen, the JPEG made from the planes is as good as the archive's own, and so are
  // the planes converted back (what the receiver codes from).
  EXPECT_NEAR(psnr(px, b), psnr(px, a), 0.2);
  Bytes back(px.size());
  yuv420_to_bgrx(planes.data(), w, h, back.data(), std::size_t{w} * 4);
  EXPECT_GE(psnr(px, back), psnr(px, a) - 0.5);
}

wire::FrameView parse(const Bytes& message) {
  auto m = wire::decode_body(wire::MessageType::kFrame, std::span(message).subspan(wire::kHeaderBytes));
  EXPECT_TRUE(m) << m.error().what;
  return std::get<wire::FrameView>(*m);
}

// Random frames with scrolls (copies), moves and edits, sent as 4:2:0 tiles: the decoder's frame
// always matches the hash (so it is the client's peer()), and it is the screen within rounding.
TEST(Yuv420, TilesWithCopiesAndEditsAlwaysDecodeToTheFrameTheClientHashed) {
  const std::uint32_t w = 300, h = 202;
  FrameEncoder encoder(w, h);
  encoder.enable_copies(true);
  encoder.enable_yuv420(true);
  FrameDecoder decoder(w, h);
  std::mt19937 rng(5);
  Bytes page = screen_like(w, h * 3, 1);
  Bytes frame(std::size_t{w} * h * 4);
  std::uint32_t top = 0;
  std::size_t yuv_rects = 0, copies = 0, bytes_yuv = 0;
  for (std::uint64_t seq = 1; seq <= 40; ++seq) {
    top = std::min<std::uint32_t>(h * 2, top + rng() % 9);  // a scroll of 0 to 8 rows
    std::copy_n(page.begin() + std::ptrdiff_t{top} * w * 4, frame.size(), frame.begin());
    for (int e = 0; e < 3; ++e) {  // small edits anywhere
      const std::uint32_t x = rng() % (w - 10), y = rng() % (h - 10);
      for (std::uint32_t dy = 0; dy < 10; ++dy) frame[((y + dy) * w + x) * 4 + 1] = static_cast<std::uint8_t>(rng());
    }
    Bytes message;
    const auto stats = encoder.encode(frame.data(), std::size_t{w} * 4, seq, static_cast<std::int64_t>(seq), seq == 20,
                                      true, message);
    ASSERT_TRUE(stats);
    EXPECT_TRUE(stats->yuv420);
    const auto view = parse(message);
    for (const auto& r : view.rects) {
      EXPECT_NE(r.encoding, wire::RectEncoding::kLz4) << "BGRX tiles while 4:2:0 is on";
      EXPECT_NE(r.encoding, wire::RectEncoding::kRaw);
      yuv_rects += r.encoding == wire::RectEncoding::kLz4Yuv420;
      copies += r.encoding == wire::RectEncoding::kCopy;
      if (r.encoding == wire::RectEncoding::kLz4Yuv420) bytes_yuv += r.data.size();
    }
    auto applied = decoder.apply(view);
    ASSERT_TRUE(applied) << "seq " << seq << ": " << applied.error().what;
    ASSERT_EQ(decoder.frame().pixels, encoder.peer().pixels) << "seq " << seq;
    EXPECT_EQ(encoder.reference().pixels, frame) << "changes are found against the screen";
  }
  EXPECT_GT(yuv_rects, 0u);
  EXPECT_GT(copies, 0u) << "scrolls went as copies of the receiver's 4:2:0 pixels";
}

// Issue 19: a decoder that keeps the planes (a 4:2:0 session's, for its JPEGs) holds those of the
// screen itself, as the client converted its tiles: never the pixels converted back. Each frame
// handed to a reader keeps its own planes while the next FRAMEs are drawn into other buffers
// (a pool that recycles them, so that the carried-over tiles carry their planes too).
TEST(Yuv420, TheDecodersPlanesAreTheScreensEvenInRecycledAndHeldBuffers) {
  const std::uint32_t w = 301, h = 203;  // odd: the last tiles end on half blocks
  FrameEncoder encoder(w, h);
  encoder.enable_yuv420(true);
  std::vector<std::shared_ptr<FrameBuffer>> pool;
  FrameDecoder decoder(w, h, [&pool](std::uint32_t fw, std::uint32_t fh) {
    for (auto& b : pool)
      if (b.use_count() == 1 && b->width == fw && b->height == fh) return b;
    return pool.emplace_back(std::make_shared<FrameBuffer>(fw, fh));
  });
  decoder.keep_planes(true);
  std::mt19937 rng(8);
  Bytes frame = screen_like(w, h, 4);
  const Yuv420Layout layout{w, h};
  const auto planes_of = [&](const Bytes& px) {
    Bytes planes(layout.bytes());
    bgrx_to_yuv420(px.data(), std::size_t{w} * 4, w, h, planes.data());
    return planes;
  };
  std::shared_ptr<const FrameBuffer> held;
  Bytes held_planes;
  for (std::uint64_t seq = 1; seq <= 30; ++seq) {
    for (int e = 0; e < 1 + static_cast<int>(seq % 4); ++e) {  // edits of any size, anywhere
      const std::uint32_t x = rng() % w, y = rng() % h, ew = 1 + rng() % 70, eh = 1 + rng() % 40;
      for (std::uint32_t dy = y; dy < std::min(h, y + eh); ++dy)
        for (std::uint32_t dx = x; dx < std::min(w, x + ew); ++dx)
          frame[(std::size_t{dy} * w + dx) * 4 + rng() % 3] = static_cast<std::uint8_t>(rng());
    }
    Bytes message;
    ASSERT_TRUE(encoder.encode(frame.data(), std::size_t{w} * 4, seq, static_cast<std::int64_t>(seq), false, false,
                               message));
    ASSERT_TRUE(decoder.apply(parse(message)));
    ASSERT_EQ(decoder.frame().yuv420, planes_of(frame)) << "seq " << seq;
    if (held) {
      EXPECT_EQ(held->yuv420, held_planes) << "a held frame's planes changed at seq " << seq;
    }
    if (seq % 3 == 0) {  // a reader (the recorder's encoder) holds every third frame for a while
      held = decoder.share();
      held_planes = planes_of(frame);
    } else if (seq % 3 == 2) {
      held = nullptr;
    }
  }
  EXPECT_GT(pool.size(), 1u) << "the frames were drawn into more than one buffer";
  FrameDecoder bgrx(w, h);  // a session of BGRX tiles keeps none
  Bytes message;
  FrameEncoder plain(w, h);
  ASSERT_TRUE(plain.encode(frame.data(), std::size_t{w} * 4, 1, 1, false, false, message));
  ASSERT_TRUE(bgrx.apply(parse(message)));
  EXPECT_TRUE(bgrx.frame().yuv420.empty());
}

// With copies (scrolls): the luma moves with the pixels, so it is the screen's exactly. The
// chroma is moved where a copy moves whole 2x2 blocks (the screen's, then), else (an odd scroll)
// converted from the receiver's pixels, which are the 4:2:0 pixels of other blocks moved (the
// client's peer() too, under the hash): each chroma sample is the one or the other, exactly.
TEST(Yuv420, CopiesMoveTheLumaExactlyAndTheChromaOfWholeBlocks) {
  const std::uint32_t w = 300, h = 202;
  FrameEncoder encoder(w, h);
  encoder.enable_copies(true);
  encoder.enable_yuv420(true);
  FrameDecoder decoder(w, h);
  decoder.keep_planes(true);
  std::mt19937 rng(5);
  Bytes page = screen_like(w, h * 3, 1);
  Bytes frame(std::size_t{w} * h * 4);
  const Yuv420Layout layout{w, h};
  std::uint32_t top = 0;
  std::size_t copies = 0, neither = 0, derived = 0;
  for (std::uint64_t seq = 1; seq <= 40; ++seq) {
    top = std::min<std::uint32_t>(h * 2, top + rng() % 9);  // a scroll of 0 to 8 rows, odd ones too
    std::copy_n(page.begin() + std::ptrdiff_t{top} * w * 4, frame.size(), frame.begin());
    Bytes message;
    ASSERT_TRUE(encoder.encode(frame.data(), std::size_t{w} * 4, seq, static_cast<std::int64_t>(seq), false, true,
                               message));
    const auto view = parse(message);
    for (const auto& r : view.rects) copies += r.encoding == wire::RectEncoding::kCopy;
    ASSERT_TRUE(decoder.apply(view));
    Bytes screen(layout.bytes());
    bgrx_to_yuv420(frame.data(), std::size_t{w} * 4, w, h, screen.data());
    const Bytes& kept = decoder.frame().yuv420;
    ASSERT_EQ(kept.size(), screen.size());
    ASSERT_TRUE(std::equal(screen.begin(), screen.begin() + static_cast<std::ptrdiff_t>(layout.luma_bytes()),
                           kept.begin()))
        << "seq " << seq;
    Bytes received(layout.bytes());
    bgrx_to_yuv420(decoder.frame().pixels.data(), std::size_t{w} * 4, w, h, received.data());
    for (std::size_t i = layout.luma_bytes(); i < screen.size(); ++i) {
      neither += kept[i] != screen[i] && kept[i] != received[i];
      derived += kept[i] != screen[i] && kept[i] == received[i];
    }
  }
  EXPECT_GT(copies, 0u);
  EXPECT_EQ(neither, 0u);
  EXPECT_GT(derived, 0u) << "no odd scroll made the receiver convert chroma from its pixels";
  std::cout << "chroma samples converted from the receiver's pixels (not the screen's): " << derived << "\n";
}

// Turning 4:2:0 off (a reconnection to an older receiver) makes the next frame a key frame of
// BGRX tiles: the receiver's frame is the screen exactly again.
TEST(Yuv420, TurningItOffSendsAKeyFrameOfTheExactPixels) {
  const std::uint32_t w = 130, h = 70;
  FrameEncoder encoder(w, h);
  encoder.enable_yuv420(true);
  FrameDecoder decoder(w, h);
  const Bytes a = screen_like(w, h, 2), b = screen_like(w, h, 3);
  Bytes message;
  ASSERT_TRUE(encoder.encode(a.data(), w * 4, 1, 1, false, false, message));
  ASSERT_TRUE(decoder.apply(parse(message)));
  EXPECT_NE(decoder.frame().pixels, a);
  encoder.enable_yuv420(false);
  const auto stats = encoder.encode(b.data(), w * 4, 2, 2, false, false, message);
  ASSERT_TRUE(stats);
  EXPECT_TRUE(stats->key);
  EXPECT_FALSE(stats->yuv420);
  ASSERT_TRUE(decoder.apply(parse(message)));
  EXPECT_EQ(decoder.frame().pixels, b);
}

// The planes of a frame weigh 1.5 bytes a pixel against BGRX's 4, before LZ4.
TEST(Yuv420, PlanesAreThreeEighthsOfBgrx) {
  EXPECT_EQ(Yuv420Layout({1920, 1080}).bytes() * 8, std::size_t{1920} * 1080 * 4 * 3);
  EXPECT_EQ(Yuv420Layout({3, 3}).bytes(), 9u + 2 * 4);
}

}  // namespace
}  // namespace screenreel

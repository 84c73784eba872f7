// The 4:2:0 conversions of common/yuv420.hpp written pixel by pixel, straight from libjpeg's
// formulas (jccolor.c, jcsample.c h2v2_downsample, jdcolor.c with plain h2v2 upsampling): the
// oracle tests/yuv420_test.cpp checks the library's vectorised rows against, bit for bit, and
// codec_bench's baseline (BM_Yuv420/impl:0).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

#include "screenreel/common/yuv420.hpp"

namespace screenreel::test::yuv420_reference {

// jccolor.c / jdcolor.c: SCALEBITS 16, FIX(x) = x * 2^16 rounded.
constexpr int kScaleBits = 16;
constexpr std::int32_t kOneHalf = std::int32_t{1} << (kScaleBits - 1);
constexpr std::int32_t kCbCrOffset = std::int32_t{128} << kScaleBits;
constexpr std::int32_t fix(double x) { return static_cast<std::int32_t>(x * (1 << kScaleBits) + 0.5); }

struct ToRgbTables {  // jdcolor.c build_ycc_rgb_table
  std::array<int, 256> cr_r{}, cb_b{};
  std::array<std::int32_t, 256> cr_g{}, cb_g{};
  ToRgbTables() {
    for (int i = 0; i < 256; ++i) {
      const int x = i - 128;
      cr_r[i] = (fix(1.40200) * x + kOneHalf) >> kScaleBits;
      cb_b[i] = (fix(1.77200) * x + kOneHalf) >> kScaleBits;
      cr_g[i] = -fix(0.71414) * x;
      cb_g[i] = -fix(0.34414) * x + kOneHalf;
    }
  }
};

inline std::uint8_t clamp(int v) { return static_cast<std::uint8_t>(std::clamp(v, 0, 255)); }

inline void bgrx_to_yuv420(const std::uint8_t* bgrx, std::size_t stride, std::uint32_t w, std::uint32_t h,
                           std::uint8_t* out) {
  const Yuv420Layout layout{w, h};
  std::uint8_t* y_plane = out;
  std::uint8_t* cb_plane = out + layout.luma_bytes();
  std::uint8_t* cr_plane = cb_plane + layout.chroma_bytes();
  const std::uint32_t cw = layout.chroma_width();
  // Two pixel rows at a time: Y straight out, Cb and Cr of each pixel into a row pair's sums.
  for (std::uint32_t y0 = 0; y0 < h; y0 += 2) {
    std::uint8_t* cb_row = cb_plane + std::size_t{y0 / 2} * cw;
    std::uint8_t* cr_row = cr_plane + std::size_t{y0 / 2} * cw;
    for (std::uint32_t cx = 0; cx < cw; ++cx) {
      int cb_sum = 0, cr_sum = 0;
      for (std::uint32_t dy = 0; dy < 2; ++dy) {
        const std::uint32_t y = std::min(y0 + dy, h - 1);  // an odd last row counts twice
        const std::uint8_t* row = bgrx + y * stride;
        for (std::uint32_t dx = 0; dx < 2; ++dx) {
          const std::uint32_t x = std::min(cx * 2 + dx, w - 1);  // and an odd last column
          const std::uint8_t* p = row + std::size_t{x} * 4;
          const std::int32_t b = p[0], g = p[1], r = p[2];
          if (y == y0 + dy && x == cx * 2 + dx)
            y_plane[std::size_t{y} * w + x] =
                static_cast<std::uint8_t>((fix(0.29900) * r + fix(0.58700) * g + fix(0.11400) * b + kOneHalf) >> kScaleBits);
          cb_sum += (-fix(0.16874) * r - fix(0.33126) * g + fix(0.50000) * b + kCbCrOffset + kOneHalf - 1) >> kScaleBits;
          cr_sum += (fix(0.50000) * r - fix(0.41869) * g - fix(0.08131) * b + kCbCrOffset + kOneHalf - 1) >> kScaleBits;
        }
      }
      const int bias = 1 + static_cast<int>(cx & 1);  // jcsample.c h2v2_downsample: 1, 2, 1, 2, ...
      cb_row[cx] = static_cast<std::uint8_t>((cb_sum + bias) >> 2);
      cr_row[cx] = static_cast<std::uint8_t>((cr_sum + bias) >> 2);
    }
  }
}

inline void yuv420_to_bgrx(const std::uint8_t* planes, std::uint32_t w, std::uint32_t h, std::uint8_t* bgrx,
                           std::size_t stride) {
  static const ToRgbTables t;
  const Yuv420Layout layout{w, h};
  const std::uint8_t* y_plane = planes;
  const std::uint8_t* cb_plane = planes + layout.luma_bytes();
  const std::uint8_t* cr_plane = cb_plane + layout.chroma_bytes();
  const std::uint32_t cw = layout.chroma_width();
  for (std::uint32_t y = 0; y < h; ++y) {
    const std::uint8_t* luma = y_plane + std::size_t{y} * w;
    const std::uint8_t* cb_row = cb_plane + std::size_t{y / 2} * cw;
    const std::uint8_t* cr_row = cr_plane + std::size_t{y / 2} * cw;
    std::uint8_t* out = bgrx + y * stride;
    for (std::uint32_t x = 0; x < w; ++x) {
      const int l = luma[x], cb = cb_row[x / 2], cr = cr_row[x / 2];
      out[0] = clamp(l + t.cb_b[cb]);
      out[1] = clamp(l + static_cast<int>((t.cb_g[cb] + t.cr_g[cr]) >> kScaleBits));
      out[2] = clamp(l + t.cr_r[cr]);
      out[3] = 0xFF;
      out += 4;
    }
  }
}

}  // namespace screenreel::test::yuv420_reference

// BGRX <-> 4:2:0 planes with libjpeg's arithmetic (see yuv420.hpp).
//
// Written for the vectoriser: each row is one straight loop of 32-bit integer arithmetic over its
// pixels (no table lookups, no edge tests inside), built for AVX2 and for the baseline x86-64
// (target_clones: the loader picks the one the CPU runs), the file at -O3 (common/CMakeLists.txt).
// tests/yuv420_test.cpp checks both directions against the formulas pixel by pixel
// (tests/support/yuv420_reference.hpp) on random pixels of odd and even sizes.
#include "screenreel/common/yuv420.hpp"

#include <algorithm>
#include <vector>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SCREENREEL_YUV_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SCREENREEL_YUV_CLONES
#endif

namespace screenreel {
namespace {

// jccolor.c / jdcolor.c: SCALEBITS 16, FIX(x) = x * 2^16 rounded.
constexpr int kScaleBits = 16;
constexpr std::int32_t kOneHalf = std::int32_t{1} << (kScaleBits - 1);
constexpr std::int32_t kCbCrOffset = std::int32_t{128} << kScaleBits;
constexpr std::int32_t fix(double x) { return static_cast<std::int32_t>(x * (1 << kScaleBits) + 0.5); }

// RGB -> YCbCr (jccolor.c rgb_ycc_convert; Cb and Cr round with ONE_HALF - 1, as there).
constexpr std::int32_t kYr = fix(0.29900), kYg = fix(0.58700), kYb = fix(0.11400);
constexpr std::int32_t kCbR = fix(0.16874), kCbG = fix(0.33126), kHalf = fix(0.50000);
constexpr std::int32_t kCrG = fix(0.41869), kCrB = fix(0.08131);
constexpr std::int32_t kCbCrRound = kCbCrOffset + kOneHalf - 1;
// YCbCr -> RGB (jdcolor.c build_ycc_rgb_table: the same products its tables hold).
constexpr std::int32_t kCrToR = fix(1.40200), kCbToB = fix(1.77200);
constexpr std::int32_t kCrToG = fix(0.71414), kCbToG = fix(0.34414);

// One pixel row: Y of each pixel into `luma`, and Cb and Cr of each pixel added into `cb` and `cr`
// (two rows are summed there before the 2x2 average).
[[gnu::always_inline]] inline void row_to_ycc(const std::uint8_t* __restrict p, std::size_t w,
                                              std::uint8_t* __restrict luma, std::int32_t* __restrict cb,
                                              std::int32_t* __restrict cr, bool add) {
  for (std::size_t x = 0; x < w; ++x) {  // size_t: 4 * x must not wrap, or the loads are not a pattern
    const std::int32_t b = p[4 * x], g = p[4 * x + 1], r = p[4 * x + 2];
    luma[x] = static_cast<std::uint8_t>((kYr * r + kYg * g + kYb * b + kOneHalf) >> kScaleBits);
    const std::int32_t u = (-kCbR * r - kCbG * g + kHalf * b + kCbCrRound) >> kScaleBits;
    const std::int32_t v = (kHalf * r - kCrG * g - kCrB * b + kCbCrRound) >> kScaleBits;
    cb[x] = add ? cb[x] + u : u;
    cr[x] = add ? cr[x] + v : v;
  }
}

std::uint8_t clamp(std::int32_t v) { return static_cast<std::uint8_t>(std::clamp(v, 0, 255)); }

// What a chroma sample adds to each of B, G and R (jdcolor.c ycc_rgb_convert).
struct ChromaOffsets {
  std::int32_t b, g, r;
};
[[gnu::always_inline]] inline ChromaOffsets chroma_offsets(std::uint8_t cb, std::uint8_t cr) {
  const std::int32_t u = cb - 128, v = cr - 128;
  return {(kCbToB * u + kOneHalf) >> kScaleBits, (-kCrToG * v - kCbToG * u + kOneHalf) >> kScaleBits,
          (kCrToR * v + kOneHalf) >> kScaleBits};
}

[[gnu::always_inline]] inline void put_pixel(std::uint8_t* o, std::int32_t luma, const ChromaOffsets& c) {
  o[0] = clamp(luma + c.b), o[1] = clamp(luma + c.g), o[2] = clamp(luma + c.r), o[3] = 0xFF;
}

}  // namespace

SCREENREEL_YUV_CLONES
void bgrx_to_yuv420(const std::uint8_t* bgrx, std::size_t stride, std::uint32_t w, std::uint32_t h,
                    std::uint8_t* out) {
  const Yuv420Layout layout{w, h};
  std::uint8_t* y_plane = out;
  std::uint8_t* cb_plane = out + layout.luma_bytes();
  std::uint8_t* cr_plane = cb_plane + layout.chroma_bytes();
  const std::uint32_t cw = layout.chroma_width();
  // A row pair's Cb and Cr sums, one more column so that an odd last column can count twice (as
  // libjpeg pads the edges by replication); and a row for the Y of an odd last row's twin.
  thread_local std::vector<std::int32_t> sums;
  thread_local std::vector<std::uint8_t> spare_luma;
  sums.resize(2 * (std::size_t{cw} * 2));
  spare_luma.resize(w);
  std::int32_t* cb = sums.data();
  std::int32_t* cr = cb + std::size_t{cw} * 2;
  for (std::uint32_t y0 = 0; y0 < h; y0 += 2) {
    const bool twin = y0 + 1 == h;  // an odd last row counts twice
    row_to_ycc(bgrx + y0 * stride, w, y_plane + std::size_t{y0} * w, cb, cr, false);
    row_to_ycc(bgrx + (twin ? y0 : y0 + 1) * stride, w,
               twin ? spare_luma.data() : y_plane + std::size_t{y0 + 1} * w, cb, cr, true);
    if (w & 1) {
      cb[w] = cb[w - 1];
      cr[w] = cr[w - 1];
    }
    std::uint8_t* cb_row = cb_plane + std::size_t{y0 / 2} * cw;
    std::uint8_t* cr_row = cr_plane + std::size_t{y0 / 2} * cw;
    for (std::uint32_t cx = 0; cx < cw; ++cx) {
      const std::int32_t bias = 1 + static_cast<std::int32_t>(cx & 1);  // jcsample.c h2v2_downsample
      cb_row[cx] = static_cast<std::uint8_t>((cb[2 * cx] + cb[2 * cx + 1] + bias) >> 2);
      cr_row[cx] = static_cast<std::uint8_t>((cr[2 * cx] + cr[2 * cx + 1] + bias) >> 2);
    }
  }
}

SCREENREEL_YUV_CLONES
void yuv420_to_bgrx(const std::uint8_t* planes, std::uint32_t w, std::uint32_t h, std::uint8_t* bgrx,
                    std::size_t stride) {
  const Yuv420Layout layout{w, h};
  const std::uint8_t* y_plane = planes;
  const std::uint8_t* cb_plane = planes + layout.luma_bytes();
  const std::uint8_t* cr_plane = cb_plane + layout.chroma_bytes();
  const std::size_t cw = layout.chroma_width();
  for (std::uint32_t y = 0; y < h; ++y) {
    const std::uint8_t* __restrict luma = y_plane + std::size_t{y} * w;
    const std::uint8_t* __restrict cb_row = cb_plane + std::size_t{y / 2} * cw;
    const std::uint8_t* __restrict cr_row = cr_plane + std::size_t{y / 2} * cw;
    std::uint8_t* __restrict out = bgrx + y * stride;
    // Whole 2-pixel columns (size_t: 8 * cx must not wrap), then an odd last column.
    const std::size_t pairs = w / 2;
    for (std::size_t cx = 0; cx < pairs; ++cx) {
      const ChromaOffsets c = chroma_offsets(cb_row[cx], cr_row[cx]);
      put_pixel(out + 8 * cx, luma[2 * cx], c);
      put_pixel(out + 8 * cx + 4, luma[2 * cx + 1], c);
    }
    if (w & 1) put_pixel(out + std::size_t{w - 1} * 4, luma[w - 1], chroma_offsets(cb_row[pairs], cr_row[pairs]));
  }
}

}  // namespace screenreel

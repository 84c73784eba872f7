// 4:2:0 planes (Y, Cb, Cr) of a BGRX rectangle, with the JPEG's own colour conversion: what the
// archive's JPEGs keep of a pixel, and so what a thin link needs to carry (protocol 5's
// encoding 4, schemas/wire-protocol.md "4:2:0 pixels"). Both peers convert with these functions,
// so that they agree on the pixels to the bit (the FRAME's pixel_hash covers them).
#pragma once

#include <cstddef>
#include <cstdint>

namespace screenreel {

// The layout of a w x h rectangle's planes: Y (w x h), then Cb and Cr ((w+1)/2 x (h+1)/2 each),
// rows packed, top to bottom.
struct Yuv420Layout {
  std::uint32_t width = 0, height = 0;
  std::uint32_t chroma_width() const { return (width + 1) / 2; }
  std::uint32_t chroma_height() const { return (height + 1) / 2; }
  std::size_t luma_bytes() const { return std::size_t{width} * height; }
  std::size_t chroma_bytes() const { return std::size_t{chroma_width()} * chroma_height(); }
  std::size_t bytes() const { return luma_bytes() + 2 * chroma_bytes(); }
};

// A whole frame's planes as Yuv420Layout lays them out, read row by row.
struct Yuv420Planes {
  const std::uint8_t* data = nullptr;
  Yuv420Layout layout;
  const std::uint8_t* luma(std::uint32_t y) const { return data + std::size_t{y} * layout.width; }
  const std::uint8_t* cb(std::uint32_t cy) const {
    return data + layout.luma_bytes() + std::size_t{cy} * layout.chroma_width();
  }
  const std::uint8_t* cr(std::uint32_t cy) const { return cb(cy) + layout.chroma_bytes(); }
};

// libjpeg's JCS_RGB -> JCS_YCbCr conversion (jccolor.c: 16-bit fixed point, the same rounding)
// per pixel, then its h2v2 downsampling of Cb and Cr (jcsample.c: the 2x2 sum plus a bias of 1
// and 2 alternately along the row, shifted by 2; an odd last column or row counts twice, as
// libjpeg pads the edges by replication). `out` holds Yuv420Layout{w, h}.bytes().
void bgrx_to_yuv420(const std::uint8_t* bgrx, std::size_t stride, std::uint32_t w, std::uint32_t h,
                    std::uint8_t* out);

// Back to BGRX (the 4th byte FF): libjpeg's YCbCr -> RGB (jdcolor.c, the same tables and
// rounding) with plain upsampling (each chroma sample covers its 2x2 block, libjpeg's h2v2
// upsampling with do_fancy_upsampling off), so each pixel depends on its own block only.
void yuv420_to_bgrx(const std::uint8_t* planes, std::uint32_t w, std::uint32_t h, std::uint8_t* bgrx,
                    std::size_t stride);

}  // namespace screenreel

// JPEG encoding through libjpeg-turbo (its libjpeg API, for restart intervals) and decoding
// through its TurboJPEG API, straight from and to the pixel layouts screenreel uses (BGRX from
// the wire, BGR for OpenCV), with no conversion pass.
//
// Every JPEG screenreel writes restarts its entropy coding at the start of each strip of 16
// rows by up to 128 columns (JpegStripGrid; schemas/archive-layout.md, "Frame files"). A
// strip's coded bytes then depend on its own pixels only, so a frame that changed in a few
// places becomes a whole JPEG by coding the strips that changed and reusing the others' bytes
// from the frame before (JpegStrips): the receiver's JPEG cost follows what changed, as its
// network cost does. The bytes are the same as coding the whole frame again.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "screenreel/common/result.hpp"
#include "screenreel/common/pixel_rect.hpp"

namespace screenreel {

inline constexpr std::size_t kMaxJpegComment = 512;

// How a frame of width x height is cut into strips: rows of one 4:2:0 MCU (16 pixel rows; the
// last may be shorter), columns of mcus_per_strip() MCUs (16 pixel columns each; the last may
// be narrower). Each strip is one restart interval, in raster order.
class JpegStripGrid {
 public:
  static constexpr std::uint32_t kMcuPixels = 16;
  static constexpr std::uint32_t kMaxMcusPerStrip = 8;

  JpegStripGrid() = default;
  JpegStripGrid(std::uint32_t width, std::uint32_t height);

  std::uint32_t width() const { return width_; }
  std::uint32_t height() const { return height_; }
  // The restart interval: the largest divisor of the MCUs across the frame that is at most
  // kMaxMcusPerStrip, so that every strip starts a row or follows one in the same row.
  std::uint32_t mcus_per_strip() const { return mcus_per_strip_; }
  std::uint32_t strip_width() const { return mcus_per_strip_ * kMcuPixels; }
  std::uint32_t columns() const { return columns_; }
  std::uint32_t rows() const { return rows_; }
  std::size_t size() const { return std::size_t{columns_} * rows_; }
  // Sets marks[i] for every strip i that `r` (clipped to the frame) touches; marks has size().
  void mark(const PixelRect& r, std::vector<std::uint8_t>& marks) const;
  bool operator==(const JpegStripGrid&) const = default;

 private:
  std::uint32_t width_ = 0, height_ = 0, mcus_per_strip_ = 1, columns_ = 0, rows_ = 0;
};

// The entropy-coded bytes of some strips of one frame, as JpegEncoder::encode_strips made them.
struct CodedStrips {
  JpegStripGrid grid;
  std::vector<std::uint32_t> strips;   // which strips, in the order they were coded
  std::vector<std::size_t> offsets;    // strip strips[i] is data[offsets[i], offsets[i + 1])
  std::vector<std::uint8_t> data;
  std::vector<std::uint8_t> header;    // SOI up to the end of SOS, when every strip is here

  bool whole() const { return strips.size() == grid.size(); }
  std::span<const std::uint8_t> strip(std::size_t i) const {
    return {data.data() + offsets[i], offsets[i + 1] - offsets[i]};
  }
};

class JpegEncoder {
 public:
  // quality 1..100; chroma subsampled 4:2:0 (what ffmpeg's mjpeg and most cameras write).
  explicit JpegEncoder(int quality = 90);
  ~JpegEncoder();
  JpegEncoder(const JpegEncoder&) = delete;
  JpegEncoder& operator=(const JpegEncoder&) = delete;

  // The whole frame as a JPEG. The returned bytes stay valid until the next encode. Throws
  // std::runtime_error on failure. A non-empty `comment` (at most kMaxJpegComment bytes)
  // becomes a COM segment right after SOI; it costs no copy of the image.
  std::span<const std::uint8_t> encode_bgrx(const std::uint8_t* pixels, std::uint32_t width,
                                            std::uint32_t height, std::size_t stride,
                                            std::string_view comment = {});

  // Codes the strips that the `changed` rectangles touch (all of them when they cover nearly
  // the whole frame: one pass over it is then cheaper). Valid until the next encode.
  const CodedStrips& encode_strips(const std::uint8_t* pixels, std::uint32_t width, std::uint32_t height,
                                   std::size_t stride, std::span<const PixelRect> changed);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The newest coded bytes of every strip of a sequence of frames of one size: after update()
// with the strips that changed in a frame, write() gives that frame's whole JPEG.
class JpegStrips {
 public:
  // True once it holds a whole frame of this grid, so that the changed strips are enough.
  bool holds(const JpegStripGrid& grid) const { return !header_.empty() && grid == grid_; }
  // Throws std::logic_error for partial strips it cannot use (see holds()).
  void update(const CodedStrips& coded);
  // The JPEG of the newest frame, with `comment` as in JpegEncoder::encode_bgrx; into `out`.
  void write(std::string_view comment, std::vector<std::uint8_t>& out) const;

 private:
  JpegStripGrid grid_;
  std::vector<std::uint8_t> header_;
  std::vector<std::vector<std::uint8_t>> strips_;
};

struct JpegInfo {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
};

struct DecodedImage {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::vector<std::uint8_t> bgr;  // rows of width * 3 bytes
};

// Reads only the header; an Error (libjpeg-turbo's words) when the bytes are not a JPEG.
Result<JpegInfo> read_jpeg_info(std::span<const std::uint8_t> bytes);
// The first COM segment before the image data, if any (only the header is read).
std::optional<std::string> read_jpeg_comment(std::span<const std::uint8_t> bytes);
// Decodes to BGR; an Error when the bytes are not a complete JPEG.
Result<DecodedImage> decode_jpeg_bgr(std::span<const std::uint8_t> bytes);

}  // namespace screenreel

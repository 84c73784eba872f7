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
#include "screenreel/common/jpeg_strips.hpp"
#include "screenreel/common/pixel_rect.hpp"

namespace screenreel {

inline constexpr std::size_t kMaxJpegComment = 512;

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
  // The same strips coded from the frame's 4:2:0 planes (Yuv420Layout{width, height}, as
  // bgrx_to_yuv420 makes them) as libjpeg raw data: no colour conversion and no downsampling
  // here, the planes are what the JPEG keeps. The same grid, restart intervals and header as
  // encode_strips, so the strips splice with strips coded either way (JpegStrips). The planes
  // bgrx_to_yuv420 makes of some pixels give the bytes encode_strips gives for those pixels when
  // the width is a multiple of 16; else the MCU padding right of the frame differs (this repeats
  // the last chroma sample, libjpeg the last pixel before averaging), and only that padding and
  // its ringing into the last column do (jpeg_strips_test).
  const CodedStrips& encode_strips_yuv420(const std::uint8_t* planes, std::uint32_t width, std::uint32_t height,
                                          std::span<const PixelRect> changed);

  // The header (SOI up to the end of SOS) of a JPEG of width x height that this encoder writes:
  // its quality, the strip grid's restart interval. What a frame spliced from strips coded
  // elsewhere (a protocol-4 client's) starts with. Valid until the next call.
  std::span<const std::uint8_t> header(std::uint32_t width, std::uint32_t height);
  int quality() const;

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
  // Takes the strips of `coded`; with `only`, just those the rectangles touch (JpegEncoder may
  // code more, a whole strip row or frame, and a strip it was not asked for may hold a client's
  // JPEG strip, which its decoded pixels must not replace: schemas/wire-protocol.md, "JPEG
  // strips"). Throws std::logic_error for partial strips it cannot use (see holds()).
  void update(const CodedStrips& coded, std::optional<std::span<const PixelRect>> only = std::nullopt);
  // Starts a frame of `grid` from nothing but its header (JpegEncoder::header): every strip is
  // then to be given by update() before write().
  void start(const JpegStripGrid& grid, std::span<const std::uint8_t> header);
  // The JPEG of the newest frame, with `comment` as in JpegEncoder::encode_bgrx; into `out`.
  void write(std::string_view comment, std::vector<std::uint8_t>& out) const;

 private:
  JpegStripGrid grid_;
  std::vector<std::uint8_t> header_;
  std::vector<std::vector<std::uint8_t>> strips_;
  std::vector<std::uint8_t> marks_;  // update(): the strips `only` touches
};

// Decodes strips of a frame's strip grid, coded by a JpegEncoder of `quality`, into BGRX pixels
// (the 4th byte 255) at their places in the frame. The pixels are those of libjpeg-turbo's
// accurate integer IDCT with plain (not "fancy") chroma upsampling: each pixel depends on its own
// strip only, so a strip decoded alone equals the same strip of the whole spliced JPEG decoded
// that way, and the capture client and the receiver get the same pixels
// (schemas/wire-protocol.md, "JPEG strips"). Strips of full height are decoded stacked, many in
// one call. An Error when a strip's bytes are not a valid restart interval.
class JpegStripDecoder {
 public:
  explicit JpegStripDecoder(int quality);
  ~JpegStripDecoder();
  JpegStripDecoder(const JpegStripDecoder&) = delete;
  JpegStripDecoder& operator=(const JpegStripDecoder&) = delete;

  struct Strip {
    std::uint32_t index = 0;
    std::span<const std::uint8_t> bytes;  // the entropy-coded bytes, as CodedStrips holds them
  };
  Result<void> decode(const JpegStripGrid& grid, std::span<const Strip> strips, std::uint8_t* pixels,
                      std::size_t stride);
  // All the strips of `coded`.
  Result<void> decode(const CodedStrips& coded, std::uint8_t* pixels, std::size_t stride);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
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

// JPEG encoding and decoding through libjpeg-turbo's TurboJPEG API, straight from and to the
// pixel layouts screenreel uses (BGRX from the wire, BGR for OpenCV), with no conversion pass.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace screenreel {

inline constexpr std::size_t kMaxJpegComment = 512;

class JpegEncoder {
 public:
  // quality 1..100; chroma subsampled 4:2:0 (what ffmpeg's mjpeg and most cameras write).
  explicit JpegEncoder(int quality = 90);
  ~JpegEncoder();
  JpegEncoder(const JpegEncoder&) = delete;
  JpegEncoder& operator=(const JpegEncoder&) = delete;

  // The returned bytes stay valid until the next encode. Throws std::runtime_error on failure.
  // A non-empty `comment` (at most kMaxJpegComment bytes) becomes a COM segment right after
  // SOI; it costs no copy of the image.
  std::span<const std::uint8_t> encode_bgrx(const std::uint8_t* pixels, std::uint32_t width,
                                            std::uint32_t height, std::size_t stride,
                                            std::string_view comment = {});

 private:
  void* handle_;
  unsigned char* buffer_ = nullptr;
  unsigned long capacity_ = 0;
  int quality_;
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

// Reads only the header. Empty, with `error` set, when the bytes are not a JPEG.
std::optional<JpegInfo> read_jpeg_info(std::span<const std::uint8_t> bytes, std::string* error = nullptr);
// The first COM segment before the image data, if any (only the header is read).
std::optional<std::string> read_jpeg_comment(std::span<const std::uint8_t> bytes);
// Decodes to BGR. Empty, with `error` set, when the bytes are not a complete JPEG.
std::optional<DecodedImage> decode_jpeg_bgr(std::span<const std::uint8_t> bytes, std::string* error = nullptr);

}  // namespace screenreel

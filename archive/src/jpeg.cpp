// TurboJPEG encode/decode (see jpeg.hpp).
#include "screenreel/jpeg.hpp"

#include <turbojpeg.h>

#include <cstring>
#include <stdexcept>

namespace screenreel {
namespace {

struct TjHandle {
  explicit TjHandle(bool compress) : h(compress ? tjInitCompress() : tjInitDecompress()) {
    if (!h) throw std::runtime_error(std::string("TurboJPEG init failed: ") + tjGetErrorStr2(nullptr));
  }
  ~TjHandle() { tjDestroy(h); }
  TjHandle(const TjHandle&) = delete;
  TjHandle& operator=(const TjHandle&) = delete;
  tjhandle h;
};

}  // namespace

JpegEncoder::JpegEncoder(int quality) : handle_(tjInitCompress()), quality_(quality) {
  if (!handle_) throw std::runtime_error(std::string("TurboJPEG init failed: ") + tjGetErrorStr2(nullptr));
  if (quality < 1 || quality > 100) {
    tjDestroy(handle_);
    throw std::invalid_argument("JPEG quality " + std::to_string(quality) + " outside 1..100");
  }
}

JpegEncoder::~JpegEncoder() {
  tjFree(buffer_);
  tjDestroy(handle_);
}

std::span<const std::uint8_t> JpegEncoder::encode_bgrx(const std::uint8_t* pixels, std::uint32_t width,
                                                       std::uint32_t height, std::size_t stride,
                                                       std::string_view comment) {
  if (comment.size() > kMaxJpegComment) throw std::invalid_argument("JPEG comment over 512 bytes");
  // Reuse one buffer big enough for the worst case, so TurboJPEG never reallocates per frame.
  // TurboJPEG writes after a gap the size of the largest COM segment; the comment then goes in
  // front of the image data, and SOI in front of it.
  constexpr unsigned long kGap = kMaxJpegComment + 4;
  const unsigned long need = kGap + tjBufSize(static_cast<int>(width), static_cast<int>(height), TJSAMP_420);
  if (capacity_ < need) {
    tjFree(buffer_);
    buffer_ = tjAlloc(static_cast<int>(need));
    if (!buffer_) throw std::runtime_error("TurboJPEG: out of memory");
    capacity_ = need;
  }
  unsigned char* image = buffer_ + kGap;
  unsigned long size = capacity_ - kGap;
  const int rc = tjCompress2(handle_, pixels, static_cast<int>(width), static_cast<int>(stride), static_cast<int>(height),
                             TJPF_BGRX, &image, &size, TJSAMP_420, quality_, TJFLAG_NOREALLOC | TJFLAG_FASTDCT);
  if (rc != 0) throw std::runtime_error(std::string("JPEG encode failed: ") + tjGetErrorStr2(handle_));
  if (comment.empty()) return {image, size};
  // image = SOI (FF D8), then the rest. Written: SOI, FF FE <length> <comment>, then the rest,
  // where the COM segment ends exactly where the old SOI ended.
  const std::size_t segment = 4 + comment.size();  // marker + length field + text
  unsigned char* start = image - segment;
  start[0] = 0xFF;
  start[1] = 0xD8;
  start[2] = 0xFF;
  start[3] = 0xFE;
  const std::size_t length = 2 + comment.size();
  start[4] = static_cast<unsigned char>(length >> 8);
  start[5] = static_cast<unsigned char>(length & 0xFF);
  std::memcpy(start + 6, comment.data(), comment.size());
  return {start, size + segment};
}

std::optional<std::string> read_jpeg_comment(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < 4 || bytes[0] != 0xFF || bytes[1] != 0xD8) return std::nullopt;
  std::size_t at = 2;
  while (at + 4 <= bytes.size() && bytes[at] == 0xFF) {
    const std::uint8_t marker = bytes[at + 1];
    if (marker == 0xDA || marker == 0xD9) break;  // image data, or the end: no comment before it
    const std::size_t length = std::size_t{bytes[at + 2]} << 8 | bytes[at + 3];
    if (length < 2 || at + 2 + length > bytes.size()) break;
    if (marker == 0xFE)
      return std::string(reinterpret_cast<const char*>(bytes.data() + at + 4), length - 2);
    at += 2 + length;
  }
  return std::nullopt;
}

std::optional<JpegInfo> read_jpeg_info(std::span<const std::uint8_t> bytes, std::string* error) {
  TjHandle tj(false);
  int w = 0, h = 0, sub = 0, cs = 0;
  if (tjDecompressHeader3(tj.h, bytes.data(), static_cast<unsigned long>(bytes.size()), &w, &h, &sub, &cs) != 0) {
    if (error) *error = tjGetErrorStr2(tj.h);
    return std::nullopt;
  }
  return JpegInfo{static_cast<std::uint32_t>(w), static_cast<std::uint32_t>(h)};
}

std::optional<DecodedImage> decode_jpeg_bgr(std::span<const std::uint8_t> bytes, std::string* error) {
  TjHandle tj(false);
  int w = 0, h = 0, sub = 0, cs = 0;
  if (tjDecompressHeader3(tj.h, bytes.data(), static_cast<unsigned long>(bytes.size()), &w, &h, &sub, &cs) != 0 ||
      w <= 0 || h <= 0 || static_cast<std::uint64_t>(w) * static_cast<std::uint64_t>(h) > (64ull << 20)) {
    if (error) *error = w > 0 ? "image too large" : tjGetErrorStr2(tj.h);
    return std::nullopt;
  }
  DecodedImage img;
  img.width = static_cast<std::uint32_t>(w);
  img.height = static_cast<std::uint32_t>(h);
  img.bgr.resize(std::size_t{img.width} * img.height * 3);
  // TJFLAG_STOPONWARNING: a truncated file is an error, not a grey-bottomed image.
  if (tjDecompress2(tj.h, bytes.data(), static_cast<unsigned long>(bytes.size()), img.bgr.data(), w, w * 3, h, TJPF_BGR,
                    TJFLAG_STOPONWARNING) != 0) {
    if (error) *error = tjGetErrorStr2(tj.h);
    return std::nullopt;
  }
  return img;
}

}  // namespace screenreel

// TurboJPEG encode/decode (see jpeg.hpp).
#include "screenreel/jpeg.hpp"

#include <turbojpeg.h>

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
                                                       std::uint32_t height, std::size_t stride) {
  // Reuse one buffer big enough for the worst case, so TurboJPEG never reallocates per frame.
  const unsigned long need = tjBufSize(static_cast<int>(width), static_cast<int>(height), TJSAMP_420);
  if (capacity_ < need) {
    tjFree(buffer_);
    buffer_ = tjAlloc(static_cast<int>(need));
    if (!buffer_) throw std::runtime_error("TurboJPEG: out of memory");
    capacity_ = need;
  }
  unsigned long size = capacity_;
  const int rc = tjCompress2(handle_, pixels, static_cast<int>(width), static_cast<int>(stride), static_cast<int>(height),
                             TJPF_BGRX, &buffer_, &size, TJSAMP_420, quality_, TJFLAG_NOREALLOC | TJFLAG_FASTDCT);
  if (rc != 0) throw std::runtime_error(std::string("JPEG encode failed: ") + tjGetErrorStr2(handle_));
  return {buffer_, size};
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

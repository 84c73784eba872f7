// The capture client's StripCoder (frame_codec.hpp): protocol 4's JPEG strips, coded and decoded
// with the archive's own JPEG code, so that the strips are those the receiver would have coded
// from the same pixels and the decoded pixels those the receiver gets.
#pragma once

#include <stdexcept>

#include "screenreel/archive/jpeg.hpp"
#include "screenreel/protocol/frame_codec.hpp"

namespace screenreel::capture {

class JpegStripCoder final : public StripCoder {
 public:
  explicit JpegStripCoder(int quality) : encoder_(quality), decoder_(quality) {}
  std::uint32_t quality() const override { return static_cast<std::uint32_t>(encoder_.quality()); }
  const CodedStrips& code(const FrameBuffer& frame, std::span<const PixelRect> changed) override {
    return encoder_.encode_strips(frame.pixels.data(), frame.width, frame.height, frame.stride(), changed);
  }
  void decode(const CodedStrips& coded, FrameBuffer& into) override {
    if (auto done = decoder_.decode(coded, into.pixels.data(), into.stride()); !done)
      throw std::runtime_error("cannot decode its own JPEG strips: " + done.error().message);
  }

 private:
  JpegEncoder encoder_;
  JpegStripDecoder decoder_;
};

}  // namespace screenreel::capture

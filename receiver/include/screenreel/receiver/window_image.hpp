// The live window's picture: a frame reduced by a whole factor to at most 1280 pixels wide, kept
// up to date by reducing only what changed since the last update, the way a VNC viewer redraws
// only damaged rectangles. Reducing a whole 1080p frame read 8 MB for every frame shown (0.35 to
// 0.9 ms of the window thread); a frame that changed in a quarter of its tiles reads a quarter.
#pragma once

#include <cstdint>
#include <opencv2/core.hpp>
#include <span>
#include <vector>

#include "screenreel/protocol/frame_codec.hpp"
#include "screenreel/common/pixel_rect.hpp"

namespace screenreel::receiver {

class WindowImage {
 public:
  static constexpr std::uint32_t kMaxWidth = 1280;
  // The factor for a frame this wide: the smallest whole number that brings it to kMaxWidth.
  static int factor(std::uint32_t width) {
    return static_cast<int>((width + kMaxWidth - 1) / kMaxWidth);
  }

  // Brings the picture up to `frame`. `changed`: where `frame` differs from the frame of the
  // previous update (the FRAME rectangles since then); everything is reduced again when `whole`,
  // on the first update and when the size changed. The result is what reducing the whole frame
  // gives (an area average over each factor x factor block; a frame whose size is not a multiple
  // of the factor loses its last rows or columns). With a factor of 1 it is the frame itself,
  // not copied: valid while `frame` is.
  const cv::Mat& update(const FrameBuffer& frame, std::span<const PixelRect> changed, bool whole);
  // Where the picture changed in the last update (all of it, after a whole one).
  std::span<const PixelRect> updated() const { return updated_; }

 private:
  std::vector<PixelRect> updated_;
  cv::Mat image_;                         // the reduced frame
  cv::Mat unreduced_;                     // a factor of 1: the frame itself
  int factor_ = 0;                        // of image_; 0 before the first reduction
  std::uint32_t width_ = 0, height_ = 0;  // of the frame last reduced
};

}  // namespace screenreel::receiver

// Incremental reduction of frames for the live window (see window_image.hpp).
#include "screenreel/receiver/window_image.hpp"

#include <opencv2/imgproc.hpp>

namespace screenreel::receiver {

const cv::Mat& WindowImage::update(const FrameBuffer& frame, std::span<const PixelRect> changed,
                                   bool whole) {
  const int k = factor(frame.width);
  const cv::Mat view(static_cast<int>(frame.height), static_cast<int>(frame.width), CV_8UC4,
                     const_cast<std::uint8_t*>(frame.pixels.data()), frame.stride());
  updated_.clear();
  if (k == 1) {
    unreduced_ = view;
    if (whole) updated_.push_back({0, 0, view.cols, view.rows});
    else updated_.assign(changed.begin(), changed.end());
    return unreduced_;
  }
  // Whole blocks only: the reduction is then exact (INTER_AREA averages each k x k block), so a
  // block reduced on its own gives what reducing the whole frame gives for it.
  const int cols = view.cols / k * k, rows = view.rows / k * k;
  if (whole || k != factor_ || frame.width != width_ || frame.height != height_) {
    cv::resize(view(cv::Rect(0, 0, cols, rows)), image_, cv::Size(cols / k, rows / k), 0, 0,
               cv::INTER_AREA);
    factor_ = k;
    width_ = frame.width;
    height_ = frame.height;
    updated_.push_back({0, 0, image_.cols, image_.rows});
    return image_;
  }
  const PixelRect reduced_area{0, 0, cols, rows};
  for (const PixelRect& given : changed) {
    const PixelRect r = given.intersected(reduced_area);
    if (r.empty()) continue;
    // Out to the blocks the rectangle touches.
    const int x0 = r.x / k * k, y0 = r.y / k * k;
    const int x1 = std::min(cols, (r.right() + k - 1) / k * k),
              y1 = std::min(rows, (r.bottom() + k - 1) / k * k);
    cv::Mat into = image_(cv::Rect(x0 / k, y0 / k, (x1 - x0) / k, (y1 - y0) / k));
    cv::resize(view(cv::Rect(x0, y0, x1 - x0, y1 - y0)), into, into.size(), 0, 0, cv::INTER_AREA);
    updated_.push_back({x0 / k, y0 / k, (x1 - x0) / k, (y1 - y0) / k});
  }
  return image_;
}

}  // namespace screenreel::receiver

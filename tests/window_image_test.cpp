// The live window's picture (receiver/window_image.hpp): reduced again only where frames
// changed, it must always be what reducing the whole frame gives.
#include "screenreel/receiver/window_image.hpp"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>
#include <random>
#include <vector>

namespace screenreel::receiver {
namespace {

cv::Mat whole_reduction(const FrameBuffer& f) {
  const int k = WindowImage::factor(f.width);
  const cv::Mat view(static_cast<int>(f.height), static_cast<int>(f.width), CV_8UC4,
                     const_cast<std::uint8_t*>(f.pixels.data()), f.stride());
  if (k == 1) return view.clone();
  cv::Mat out;
  cv::resize(view(cv::Rect(0, 0, view.cols / k * k, view.rows / k * k)), out,
             cv::Size(view.cols / k, view.rows / k), 0, 0, cv::INTER_AREA);
  return out;
}

void fill_random(FrameBuffer& f, std::mt19937& rng) {
  for (auto& b : f.pixels) b = static_cast<std::uint8_t>(rng());
}

// Paints a rectangle (anywhere, on block boundaries or not) and returns it.
PixelRect paint(FrameBuffer& f, std::mt19937& rng) {
  const auto w = static_cast<std::int32_t>(f.width), h = static_cast<std::int32_t>(f.height);
  PixelRect r{static_cast<std::int32_t>(rng() % w), static_cast<std::int32_t>(rng() % h),
              1 + static_cast<std::int32_t>(rng() % 200),
              1 + static_cast<std::int32_t>(rng() % 90)};
  r = r.intersected({0, 0, w, h});
  for (std::int32_t y = r.y; y < r.bottom(); ++y)
    for (std::int32_t x = r.x * 4; x < r.right() * 4; ++x)
      f.row(static_cast<std::uint32_t>(y))[x] = static_cast<std::uint8_t>(rng());
  return r;
}

bool same(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

TEST(WindowImage, ReducingOnlyWhatChangedGivesTheWholeFramesReduction) {
  std::mt19937 rng(5);
  // 1080p (factor 2), a size that is not a multiple of its factor (3: 2600 wide), and 4K (3).
  for (const auto& [w, h] :
       {std::pair{1920u, 1080u}, std::pair{2600u, 1001u}, std::pair{3840u, 2160u}}) {
    FrameBuffer frame(w, h);
    fill_random(frame, rng);
    WindowImage image;
    ASSERT_TRUE(same(image.update(frame, {}, true), whole_reduction(frame))) << w << "x" << h;
    for (int step = 0; step < 20; ++step) {
      std::vector<PixelRect> changed;
      for (int i = 0, n = static_cast<int>(rng() % 5); i < n; ++i)
        changed.push_back(paint(frame, rng));
      const cv::Mat& shown = image.update(frame, changed, false);
      ASSERT_EQ(shown.cols, static_cast<int>(w) / WindowImage::factor(w)) << w << "x" << h;
      ASSERT_TRUE(same(shown, whole_reduction(frame))) << w << "x" << h << ", step " << step;
    }
  }
}

TEST(WindowImage, AChangeLeftOutStaysOutUntilTheWholeFrameIsReducedAgain) {
  // What the display relies on: only the rectangles given are read again (so it must pass every
  // frame's rectangles since the last draw, or `whole`).
  std::mt19937 rng(6);
  FrameBuffer frame(1920, 1080);
  fill_random(frame, rng);
  WindowImage image;
  image.update(frame, {}, true);
  paint(frame, rng);
  EXPECT_FALSE(same(image.update(frame, {}, false), whole_reduction(frame)));
  EXPECT_TRUE(same(image.update(frame, {}, true), whole_reduction(frame)));
}

TEST(WindowImage, ANewSizeOrFactorReducesEverything) {
  std::mt19937 rng(7);
  FrameBuffer big(1920, 1080), small(1280, 720), other(1600, 900);
  fill_random(big, rng);
  fill_random(small, rng);
  fill_random(other, rng);
  WindowImage image;
  image.update(big, {}, true);
  // Factor 1: the frame as it is, whatever `changed` says.
  EXPECT_TRUE(same(image.update(small, {}, false), whole_reduction(small)));
  EXPECT_TRUE(same(image.update(big, {}, false), whole_reduction(big)));
  EXPECT_TRUE(same(image.update(other, {}, false),
                   whole_reduction(other)));  // 1600: factor 2, another size
}

}  // namespace
}  // namespace screenreel::receiver

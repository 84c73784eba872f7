// Capture backends: the test pattern is deterministic; the X11 source (MIT-SHM and the GetImage
// fallback) returns exactly the pixels on a real Xvfb screen.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "screenreel/capture/source.hpp"
#include "screenreel/capture/test_pattern.hpp"
#include "support/screen_painter.hpp"
#include "support/xvfb.hpp"

namespace screenreel::capture {
namespace {

std::vector<std::uint8_t> copy(const FrameRef& f) {
  std::vector<std::uint8_t> out(std::size_t{f.width} * f.height * 4);
  for (std::uint32_t y = 0; y < f.height; ++y) std::memcpy(&out[y * f.width * 4], f.pixels + y * f.stride, f.width * 4);
  return out;
}

TEST(TestPattern, SameTickSamePixelsOtherTickOtherPixels) {
  auto src = make_test_pattern(320, 240, 30);
  const auto a = copy(src->grab(7));
  const auto b = copy(src->grab(8));
  EXPECT_EQ(copy(src->grab(7)), a);
  EXPECT_NE(a, b);
  std::vector<std::uint8_t> direct(320 * 240 * 4);
  render_test_pattern(320, 240, 30, 7, direct.data());
  EXPECT_EQ(direct, a);
}

TEST(TestPattern, HasStaticAndMovingRegions) {
  auto src = make_test_pattern(640, 480, 30);
  const auto a = copy(src->grab(0));
  const auto b = copy(src->grab(45));  // 1.5 s later
  // The static document (top right) is unchanged; the terminal (top left) has scrolled.
  const std::size_t doc = (10 * 640 + 400) * 4, term = (100 * 640 + 0) * 4;
  EXPECT_EQ(std::memcmp(&a[doc], &b[doc], 200 * 4), 0);
  bool term_moved = false;
  for (std::uint32_t y = 0; y < 300 && !term_moved; ++y)
    term_moved = std::memcmp(&a[(y * 640) * 4], &b[(y * 640) * 4], 300 * 4) != 0;
  EXPECT_TRUE(term_moved);
  (void)term;
}

class X11Capture : public ::testing::Test {
 protected:
  test::Xvfb xvfb{"320x240"};
};

void expect_screen_matches(const std::string& display) {
  test::ScreenPainter painter(display);
  const auto picture = test::make_picture(320, 240, 1);
  painter.show(picture);
  auto src = make_x11_source(display);
  ASSERT_EQ(src->width(), 320u);
  ASSERT_EQ(src->height(), 240u);
  const auto got = copy(src->grab(0));
  std::size_t differ = 0;
  for (std::size_t i = 0; i < got.size(); i += 4)
    differ += std::memcmp(&got[i], &picture[i], 3) != 0;  // the 4th byte is padding
  EXPECT_EQ(differ, 0u) << src->describe();
  // A second grab after a change sees the change (the segment is reused, not stale).
  const auto second = test::make_picture(320, 240, 2);
  painter.show(second);
  const auto got2 = copy(src->grab(1));
  EXPECT_EQ(std::memcmp(&got2[0], &second[0], 3), 0);
  EXPECT_NE(got, got2);
}

TEST_F(X11Capture, SharedMemoryGrabReturnsTheScreensPixels) {
  ::unsetenv("SCREENREEL_NO_SHM");
  EXPECT_NE(make_x11_source(xvfb.display())->describe().find("shm"), std::string::npos);
  expect_screen_matches(xvfb.display());
}

TEST_F(X11Capture, GetImageFallbackReturnsTheScreensPixels) {
  ::setenv("SCREENREEL_NO_SHM", "1", 1);
  EXPECT_NE(make_x11_source(xvfb.display())->describe().find("get-image"), std::string::npos);
  expect_screen_matches(xvfb.display());
  ::unsetenv("SCREENREEL_NO_SHM");
}

TEST(X11CaptureErrors, ABadDisplayIsExplained) {
  try {
    make_x11_source(":987");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("':987'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--source test-pattern"), std::string::npos) << e.what();
  }
  EXPECT_THROW(make_source(SourceOptions{"vnc", "", 64, 64, 30}), std::invalid_argument);
}

}  // namespace
}  // namespace screenreel::capture

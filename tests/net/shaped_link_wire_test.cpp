// Issue 19's targets over a shaped link that today's wire (LZ4 of changed tiles, no copies, no
// JPEG strips) cannot meet (measured 2026-12-05: the terminal scene needs about 61 Mbit/s, so on
// 10 Mbit/s the capture was still sending its spooled backlog 54 s after a 10 s recording): ctest label needs-wire, left out of the default run until the copy
// rectangles and JPEG strips are merged (scripts/test.sh, SCREENREEL_WIRE_TESTS=1 runs them).
#include <gtest/gtest.h>

#include "link_recording.hpp"
#include "support/shaped_link.hpp"

namespace screenreel::test {
namespace {

constexpr int kSeconds = 10;

class ShapedLinkWire : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = ShapedLink::unavailable()) GTEST_SKIP() << *why;
  }
};

TEST_F(ShapedLinkWire, AScrollingTerminalAt30FpsOn10MbitDropsNoTick) {
  expect_kept_up(record_scene_over_link("terminal", 10, kSeconds), kSeconds);
}

}  // namespace
}  // namespace screenreel::test

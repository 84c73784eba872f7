// Activity per frame (frames.changed_share, changed_tiles; archive/activity.hpp): from a FRAME's
// rectangles (the receiver), from decoded JPEGs (recover, index), and what the real receiver
// writes for a recording of the capture client's test pattern.
#include <gtest/gtest.h>
#include <signal.h>

#include <vector>

#include "archive_fixture.hpp"
#include "screenreel/archive/activity.hpp"
#include "support/process.hpp"
#include "support/programs.hpp"

namespace screenreel {
namespace {
using namespace std::chrono_literals;

TEST(Activity, OverlappingRectanglesAreCountedOnceWithTheTilesTheyTouch) {
  const std::vector<PixelRect> rects{{0, 0, 100, 100}, {50, 50, 100, 100}};
  const FrameActivity a = activity_of_rects(320, 240, rects);
  EXPECT_DOUBLE_EQ(a.changed_share, (10'000.0 + 10'000 - 2'500) / (320 * 240));
  EXPECT_EQ(a.changed_tiles, 9) << "columns and rows 0 to 2 of the 64-pixel grid";
}

TEST(Activity, RectanglesAreClippedToTheFrame) {
  const std::vector<PixelRect> all{{-10, -10, 1000, 1000}};
  EXPECT_EQ(activity_of_rects(320, 240, all), (FrameActivity{1.0, 5 * 4}));
  const std::vector<PixelRect> outside{{400, 0, 10, 10}};
  EXPECT_EQ(activity_of_rects(320, 240, outside), (FrameActivity{0.0, 0}));
  EXPECT_EQ(activity_of_rects(320, 240, {}), (FrameActivity{0.0, 0}));
}

DecodedImage grey(std::uint32_t w, std::uint32_t h) { return {w, h, std::vector<std::uint8_t>(std::size_t{w} * h * 3, 128)}; }

TEST(Activity, DecodedFramesAreComparedTileByTile) {
  ActivityMeter meter;
  EXPECT_EQ(meter.next(grey(200, 130)), (FrameActivity{1.0, 4 * 3})) << "the first frame changed entirely";
  EXPECT_EQ(meter.next(grey(200, 130)), (FrameActivity{0.0, 0}));
  DecodedImage changed = grey(200, 130);
  changed.bgr[(100 * 200 + 100) * 3 + 1] = 250;  // a pixel inside tile (1, 1)
  EXPECT_EQ(meter.next(changed), (FrameActivity{64.0 * 64 / (200 * 130), 1}));
  DecodedImage noise = changed;
  noise.bgr[(20 * 200 + 20) * 3] = 133;  // 5 more: less than a JPEG's noise
  EXPECT_EQ(meter.next(noise), (FrameActivity{0.0, 0}));
  DecodedImage edge = noise;
  edge.bgr[(129 * 200 + 197) * 3] = 0;  // the corner tile (3, 2): 8 x 2 pixels, its 2 rows looked at
  EXPECT_EQ(meter.next(edge), (FrameActivity{8.0 * 2 / (200 * 130), 1}));
  EXPECT_EQ(meter.next(grey(100, 100)).changed_share, 1.0) << "another size changed entirely";
}

TEST(Activity, TheReceiverWritesEachFramesActivityFromItsRectangles) {
  const auto archive = test::fresh_temp_dir("screenreel-activity");
  auto receiver = test::start_receiver(archive, {"--no-display"});
  ASSERT_NE(receiver.port, 0);
  test::Process capture({SCREENREEL_CAPTURE_BIN, "--connect", "127.0.0.1:" + std::to_string(receiver.port), "--source",
                         "test-pattern", "--size", "320x240", "--fps", "10", "--max-frames", "10"});
  ASSERT_EQ(capture.wait_for(60s).value_or(-1), 0) << capture.err();
  receiver.process->signal(SIGTERM);
  ASSERT_EQ(receiver.process->wait_for(30s).value_or(-1), 0) << receiver.process->err();
  const auto rows = test::replay(
      archive, {"query", "SELECT seq, changed_share, changed_tiles FROM frames ORDER BY seq", "--csv"});
  ASSERT_EQ(rows.status, 0) << rows.err;
  EXPECT_EQ(rows.out.rfind("seq,changed_share,changed_tiles\r\n1,1,20\r\n", 0), 0u)
      << "the first frame is a key frame: all 20 tiles\n" << rows.out;
  EXPECT_EQ(rows.out.find(",,"), std::string::npos) << "every frame has its activity\n" << rows.out;
  const auto partial = test::replay(
      archive, {"query", "SELECT count(*) FROM frames WHERE changed_share > 0 AND changed_share < 1", "--csv"});
  EXPECT_NE(partial.out, "count(*)\r\n0\r\n") << "the test pattern changes part of the frame\n" << rows.out;
  std::filesystem::remove_all(archive);
}

}  // namespace
}  // namespace screenreel

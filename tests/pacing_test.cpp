// Capture pacing: ticks follow a steady clock (start + k / fps), so a long recording has exactly
// duration x fps ticks, however busy the machine is (a late tick is skipped and counted, the
// schedule does not slide).
#include <gtest/gtest.h>
#include <signal.h>

#include <regex>

#include "support/process.hpp"
#include "support/programs.hpp"

namespace screenreel {
namespace {
using namespace std::chrono_literals;

TEST(Pacing, ThirtyFpsForSixtySecondsIsEighteenHundredTicks) {
  const auto dir = test::fresh_temp_dir("screenreel-pacing");
  auto receiver = test::start_receiver(dir / "archive", {"--no-display"});
  test::Process capture({SCREENREEL_CAPTURE_BIN, "--connect", "127.0.0.1:" + std::to_string(receiver.port), "--source",
                         "test-pattern", "--size", "320x240", "--fps", "30", "--duration", "60"});
  ASSERT_EQ(capture.wait_for(120s).value_or(-1), 0) << capture.err();
  std::smatch m;
  const std::string out = capture.out();
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(changed on \d+ of (\d+) ticks \((\d+) unchanged, (\d+) dropped\))"))) << out;
  const long ticks = std::stol(m[1]);
  EXPECT_GE(ticks, 1798) << out;
  EXPECT_LE(ticks, 1802) << out;
  // Every tick is accounted for: sent, unchanged or dropped.
  EXPECT_EQ(test::frames_sent(out) + std::stol(m[2]) + std::stol(m[3]), ticks) << out;
  receiver.process->signal(SIGTERM);
  EXPECT_EQ(receiver.process->wait_for(20s).value_or(-1), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace screenreel

// What screenreel-capture says while it records: on a terminal one status line updated in
// place (like ffmpeg's), nothing but the summary elsewhere or with --quiet; and a summary that
// tells the tick rate apart from the rate of frames stored.
#include <gtest/gtest.h>
#include <signal.h>

#include <regex>

#include "support/process.hpp"
#include "support/programs.hpp"

namespace screenreel {
namespace {
using namespace std::chrono_literals;

std::string capture_command(std::uint16_t port, const std::string& extra) {
  return std::string("'") + SCREENREEL_CAPTURE_BIN + "' --connect 127.0.0.1:" + std::to_string(port) +
         " --source test-pattern --size 320x240 --fps 30 --duration 4 " + extra;
}

std::size_t count(const std::string& text, const std::regex& re) {
  return static_cast<std::size_t>(std::distance(std::sregex_iterator(text.begin(), text.end(), re),
                                                std::sregex_iterator()));
}

const std::regex kStatus(R"(\r\x1b\[K00:00:0[0-9]  stored \d+ +\d+ fps +[0-9.]+ MB/s  ack latency)");
const std::regex kSummary(
    R"((\d+) frames sent, [0-9.]+ MB \([0-9.]+% of raw\) over ([0-9.]+) s: ([0-9.]+) ticks/s, ([0-9.]+) frames/s stored: the screen changed on (\d+) of (\d+) ticks \((\d+) unchanged, (\d+) dropped\)[^\n]*; receiver stored (\d+))");

TEST(StatusLine, OnATerminalOneLineIsUpdatedInPlaceAndTheSummaryTellsTicksFromFramesStored) {
  const auto dir = test::fresh_temp_dir("screenreel-status");
  auto receiver = test::start_receiver(dir / "archive", {"--no-display"});
  ASSERT_NE(receiver.port, 0);
  // `script` runs the capture on a pseudo-terminal and copies what it shows to its stdout.
  test::Process tty({"/usr/bin/script", "-qefc", capture_command(receiver.port, ""), "/dev/null"});
  ASSERT_EQ(tty.wait_for(60s).value_or(-1), 0) << tty.out() << tty.err();
  const std::string shown = tty.out();
  // About one status line a second, each drawn over the last (\r, erase to the end) on one line.
  EXPECT_GE(count(shown, kStatus), 3u) << shown;
  const auto first = shown.find("00:00:0");
  const auto summary_at = shown.find("frames sent");
  ASSERT_NE(first, std::string::npos) << shown;
  ASSERT_NE(summary_at, std::string::npos) << shown;
  EXPECT_EQ(shown.substr(first, summary_at - first).find('\n'), std::string::npos)
      << "the status lines should share one terminal line: " << shown;
  // The summary replaces the status line rather than following it on the same line.
  EXPECT_NE(shown.rfind("\r\x1b[K", summary_at), std::string::npos) << shown;

  std::smatch m;
  ASSERT_TRUE(std::regex_search(shown, m, kSummary)) << shown;
  const double seconds = std::stod(m[2]), tick_rate = std::stod(m[3]), frame_rate = std::stod(m[4]);
  const long changed = std::stol(m[5]), ticks = std::stol(m[6]), unchanged = std::stol(m[7]),
             dropped = std::stol(m[8]), stored = std::stol(m[9]);
  EXPECT_NEAR(tick_rate, 30.0, 1.0) << m[0];
  EXPECT_NEAR(frame_rate, static_cast<double>(stored) / seconds, 0.01) << m[0];
  EXPECT_EQ(changed + unchanged + dropped, ticks) << m[0];
  receiver.process->signal(SIGTERM);
  EXPECT_EQ(receiver.process->wait_for(30s).value_or(-1), 0);
}

TEST(StatusLine, QuietOrWithoutATerminalOnlyTheSummaryIsPrinted) {
  const auto dir = test::fresh_temp_dir("screenreel-status-quiet");
  auto receiver = test::start_receiver(dir / "archive", {"--no-display"});
  ASSERT_NE(receiver.port, 0);
  test::Process quiet({"/usr/bin/script", "-qefc", capture_command(receiver.port, "--quiet"), "/dev/null"});
  ASSERT_EQ(quiet.wait_for(60s).value_or(-1), 0) << quiet.out();
  EXPECT_EQ(count(quiet.out(), kStatus), 0u) << quiet.out();
  EXPECT_TRUE(std::regex_search(quiet.out(), kSummary)) << quiet.out();

  test::Process piped({"/bin/sh", "-c", capture_command(receiver.port, "")});
  ASSERT_EQ(piped.wait_for(60s).value_or(-1), 0) << piped.err();
  EXPECT_EQ(piped.err().find("stored "), std::string::npos) << piped.err();
  EXPECT_TRUE(std::regex_search(piped.out(), kSummary)) << piped.out();

  // --stats asks for it where there is no terminal: a log line a second.
  test::Process logged({"/bin/sh", "-c", capture_command(receiver.port, "--stats")});
  ASSERT_EQ(logged.wait_for(60s).value_or(-1), 0) << logged.err();
  EXPECT_GE(count(logged.err(), std::regex(R"(screenreel-capture: 00:00:0[0-9]  stored \d+ )")), 3u) << logged.err();
  EXPECT_EQ(logged.err().find('\r'), std::string::npos) << logged.err();
  receiver.process->signal(SIGTERM);
  EXPECT_EQ(receiver.process->wait_for(30s).value_or(-1), 0);
}

}  // namespace
}  // namespace screenreel

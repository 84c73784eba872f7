// `play` on a private Xvfb screen: it shows the window, plays to the end by itself, and quits
// at once on q (typed with xdotool, as a user would).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "archive_fixture.hpp"
#include "screenreel/archive/archive.hpp"
#include "support/process.hpp"
#include "support/xvfb.hpp"

namespace screenreel {
namespace {
using namespace std::chrono_literals;
using test::FixtureArchive;
using test::Process;

class ReplayPlay : public ::testing::Test {
 protected:
  void SetUp() override { session = archive.record("playme", test::evenly(30, 100'000)); }

  std::unique_ptr<Process> start(std::vector<std::string> extra) {
    std::vector<std::string> argv = {SCREENREEL_REPLAY_BIN, "--archive", archive.root().string(),
                                     "play", "playme"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return std::make_unique<Process>(
        argv, std::map<std::string, std::string>{{"DISPLAY", screen.display()}});
  }
  // xdotool against the test's own screen.
  int xdotool(const std::string& args) {
    return test::shell("DISPLAY=" + screen.display() + " xdotool " + args);
  }

  test::Xvfb screen{"800x600"};
  FixtureArchive archive;
  SessionRecord session;
};

TEST_F(ReplayPlay, PlaysAShortRangeAtHighSpeedToTheEnd) {
  auto p = start({"--from", "1", "--to", "2.5", "--speed", "16"});
  const auto status = p->wait_for(30s);
  ASSERT_TRUE(status.has_value()) << "still playing 1.5 s of recording at 16x after 30 s: "
                                  << p->err();
  EXPECT_EQ(*status, 0) << p->err();
  EXPECT_NE(
      p->err().find(
          "playing session 1 \"playme\": 16 frames from 00:00:01.000 to 00:00:02.500 at 16.0x"),
      std::string::npos)
      << p->err();
  EXPECT_NE(p->err().find("stopped at 00:00:02.500 (frame 26)"), std::string::npos) << p->err();
}

TEST_F(ReplayPlay, StartsAtAHitWithAtInsideTheRange) {
  auto p = start({"--at", "2.5", "--speed", "16"});
  const auto status = p->wait_for(30s);
  ASSERT_TRUE(status.has_value()) << p->err();
  EXPECT_EQ(*status, 0) << p->err();
  EXPECT_NE(p->err().find("frames from 00:00:00.000 to 00:00:02.900"), std::string::npos) << p->err();
  EXPECT_NE(p->err().find("starting at 00:00:02.500 (frame 26)"), std::string::npos) << p->err();
  EXPECT_NE(p->err().find("stopped at 00:00:02.900 (frame 30)"), std::string::npos) << p->err();

  auto outside = start({"--from", "1", "--to", "2", "--at", "2.5"});
  EXPECT_EQ(outside->wait_for(30s).value_or(-1), 1);
  EXPECT_NE(outside->err().find("--at 00:00:02.500 is outside the range played"), std::string::npos)
      << outside->err();
}

TEST_F(ReplayPlay, QuitsOnQ) {
  auto p = start({"--loop", "--speed", "8", "--to", "1"});
  // The window's title names the session; wait for it, give it the focus, and type q.
  ASSERT_EQ(
      xdotool("search --sync --onlyvisible --name 'screenreel-replay: playme \\(session 1\\)' "
              "windowfocus --sync key q"),
      0)
      << p->err();
  const auto status = p->wait_for(10s);
  ASSERT_TRUE(status.has_value()) << "q did not end playback: " << p->err();
  EXPECT_EQ(*status, 0) << p->err();
  EXPECT_NE(p->err().find("stopped at "), std::string::npos) << p->err();
}

TEST_F(ReplayPlay, PausesAndStepsWithKeys) {
  auto p = start({"--loop"});
  ASSERT_EQ(
      xdotool(
          "search --sync --onlyvisible --name 'screenreel-replay: playme' windowfocus --sync "
          "key space sleep 0.3 key Right sleep 0.3 key Right sleep 0.3 key Left sleep 0.3 key plus "
          "sleep 0.3 key q"),
      0)
      << p->err();
  const auto status = p->wait_for(10s);
  ASSERT_TRUE(status.has_value()) << p->err();
  EXPECT_EQ(*status, 0) << p->err();
  const std::string log = p->err();
  const auto paused = log.find("paused at ");
  ASSERT_NE(paused, std::string::npos) << log;
  // Two steps forward and one back, one frame each, then double speed.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      log, m,
      std::regex(
          R"(paused at \S+ \(frame (\d+)\)\nframe (\d+) at \S+\nframe (\d+) at \S+\nframe (\d+) at \S+\nspeed 2\.0x\n)")))
      << log;
  const int at = std::stoi(m[1]);
  EXPECT_EQ(std::stoi(m[2]), at + 1) << log;
  EXPECT_EQ(std::stoi(m[3]), at + 2) << log;
  EXPECT_EQ(std::stoi(m[4]), at + 1) << log;
}

}  // namespace
}  // namespace screenreel

namespace screenreel {
namespace {

TEST_F(ReplayPlay, DamagedJpegsAreSkippedWithAWarningAndPlayFinishes) {
  const auto dir = ArchivePaths(archive.root()).session(session.folder);
  std::ofstream(dir / frame_file_name(12), std::ios::binary | std::ios::trunc) << "not a jpeg";
  std::filesystem::resize_file(dir / frame_file_name(15), 100);
  auto p = start({"--from", "1", "--to", "2.5", "--speed", "16"});
  const auto status = p->wait_for(30s);
  ASSERT_TRUE(status.has_value()) << p->err();
  EXPECT_EQ(*status, 0) << p->err();
  EXPECT_NE(p->err().find("skipping a frame"), std::string::npos) << p->err();
  EXPECT_NE(p->err().find("stopped at 00:00:02.500 (frame 26)"), std::string::npos) << p->err();
}

}  // namespace
}  // namespace screenreel

namespace screenreel {
namespace {

// Without a display, play says so and what to use instead (export, frame), exit status 1: it
// used to abort in Qt (exit status 134, "Reinstalling the application may fix this problem").
class ReplayPlayWithoutDisplay : public ::testing::Test {
 protected:
  void SetUp() override { archive.record("playme", test::evenly(10, 100'000)); }

  // play with the environment changed by env(1): "-u DISPLAY" or "DISPLAY=:N". Qt's platform is
  // left to its default (X11), the one that needs a display.
  void expect_refused(std::vector<std::string> env_args, const std::string& why) {
    std::vector<std::string> argv = {"/usr/bin/env", "-u", "QT_QPA_PLATFORM"};
    argv.insert(argv.end(), env_args.begin(), env_args.end());
    argv.insert(argv.end(),
                {SCREENREEL_REPLAY_BIN, "--archive", archive.root().string(), "play", "playme"});
    Process p(argv);
    const auto status = p.wait_for(30s);
    ASSERT_TRUE(status.has_value()) << p.err();
    EXPECT_EQ(*status, 1) << p.err();
    const std::string err = p.err();
    EXPECT_NE(err.find("screenreel-replay: play shows a window and needs a display: " + why),
              std::string::npos)
        << err;
    EXPECT_NE(err.find("'screenreel-replay export 1 -o FILE' makes a video"), std::string::npos)
        << err;
    EXPECT_NE(err.find("'screenreel-replay frame 1 --at T -o FILE' an image"), std::string::npos)
        << err;
    EXPECT_EQ(err.find("Reinstalling"), std::string::npos) << err;
    EXPECT_EQ(err.find('\n'), err.size() - 1) << "one line: " << err;
  }

  FixtureArchive archive;
};

TEST_F(ReplayPlayWithoutDisplay, NoDisplaySetSaysSoAndExitsOne) {
  expect_refused({"-u", "DISPLAY"}, "no X display: $DISPLAY is not set.");
}

TEST_F(ReplayPlayWithoutDisplay, ADisplayThatDoesNotExistSaysSoAndExitsOne) {
  // A display number nothing serves: no socket, no lock file.
  int n = 4711;
  while (std::filesystem::exists("/tmp/.X11-unix/X" + std::to_string(n)) ||
         std::filesystem::exists("/tmp/.X" + std::to_string(n) + "-lock"))
    ++n;
  const std::string display = ":" + std::to_string(n);
  expect_refused({"DISPLAY=" + display}, "cannot open X display '" + display + "'");
}

}  // namespace
}  // namespace screenreel

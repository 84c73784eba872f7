// `play` on a private Xvfb screen: it shows the window, plays to the end by itself, and quits
// at once on q (typed with xdotool, as a user would).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <opencv2/imgproc.hpp>
#include <thread>

#include "archive_fixture.hpp"
#include "screenreel/archive/archive.hpp"
#include "screenreel/capture/source.hpp"
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

namespace screenreel {
namespace {

// Seeking with keys while playing, the overlay, and the window's size, checked on the window's
// own pixels (grabbed with the project's X11 capture source) against the archived frames.
class ReplayPlaySeek : public ::testing::Test {
 protected:
  static constexpr std::uint32_t kW = 480, kH = 360;
  // 89.9 s, a frame each 100 ms.
  virtual std::vector<test::FixtureFrame> frames() { return test::evenly(900, 100'000); }
  void SetUp() override {
    archive.set_frame_size(kW, kH);
    archive.record("seekme", frames());
    // At 1/64 speed playback stands nearly still: a seek shows its frame for a long while.
    p = std::make_unique<Process>(
        std::vector<std::string>{SCREENREEL_REPLAY_BIN, "--archive", archive.root().string(),
                                 "play", "seekme", "--speed", "0.015625"},
        // Empty is unset to Qt, which then said "QStandardPaths: XDG_RUNTIME_DIR not set".
        std::map<std::string, std::string>{{"DISPLAY", screen.display()}, {"XDG_RUNTIME_DIR", ""}});
    window = search_window();
  }
  int xdotool(const std::string& args) {
    return test::shell("DISPLAY=" + screen.display() + " timeout 10 xdotool " + args);
  }
  std::string search_window() {
    const auto out = archive.root() / "window-id";
    if (test::shell("DISPLAY=" + screen.display() +
                    " timeout 10 xdotool search --sync --onlyvisible --name 'screenreel-replay: seekme' > '" +
                    out.string() + "'") != 0)
      return "";
    std::string id = test::read_file(out);
    return id.substr(0, id.find('\n'));
  }
  // Types `key` into the window and waits for the player's next "seek to ... (frame N)" line.
  void seek_with(const std::string& key, std::int64_t expected_seq) {
    const auto seeks = [&] {
      const std::string err = p->err();
      std::size_t n = 0;
      for (auto at = err.find("seek to "); at != std::string::npos; at = err.find("seek to ", at + 1))
        ++n;
      return n;
    };
    const std::size_t before = seeks();
    ASSERT_EQ(xdotool("windowfocus --sync " + window + " key " + key), 0) << p->err();
    for (int i = 0; i < 100 && seeks() == before; ++i) std::this_thread::sleep_for(50ms);
    const std::string err = p->err();
    const auto last = err.rfind("seek to ");
    ASSERT_EQ(seeks(), before + 1) << key << " did not seek: " << err;
    const std::string line = " (frame " + std::to_string(expected_seq) + ")\n";
    EXPECT_EQ(err.substr(err.find(" (frame", last), line.size()), line) << key << ": " << err;
  }
  // The window's pixels now, BGR.
  cv::Mat grab() {
    capture::SourceOptions o;
    o.kind = "x11";
    o.display = screen.display();
    o.window = "screenreel-replay: seekme";
    std::unique_ptr<capture::FrameSource> src;
    for (int i = 0; i < 20 && !src; ++i) {  // not yet there as Qt maps it again while settling
      try {
        src = capture::make_x11_source(o);
      } catch (const std::invalid_argument&) {
        std::this_thread::sleep_for(100ms);
      }
    }
    if (!src) return {};
    capture::FrameRef f;
    try {
      f = src->grab(0);
    } catch (const capture::SourceGone&) {
      return {};
    }
    cv::Mat bgrx(static_cast<int>(f.height), static_cast<int>(f.width), CV_8UC4,
                 const_cast<std::uint8_t*>(f.pixels), f.stride);
    cv::Mat bgr;
    cv::cvtColor(bgrx, bgr, cv::COLOR_BGRA2BGR);
    return bgr;
  }
  // The window shows frame `seq` (JPEG decoding aside), after the window system has drawn it.
  void expect_shows(std::int64_t seq) {
    const cv::Mat want = archive.frame_image(session(), seq);
    double best = 0;
    for (int i = 0; i < 40 && best < 35; ++i) {
      std::this_thread::sleep_for(100ms);
      const cv::Mat got = grab();
      if (got.empty()) continue;  // Qt maps the window again as it settles
      ASSERT_EQ(got.size(), want.size()) << "the window is not at the session's size";
      best = test::psnr(got, want);
    }
    EXPECT_GE(best, 35) << "the window does not show frame " << seq << ": " << p->err();
  }
  SessionRecord session() { return *archive.catalog().session(1); }

  test::Xvfb screen{"800x600"};
  FixtureArchive archive;
  std::unique_ptr<Process> p;
  std::string window;
};

TEST_F(ReplayPlaySeek, KeysSeekWhilePlayingAndTheWindowShowsThatFrame) {
  ASSERT_FALSE(window.empty()) << p->err();
  EXPECT_NE(p->err().find("in a 480x360 window"), std::string::npos) << p->err();
  expect_shows(1);
  seek_with("Right", 51);  // +5 s: offset 5.0
  expect_shows(51);
  seek_with("Left", 1);
  seek_with("5", 450);  // 50% of 89.9 s: 44.95 s, frame 450 (44.9 s)
  expect_shows(450);
  seek_with("Home", 1);
  seek_with("Page_Up", 601);  // +1 min
  expect_shows(601);
  seek_with("Page_Down", 1);
  expect_shows(1);
  seek_with("9", 810);  // 90%: 80.91 s
  expect_shows(810);
  seek_with("End", 900);
  EXPECT_EQ(p->wait_for(10s).value_or(-1), 0) << "End plays to the end and stops: " << p->err();
  EXPECT_EQ(p->err().find("XDG_RUNTIME_DIR"), std::string::npos) << p->err();
  EXPECT_EQ(p->err().find("QStandardPaths"), std::string::npos) << p->err();
}

// n and p (or N): the next and previous frame that changed the screen (the catalog's activity, the
// walk serve's API makes).
class ReplayPlayChanges : public ReplayPlaySeek {
 protected:
  // In each hundred frames only the first two change the screen; the other 98 repeat the second.
  std::vector<test::FixtureFrame> frames() override {
    auto f = test::evenly(900, 100'000);
    for (std::size_t i = 0; i < f.size(); ++i)
      if (i % 100 >= 2) f[i].repeats = static_cast<std::int64_t>(i - i % 100 + 2);
    return f;
  }
};

TEST_F(ReplayPlayChanges, NAndPJumpToTheNextAndPreviousChange) {
  ASSERT_FALSE(window.empty()) << p->err();
  expect_shows(1);
  seek_with("n", 2);
  seek_with("n", 101);  // frames 3 to 100 changed nothing
  expect_shows(101);
  seek_with("n", 102);
  seek_with("p", 101);
  seek_with("p", 2);
  seek_with("9", 810);  // 90%: a repeat of frame 802
  seek_with("p", 802);
  expect_shows(802);
  ASSERT_EQ(xdotool("windowfocus --sync " + window + " key n"), 0);
  for (int i = 0; i < 100 && p->err().find("no change after frame 802") == std::string::npos; ++i)
    std::this_thread::sleep_for(50ms);
  EXPECT_NE(p->err().find("no change after frame 802\n"), std::string::npos) << p->err();
  ASSERT_EQ(xdotool("windowfocus --sync " + window + " key q"), 0);
  EXPECT_EQ(p->wait_for(10s).value_or(-1), 0) << p->err();
}

TEST_F(ReplayPlaySeek, TheOverlayTogglesInTheTopLeftCorner) {
  ASSERT_FALSE(window.empty()) << p->err();
  expect_shows(1);
  const cv::Rect corner(0, 0, kW / 2, 16);
  const cv::Mat plain = grab()(corner).clone();  // expect_shows made sure there is a window
  ASSERT_EQ(xdotool("windowfocus --sync " + window + " key o"), 0);
  double diff = 0;
  for (int i = 0; i < 40 && diff < 10; ++i) {
    std::this_thread::sleep_for(100ms);
    diff = cv::norm(grab()(corner), plain, cv::NORM_L1) / corner.area();
  }
  EXPECT_GE(diff, 10) << "o drew no overlay in the corner";
  ASSERT_EQ(xdotool("windowfocus --sync " + window + " key o"), 0);
  expect_shows(1);  // and off again: the frame as recorded
  ASSERT_EQ(xdotool("windowfocus --sync " + window + " key q"), 0);
  EXPECT_EQ(p->wait_for(10s).value_or(-1), 0) << p->err();
}

}  // namespace
}  // namespace screenreel

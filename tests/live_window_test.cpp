// The receiver's live window, end to end: a real receiver shows a real client's frames on an
// Xvfb screen (no window manager), and the test reads the window's pixels back off that screen.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <thread>
#include <xcb/xcb.h>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/jpeg.hpp"
#include "screenreel/archive/sqlite_catalog.hpp"
#include "support/process.hpp"
#include "support/programs.hpp"
#include "support/xvfb.hpp"

namespace screenreel {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::Process;
using test::frames_sent;

// A test-pattern client for the live-window tests, at 15 fps.
std::unique_ptr<Process> start_pattern_client(std::uint16_t port, const std::string& size, const std::string& seconds,
                                              const std::string& name) {
  return std::make_unique<Process>(std::vector<std::string>{
      SCREENREEL_CAPTURE_BIN, "--connect", "127.0.0.1:" + std::to_string(port), "--source", "test-pattern", "--size",
      size, "--fps", "15", "--duration", seconds, "--name", name});
}

// The live window shows the frame, reduced to fit: a 1080p stream whose frames change in small
// places (the test pattern's moving parts) is drawn by reducing only what changed since the last
// draw (receiver/window_image.hpp); a change it missed would stay stale in the window. The
// window's pixels, read off the viewer's X server while the client is paused, must match the
// newest frame recorded.
TEST(LiveWindow, ShowsTheNewestFrameReducedWithNothingStale) {
  const fs::path archive = test::fresh_temp_dir("screenreel-window");
  test::Xvfb viewer("1280x800");
  auto r = test::start_receiver(archive, {}, {{"DISPLAY", viewer.display()}});
  ASSERT_NE(r.port, 0);
  const auto capture = start_pattern_client(r.port, "1920x1080", "5", "window");
  ASSERT_TRUE(capture->wait_for_stderr("recording session", 20s)) << capture->err();
  std::this_thread::sleep_for(2500ms);
  // Paused, the client sends nothing more: the window keeps the newest frame (the session stays
  // open, so the window does too).
  ASSERT_EQ(kill(capture->pid(), SIGSTOP), 0);
  std::this_thread::sleep_for(1500ms);  // what was in flight is received, written and drawn
  const fs::path xwd = archive / "window.xwd", shot = archive / "window.png";
  const int shot_rc = test::shell("DISPLAY=" + viewer.display() + " xwd -root -silent -out " + xwd.string() +
                                  " && ffmpeg -loglevel error -y -i " + xwd.string() + " " + shot.string());
  // The newest frame recorded while the client is paused: what the window must show.
  std::optional<FrameRecord> newest;
  std::string folder;
  {
    SqliteCatalog catalog(ArchivePaths(archive).catalog(), SqliteCatalog::Mode::kReadOnly);
    const auto session = catalog.sessions().at(0);
    folder = session.folder;
    const auto frames = catalog.frames(session.id);
    if (frames.size() > 10) newest = frames.back();
  }
  ASSERT_EQ(kill(capture->pid(), SIGCONT), 0);
  ASSERT_EQ(shot_rc, 0);
  ASSERT_TRUE(newest) << "fewer than 10 frames recorded in 2.5 s";
  const auto crc = capture->wait_for(60s);
  ASSERT_TRUE(crc) << capture->err();
  EXPECT_EQ(*crc, 0) << capture->err();
  kill(r.process->pid(), SIGTERM);
  EXPECT_TRUE(r.process->wait_for(30s));

  const cv::Mat screen = cv::imread(shot.string());
  ASSERT_FALSE(screen.empty());
  const std::string bytes = test::read_file(archive / "sessions" / folder / newest->file);
  const auto jpeg = decode_jpeg_bgr(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  ASSERT_TRUE(jpeg) << newest->file;
  const cv::Mat frame(static_cast<int>(jpeg->height), static_cast<int>(jpeg->width), CV_8UC3,
                      const_cast<std::uint8_t*>(jpeg->bgr.data()));
  cv::Mat expected;
  cv::resize(frame, expected, cv::Size(960, 540), 0, 0, cv::INTER_AREA);  // 1920 wide: halved
  // Where the window is on the viewer's screen (no window manager: wherever the toolkit put it).
  cv::Mat match;
  cv::matchTemplate(screen, expected, match, cv::TM_SQDIFF_NORMED);
  cv::Point at;
  cv::minMaxLoc(match, nullptr, nullptr, &at, nullptr);
  const cv::Mat shown = screen(cv::Rect(at.x, at.y, 960, 540));
  EXPECT_GE(cv::PSNR(shown, expected), 30.0) << "the window does not show " << newest->file;
  // A region left stale would differ by far more than the JPEG's error there.
  cv::Mat diff, gray;
  cv::absdiff(shown, expected, diff);
  cv::cvtColor(diff, gray, cv::COLOR_BGR2GRAY);
  double worst = 0;
  for (int y = 0; y + 16 <= gray.rows; y += 16)
    for (int x = 0; x + 16 <= gray.cols; x += 16) worst = std::max(worst, cv::mean(gray(cv::Rect(x, y, 16, 16)))[0]);
  EXPECT_LT(worst, 20.0) << "a 16x16 block of the window differs from " << newest->file << " (left stale?)";
  if (!HasFailure()) fs::remove_all(archive);
}

// Closing a session's window (the window manager's close button sends WM_DELETE_WINDOW, as
// this test does) hides it; the session records on, and the receiver ends normally.
TEST(LiveWindow, ClosingTheWindowHidesItAndTheSessionRecordsOn) {
  const fs::path archive = test::fresh_temp_dir("screenreel-window-close");
  test::Xvfb viewer("1024x768");
  auto r = test::start_receiver(archive, {}, {{"DISPLAY", viewer.display()}});
  ASSERT_NE(r.port, 0);
  const auto capture = start_pattern_client(r.port, "640x480", "4", "closeme");
  ASSERT_TRUE(capture->wait_for_stderr("recording session", 20s)) << capture->err();
  const std::string find = "DISPLAY=" + viewer.display() + " xdotool search --name 'Received Video Stream - closeme'";
  Process search({"/bin/sh", "-c", "timeout 20 xdotool search --sync --name 'Received Video Stream - closeme'"},
                 {{"DISPLAY", viewer.display()}});
  ASSERT_EQ(search.wait_for(30s).value_or(-1), 0) << "no window for the session";
  const auto window = static_cast<xcb_window_t>(std::stoul(search.out()));

  {
    xcb_connection_t* c = xcb_connect(viewer.display().c_str(), nullptr);
    ASSERT_EQ(xcb_connection_has_error(c), 0);
    const auto atom = [c](const char* name) {
      auto* reply = xcb_intern_atom_reply(c, xcb_intern_atom(c, 0, static_cast<std::uint16_t>(std::strlen(name)), name),
                                          nullptr);
      const xcb_atom_t a = reply ? reply->atom : 0;
      std::free(reply);
      return a;
    };
    xcb_client_message_event_t close{};
    close.response_type = XCB_CLIENT_MESSAGE;
    close.format = 32;
    close.window = window;
    close.type = atom("WM_PROTOCOLS");
    close.data.data32[0] = atom("WM_DELETE_WINDOW");
    close.data.data32[1] = XCB_CURRENT_TIME;
    xcb_send_event(c, 0, window, XCB_EVENT_MASK_NO_EVENT, reinterpret_cast<const char*>(&close));
    xcb_flush(c);
    xcb_disconnect(c);
  }
  bool gone = false;
  for (int i = 0; i < 50 && !gone; ++i) {
    std::this_thread::sleep_for(100ms);
    gone = test::shell(find + " >/dev/null 2>&1") != 0;
  }
  EXPECT_TRUE(gone) << "the window is still there after its close button";

  const auto crc = capture->wait_for(30s);
  ASSERT_TRUE(crc) << capture->err();
  EXPECT_EQ(*crc, 0) << capture->err();
  EXPECT_TRUE(r.process->running()) << r.process->err();
  r.process->signal(SIGTERM);
  EXPECT_EQ(r.process->wait_for(30s).value_or(-1), 0) << r.process->err();
  SqliteCatalog catalog(ArchivePaths(archive).catalog(), SqliteCatalog::Mode::kReadOnly);
  const auto session = catalog.sessions().at(0);
  EXPECT_EQ(session.end_reason, "client");
  EXPECT_EQ(session.frame_count, frames_sent(capture->out()));
  EXPECT_GT(session.frame_count, 40);  // 4 s at 15 fps: it went on after the window closed
  if (!HasFailure()) fs::remove_all(archive);
}

}  // namespace
}  // namespace screenreel

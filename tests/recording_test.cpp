// End to end, with real processes: screenreel-capture grabs an Xvfb screen showing known
// pictures and streams it over loopback TCP to screenreel-receiver, whose window is on a second
// Xvfb. The recording is ended as a user would (q in the window, q on the terminal, SIGTERM,
// the client's --duration), and the archive is checked against what was on the screen.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <set>
#include <thread>

#include "screenreel/archive.hpp"
#include "screenreel/capture/test_pattern.hpp"
#include "screenreel/catalog.hpp"
#include "screenreel/jpeg.hpp"
#include "support/process.hpp"
#include "support/programs.hpp"
#include "support/screen_painter.hpp"
#include "support/xvfb.hpp"

namespace screenreel {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::Process;

constexpr std::uint32_t kW = 640, kH = 400;

using test::frames_sent;

class Recording : public ::testing::Test {
 protected:
  void SetUp() override {
    archive = test::fresh_temp_dir("screenreel-rec");
    screen = std::make_unique<test::Xvfb>(std::to_string(kW) + "x" + std::to_string(kH));
    viewer = std::make_unique<test::Xvfb>("1280x800");
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(archive);
  }

  // Starts the receiver (window on the viewer screen) and notes its port.
  std::unique_ptr<Process> start_receiver(const std::vector<std::string>& extra = {}) {
    auto r = test::start_receiver(archive, extra, {{"DISPLAY", viewer->display()}});
    port = std::to_string(r.port);
    return std::move(r.process);
  }

  std::unique_ptr<Process> start_capture(std::vector<std::string> extra = {}, const std::string& name = "itest") {
    std::vector<std::string> argv = {SCREENREEL_CAPTURE_BIN, "--connect", "127.0.0.1:" + port, "--display",
                                     screen->display(), "--fps", "15", "--name", name, "--no-cursor"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto p = std::make_unique<Process>(argv);
    EXPECT_TRUE(p->wait_for_stderr("recording session", 20s)) << p->err();
    return p;
  }

  // Shows the pictures one after the other on the captured screen, `each` apart.
  void play_pictures(test::ScreenPainter& painter, std::chrono::milliseconds each) {
    for (const auto& pic : pictures) {
      painter.show(pic);
      std::this_thread::sleep_for(each);
    }
  }

  // The archive holds exactly what the client sent, numbered 1..N, each JPEG one of the
  // pictures that were on the screen.
  void check_archive(std::int64_t sent, const std::string& end_reason) {
    Catalog catalog(ArchivePaths(archive).catalog(), Catalog::Mode::kReadOnly);
    const auto sessions = catalog.sessions();
    ASSERT_EQ(sessions.size(), 1u);
    const auto& s = sessions[0];
    EXPECT_EQ(s.name, "itest");
    EXPECT_EQ(s.end_reason, end_reason);
    EXPECT_EQ(s.width, kW);
    EXPECT_EQ(s.height, kH);
    ASSERT_GT(sent, 0);
    EXPECT_EQ(s.frame_count, sent);
    const auto rows = catalog.frames(s.id);
    ASSERT_EQ(static_cast<std::int64_t>(rows.size()), sent);

    const fs::path dir = ArchivePaths(archive).session(s.folder);
    std::set<std::string> files;
    for (const auto& e : fs::directory_iterator(dir)) files.insert(e.path().filename().string());
    EXPECT_EQ(static_cast<std::int64_t>(files.size()), sent) << "files on disk vs frames sent";

    std::set<int> pictures_seen;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto& r = rows[i];
      EXPECT_EQ(r.seq, static_cast<std::int64_t>(i + 1));
      EXPECT_EQ(r.file, frame_file_name(i + 1));
      EXPECT_TRUE(files.count(r.file)) << r.file;
      if (i > 0) {
        EXPECT_GT(r.capture_us, rows[i - 1].capture_us);
      }
      EXPECT_GE(r.receive_us, r.capture_us - 1000);  // same machine, same clock
      const std::string bytes = test::read_file(dir / r.file);
      auto img = decode_jpeg_bgr(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
      ASSERT_TRUE(img) << r.file;
      ASSERT_EQ(img->width, kW);
      ASSERT_EQ(img->height, kH);
      double best = 0;
      int best_pic = -1;
      for (std::size_t p = 0; p < pictures.size(); ++p) {
        const double v = test::psnr_bgr_vs_bgrx(img->bgr, pictures[p]);
        if (v > best) best = v, best_pic = static_cast<int>(p);
      }
      EXPECT_GE(best, 35.0) << r.file << " matches no picture that was on the screen";
      pictures_seen.insert(best_pic);
    }
    EXPECT_EQ(pictures_seen.size(), pictures.size()) << "every picture shown should have been recorded";
  }

  fs::path archive;
  std::unique_ptr<test::Xvfb> screen, viewer;
  std::string port;
  std::vector<std::vector<std::uint8_t>> pictures = {test::make_picture(kW, kH, 0), test::make_picture(kW, kH, 1),
                                                     test::make_picture(kW, kH, 2)};
};

TEST_F(Recording, QInTheReceiverWindowEndsTheRecording) {
  test::ScreenPainter painter(screen->display());
  painter.show(pictures[0]);
  auto receiver = start_receiver();
  auto capture = start_capture();
  play_pictures(painter, 1200ms);

  // The window is on the viewer screen; a user would focus it and press q.
  const std::string xdo = "DISPLAY=" + viewer->display() +
                          " timeout 20 xdotool search --sync --name 'Received Video Stream - itest' windowfocus --sync key q";
  ASSERT_EQ(test::shell(xdo + " >/dev/null 2>&1"), 0) << "no receiver window to press q in";

  const auto rc = receiver->wait_for(30s);
  ASSERT_TRUE(rc) << "receiver still running after q\n" << receiver->err();
  EXPECT_EQ(*rc, 0) << receiver->err();
  const auto crc = capture->wait_for(30s);
  ASSERT_TRUE(crc) << capture->err();
  EXPECT_EQ(*crc, 0) << capture->err();
  EXPECT_NE(receiver->err().find("q pressed in the window"), std::string::npos) << receiver->err();
  check_archive(frames_sent(capture->out()), "receiver");

  // The window showed frames, and the catalog has when (for latency: capture -> displayed).
  Catalog catalog(ArchivePaths(archive).catalog(), Catalog::Mode::kReadOnly);
  int shown = 0;
  for (const auto& r : catalog.frames(catalog.sessions().at(0).id)) {
    if (!r.displayed_us) continue;
    ++shown;
    EXPECT_GE(*r.displayed_us, r.receive_us);
    EXPECT_LT(*r.displayed_us - r.capture_us, 5'000'000) << r.file;
  }
  EXPECT_GT(shown, 0);
}

TEST_F(Recording, SigtermEndsTheRecordingAndEveryReceivedFrameIsWritten) {
  test::ScreenPainter painter(screen->display());
  painter.show(pictures[0]);
  auto receiver = start_receiver({"--no-display"});
  // --every-frame: a frame every tick, so the receiver has plenty in flight when it is stopped.
  auto capture = start_capture({"--every-frame"});
  play_pictures(painter, 1000ms);
  receiver->signal(SIGTERM);
  const auto rc = receiver->wait_for(30s);
  ASSERT_TRUE(rc) << receiver->err();
  EXPECT_EQ(*rc, 0) << receiver->err();
  const auto crc = capture->wait_for(30s);
  ASSERT_TRUE(crc);
  EXPECT_EQ(*crc, 0) << capture->err();
  const auto sent = frames_sent(capture->out());
  EXPECT_GE(sent, 30) << capture->out();  // 3 s at 15 fps, every tick sent
  EXPECT_NE(capture->out().find("receiver stored " + std::to_string(sent)), std::string::npos) << capture->out();
  check_archive(sent, "receiver");

  // The screen changed only three times, so most frames repeat the one before: their files are
  // hard links to it, not new encodes, and their rows say which frame they repeat.
  Catalog catalog(ArchivePaths(archive).catalog(), Catalog::Mode::kReadOnly);
  const auto s = catalog.sessions().at(0);
  const auto rows = catalog.frames(s.id);
  const fs::path dir = ArchivePaths(archive).session(s.folder);
  int repeats = 0;
  std::int64_t unique_bytes = 0;
  for (const auto& r : rows) {
    if (!r.same_as) {
      unique_bytes += r.jpeg_bytes;
      continue;
    }
    ++repeats;
    ASSERT_LT(*r.same_as, r.seq);
    EXPECT_FALSE(rows.at(static_cast<std::size_t>(*r.same_as - 1)).same_as) << "links point at an encoded frame";
    EXPECT_TRUE(fs::equivalent(dir / r.file, dir / frame_file_name(static_cast<std::uint64_t>(*r.same_as)))) << r.file;
  }
  EXPECT_GE(repeats, sent - 10);
  EXPECT_EQ(s.bytes, unique_bytes) << "a shared file is counted once";
}

TEST_F(Recording, QOnTheReceiverTerminalEndsTheRecording) {
  test::ScreenPainter painter(screen->display());
  painter.show(pictures[0]);
  auto receiver = start_receiver({"--no-display"});
  auto capture = start_capture();
  play_pictures(painter, 700ms);
  receiver->write_stdin("q");
  const auto rc = receiver->wait_for(30s);
  ASSERT_TRUE(rc) << receiver->err();
  EXPECT_EQ(*rc, 0);
  ASSERT_TRUE(capture->wait_for(30s));
  check_archive(frames_sent(capture->out()), "receiver");
}

TEST_F(Recording, AClientThatStopsFirstEndsOnlyItsOwnSession) {
  test::ScreenPainter painter(screen->display());
  painter.show(pictures[0]);
  auto receiver = start_receiver({"--no-display"});
  auto capture = start_capture({"--duration", "3"});
  play_pictures(painter, 700ms);
  const auto crc = capture->wait_for(30s);
  ASSERT_TRUE(crc);
  EXPECT_EQ(*crc, 0) << capture->err();
  check_archive(frames_sent(capture->out()), "client");

  // The receiver is still serving: a second client records a second session.
  auto second = start_capture({"--max-frames", "5", "--every-frame"}, "second");
  ASSERT_TRUE(second->wait_for(30s));
  EXPECT_EQ(frames_sent(second->out()), 5) << second->out();
  EXPECT_TRUE(receiver->running());
  receiver->signal(SIGINT);
  ASSERT_TRUE(receiver->wait_for(30s));
  Catalog catalog(ArchivePaths(archive).catalog(), Catalog::Mode::kReadOnly);
  ASSERT_EQ(catalog.sessions().size(), 2u);
  EXPECT_EQ(catalog.sessions()[1].frame_count, 5);
  EXPECT_EQ(catalog.sessions()[1].end_reason, "client");
}

TEST_F(Recording, TestPatternFramesAreTheGeneratorsPixels) {
  auto receiver = start_receiver({"--no-display", "--quality", "95"});
  auto capture = start_capture({"--source", "test-pattern", "--size", "320x240", "--max-frames", "20"});
  ASSERT_TRUE(capture->wait_for(30s));
  receiver->signal(SIGTERM);
  ASSERT_TRUE(receiver->wait_for(30s));
  Catalog catalog(ArchivePaths(archive).catalog(), Catalog::Mode::kReadOnly);
  const auto s = catalog.sessions().at(0);
  const auto rows = catalog.frames(s.id);
  ASSERT_EQ(rows.size(), 20u);
  std::vector<std::uint8_t> expected(320 * 240 * 4);
  for (const auto& r : rows) {
    // The client's tick number (FRAME seq) is 1 + the tick the pattern was rendered for.
    capture::render_test_pattern(320, 240, 15, static_cast<std::uint64_t>(r.tick - 1), expected.data());
    const std::string bytes = test::read_file(ArchivePaths(archive).session(s.folder) / r.file);
    auto img = decode_jpeg_bgr(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
    ASSERT_TRUE(img);
    EXPECT_GE(test::psnr_bgr_vs_bgrx(img->bgr, expected), 35.0) << r.file << " tick " << r.tick;
  }
}

TEST_F(Recording, ReceiverRefusesASecondReceiverOnTheSameArchive) {
  auto receiver = start_receiver({"--no-display"});
  Process second({SCREENREEL_RECEIVER_BIN, "--listen", "127.0.0.1:0", "--archive", archive.string(), "--no-display"});
  const auto rc = second.wait_for(20s);
  ASSERT_TRUE(rc);
  EXPECT_EQ(*rc, 1);
  EXPECT_NE(second.err().find("another screenreel-receiver"), std::string::npos) << second.err();
  receiver->signal(SIGTERM);
  EXPECT_EQ(receiver->wait_for(20s).value_or(-1), 0);
}

TEST_F(Recording, ClosingTheRecordedWindowEndsTheSessionCleanly) {
  Process xterm({"/usr/bin/xterm", "-T", "screenreel-window-target", "-geometry", "40x10+20+20", "-e", "sleep 60"},
                {{"DISPLAY", screen->display()}});
  ASSERT_EQ(test::shell("DISPLAY=" + screen->display() +
                        " timeout 20 xdotool search --sync --name screenreel-window-target >/dev/null 2>&1"),
            0);
  auto receiver = start_receiver({"--no-display"});
  auto capture = start_capture({"--window", "screenreel-window-target"});
  std::this_thread::sleep_for(1500ms);
  xterm.signal(SIGTERM);
  const auto rc = capture->wait_for(30s);
  ASSERT_TRUE(rc) << capture->err();
  EXPECT_EQ(*rc, 0) << capture->err();
  EXPECT_NE(capture->out().find("ended by window 0x"), std::string::npos) << capture->out();
  receiver->signal(SIGTERM);
  EXPECT_EQ(receiver->wait_for(20s).value_or(-1), 0);
  Catalog catalog(ArchivePaths(archive).catalog(), Catalog::Mode::kReadOnly);
  const auto s = catalog.sessions().at(0);
  EXPECT_EQ(s.end_reason, "client");
  EXPECT_EQ(s.frame_count, test::frames_sent(capture->out()));
  EXPECT_NE(s.source.find("window"), std::string::npos) << s.source;
}

TEST_F(Recording, NoSessionStartsWhenTheDiskIsBelowMinFree) {
  // More free space than any disk has: the receiver refuses to start recording and says why.
  auto receiver = start_receiver({"--no-display", "--min-free", "1000000000"});
  auto capture = std::make_unique<Process>(std::vector<std::string>{
      SCREENREEL_CAPTURE_BIN, "--connect", "127.0.0.1:" + port, "--source", "test-pattern", "--max-frames", "5"});
  EXPECT_EQ(capture->wait_for(30s).value_or(-1), 1);
  EXPECT_NE(capture->err().find("below --min-free"), std::string::npos) << capture->err();
  EXPECT_NE(receiver->err().find("below --min-free"), std::string::npos) << receiver->err();
  receiver->signal(SIGTERM);
  EXPECT_EQ(receiver->wait_for(20s).value_or(-1), 0);
  Catalog catalog(ArchivePaths(archive).catalog(), Catalog::Mode::kReadOnly);
  EXPECT_TRUE(catalog.sessions().empty());
}

TEST_F(Recording, CaptureExplainsWhenNoReceiverIsListening) {
  Process capture({SCREENREEL_CAPTURE_BIN, "--connect", "127.0.0.1:1", "--source", "test-pattern"});
  const auto rc = capture.wait_for(20s);
  ASSERT_TRUE(rc);
  EXPECT_EQ(*rc, 1);
  EXPECT_NE(capture.err().find("is screenreel-receiver running there?"), std::string::npos) << capture.err();
}

}  // namespace
}  // namespace screenreel

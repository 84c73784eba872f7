// End to end, with real processes: screenreel-capture grabs an Xvfb screen showing known
// pictures and streams it over loopback TCP to screenreel-receiver, whose window is on a second
// Xvfb. The recording is ended as a user would (q in the window, q on the terminal, SIGTERM,
// the client's --duration), and the archive is checked against what was on the screen.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/session_manifest.hpp"
#include "screenreel/capture/test_pattern.hpp"
#include "screenreel/archive/sqlite_catalog.hpp"
#include "screenreel/archive/jpeg.hpp"
#include "support/ledger_check.hpp"
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

  std::unique_ptr<Process> start_capture(std::vector<std::string> extra = {}, const std::string& name = "itest",
                                         const std::map<std::string, std::string>& env = {}) {
    std::vector<std::string> argv = {SCREENREEL_CAPTURE_BIN, "--connect", "127.0.0.1:" + port, "--display",
                                     screen->display(), "--fps", "15", "--name", name, "--no-cursor"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto p = std::make_unique<Process>(argv, env);
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
    SqliteCatalog catalog(ArchivePaths(archive).catalog(), SqliteCatalog::Mode::kReadOnly);
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
    EXPECT_TRUE(files.erase(kManifestFile)) << "the session's manifest";
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
    test::expect_ledger_adds_up(archive);
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
  SqliteCatalog catalog(ArchivePaths(archive).catalog(), SqliteCatalog::Mode::kReadOnly);
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
  SqliteCatalog catalog(ArchivePaths(archive).catalog(), SqliteCatalog::Mode::kReadOnly);
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
  SqliteCatalog catalog(ArchivePaths(archive).catalog(), SqliteCatalog::Mode::kReadOnly);
  ASSERT_EQ(catalog.sessions().size(), 2u);
  EXPECT_EQ(catalog.sessions()[1].frame_count, 5);
  EXPECT_EQ(catalog.sessions()[1].end_reason, "client");
}

// Issue 23 item 3: a session named in other scripts showed as "r??union ?????? Q4" in window
// titles and broke list's columns. Through capture -> receiver -> archive the name stays whole:
// in list (its column as wide as the name shows), in info --json, and in the live window's
// _NET_WM_NAME (UTF8_STRING) as xprop reads it.
TEST_F(Recording, AUtf8NameIsIntactInListInfoAndTheLiveWindowTitle) {
  const std::string name = "r\u00e9union \u6771\u4eac Q4";  // réunion 東京 Q4
  auto receiver = start_receiver();
  auto capture = start_capture({"--source", "test-pattern", "--size", "320x240", "--duration", "30"}, name);
  Process search({"/bin/sh", "-c", "timeout 20 xdotool search --sync --name 'Received Video Stream - r'"},
                 {{"DISPLAY", viewer->display()}});
  ASSERT_EQ(search.wait_for(30s).value_or(-1), 0) << "no window for the session";
  const std::string window = search.out().substr(0, search.out().find('\n'));
  Process xprop({"/usr/bin/xprop", "-display", viewer->display(), "-id", window, "_NET_WM_NAME"});
  ASSERT_EQ(xprop.wait_for(10s).value_or(-1), 0) << xprop.err();
  EXPECT_NE(xprop.out().find("_NET_WM_NAME(UTF8_STRING) = \"Received Video Stream - " + name + " (session 1"),
            std::string::npos)
      << xprop.out();
  capture->signal(SIGINT);
  ASSERT_EQ(capture->wait_for(30s).value_or(-1), 0) << capture->err();
  EXPECT_NE(receiver->err().find(name), std::string::npos) << "the receiver's log names it whole";
  receiver->signal(SIGTERM);
  ASSERT_EQ(receiver->wait_for(30s).value_or(-1), 0) << receiver->err();

  const auto info = test::replay(archive, {"info", "1", "--json"});
  ASSERT_EQ(info.status, 0) << info.err;
  EXPECT_NE(info.out.find("\"name\":\"" + name + "\""), std::string::npos) << info.out;
  const auto list = test::replay(archive, {"list"});
  ASSERT_EQ(list.status, 0) << list.err;
  // The header's NAME column and the row's name: the next column starts at the same display
  // column in both (東 and 京 are two columns wide each, é one: 15 columns, 19 bytes).
  std::istringstream lines(list.out);
  std::string header, row;
  std::getline(lines, header);
  for (std::string l; std::getline(lines, l);)
    if (l.find(name) != std::string::npos) row = l;
  ASSERT_FALSE(row.empty()) << list.out;
  const auto columns = [](const std::string& text, std::size_t bytes) {  // display columns of a prefix
    std::size_t n = 0;
    for (std::size_t i = 0; i < bytes; ++i) {
      const auto c = static_cast<unsigned char>(text[i]);
      if ((c & 0xC0) == 0x80) continue;
      n += c >= 0xE3 && c <= 0xE9 ? 2 : 1;  // CJK ideographs (3-byte, U+3xxx-U+9xxx) are wide
    }
    return n;
  };
  const std::size_t name_at = row.find(name), after = name_at + name.size();
  const std::size_t next = row.find_first_not_of(' ', after);
  ASSERT_NE(next, std::string::npos) << row;
  const std::size_t header_name = header.find("NAME") != std::string::npos ? header.find("NAME") : header.find("name");
  ASSERT_NE(header_name, std::string::npos) << header;
  EXPECT_EQ(columns(row, name_at), header_name) << "the name starts under its heading\n" << list.out;
  std::size_t header_next = header.find_first_not_of(' ', header.find(' ', header_name));
  EXPECT_EQ(columns(row, next), header_next) << "the column after the name lines up\n" << list.out;
}

TEST_F(Recording, TestPatternFramesAreTheGeneratorsPixels) {
  auto receiver = start_receiver({"--no-display", "--quality", "95"});
  auto capture = start_capture({"--source", "test-pattern", "--size", "320x240", "--max-frames", "20"});
  ASSERT_TRUE(capture->wait_for(30s));
  receiver->signal(SIGTERM);
  ASSERT_TRUE(receiver->wait_for(30s));
  SqliteCatalog catalog(ArchivePaths(archive).catalog(), SqliteCatalog::Mode::kReadOnly);
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

// The decoded JPEG `bytes` is w x h, and of `candidates` (BGRX pictures of that size) it is
// most like the one at the index returned (-1 if it does not decode, has another size, or is
// like none of them: PSNR under 35 dB).
int most_like(const std::string& bytes, std::uint32_t w, std::uint32_t h,
              const std::vector<std::vector<std::uint8_t>>& candidates) {
  auto img = decode_jpeg_bgr(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  if (!img || img->width != w || img->height != h) return -1;
  double best = 35.0;
  int found = -1;
  for (std::size_t i = 0; i < candidates.size(); ++i)
    if (const double v = test::psnr_bgr_vs_bgrx(img->bgr, candidates[i]); v > best) best = v, found = static_cast<int>(i);
  return found;
}

// The top left w x h of a kW-wide BGRX picture: what a screen shrunk to w x h shows of it.
std::vector<std::uint8_t> top_left(const std::vector<std::uint8_t>& picture, std::uint32_t w, std::uint32_t h) {
  std::vector<std::uint8_t> out;
  for (std::uint32_t y = 0; y < h; ++y)
    out.insert(out.end(), picture.begin() + y * kW * 4, picture.begin() + (y * kW + w) * 4);
  return out;
}

// X DAMAGE end to end: a still screen sends only its first frame, and each small change is one
// frame that shows the whole screen as it is (the receiver's rebuilt frame matches the screen,
// not only the changed part). With SCREENREEL_NO_DAMAGE=1 (every frame compared whole) the
// recording is the same.
TEST_F(Recording, SmallChangesAreRecordedAndAStillScreenSendsNothing) {
  test::ScreenPainter painter(screen->display());
  auto receiver = start_receiver({"--no-display"});
  for (const char* no_damage : {"0", "1"}) {
    SCOPED_TRACE(std::string("SCREENREEL_NO_DAMAGE=") + no_damage);
    painter.show(pictures[0]);
    std::vector<std::vector<std::uint8_t>> states = {pictures[0]};
    auto capture = start_capture({}, std::string("small-") + no_damage, {{"SCREENREEL_NO_DAMAGE", no_damage}});
    std::this_thread::sleep_for(1000ms);  // 15 still ticks
    // Patches of the negative picture: every pixel of them differs from what was there.
    std::vector<std::uint8_t> from = pictures[0];
    for (auto& byte : from) byte ^= 0xff;
    const std::pair<std::uint32_t, std::uint32_t> places[] = {{100, 100}, {500, 300}, {0, 0}};
    for (const auto& [x, y] : places) {
      painter.show_part(from, x, y, 60, 40);
      std::vector<std::uint8_t> next = states.back();
      for (std::uint32_t row = y; row < y + 40; ++row)
        std::memcpy(&next[(row * kW + x) * 4], &from[(row * kW + x) * 4], 60 * 4);
      states.push_back(std::move(next));
      std::this_thread::sleep_for(700ms);
    }
    capture->signal(SIGINT);
    ASSERT_TRUE(capture->wait_for(30s));
    const std::string out = capture->out();
    EXPECT_EQ(frames_sent(out), 4) << "one frame, then one per change\n" << out << capture->err();
    EXPECT_EQ(out.find(" 0 unchanged"), std::string::npos) << out;

    SqliteCatalog catalog(ArchivePaths(archive).catalog(), SqliteCatalog::Mode::kReadOnly);
    const auto s = catalog.sessions().back();
    const auto rows = catalog.frames(s.id);
    ASSERT_EQ(rows.size(), states.size());
    for (std::size_t i = 0; i < rows.size(); ++i)
      EXPECT_EQ(most_like(test::read_file(ArchivePaths(archive).session(s.folder) / rows[i].file), kW, kH, states),
                static_cast<int>(i))
          << rows[i].file;
  }
  receiver->signal(SIGTERM);
  EXPECT_EQ(receiver->wait_for(20s).value_or(-1), 0);
}

// RandR resizes the recorded screen mid-recording: the client sends a key frame of the new size,
// the receiver keeps the session, the catalog and the JPEGs have both sizes, each matching the
// screen, and export makes one video of it at the first size (the new shape fitted in it, with
// black bars at the sides).
TEST_F(Recording, AScreenResizedMidRecordingIsOneSessionAtBothSizes) {
  constexpr std::uint32_t kW2 = 480, kH2 = 360;
  test::ScreenPainter painter(screen->display());
  painter.show(pictures[0]);
  auto receiver = start_receiver({"--no-display"});
  auto capture = start_capture();
  std::this_thread::sleep_for(800ms);
  screen->resize(kW2, kH2);
  painter.show(pictures[1]);  // a resize loses the pixels; windows repaint
  std::this_thread::sleep_for(800ms);
  painter.show(pictures[2]);
  std::this_thread::sleep_for(800ms);
  capture->signal(SIGINT);
  const auto crc = capture->wait_for(30s);
  ASSERT_TRUE(crc);
  EXPECT_EQ(*crc, 0) << capture->err();
  EXPECT_NE(capture->err().find("is now 480x360; frames are now 480x360"), std::string::npos) << capture->err();
  receiver->signal(SIGTERM);
  EXPECT_EQ(receiver->wait_for(20s).value_or(-1), 0) << receiver->err();

  SqliteCatalog catalog(ArchivePaths(archive).catalog(), SqliteCatalog::Mode::kReadOnly);
  ASSERT_EQ(catalog.sessions().size(), 1u);
  const auto s = catalog.sessions()[0];
  EXPECT_EQ(s.end_reason, "client");
  const auto rows = catalog.frames(s.id);
  EXPECT_EQ(static_cast<std::int64_t>(rows.size()), frames_sent(capture->out()));
  const std::vector<std::vector<std::uint8_t>> small = {
      top_left(pictures[1], kW2, kH2), top_left(pictures[2], kW2, kH2),
      std::vector<std::uint8_t>(std::size_t{kW2} * kH2 * 4, 0)};  // between the resize and the repaint
  std::set<int> seen;
  bool resized = false;
  for (const auto& r : rows) {
    const std::string jpeg = test::read_file(ArchivePaths(archive).session(s.folder) / r.file);
    if (r.width == kW && r.height == kH) {
      EXPECT_FALSE(resized) << r.file << ": the first size again after the resize";
      EXPECT_EQ(most_like(jpeg, kW, kH, {pictures[0]}), 0) << r.file;
      seen.insert(0);
    } else {
      resized = true;
      ASSERT_EQ(r.width, kW2) << r.file;
      ASSERT_EQ(r.height, kH2) << r.file;
      const int like = most_like(jpeg, kW2, kH2, small);
      EXPECT_GE(like, 0) << r.file << " is not what the resized screen showed";
      seen.insert(1 + like);
    }
  }
  EXPECT_TRUE(seen.count(0) && seen.count(1) && seen.count(2)) << "the first size, and both pictures after";

  const fs::path video = archive / "resized.avi";
  Process exported({SCREENREEL_REPLAY_BIN, "--archive", archive.string(), "export", std::to_string(s.id), "-o",
                    video.string(), "--fps", "10"});
  ASSERT_EQ(exported.wait_for(60s).value_or(-1), 0) << exported.err();
  cv::VideoCapture in(video.string());
  ASSERT_TRUE(in.isOpened());
  cv::Mat last;
  int count = 0;
  for (cv::Mat m; in.read(m); ++count) last = m.clone();
  EXPECT_GE(count, 10);  // 10 fps from the first frame to the last, about 1.6 s
  ASSERT_EQ(last.size(), cv::Size(kW, kH));
  // 480x360 fitted into 640x400 is 533x400: bars of 53 pixels left and right.
  const cv::Scalar bar = cv::mean(last(cv::Rect(0, 0, 40, kH))), picture = cv::mean(last(cv::Rect(100, 0, 400, kH)));
  EXPECT_LT(bar[0] + bar[1] + bar[2], 10) << "no black bar at the side";
  EXPECT_GT(picture[0] + picture[1] + picture[2], 60) << "no picture in the middle";
  const auto verify = test::shell(std::string(SCREENREEL_REPLAY_BIN) + " --archive " + archive.string() +
                                  " verify >/dev/null 2>&1");
  EXPECT_EQ(verify, 0) << "every JPEG decodes at its recorded size";
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
  SqliteCatalog catalog(ArchivePaths(archive).catalog(), SqliteCatalog::Mode::kReadOnly);
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
  SqliteCatalog catalog(ArchivePaths(archive).catalog(), SqliteCatalog::Mode::kReadOnly);
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

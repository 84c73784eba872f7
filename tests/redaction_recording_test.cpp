// `export --redact-text` on a real recording: an xterm on a private Xvfb prints a token while the
// receiver records with --ocr. In the exported frames and video OCR no longer finds the token
// (read with the project's own OCR engine), although it does in the plain export; everything
// outside the token's line is what the plain export shows; the archive is unchanged.
// `export --redact-window`: two xterms with their own titles, one showing the token; the capture
// sends their geometry (protocol 6), and the export blacks out the one named by its title.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <thread>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/sqlite_catalog.hpp"
#include "screenreel/common/pixel_rect.hpp"
#include "screenreel/ocr/engine.hpp"
#include "support/process.hpp"
#include "support/programs.hpp"
#include "support/xvfb.hpp"

namespace screenreel {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A string Tesseract reads reliably in this font (ocr_recording_test.cpp says why it is fixed).
constexpr const char* kToken = "HKTWNPBEXA";

// Whether OCR reads the token anywhere in the image.
bool ocr_finds(ocr::Engine& engine, const cv::Mat& bgr, const std::string& text) {
  const auto grey = ocr::gray_from_bgr(bgr.data, bgr.cols, bgr.rows, bgr.step);
  for (const auto& line : engine.read(grey, grey.bounds()))
    if (line.text.find(text) != std::string::npos) return true;
  return false;
}
bool ocr_finds_token(ocr::Engine& engine, const cv::Mat& bgr) { return ocr_finds(engine, bgr, kToken); }

std::vector<fs::path> jpegs_in(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".jpg") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

class RedactionRecording : public ::testing::Test {
 protected:
  void SetUp() override {
    archive = test::fresh_temp_dir("screenreel-redact");
    screen = std::make_unique<test::Xvfb>("1024x600");
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(archive);
  }

  // Records 7 s with --ocr while an xterm prints the token at about 3 s.
  void record_token() {
    const fs::path trigger = archive / "token.txt";
    test::Process xterm({"/usr/bin/xterm", "-geometry", "60x16+0+0", "-fa", "Monospace", "-fs", "16", "-e", "bash", "-c",
                   "echo some words stay on screen; while [ ! -f '" + trigger.string() +
                       "' ]; do sleep 0.02; done; cat '" + trigger.string() + "'; exec sleep 1000"},
                  {{"DISPLAY", screen->display()}});
    ASSERT_EQ(test::shell("DISPLAY=" + screen->display() + " timeout 20 xdotool search --sync --class xterm >/dev/null"),
              0);
    auto receiver = test::start_receiver(archive, {"--no-display", "--ocr"});
    test::Process capture({SCREENREEL_CAPTURE_BIN, "--connect", "127.0.0.1:" + std::to_string(receiver.port), "--display",
                     screen->display(), "--fps", "15", "--no-cursor", "--duration", "7", "--name", "secret"});
    ASSERT_TRUE(capture.wait_for_stderr("recording session", 20s)) << capture.err();
    std::this_thread::sleep_for(3s);
    std::ofstream(archive / "token.tmp") << kToken << "\n";
    fs::rename(archive / "token.tmp", trigger);
    ASSERT_EQ(capture.wait_for(30s).value_or(-1), 0) << capture.err();
    EXPECT_TRUE(receiver.process->wait_for_stderr("text index complete", 120s)) << receiver.process->err();
    receiver.process->signal(SIGTERM);
    ASSERT_EQ(receiver.process->wait_for(60s).value_or(-1), 0) << receiver.process->err();
  }

  fs::path archive;
  std::unique_ptr<test::Xvfb> screen;
};

TEST_F(RedactionRecording, ATokenShownWhileRecordingIsUnreadableInTheExportAndTheRestOfTheScreenIsAsRecorded) {
  record_token();
  if (HasFatalFailure()) return;
  // Where the index has the token's line (what search finds).
  SqliteCatalog catalog(ArchivePaths(archive).catalog(), SqliteCatalog::Mode::kReadOnly);
  const auto hits = catalog.find_text({kToken, 1, std::nullopt, std::nullopt, 20});
  ASSERT_FALSE(hits.empty()) << "the index must have the token";
  const PixelRect line = hits.front().box;

  const auto plain = test::replay(archive, {"export", "1", "--frames", (archive / "plain").string()});
  ASSERT_EQ(plain.status, 0) << plain.err;
  const auto redacted =
      test::replay(archive, {"export", "1", "--frames", (archive / "redacted").string(), "--redact-text", "HKTW[A-Z]+"});
  ASSERT_EQ(redacted.status, 0) << redacted.err;
  EXPECT_EQ(redacted.err.find(" 0 of them written anew"), std::string::npos) << redacted.err;
  EXPECT_EQ(test::read_file(archive / "redacted" / "REDACTED.txt").find("HKTW"), std::string::npos)
      << "the note must not spell the pattern";

  ocr::Engine engine;
  const auto plain_files = jpegs_in(archive / "plain");
  const auto redacted_files = jpegs_in(archive / "redacted");
  ASSERT_EQ(plain_files.size(), redacted_files.size());
  ASSERT_FALSE(plain_files.empty());
  // The line's box, widened by the pad redaction adds and a JPEG block around it.
  const cv::Rect around(line.x - 12, line.y - 12, line.w + 24, line.h + 24);
  std::size_t token_frames = 0;
  for (std::size_t i = 0; i < plain_files.size(); ++i) {
    const cv::Mat before = cv::imread(plain_files[i].string()), after = cv::imread(redacted_files[i].string());
    ASSERT_EQ(before.size(), after.size());
    token_frames += ocr_finds_token(engine, before) ? 1 : 0;
    EXPECT_FALSE(ocr_finds_token(engine, after)) << redacted_files[i] << " still shows the token";
    // Outside the line, the redacted frame is the plain one (re-encoded at most).
    cv::Mat before_outside = before.clone(), after_outside = after.clone();
    const cv::Rect box = around & cv::Rect(0, 0, before.cols, before.rows);
    before_outside(box).setTo(cv::Scalar(0, 0, 0));
    after_outside(box).setTo(cv::Scalar(0, 0, 0));
    EXPECT_GE(cv::PSNR(before_outside, after_outside), 35)
        << redacted_files[i] << " differs from the plain export outside the token's line";
  }
  EXPECT_GT(token_frames, 0u) << "OCR must read the token in the plain export, or this test proves nothing";

  // The video: no frame shows the token; its comment says it was redacted.
  const fs::path video = archive / "redacted.mp4";
  const auto v = test::replay(archive, {"export", "1", "-o", video.string(), "--redact-text", kToken});
  ASSERT_EQ(v.status, 0) << v.err;
  cv::VideoCapture cap(video.string());
  ASSERT_TRUE(cap.isOpened());
  cv::Mat last;
  std::size_t read = 0;
  for (cv::Mat m; cap.read(m);) {
    // Frames repeat while the screen is still: read each picture once.
    if (!last.empty() && cv::norm(m, last, cv::NORM_INF) < 40) continue;
    last = m.clone();
    ++read;
    EXPECT_FALSE(ocr_finds_token(engine, m)) << "a frame of the video still shows the token";
  }
  EXPECT_GT(read, 1u);
  test::Process probe({"/usr/bin/ffprobe", "-v", "error", "-show_entries", "format_tags=comment", "-of",
                 "default=noprint_wrappers=1", video.string()});
  ASSERT_EQ(probe.wait_for(30s).value_or(-1), 0) << probe.err();
  EXPECT_NE(probe.out().find("redacted by screenreel-replay export (blacked out): the OCR lines matching 1 "
                             "--redact-text pattern(s)."),
            std::string::npos)
      << probe.out();
  const auto verify = test::replay(archive, {"verify"});
  EXPECT_EQ(verify.status, 0) << "the archive must be unchanged\n" << verify.out << verify.err;
}

TEST_F(RedactionRecording, AWindowNamedByItsTitleIsBlackInTheExportWhileTheOtherWindowStillReads) {
  // Two xterms side by side, each with a title of its own: "vault" shows the token, "notes" words.
  const auto xterm = [&](const std::string& title, const std::string& geometry, const std::string& text) {
    return test::Process({"/usr/bin/xterm", "-T", title, "-geometry", geometry, "-fa", "Monospace", "-fs", "16", "-e",
                          "bash", "-c", "echo " + text + "; exec sleep 1000"},
                         {{"DISPLAY", screen->display()}});
  };
  test::Process vault = xterm("vault", "30x6+0+0", kToken);
  test::Process notes = xterm("notes", "30x6+520+0", "public notes");
  ASSERT_EQ(test::shell("DISPLAY=" + screen->display() + " timeout 20 xdotool search --sync --name vault >/dev/null"), 0);
  ASSERT_EQ(test::shell("DISPLAY=" + screen->display() + " timeout 20 xdotool search --sync --name notes >/dev/null"), 0);
  std::this_thread::sleep_for(1s);  // their text drawn
  {
    auto receiver = test::start_receiver(archive, {"--no-display"});
    test::Process capture({SCREENREEL_CAPTURE_BIN, "--connect", "127.0.0.1:" + std::to_string(receiver.port),
                           "--display", screen->display(), "--fps", "10", "--no-cursor", "--duration", "3", "--name",
                           "windows"});
    ASSERT_EQ(capture.wait_for(30s).value_or(-1), 0) << capture.err();
    receiver.process->signal(SIGTERM);
    ASSERT_EQ(receiver.process->wait_for(60s).value_or(-1), 0) << receiver.process->err();
    EXPECT_NE(receiver.process->err().find("window geometry from tick"), std::string::npos) << receiver.process->err();
  }
  // The catalog has both windows, open until the session ended.
  const auto rows = test::replay(archive, {"query", "SELECT title, to_tick IS NULL FROM windows ORDER BY title", "--csv"});
  ASSERT_EQ(rows.status, 0) << rows.err;
  EXPECT_NE(rows.out.find("notes,1"), std::string::npos) << rows.out;
  EXPECT_NE(rows.out.find("vault,1"), std::string::npos) << rows.out;

  const auto plain = test::replay(archive, {"export", "1", "--frames", (archive / "plain").string()});
  ASSERT_EQ(plain.status, 0) << plain.err;
  const fs::path manifest = archive / "redacted.json";
  const auto redacted = test::replay(archive, {"export", "1", "--frames", (archive / "redacted").string(), "--manifest",
                                               manifest.string(), "--redact-window", "VAULT"});
  ASSERT_EQ(redacted.status, 0) << redacted.err;
  EXPECT_NE(test::read_file(manifest).find("the windows whose titles hold 1 --redact-window text(s)"),
            std::string::npos)
      << test::read_file(manifest);

  ocr::Engine engine;
  const auto plain_files = jpegs_in(archive / "plain");
  const auto redacted_files = jpegs_in(archive / "redacted");
  ASSERT_EQ(plain_files.size(), redacted_files.size());
  ASSERT_FALSE(plain_files.empty());
  for (std::size_t i = 0; i < plain_files.size(); ++i) {
    const cv::Mat before = cv::imread(plain_files[i].string()), after = cv::imread(redacted_files[i].string());
    EXPECT_TRUE(ocr_finds_token(engine, before)) << plain_files[i] << ": OCR must read the token, or this proves nothing";
    EXPECT_FALSE(ocr_finds_token(engine, after)) << redacted_files[i] << " still shows the token";
    EXPECT_TRUE(ocr_finds(engine, after, "public notes")) << redacted_files[i] << " lost the other window's text";
  }
  // A title no window had is refused, naming the titles there were, rather than exporting the secret.
  const auto typo = test::replay(archive, {"export", "1", "--frames", (archive / "typo").string(), "--redact-window",
                                           "valt"});
  EXPECT_NE(typo.status, 0);
  EXPECT_NE(typo.err.find("\"vault\""), std::string::npos) << typo.err;
}

}  // namespace
}  // namespace screenreel

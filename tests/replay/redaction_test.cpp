// `export --redact`: a box covered on the exported frames of its time range only, the rest of each
// frame as recorded, the archive unchanged, and the export saying it was redacted (the video's
// comment, the JPEGs' COM segment, REDACTED.txt, the manifest). `--redact-window` on window rows
// of the catalog. --redact-text on real OCR, and --redact-window on a real capture's windows, are
// in tests/redaction_recording_test.cpp.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "archive_fixture.hpp"
#include "support/process.hpp"

namespace screenreel {
namespace {
namespace fs = std::filesystem;
using test::FixtureArchive;

// Over the frame's number (black digits on the frame's colour, archive_fixture.cpp).
const cv::Rect kBox(5, 85, 60, 32);

// The image with the box painted over in one colour: what is outside it, to compare.
cv::Mat outside_box(cv::Mat image) {
  image(kBox).setTo(cv::Scalar(0, 0, 0));
  return image;
}

// The spread of grey levels in the box: the digits' edges, or none when blurred away.
double spread_in_box(const cv::Mat& image) {
  cv::Mat grey;
  cv::cvtColor(image(kBox), grey, cv::COLOR_BGR2GRAY);
  cv::Scalar mean, dev;
  cv::meanStdDev(grey, mean, dev);
  return dev[0];
}

// Inside the box, away from its edges (where JPEG blocks mix in the picture next to it).
double brightest_in_box(const cv::Mat& image) {
  cv::Mat grey;
  cv::cvtColor(image(cv::Rect(kBox.x + 4, kBox.y + 4, kBox.width - 8, kBox.height - 8)), grey, cv::COLOR_BGR2GRAY);
  double lo = 0, hi = 0;
  cv::minMaxLoc(grey, &lo, &hi);
  return hi;
}

class ReplayRedaction : public ::testing::Test {
 protected:
  void SetUp() override {
    // 20 frames 100 ms apart: frame n (from 1) is captured at (n - 1) * 100 ms.
    session = archive.record("redact", test::evenly(20, 100'000));
    for (std::int64_t seq = 1; seq <= 20; ++seq) recorded.push_back(test::read_file(archive.frame_file(session, seq)));
  }
  void expect_archive_unchanged() {
    for (std::int64_t seq = 1; seq <= 20; ++seq)
      EXPECT_EQ(test::read_file(archive.frame_file(session, seq)), recorded[seq - 1]) << "frame " << seq << " changed";
  }

  FixtureArchive archive;
  SessionRecord session;
  std::vector<std::string> recorded;
};

TEST_F(ReplayRedaction, ABoxIsBlackOnTheFramesOnScreenInItsRangeOnlyAndTheRestIsAsRecorded) {
  const fs::path dir = archive.root() / "out";
  const fs::path manifest = archive.root() / "out.json";
  // +0.35 s .. +0.65 s: frame 4 (on screen 0.3-0.4 s) to frame 7 (captured at 0.6 s).
  const auto r = test::replay(archive.root(), {"export", "1", "--frames", dir.string(), "--redact",
                                               "5,85,60,32@+0.35s-+0.65s", "--manifest", manifest.string()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("4 of them written anew with boxes covered"), std::string::npos) << r.err;
  for (std::int64_t seq = 1; seq <= 20; ++seq) {
    const fs::path file = dir / archive.frame_file(session, seq).filename();
    const std::string bytes = test::read_file(file);
    const cv::Mat image = cv::imread(file.string());
    ASSERT_FALSE(image.empty()) << file;
    const cv::Mat original = archive.frame_image(session, seq);
    if (seq >= 4 && seq <= 7) {
      EXPECT_LE(brightest_in_box(image), 12) << "frame " << seq << " should be black in the box";
      EXPECT_GE(test::psnr(outside_box(image), outside_box(original)), 35) << "frame " << seq;
      EXPECT_NE(bytes.find("redacted by screenreel-replay export (blacked out): area 5,85,60,32 from +0.35s to "
                           "+0.65s. The recording in the archive is unchanged."),
                std::string::npos)
          << "frame " << seq << " has no COM segment saying it was redacted";
    } else {
      EXPECT_EQ(bytes, recorded[seq - 1]) << "frame " << seq << " is outside the range: a copy of the recorded file";
      EXPECT_GT(brightest_in_box(image), 20) << "frame " << seq;
    }
  }
  const std::string note = test::read_file(dir / "REDACTED.txt");
  EXPECT_NE(note.find("redacted by screenreel-replay export"), std::string::npos) << note;
  for (std::int64_t seq = 4; seq <= 7; ++seq)
    EXPECT_NE(note.find(archive.frame_file(session, seq).filename().string()), std::string::npos) << note;
  EXPECT_EQ(note.find(archive.frame_file(session, 3).filename().string()), std::string::npos) << note;
  EXPECT_NE(test::read_file(dir / "frames.ffconcat").find("# redacted by"), std::string::npos);
  EXPECT_EQ(test::python_json(test::read_file(manifest), "d[\"redaction\"].startswith(\"redacted by\")"), "True");
  expect_archive_unchanged();

  // Without --redact the manifest says null.
  const auto plain = test::replay(archive.root(), {"export", "1", "--frames", (archive.root() / "plain").string(),
                                                   "--manifest", (archive.root() / "plain.json").string()});
  ASSERT_EQ(plain.status, 0) << plain.err;
  EXPECT_EQ(test::python_json(test::read_file(archive.root() / "plain.json"), "d[\"redaction\"]"), "None");
}

TEST_F(ReplayRedaction, ARedactedVideoIsCoveredOnEveryFrameAndItsCommentSaysSo) {
  const fs::path out = archive.root() / "out.mp4";
  const auto r = test::replay(archive.root(), {"export", "1", "-o", out.string(), "--fps", "10", "--redact",
                                               "5,85,60,32", "--redact-style", "blur"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("20 recorded frames had boxes covered"), std::string::npos) << r.err;
  cv::VideoCapture cap(out.string());
  ASSERT_TRUE(cap.isOpened());
  std::size_t k = 0;
  for (cv::Mat m; cap.read(m); ++k) {
    const cv::Mat original = archive.frame_image(session, static_cast<std::int64_t>(k) + 1);
    // Blurred: the digits' edges are gone from the box; around it, the recorded pixels.
    EXPECT_LT(spread_in_box(m), spread_in_box(original) / 3) << "video frame " << k;
    EXPECT_GE(test::psnr(outside_box(m), outside_box(original)), 30) << "video frame " << k;
  }
  EXPECT_EQ(k, 20u);
  test::Process probe({"/usr/bin/ffprobe", "-v", "error", "-show_entries", "format_tags=comment", "-of",
                       "default=noprint_wrappers=1", out.string()});
  ASSERT_EQ(probe.wait_for(std::chrono::seconds(30)).value_or(-1), 0) << probe.err();
  EXPECT_NE(probe.out().find("redacted by screenreel-replay export (blurred): area 5,85,60,32."), std::string::npos)
      << probe.out();
  expect_archive_unchanged();

  // Motion JPEG in AVI has nowhere to say so: refused, and nothing written.
  const auto avi = test::replay(archive.root(), {"export", "1", "-o", (archive.root() / "x.avi").string(),
                                                 "--redact", "5,85,60,32"});
  EXPECT_EQ(avi.status, 1);
  EXPECT_NE(avi.err.find("only H.264 (.mp4, .mkv, .mov"), std::string::npos) << avi.err;
  EXPECT_FALSE(fs::exists(archive.root() / "x.avi"));
}

TEST_F(ReplayRedaction, BadBoxesRangesStylesAndAMissingTextIndexAreRefusedClearly) {
  const auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"export", "1", "--frames", (archive.root() / "x").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return test::replay(archive.root(), args);
  };
  for (const auto& bad : {"10,10,60", "10,10,0,40", "a,10,60,40", "5,85,60,32@soon", "5,85,60,32@+1s+2s"}) {
    const auto r = run({"--redact", bad});
    EXPECT_EQ(r.status, 2) << bad << ": " << r.err;
    EXPECT_NE(r.err.find("the form is X,Y,W,H[@FROM-TO]"), std::string::npos) << r.err;
  }
  const auto style = run({"--redact", "1,1,2,2", "--redact-style", "pink"});
  EXPECT_EQ(style.status, 2);
  EXPECT_NE(style.err.find("give black or blur"), std::string::npos) << style.err;
  const auto outside = run({"--redact", "1,1,2,2@+10s-+20s"});
  EXPECT_EQ(outside.status, 1);
  EXPECT_NE(outside.err.find("its time range is outside session 1"), std::string::npos) << outside.err;
  const auto regex = run({"--redact-text", "(["});
  EXPECT_EQ(regex.status, 2);
  EXPECT_NE(regex.err.find("is not a regular expression"), std::string::npos) << regex.err;
  const auto no_index = run({"--redact-text", "TOKEN"});
  EXPECT_EQ(no_index.status, 1);
  EXPECT_NE(no_index.err.find("--redact-text needs the text index of session 1, which has none: record with "
                              "screenreel-receiver --ocr, or run `screenreel-replay index 1`"),
            std::string::npos)
      << no_index.err;
  EXPECT_FALSE(fs::exists(archive.root() / "x"));
  // An open end and a date with dashes in it read as one range.
  const auto open_end = run({"--redact", "5,85,60,32@+1.5s-"});
  ASSERT_EQ(open_end.status, 0) << open_end.err;
  EXPECT_NE(open_end.err.find("5 of them written anew"), std::string::npos) << open_end.err;
  const auto dated = test::replay(archive.root(), {"export", "1", "--frames", (archive.root() / "y").string(),
                                                   "--redact", "5,85,60,32@2025-11-24 16:00:02-"});
  ASSERT_EQ(dated.status, 0) << dated.err;
  EXPECT_NE(dated.err.find("5 of them written anew"), std::string::npos) << dated.err;
}

TEST_F(ReplayRedaction, AWindowIsCoveredWhereItWasFromHalfASecondBeforeItsListUntilTheListWithoutIt) {
  // "Secret Mail" over the box from the list of tick 14 to that of tick 17; "notes" elsewhere.
  SessionEvents e;
  e.windows.push_back({session.id, 14, 1'300'000, std::int64_t{17}, std::int64_t{1'600'000}, 0x400001, "Secret Mail",
                       kBox.x, kBox.y, kBox.width, kBox.height});
  e.windows.push_back({session.id, 1, 0, std::nullopt, std::nullopt, 0x400002, "notes", 100, 0, 50, 20});
  archive.catalog().add_events(e);
  const fs::path dir = archive.root() / "out";
  const auto r = test::replay(archive.root(), {"export", "1", "--frames", dir.string(), "--redact-window", "secret MAIL"});
  ASSERT_EQ(r.status, 0) << r.err;
  // At 10 fps half a second is 5 ticks, and one more: ticks 8 to 17.
  EXPECT_NE(r.err.find("10 of them written anew with boxes covered"), std::string::npos) << r.err;
  for (std::int64_t seq = 1; seq <= 20; ++seq) {
    const fs::path file = dir / archive.frame_file(session, seq).filename();
    if (seq < 8 || seq > 17) {
      EXPECT_EQ(test::read_file(file), recorded[seq - 1]) << "frame " << seq << " is copied as recorded";
      continue;
    }
    const cv::Mat image = cv::imread(file.string());
    ASSERT_FALSE(image.empty()) << file;
    EXPECT_LE(brightest_in_box(image), 12) << "frame " << seq << " should be black where the window was";
    EXPECT_GE(test::psnr(outside_box(image), outside_box(archive.frame_image(session, seq))), 35) << "frame " << seq;
  }
  EXPECT_NE(test::read_file(dir / "REDACTED.txt").find("the windows whose titles hold 1 --redact-window text(s)"),
            std::string::npos)
      << test::read_file(dir / "REDACTED.txt");
  expect_archive_unchanged();
  // A title no window had is refused with the titles there were: a typo must not export the window.
  const auto typo = test::replay(archive.root(), {"export", "1", "--frames", (archive.root() / "typo").string(),
                                                  "--redact-window", "secret mial"});
  EXPECT_EQ(typo.status, 1);
  EXPECT_NE(typo.err.find("no window of session 1 has a title holding it (ignoring case); its windows' titles: "
                          "\"Secret Mail\", \"notes\""),
            std::string::npos)
      << typo.err;
}

TEST_F(ReplayRedaction, ASessionWithoutWindowGeometryIsRefusedForRedactWindow) {
  const auto r = test::replay(archive.root(), {"export", "1", "--frames", (archive.root() / "x").string(),
                                               "--redact-window", "mail"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--redact-window: session 1 has no window geometry"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(archive.root() / "x"));
}

}  // namespace
}  // namespace screenreel

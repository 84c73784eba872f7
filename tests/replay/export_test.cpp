// `export`: videos at a constant rate that follow the recorded timing (checked frame by frame
// against the source JPEGs), and copies of a range of JPEGs with their timing.
#include <gtest/gtest.h>
#include <csignal>
#include <chrono>
#include <thread>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "archive_fixture.hpp"
#include "screenreel/archive/archive.hpp"
#include "support/process.hpp"

namespace screenreel {
namespace {
namespace fs = std::filesystem;
using test::FixtureArchive;

class ReplayExport : public ::testing::Test {
 protected:
  void SetUp() override {
    // 10 frames 100 ms apart, a 1 s pause, then 9 frames 50 ms apart: 2.3 s from first to last.
    for (int i = 0; i < 10; ++i) offsets_us.push_back(i * 100'000);
    for (int i = 0; i < 10; ++i) offsets_us.push_back(1'900'000 + i * 50'000);
    std::vector<test::FixtureFrame> frames;
    for (std::size_t i = 0; i < offsets_us.size(); ++i)
      frames.push_back({offsets_us[i], static_cast<std::int64_t>(i) + 1});
    session = archive.record("export", frames);
  }

  // The frame on screen at offset t: the last one captured at or before it.
  std::int64_t seq_at(double t_us) const {
    std::int64_t seq = 1;
    for (std::size_t i = 0; i < offsets_us.size(); ++i)
      if (static_cast<double>(offsets_us[i]) <= t_us + 0.5) seq = static_cast<std::int64_t>(i) + 1;
    return seq;
  }

  std::vector<cv::Mat> read_video(const fs::path& file, double* fps = nullptr) {
    cv::VideoCapture cap(file.string());
    EXPECT_TRUE(cap.isOpened()) << file;
    if (fps) *fps = cap.get(cv::CAP_PROP_FPS);
    std::vector<cv::Mat> frames;
    for (cv::Mat m; cap.read(m);) frames.push_back(m.clone());
    return frames;
  }

  // Every frame of the video is the source frame on screen at k / fps * speed.
  void expect_follows_recording(const std::vector<cv::Mat>& video, double fps, double speed,
                                double from_us = 0) {
    for (std::size_t k = 0; k < video.size(); ++k) {
      const std::int64_t seq = seq_at(from_us + static_cast<double>(k) * 1e6 * speed / fps);
      const double quality = test::psnr(video[k], archive.frame_image(session, seq));
      EXPECT_GE(quality, 30) << "video frame " << k << " should show source frame " << seq;
      // And it is that frame, not a neighbour.
      for (const std::int64_t other : {seq - 1, seq + 1}) {
        if (other < 1 || other > 20) continue;
        EXPECT_GT(quality, test::psnr(video[k], archive.frame_image(session, other)) + 3)
            << "video frame " << k << " looks like source frame " << other;
      }
    }
  }

  std::vector<std::int64_t> offsets_us;
  FixtureArchive archive;
  SessionRecord session;
};

TEST_F(ReplayExport, Mp4AtTheMedianRateRepeatsAndSkipsFramesAsTimingRequires) {
  const fs::path out = archive.root() / "out.mp4";
  const auto r = test::replay(archive.root(), {"export", "export", "-o", out.string()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("24 frames at 10.000 fps"), std::string::npos)
      << r.err;  // median interval 100 ms
  double fps = 0;
  const auto video = read_video(out, &fps);
  EXPECT_EQ(video.size(), 24u);  // floor(2.3 s * 10) + 1
  EXPECT_NEAR(fps, 10, 0.01);
  ASSERT_FALSE(video.empty());
  EXPECT_EQ(video[0].size(), cv::Size(160, 120));
  expect_follows_recording(video, 10, 1);
  for (const auto& e : fs::directory_iterator(archive.root()))
    EXPECT_EQ(e.path().filename().string().find(".partial"), std::string::npos)
        << "left behind: " << e.path();
}

TEST_F(ReplayExport, AviWithRangeRateScaleAndSpeed) {
  const fs::path out = archive.root() / "part.avi";
  const auto r = test::replay(archive.root(), {"export", "1", "-o", out.string(), "--from", "0.5",
                                               "--to", "2.2", "--fps", "20", "--scale", "0.5"});
  ASSERT_EQ(r.status, 0) << r.err;
  double fps = 0;
  auto video = read_video(out, &fps);
  EXPECT_EQ(video.size(), 35u);  // floor(1.7 s * 20) + 1
  EXPECT_NEAR(fps, 20, 0.01);
  ASSERT_FALSE(video.empty());
  EXPECT_EQ(video[0].size(), cv::Size(80, 60));
  for (auto& m : video) cv::resize(m, m, cv::Size(160, 120), 0, 0, cv::INTER_LINEAR);
  // Scaled down and up again, the picture keeps its shapes but not every pixel: identify frames
  // only.
  for (std::size_t k = 0; k < video.size(); ++k) {
    const std::int64_t seq = seq_at(500'000 + static_cast<double>(k) * 50'000);
    const double right = test::psnr(video[k], archive.frame_image(session, seq));
    for (const std::int64_t other : {seq - 1, seq + 1}) {
      if (other < 1 || other > 20) continue;
      EXPECT_GT(right, test::psnr(video[k], archive.frame_image(session, other)))
          << "video frame " << k;
    }
  }

  const fs::path lapse = archive.root() / "lapse.mp4";
  const auto fast = test::replay(
      archive.root(), {"export", "1", "-o", lapse.string(), "--speed", "2", "--fps", "10"});
  ASSERT_EQ(fast.status, 0) << fast.err;
  const auto lapse_video = read_video(lapse);
  EXPECT_EQ(lapse_video.size(), 12u);  // floor(2.3 s / 2 * 10) + 1
  expect_follows_recording(lapse_video, 10, 2);
}

TEST_F(ReplayExport, UnknownFormatNamesWhatThisBuildWrites) {
  const auto r =
      test::replay(archive.root(), {"export", "1", "-o", (archive.root() / "x.xyz").string()});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("unknown video format \".xyz\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("This build writes: .mp4 ("), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(".avi (MJPG)"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(archive.root() / "x.xyz"));

  const auto no_dir = test::replay(archive.root(), {"export", "1", "-o", "/nonexistent/dir/x.mp4"});
  EXPECT_EQ(no_dir.status, 1);
  EXPECT_NE(no_dir.err.find("folder /nonexistent/dir does not exist"), std::string::npos)
      << no_dir.err;

  const auto neither = test::replay(archive.root(), {"export", "1"});
  EXPECT_EQ(neither.status, 2);
  EXPECT_NE(neither.err.find("give either -o FILE"), std::string::npos) << neither.err;
}

TEST_F(ReplayExport, FramesCopiesOrLinksARangeWithItsTiming) {
  const fs::path dir = archive.root() / "frames";
  const auto r = test::replay(
      archive.root(), {"export", "1", "--frames", dir.string(), "--from", "0.95", "--to", "2"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names,
            (std::vector<std::string>{"frame_000010.jpg", "frame_000011.jpg", "frame_000012.jpg",
                                      "frame_000013.jpg", "frames.ffconcat"}));
  EXPECT_EQ(test::read_file(dir / "frame_000011.jpg"),
            test::read_file(archive.frame_file(session, 11)));
  EXPECT_EQ(test::read_file(dir / "frames.ffconcat"),
            "ffconcat version 1.0\n"
            "file 'frame_000010.jpg'\nduration 0.950000\n"
            "file 'frame_000011.jpg'\nduration 0.050000\n"
            "file 'frame_000012.jpg'\nduration 0.050000\n"
            "file 'frame_000013.jpg'\nduration 0.000000\n"
            "file 'frame_000013.jpg'\n");

  const auto again = test::replay(archive.root(), {"export", "1", "--frames", dir.string()});
  EXPECT_EQ(again.status, 1);
  EXPECT_NE(again.err.find("not an empty folder"), std::string::npos) << again.err;

  const fs::path linked = archive.root() / "linked";
  const auto l =
      test::replay(archive.root(), {"export", "1", "--frames", linked.string(), "--link"});
  ASSERT_EQ(l.status, 0) << l.err;
  struct stat st {};
  ASSERT_EQ(::stat((linked / "frame_000020.jpg").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 2u) << "a hard link to the archive's file";
  EXPECT_NE(l.err.find("20 frames"), std::string::npos) << l.err;
}

}  // namespace
}  // namespace screenreel

namespace screenreel {
namespace {

// A corrupt, a truncated and an enormous-header JPEG in a session: export and play skip them
// with a warning and finish.
TEST_F(ReplayExport, DamagedJpegsAreSkippedWithAWarningAndExportFinishes) {
  const fs::path dir = ArchivePaths(archive.root()).session(session.folder);
  {
    std::ofstream(dir / frame_file_name(3), std::ios::binary | std::ios::trunc) << "not a jpeg at all";
  }
  fs::resize_file(dir / frame_file_name(5), 200);  // truncated
  {
    // A JPEG header claiming 65000x65000 pixels and nothing after it.
    const unsigned char huge[] = {0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0xFD, 0xE8, 0xFD, 0xE8, 0x03,
                                  0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xFF, 0xD9};
    std::ofstream(dir / frame_file_name(7), std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(huge), sizeof huge);
  }
  const fs::path out = archive.root() / "damaged.avi";
  const auto r = test::replay(archive.root(), {"export", "1", "-o", out.string(), "--fps", "10"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("3 recorded frames could not be read"), std::string::npos) << r.err;
  EXPECT_EQ(read_video(out).size(), 24u);  // floor(2.3 s * 10) + 1: every output frame is there
}

// Files the replay tool writes are never written through a planted link. Before the fix, export
// wrote its video under the predictable name .NAME.partial.EXT, so a link planted there made it
// overwrite any file the user could write; and export --frames copied whatever a frame file
// linked to (a file the user could read but should not publish).
TEST_F(ReplayExport, OutputsAreNeverWrittenThroughPlantedLinks) {
  const fs::path victim = archive.root() / "victim.txt";
  std::ofstream(victim) << "precious";
  const fs::path out = archive.root() / "out.mp4";
  fs::create_symlink(victim, archive.root() / ".out.partial.mp4");  // the old temporary name
  const auto r = test::replay(archive.root(), {"export", "1", "-o", out.string()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(test::read_file(victim), "precious");
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(out)));

  // A link at the final name is refused, with or without --force.
  const fs::path trap = archive.root() / "trap.mp4";
  fs::create_symlink(victim, trap);
  for (const bool force : {false, true}) {
    std::vector<std::string> args = {"export", "1", "-o", trap.string()};
    if (force) args.push_back("--force");
    const auto t = test::replay(archive.root(), args);
    EXPECT_EQ(t.status, 1) << t.err;
    EXPECT_NE(t.err.find("is a symbolic link"), std::string::npos) << t.err;
  }
  EXPECT_EQ(test::read_file(victim), "precious");

  // An existing file is kept without --force, replaced with it.
  const auto again = test::replay(archive.root(), {"export", "1", "-o", out.string()});
  EXPECT_EQ(again.status, 1);
  EXPECT_NE(again.err.find("exists; give --force"), std::string::npos) << again.err;
  EXPECT_EQ(test::replay(archive.root(), {"export", "1", "-o", out.string(), "--force"}).status, 0);

  // A frame file replaced by a link to a secret: refused, the secret not copied.
  const fs::path secret = archive.root() / "secret.txt";
  std::ofstream(secret) << "top secret";
  const fs::path frame = archive.frame_file(session, 5);
  fs::remove(frame);
  fs::create_symlink(secret, frame);
  const fs::path dir = archive.root() / "published";
  const auto f = test::replay(archive.root(), {"export", "1", "--frames", dir.string()});
  EXPECT_EQ(f.status, 1);
  EXPECT_NE(f.err.find("is a symbolic link"), std::string::npos) << f.err;
  for (const auto& e : fs::directory_iterator(dir)) EXPECT_NE(test::read_file(e.path()), "top secret") << e.path();
  // Nothing the tool made is left beside the outputs.
  for (const auto& e : fs::directory_iterator(archive.root()))
    EXPECT_EQ(e.path().filename().string().rfind(".screenreel-", 0), std::string::npos) << e.path();
}

// Killed in the middle, export leaves no partial file behind.
TEST_F(ReplayExport, AnInterruptedExportLeavesNothingBehind) {
  const fs::path out = archive.root() / "slow.avi";
  test::Process p({SCREENREEL_REPLAY_BIN, "--archive", archive.root().string(), "export", "1", "-o", out.string(),
                   "--fps", "240", "--scale", "4"});
  test::wait_until_catching(p.pid(), SIGTERM, std::chrono::seconds(4));  // or it finished first
  p.signal(SIGTERM);
  const auto rc = p.wait_for(std::chrono::seconds(30));
  ASSERT_TRUE(rc);
  for (const auto& e : fs::directory_iterator(archive.root())) {
    const auto name = e.path().filename().string();
    EXPECT_EQ(name.rfind(".screenreel-", 0), std::string::npos) << "left behind: " << e.path();
  }
  if (*rc != 0) {
    EXPECT_FALSE(fs::exists(out)) << "a killed export left its output";
  }
}

// A client whose clock jumped ten years between two frames: the video holds that frame at most
// kMaxHoldUs (issue 24.6; before, export computed years of frames and ran until killed).
TEST(ReplayExportGaps, AClockJumpOfYearsIsHeldAtMostAnHour) {
  FixtureArchive a;
  constexpr std::int64_t kTenYearsUs = 10LL * 365 * 24 * 3600 * 1'000'000;
  a.record("jump", {{0, 1}, {100'000, 2}, {200'000, 3}, {kTenYearsUs, 4}});
  const fs::path out = a.root() / "jump.avi";
  const auto r = test::replay(a.root(), {"export", "jump", "-o", out.string(), "--fps", "0.1"});
  ASSERT_EQ(r.status, 0) << r.err;
  cv::VideoCapture cap(out.string());
  ASSERT_TRUE(cap.isOpened());
  // 0.2 s + one hour at 0.1 fps: 361 frames.
  EXPECT_NEAR(cap.get(cv::CAP_PROP_FRAME_COUNT), 361, 2);
}

// Export holds one decoded frame and what the encoder needs, not the session: a 1080p export
// peaks under 200 MB resident (it peaked at 640 MB for 10 s of 1080p, 650 MB for 40 s, in
// libx264's default frame threads and lookahead; see docs/benchmarks.md). Measured by /usr/bin/time
// (getrusage of the child), the program's own whole peak.
TEST(ReplayExportMemory, A1080pExportPeaksUnder200MegabytesResident) {
  FixtureArchive a;
  a.set_frame_size(1920, 1080);
  a.record("big", test::evenly(200, 100'000));  // 20 s at 10 fps
  const fs::path out = a.root() / "big.mp4", peak = a.root() / "peak-kb";
  ASSERT_EQ(test::shell("/usr/bin/time -f %M -o '" + peak.string() + "' '" SCREENREEL_REPLAY_BIN
                        "' --archive '" + a.root().string() + "' export big -o '" + out.string() +
                        "' >/dev/null 2>&1"),
            0);
  const long peak_kb = std::stol(test::read_file(peak));
  std::cout << "export of 20 s at 1920x1080 peaked at " << peak_kb / 1024 << " MB resident\n";
  EXPECT_LT(peak_kb, 200 * 1024) << "export of 20 s at 1920x1080 peaked at " << peak_kb / 1024
                                 << " MB resident";
  cv::VideoCapture cap(out.string());
  ASSERT_TRUE(cap.isOpened());
  EXPECT_EQ(cap.get(cv::CAP_PROP_FRAME_WIDTH), 1920);
  EXPECT_EQ(cap.get(cv::CAP_PROP_FRAME_HEIGHT), 1080);
  EXPECT_NEAR(cap.get(cv::CAP_PROP_FRAME_COUNT), 200, 1);
}

// Issue 23 item 7: the README's ffmpeg command for an export's frames.ffconcat (taken from the
// README itself, so the two cannot drift apart) makes a video with every exported frame:
// `-vsync vfr` alone kept 103 of 114, dropping frames closer together than its default time base.
// ffprobe counts one more: frames.ffconcat lists the last file again, at the end of the range,
// because the concat demuxer ignores the last entry's duration otherwise (the video would end
// one default frame after the last frame began); without that entry the count is the same as
// the files' and the last frame lasts 40 ms.
TEST_F(ReplayExport, TheReadmesFfmpegCommandKeepsEveryExportedFrame) {
  if (test::shell("command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null") != 0)
    GTEST_SKIP() << "ffmpeg and ffprobe are not installed (scripts/install-deps.sh installs them)";
  std::ifstream readme(fs::path(SCREENREEL_SOURCE_DIR) / "README.md");
  std::string command;
  for (std::string line; std::getline(readme, line);)
    if (line.starts_with("ffmpeg -f concat -i out/frames.ffconcat")) command = line;
  ASSERT_FALSE(command.empty()) << "the README's ffmpeg line for frames.ffconcat";
  // Frames 15 ms apart after the fixture's: `-vsync vfr` alone kept 6 of 11 such frames.
  std::vector<test::FixtureFrame> burst;
  for (int i = 0; i < 30; ++i) burst.push_back({i * 15'000, i + 1});
  const auto second = archive.record("burst", burst);
  const fs::path out = archive.root() / "out";
  const auto r = test::replay(archive.root(), {"export", std::to_string(second.id), "--frames", out.string()});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto exported = std::count_if(fs::directory_iterator(out), fs::directory_iterator(),
                                      [](const fs::directory_entry& e) { return e.path().extension() == ".jpg"; });
  ASSERT_EQ(exported, 30);
  ASSERT_EQ(test::shell("cd '" + archive.root().string() + "' && " + command +
                        " -nostdin -loglevel error -y >ffmpeg.log 2>&1"),
            0)
      << command << "\n" << test::read_file(archive.root() / "ffmpeg.log");
  ASSERT_EQ(test::shell("ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames "
                        "-of csv=p=0 '" + (archive.root() / "out.mp4").string() + "' >'" +
                        (archive.root() / "count.txt").string() + "'"),
            0);
  EXPECT_EQ(std::stol(test::read_file(archive.root() / "count.txt")), exported + 1)
      << command << ": every exported frame, and the last again at the end";
}

}  // namespace
}  // namespace screenreel

// Seeking: the frame chosen for time T is the last frame captured at or before T, across gaps
// and at both ends, through the catalog's time index; playback timing with --idle-limit.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "archive_fixture.hpp"
#include "screenreel/replay/archive_access.hpp"
#include "screenreel/replay/timeline.hpp"

namespace screenreel::replay {
namespace {
using test::FixtureArchive;

// Capture offsets (ms) with a long gap, two frames captured in the same microsecond, and an
// uneven tail.
const std::vector<std::int64_t> kOffsetsMs = {0, 100, 200, 5000, 5100, 5100, 5350};

class ReplaySeek : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<test::FixtureFrame> frames;
    for (std::size_t i = 0; i < kOffsetsMs.size(); ++i)
      frames.push_back({kOffsetsMs[i] * 1000, static_cast<std::int64_t>(i) + 1});
    session = archive.record("seek", frames);
  }
  // What the definition says, by brute force: the last frame (highest seq among equal times)
  // whose capture offset is <= t.
  static std::int64_t expected_seq(std::int64_t t_us) {
    std::int64_t seq = 1;
    for (std::size_t i = 0; i < kOffsetsMs.size(); ++i)
      if (kOffsetsMs[i] * 1000 <= t_us) seq = static_cast<std::int64_t>(i) + 1;
    return seq;
  }
  FixtureArchive archive;
  SessionRecord session;
};

TEST_F(ReplaySeek, FrameAtTIsTheLastOneCapturedByThen) {
  const auto opened = open_catalog(archive.paths());
  CatalogReader& reader = *opened;
  std::vector<std::int64_t> times = {0,         1,         99'999,    100'000,   100'001,
                                     199'999,   200'000,   2'000'000, 4'999'999, 5'000'000,
                                     5'099'999, 5'100'000, 5'349'999, 5'350'000};
  for (const auto ms : kOffsetsMs) times.push_back(ms * 1000 - 1);
  for (const auto t : times) {
    if (t < 0) continue;
    const Timeline timeline = Timeline::load(reader, session, TimeRange{t, std::nullopt});
    EXPECT_EQ(timeline.frames().front().seq, expected_seq(t)) << "T = " << t << " us";
    // The rest of the range follows in capture order, up to the last frame.
    EXPECT_EQ(timeline.frames().back().seq, 7) << "T = " << t;
    for (std::size_t i = 1; i < timeline.frames().size(); ++i)
      EXPECT_EQ(timeline.frames()[i].seq, timeline.frames()[i - 1].seq + 1) << "T = " << t;
  }
}

TEST_F(ReplaySeek, RangesEndAtToAndRefuseWhatIsOutside) {
  const auto opened = open_catalog(archive.paths());
  CatalogReader& reader = *opened;
  const Timeline t = Timeline::load(reader, session, TimeRange{150'000, 5'099'999});
  std::vector<std::int64_t> seqs;
  for (const auto& f : t.frames()) seqs.push_back(f.seq);
  EXPECT_EQ(seqs, (std::vector<std::int64_t>{2, 3, 4}));
  EXPECT_EQ(t.index_at(t.origin_us() + 4'999'999), 1u);
  EXPECT_EQ(t.index_at(t.origin_us() + 5'000'000), 2u);
  EXPECT_EQ(t.index_at(t.origin_us()), 0u);  // before the range's first capture: its first frame

  EXPECT_THROW(Timeline::load(reader, session, TimeRange{5'350'001, std::nullopt}), Failure);
  EXPECT_THROW(Timeline::load(reader, session, TimeRange{2'000'000, 1'000'000}), Failure);
}

TEST_F(ReplaySeek, IdleLimitShortensOnlyTheLongPauses) {
  const auto opened = open_catalog(archive.paths());
  CatalogReader& reader = *opened;
  const Timeline t = Timeline::load(reader, session, TimeRange{});
  const Schedule plain = make_schedule(t, std::nullopt);
  EXPECT_EQ(plain.at_us, (std::vector<std::int64_t>{0, 100'000, 200'000, 5'000'000, 5'100'000,
                                                    5'100'000, 5'350'000}));
  EXPECT_EQ(plain.end_us, 5'350'000);
  const Schedule limited = make_schedule(t, 1'000'000);
  EXPECT_EQ(limited.at_us, (std::vector<std::int64_t>{0, 100'000, 200'000, 1'200'000, 1'300'000,
                                                      1'300'000, 1'550'000}));
  EXPECT_EQ(limited.index_at(1'299'999), 3u);
  EXPECT_EQ(limited.index_at(1'300'000),
            5u);  // of two frames at one instant, the later is on screen

  // From the middle of the gap: the first frame is shown at once, the next after what is left of
  // the gap.
  const Timeline mid = Timeline::load(reader, session, TimeRange{4'500'000, std::nullopt});
  EXPECT_EQ(make_schedule(mid, 1'000'000).at_us,
            (std::vector<std::int64_t>{0, 500'000, 600'000, 600'000, 850'000}));
}

TEST_F(ReplaySeek, FrameCommandWritesTheFrameOnScreenAtT) {
  const struct {
    const char* at;
    std::int64_t seq;
  } cases[] = {{"0", 1},   {"0.0999", 1},   {"0.1", 2},  {"4.999", 3}, {"00:00:05.000", 4},
               {"5.1", 6}, {"0:05.349", 6}, {"5.35", 7}, {"5.41", 7}};
  for (const auto& c : cases) {
    const std::filesystem::path png = archive.root() / "shot.png";
    const auto r = test::replay(archive.root(), {"frame", "seek", "--at", c.at, "-o", png.string(), "--force"});
    ASSERT_EQ(r.status, 0) << c.at << ": " << r.err;
    EXPECT_NE(r.err.find("frame " + std::to_string(c.seq) + " "), std::string::npos)
        << c.at << ": " << r.err;
    const cv::Mat shot = cv::imread(png.string(), cv::IMREAD_COLOR);
    ASSERT_FALSE(shot.empty()) << c.at;
    EXPECT_GE(test::psnr(shot, archive.frame_image(session, c.seq)), 40) << c.at;
    const std::int64_t other = c.seq == 1 ? 2 : c.seq - 1;
    EXPECT_LT(test::psnr(shot, archive.frame_image(session, other)), 25)
        << c.at << ": looks like frame " << other;
  }
  // Past the session's end (its last frame at 5.35 s, its end at 5.41 s): an error that states
  // its range, where the last frame used to be written with status 0.
  const auto past = test::replay(archive.root(), {"frame", "seek", "--at", "1:00", "-o", (archive.root() / "past.png").string()});
  EXPECT_EQ(past.status, 1);
  EXPECT_NE(past.err.find("--at 1:00 is outside session 1"), std::string::npos) << past.err;
  EXPECT_NE(past.err.find("(offsets +00:00:00.000 .. +00:00:05.410)"), std::string::npos) << past.err;
  EXPECT_FALSE(std::filesystem::exists(archive.root() / "past.png"));
  // Without --force an existing file is kept (before: overwritten without asking).
  const std::filesystem::path png = archive.root() / "shot.png";
  const auto before = std::filesystem::last_write_time(png);
  const auto kept = test::replay(archive.root(), {"frame", "seek", "--at", "0", "-o", png.string()});
  EXPECT_EQ(kept.status, 1);
  EXPECT_NE(kept.err.find("exists; give --force"), std::string::npos) << kept.err;
  EXPECT_EQ(std::filesystem::last_write_time(png), before);
}

}  // namespace
}  // namespace screenreel::replay

// The capture client's rate controller (capture/src/rate_control.hpp), fed with synthetic ACK
// timings: on a thin link a frame's changes go as JPEG strips, on a fat one as lossless tiles;
// ticks are skipped only when frames already go as JPEG and the backlog still grows.
#include <gtest/gtest.h>

#include <chrono>

#include "rate_control.hpp"
#include "stats.hpp"

namespace screenreel::capture {
namespace {

using namespace std::chrono_literals;
using Clock = RateControl::Clock;
constexpr std::uint64_t kScreen = 1920 * 1080;

// Frames of `bytes`, each ACKed `every` after the one before, all sent at once (a link that
// drains bytes / every): what the io thread reports.
void deliver(RateControl& rate, std::uint64_t& tick, int frames, std::size_t bytes, Clock::duration every) {
  const auto start = Clock::now();
  for (int i = 0; i < frames; ++i) {
    rate.queued(tick + i, bytes);
    rate.sent(tick + i, start);
  }
  for (int i = 0; i < frames; ++i) rate.acked(tick + i, start + every * (i + 1));
  tick += frames;
}

// What a full-screen video's frames cost: tiles about 2.4 bytes a pixel, JPEG strips 0.2.
void learn_video(RateControl& rate) {
  rate.learn(false, kScreen, 5'000'000);
  rate.learn(true, kScreen, 400'000);
}

TEST(RateControl, BeforeAnyAckFramesGoLossless) {
  RateControl rate(WireMode::kAuto, 30);
  EXPECT_FALSE(rate.bandwidth());
  EXPECT_FALSE(rate.choose_jpeg(kScreen, kScreen, true));
  EXPECT_FALSE(rate.skip_tick());
}

TEST(RateControl, AThinLinkSendsAFullScreenVideoAsJpegStripsAFatOneLossless) {
  RateControl thin(WireMode::kAuto, 30), fat(WireMode::kAuto, 30);
  std::uint64_t a = 1, b = 1;
  deliver(thin, a, 10, 300'000, 50ms);  // 6 MB/s: 50 Mbit/s
  deliver(fat, b, 10, 5'000'000, 20ms);  // 250 MB/s: 2 Gbit/s
  ASSERT_TRUE(thin.bandwidth());
  EXPECT_NEAR(*thin.bandwidth(), 6e6, 1e5);
  EXPECT_NEAR(*fat.bandwidth(), 250e6, 1e6);
  learn_video(thin);
  learn_video(fat);
  EXPECT_TRUE(thin.choose_jpeg(kScreen, kScreen, false));
  EXPECT_TRUE(thin.last_jpeg());
  EXPECT_FALSE(fat.choose_jpeg(kScreen, kScreen, false));
}

TEST(RateControl, ChangesThatFitGoLosslessEvenOnAThinLink) {
  RateControl rate(WireMode::kAuto, 30);
  std::uint64_t tick = 1;
  deliver(rate, tick, 10, 30'000, 25ms);  // 1.2 MB/s: 10 Mbit/s
  for (int i = 0; i < 10; ++i) rate.learn(false, 64 * 64 * 10, 8'000);  // a few lines of text
  EXPECT_FALSE(rate.choose_jpeg(64 * 64 * 10, 64 * 64 * 12, false));
  // ... and JPEG is never chosen when it would be the larger.
  for (int i = 0; i < 10; ++i) rate.learn(true, 64 * 64 * 10, 30'000);
  EXPECT_FALSE(rate.choose_jpeg(kScreen, kScreen, false));
}

TEST(RateControl, TicksAreSkippedOnlyWhenEvenJpegDoesNotFit) {
  RateControl rate(WireMode::kAuto, 30);
  std::uint64_t tick = 1;
  deliver(rate, tick, 10, 300'000, 50ms);  // 6 MB/s
  learn_video(rate);
  // A backlog of a second of the link, not yet ACKed.
  for (int i = 0; i < 20; ++i) rate.queued(tick++, 300'000);
  EXPECT_FALSE(rate.skip_tick()) << "frames still go lossless: the next goes as JPEG first";
  EXPECT_TRUE(rate.choose_jpeg(kScreen, kScreen, false));
  EXPECT_TRUE(rate.skip_tick()) << "JPEG frames and still backed up: fewer frames";
  // Once the backlog drains, every tick is taken again.
  const auto now = Clock::now();
  for (std::uint64_t t = tick - 20; t < tick; ++t) {
    rate.sent(t, now);
    rate.acked(t, now + 50ms * static_cast<int>(t - tick + 21));
  }
  EXPECT_FALSE(rate.skip_tick());
}

TEST(RateControl, FixedWireModesDoNotChoose) {
  RateControl lossless(WireMode::kLossless, 30), jpeg(WireMode::kJpeg, 30);
  std::uint64_t a = 1, b = 1;
  deliver(lossless, a, 10, 300'000, 50ms);
  deliver(jpeg, b, 10, 5'000'000, 20ms);
  EXPECT_FALSE(lossless.choose_jpeg(kScreen, kScreen, false));
  EXPECT_TRUE(jpeg.choose_jpeg(64, 64, false));
  for (int i = 0; i < 100; ++i) lossless.queued(a++, 300'000);
  EXPECT_FALSE(lossless.skip_tick()) << "--wire lossless never skips: today's spool takes the backlog";
}

// The choice and the estimate reach the user: in each --stats line, and in the summary, after
// what the summary said before (tests parse its start) and before "; receiver stored".
TEST(RateControl, TheStatusLineAndTheSummarySayTheWireAndTheLinkEstimate) {
  LiveStats stats;
  LiveStats::Now now;
  now.connected = true;
  now.jpeg_frames = 12;
  now.link_mbit = 48.25;
  now.wire = "auto";
  EXPECT_NE(stats.line(now).find("wire auto: 12 jpeg, link ~48.2 Mbit/s"), std::string::npos) << stats.line(now);
  now.jpeg_frames = 15;
  EXPECT_NE(stats.line(now).find("wire auto: 3 jpeg"), std::string::npos) << "the second's, not the total";
  CaptureSummary s;
  s.sent = 20;
  s.jpeg_frames = 12;
  s.link_mbit = 48.25;
  s.stored = 20;
  const std::string line = format_summary(s);
  const auto wire = line.find("; 12 frames as JPEG strips, 0 ticks skipped for the link, link estimated at 48.2 Mbit/s");
  ASSERT_NE(wire, std::string::npos) << line;
  EXPECT_LT(line.find(" dropped)"), wire) << line;
  EXPECT_LT(wire, line.find("; receiver stored 20")) << line;
  s.jpeg_frames = 0;
  s.link_mbit = -1;  // nothing measured (a receiver of protocol 3, --wire lossless before any ACK)
  EXPECT_EQ(format_summary(s).find("JPEG"), std::string::npos) << format_summary(s);
}

}  // namespace
}  // namespace screenreel::capture

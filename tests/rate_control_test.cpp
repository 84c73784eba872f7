// The capture client's rate controller (capture/src/rate_control.hpp), fed with what the kernel
// reports of a link (LinkSample): on a thin link a frame is fitted to the link's share of a tick
// (JPEG strips where they save most: the encoder's part, tests/jpeg_wire_test.cpp), on a fat one
// its changes go as lossless tiles; ticks are skipped only when frames are fitted already and the backlog still
// grows because of the link, never because the receiver is slow or stopped. The kernel's side is
// read from real sockets in KernelLinkSample below.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

#include "rate_control.hpp"
#include "stats.hpp"

namespace screenreel::capture {
namespace {

using namespace std::chrono_literals;
using Clock = RateControl::Clock;
constexpr std::uint64_t kScreen = 1920 * 1080;

// The kernel measured the link at `rate` bytes/s with bytes waiting in the socket: a new sample,
// after more bytes were ACKed.
LinkSample link_at(double rate, bool app_limited = false) {
  static std::uint64_t acked = 0;
  LinkSample s;
  s.delivery_rate = rate;
  s.app_limited = app_limited;
  s.unacked_bytes = 100'000;
  s.bytes_acked = acked += 1'000;
  return s;
}

using Plan = FrameEncoder::WirePlan;

// A frame whose changes the encoder measured at `bytes` as LZ4 (0: not measured).
EncodeStats measured(std::uint64_t bytes, bool key = false) {
  EncodeStats s;
  s.lossless_bytes = bytes;
  s.key = key;
  return s;
}

bool fitted(const Plan& plan) { return plan.mode == Plan::kFit; }

// What a full-screen video's frames take as LZ4 tiles: about 2.4 bytes a pixel.
void learn_video(RateControl& rate) {
  for (int i = 0; i < 3; ++i) rate.learn(measured(5'000'000));
}

TEST(RateControl, BeforeTheKernelsFirstSampleFramesGoLossless) {
  RateControl rate(WireMode::kAuto, 30);
  EXPECT_FALSE(rate.bandwidth());
  EXPECT_EQ(rate.plan().mode, Plan::kTiles);
  EXPECT_FALSE(rate.skip_tick());
  rate.observe(LinkSample{}, Clock::now());  // connected, nothing delivered yet: no rate
  EXPECT_FALSE(rate.bandwidth());
}

TEST(RateControl, AThinLinkFitsAFullScreenVideoToItsShareOfATickAFatOneSendsItLossless) {
  RateControl thin(WireMode::kAuto, 30), fat(WireMode::kAuto, 30);
  const auto now = Clock::now();
  thin.observe(link_at(6e6), now);  // 50 Mbit/s
  fat.observe(link_at(250e6), now);  // 2 Gbit/s
  ASSERT_TRUE(thin.bandwidth());
  EXPECT_DOUBLE_EQ(*thin.bandwidth(), 6e6);
  EXPECT_DOUBLE_EQ(*fat.bandwidth(), 250e6);
  learn_video(thin);
  learn_video(fat);
  const Plan plan = thin.plan();
  EXPECT_TRUE(fitted(plan));
  EXPECT_EQ(plan.budget, 180'000u) << "90 % of 6 MB/s over 30 ticks";
  EXPECT_TRUE(thin.last_jpeg());
  EXPECT_EQ(fat.plan().mode, Plan::kTiles);
  EXPECT_FALSE(fat.last_jpeg());
}

// The estimate is the median of the window's samples of a full link. A sample taken while the
// sender had nothing queued (app-limited) is not the link's: a few lines of text on an idle link
// measure the sender, and a short flight through a token bucket's burst measures the wire; and
// a token bucket's burst makes a sample of a full link too high now and then.
TEST(RateControl, TheEstimateIsTheWindowsMedianSampleOfAFullLink) {
  RateControl rate(WireMode::kAuto, 30);
  const auto t0 = Clock::now();
  rate.observe(link_at(2250e6, true), t0);  // a 62 kB flight through a 50 Mbit/s tbf's burst
  EXPECT_FALSE(rate.bandwidth()) << "no sample of a full link yet";
  rate.observe(link_at(6e6), t0 + 10ms);
  rate.observe(link_at(1e6, true), t0 + 20ms);
  rate.observe(link_at(2250e6, true), t0 + 30ms);
  EXPECT_DOUBLE_EQ(*rate.bandwidth(), 6e6);
  for (int i = 1; i <= 10; ++i) rate.observe(link_at(i == 5 ? 50e6 : 5e6), t0 + i * 300ms);
  EXPECT_DOUBLE_EQ(*rate.bandwidth(), 5e6) << "the 6 MB/s sample left the 2 s window; the burst's is one";
  rate.observe(link_at(1e6, true), t0 + 10s);
  EXPECT_DOUBLE_EQ(*rate.bandwidth(), 5e6) << "an idle link did not get slower";
}

// The kernel's newest sample stays until an ACK brings another: read again (every 20 ms, and at
// each frame sent) it counts once. And a sample read with nothing in flight spans an idle moment
// even when the kernel does not flag it: on loopback, the ACK of a small message after a pause
// read 56 Mbit/s, which, counted three times, held the estimate there and made loopback "thin".
TEST(RateControl, ASampleCountsOnceAndOnlyWithBytesInFlight) {
  RateControl rate(WireMode::kAuto, 30);
  const auto t0 = Clock::now();
  rate.observe(link_at(12e9), t0);  // loopback
  LinkSample idle = link_at(7e6);
  idle.unacked_bytes = 0;
  for (int i = 1; i <= 3; ++i) rate.observe(idle, t0 + i * 20ms);
  EXPECT_DOUBLE_EQ(*rate.bandwidth(), 12e9);
  const LinkSample full = link_at(6e6);
  for (int i = 4; i <= 8; ++i) rate.observe(full, t0 + i * 20ms);
  EXPECT_DOUBLE_EQ(*rate.bandwidth(), 12e9) << "one sample of 6 MB/s against one of 12 GB/s: the median's upper";
  rate.observe(link_at(6e6), t0 + 200ms);
  EXPECT_DOUBLE_EQ(*rate.bandwidth(), 6e6) << "two new ones";
}

TEST(RateControl, ChangesThatFitGoLosslessEvenOnAThinLink) {
  RateControl rate(WireMode::kAuto, 30);
  rate.observe(link_at(1.2e6), Clock::now());  // 10 Mbit/s
  for (int i = 0; i < 10; ++i) rate.learn(measured(8'000));  // a few lines of text
  EXPECT_EQ(rate.plan().mode, Plan::kTiles);
}

// Frames fitted to the link that still back it up (a video whose JPEG strips alone take more than
// the link carries) are paced by it: a tick is skipped while more than a quarter second of the
// link waits, and taken as soon as it drained.
TEST(RateControl, TicksAreSkippedOnlyWhenEvenFittedFramesBackTheLinkUp) {
  RateControl rate(WireMode::kAuto, 30);
  std::uint64_t tick = 1;
  const auto t0 = Clock::now();
  rate.observe(link_at(6e6), t0);
  learn_video(rate);
  for (int i = 0; i < 20; ++i) rate.queued(tick++, 300'000);  // a second of the link
  rate.observe(link_at(6e6), t0 + 10ms);
  EXPECT_FALSE(rate.skip_tick()) << "frames still go lossless: the next is fitted first";
  EXPECT_TRUE(fitted(rate.plan()));
  EXPECT_TRUE(rate.skip_tick()) << "fitted frames and backed up: fewer frames";
  for (std::uint64_t t = 1; t <= 16; ++t) rate.acked(t);  // 1.2 MB left: a fifth of a second
  EXPECT_FALSE(rate.skip_tick()) << "paced: the next tick as soon as the link drained";
  for (int i = 0; i < 2; ++i) rate.queued(tick++, 300'000);
  EXPECT_TRUE(rate.skip_tick());
  for (std::uint64_t t = 17; t < tick; ++t) rate.acked(t);
  EXPECT_EQ(rate.backlog_bytes(), 0u);
  EXPECT_FALSE(rate.skip_tick());
}

// The estimate can be too high (a token bucket's burst): the need fits on paper, but the link
// stays more than a second behind for a second. Then the frames are fitted, to half the link's
// share of a tick, so that the backlog drains; a backlog that drains within the second (a key
// frame's) changes nothing.
TEST(RateControl, ALinkASecondBehindForASecondGetsJpegStrips) {
  RateControl rate(WireMode::kAuto, 30);
  const auto t0 = Clock::now();
  rate.observe(link_at(1.2e6), t0);
  for (int i = 0; i < 3; ++i) rate.learn(measured(30'000));  // 30 kB at 30 fps: fits
  EXPECT_EQ(rate.plan().mode, Plan::kTiles);
  std::uint64_t tick = 1;
  for (; tick <= 50; ++tick) rate.queued(tick, 30'000);  // 1.5 MB: 1.25 s of the link
  rate.observe(link_at(1.2e6), t0 + 100ms);
  for (std::uint64_t t = 1; t <= 20; ++t) rate.acked(t);  // drained below a second in time
  rate.observe(link_at(1.2e6), t0 + 1100ms);
  EXPECT_EQ(rate.plan().mode, Plan::kTiles);
  for (; tick <= 70; ++tick) rate.queued(tick, 30'000);  // behind again, and for a second
  rate.observe(link_at(1.2e6), t0 + 1200ms);
  rate.observe(link_at(1.2e6), t0 + 2200ms);
  const Plan plan = rate.plan();
  EXPECT_TRUE(fitted(plan));
  EXPECT_EQ(plan.budget, 18'000u) << "half of 90 % of 1.2 MB/s over 30 ticks";
}

// Before any frame was measured, a key frame still more than a second from delivered says the
// link is thin for this screen (a full-screen video's 8 MB key frame on 50 Mbit/s): the next frame
// is fitted, not another key frame's worth of tiles (and until the link is measured, ticks wait).
// A terminal's key frame, half a second of a 10 Mbit/s link, is not.
TEST(RateControl, AKeyFrameASecondFromDeliveredFitsTheNextFrame) {
  RateControl video(WireMode::kAuto, 30), terminal(WireMode::kAuto, 30);
  const auto t0 = Clock::now();
  video.queued(1, 8'000'000);
  EXPECT_TRUE(video.skip_tick()) << "the link not measured yet: the ticks wait for it";
  video.observe(link_at(6e6), t0 + 20ms);
  EXPECT_TRUE(fitted(video.plan()));
  terminal.queued(1, 600'000);
  EXPECT_FALSE(terminal.skip_tick());
  terminal.observe(link_at(1.2e6), t0 + 20ms);
  EXPECT_EQ(terminal.plan().mode, Plan::kTiles);
}

// A key frame, and the first lossless frame after JPEG strips, are bursts the spool takes: a
// scrolling terminal on 10 Mbit/s (a few lines of text a tick, as copies) keeps its key frames and
// its heals lossless. Judged by their own size they went as JPEG, and every scroll after too (a
// copy of strips decoded from a JPEG goes as JPEG strips again).
TEST(RateControl, AKeyFrameOrAHealIsABurstNotARate) {
  RateControl rate(WireMode::kAuto, 30);
  rate.observe(link_at(1.2e6), Clock::now());  // 10 Mbit/s
  for (int i = 0; i < 3; ++i) rate.learn(measured(8'000));
  for (int i = 0; i < 10; ++i) EXPECT_EQ(rate.plan().mode, Plan::kTiles);
  rate.learn(measured(3'000'000, /*key=*/true));  // the key frame
  rate.learn(measured(0));                         // a heal: not measured
  EXPECT_EQ(rate.plan().mode, Plan::kTiles) << "the scroll after";
  // A screen that changes whole every tick is a rate: fitted within a few frames.
  bool fit = false;
  for (int i = 0; i < 5 && !fit; ++i) {
    rate.learn(measured(5'000'000));
    fit = fitted(rate.plan());
  }
  EXPECT_TRUE(fit);
}

// Fitted frames still measure what their changes take as LZ4 (every changed block is
// compressed), so a video that ends and leaves text brings the frames back to tiles.
TEST(RateControl, AVideoThatEndsBringsTheFramesBackToTilesWithinASecond) {
  RateControl rate(WireMode::kAuto, 30);
  rate.observe(link_at(1.2e6), Clock::now());  // 10 Mbit/s
  learn_video(rate);
  EXPECT_TRUE(fitted(rate.plan()));
  int frames = 0;
  for (; frames < 30 && fitted(rate.plan()); ++frames) rate.learn(measured(15'000));  // a line of text
  EXPECT_LT(frames, 30) << "15 kB a frame fits 10 Mbit/s at 30 fps: tiles within a second";
  EXPECT_GT(frames, 1) << "a moving average: one calm frame is not a calm screen";
}

// A receiver stopped (SIGSTOP) or short of CPU makes a backlog the link did not: the spool takes
// it, in the frames the link would carry, and no tick is skipped.
TEST(RateControl, ABacklogWaitingOnTheReceiverIsNotTheLinks) {
  RateControl rate(WireMode::kAuto, 30);
  std::uint64_t tick = 1;
  const auto t0 = Clock::now();
  rate.observe(link_at(6e6), t0);
  learn_video(rate);
  EXPECT_TRUE(fitted(rate.plan()));  // video on 50 Mbit/s: JPEG strips
  for (int i = 0; i < 20; ++i) rate.queued(tick++, 300'000);
  LinkSample delivered = link_at(6e6);
  delivered.unacked_bytes = 0;  // the peer's kernel has every byte written; its program no ACK
  rate.observe(delivered, t0 + 100ms);
  EXPECT_TRUE(rate.receiver_bound());
  EXPECT_FALSE(rate.skip_tick());
  // The peer's window closed: its kernel holds what it can, the rest waits in ours.
  LinkSample held = link_at(6e6);
  held.rwnd_limited_us = 1'000'000;
  rate.observe(held, t0 + 200ms);
  held.rwnd_limited_us += 90'000;  // 90 of the last 100 ms
  rate.observe(held, t0 + 300ms);
  EXPECT_TRUE(rate.receiver_bound());
  EXPECT_FALSE(rate.skip_tick());
  // The receiver reads again, the link is the limit again: backed up for a second, so fewer frames.
  held.rwnd_limited_us += 5'000;
  rate.observe(held, t0 + 400ms);
  EXPECT_FALSE(rate.receiver_bound());
  held.rwnd_limited_us += 5'000;
  rate.observe(held, t0 + 1400ms);
  EXPECT_TRUE(fitted(rate.plan()));
  EXPECT_TRUE(rate.skip_tick());
}

// A receiver stopped on a thin link, while frames are fitted to it: its kernel still ACKs what
// reaches it until its buffer is full (seconds of a thin link), so the backlog the receiver has
// not ACKed grows while the link carries it at its rate. What its kernel holds is not the link's
// backlog: no tick is skipped for it.
TEST(RateControl, WhatTheReceiversKernelHoldsIsNotTheLinksBacklog) {
  RateControl rate(WireMode::kAuto, 30);
  const auto t0 = Clock::now();
  LinkSample s = link_at(1.2e6);  // 10 Mbit/s
  s.bytes_acked = 1'000;          // the handshake
  rate.observe(s, t0);
  learn_video(rate);
  ASSERT_TRUE(fitted(rate.plan()));
  std::uint64_t tick = 1;
  for (; tick <= 60; ++tick) rate.queued(tick, 40'000);  // 2 s of frames, the receiver stopped
  s.bytes_acked += 2'300'000;                             // all but 100 kB in its kernel
  rate.observe(s, t0 + 2s);
  EXPECT_EQ(rate.backlog_bytes(), 2'400'000u);
  EXPECT_EQ(rate.link_backlog_bytes(), 99'000u) << "(the handshake's bytes count as frames' there)";
  EXPECT_FALSE(rate.skip_tick()) << "the link is a twelfth of a second behind";
  // It resumes and ACKs them: the link's backlog is what its kernel has not taken.
  for (std::uint64_t t = 1; t < tick; ++t) rate.acked(t);
  for (int i = 0; i < 20; ++i) rate.queued(tick++, 40'000);
  EXPECT_EQ(rate.link_backlog_bytes(), 800'000u);
  EXPECT_TRUE(rate.skip_tick());
}

TEST(RateControl, FixedWireModesDoNotChoose) {
  RateControl lossless(WireMode::kLossless, 30), jpeg(WireMode::kJpeg, 30);
  lossless.observe(link_at(6e6), Clock::now());
  jpeg.observe(link_at(250e6), Clock::now());
  learn_video(lossless);
  EXPECT_EQ(lossless.plan().mode, Plan::kTiles);
  EXPECT_EQ(jpeg.plan().mode, Plan::kJpeg);
  for (std::uint64_t t = 1; t <= 100; ++t) lossless.queued(t, 300'000);
  EXPECT_FALSE(lossless.skip_tick()) << "--wire lossless never skips: the spool takes the backlog";
}

// The kernel's side, on a real TCP connection over loopback: before anything is sent there is no
// rate; after a few MB delivered the rate is a loopback's (far above any network link's) and the
// socket has nothing left unacknowledged; with the peer not reading, the bytes stay in our send
// queue and the peer's window holds the sending back.
TEST(KernelLinkSample, ReadsTheDeliveryRateTheSendQueueAndTheReceiverWindowOfARealSocket) {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(listener, 1), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int sender = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(connect(sender, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const int peer = accept(listener, nullptr, nullptr);
  ASSERT_GE(peer, 0);

  auto first = read_link_sample(sender);
  ASSERT_TRUE(first) << "TCP_INFO unreadable";
  EXPECT_EQ(first->unacked_bytes, 0u);
  EXPECT_FALSE(read_link_sample(listener + 1000)) << "not a socket: no sample";

  // 4 MB, read as it comes: delivered, all ACKed.
  std::vector<char> chunk(256 * 1024, 'x');
  std::thread reader([peer] {
    std::vector<char> in(1 << 20);
    std::size_t total = 0;
    while (total < 4u << 20) {
      const auto n = read(peer, in.data(), in.size());
      if (n <= 0) break;
      total += static_cast<std::size_t>(n);
    }
  });
  for (int i = 0; i < 16; ++i) ASSERT_EQ(write(sender, chunk.data(), chunk.size()), static_cast<ssize_t>(chunk.size()));
  reader.join();
  std::optional<LinkSample> after;
  for (int i = 0; i < 100; ++i) {  // the last ACKs may still be on their way
    after = read_link_sample(sender);
    if (after && after->unacked_bytes == 0) break;
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(after);
  EXPECT_EQ(after->unacked_bytes, 0u);
  EXPECT_GT(after->delivery_rate, 100e6 / 8) << "loopback carries more than 100 Mbit/s";
  EXPECT_EQ(after->bytes_acked, 16 * chunk.size() + 1) << "every byte written (and the SYN) ACKed by the peer's kernel";

  // The peer stops reading: its window fills, the rest stays here, and the time held back by the
  // window grows.
  // Written until the send queue has stayed full for 200 ms: the peer's buffer (autotuned up to
  // tcp_rmem's maximum) took what it could, and the rest waits here.
  std::size_t written = 0;
  for (int full_for = 0; full_for < 10 && written < (std::size_t{1} << 30);) {
    const auto n = send(sender, chunk.data(), chunk.size(), MSG_DONTWAIT);
    if (n > 0) {
      written += static_cast<std::size_t>(n);
      full_for = 0;
    } else {
      ++full_for;
      std::this_thread::sleep_for(20ms);
    }
  }
  const auto held = read_link_sample(sender);
  ASSERT_TRUE(held);
  EXPECT_GT(held->unacked_bytes, 0u) << written << " bytes written";
  EXPECT_GT(held->rwnd_limited_us, after->rwnd_limited_us);
  EXPECT_GT(held->bytes_acked, after->bytes_acked) << "the peer's kernel took what fits its buffer";
  EXPECT_LT(held->bytes_acked, after->bytes_acked + written);
  close(peer);
  close(sender);
  close(listener);
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
  s.link_mbit = 349242.7;  // the kernel's view of loopback
  EXPECT_NE(format_summary(s).find("link estimated at 349 Gbit/s"), std::string::npos) << format_summary(s);
  s.jpeg_frames = 0;
  s.link_mbit = -1;  // nothing measured (a receiver of protocol 3, --wire lossless before any ACK)
  EXPECT_EQ(format_summary(s).find("JPEG"), std::string::npos) << format_summary(s);
}

}  // namespace
}  // namespace screenreel::capture

// The capture loop's key frame schedule with the real frame encoder: a key frame asked for on a
// tick where the screen did not change comes with the next tick that changed.
#include <gtest/gtest.h>

#include <cstring>
#include <span>
#include <vector>

#include "screenreel/capture/key_frames.hpp"
#include "screenreel/protocol/frame_codec.hpp"

namespace screenreel::capture {
namespace {

using Clock = KeyFrameSchedule::Clock;

TEST(KeyFrames, ARequestOutlivesTicksThatSendNothing) {
  const std::uint32_t w = 128, h = 64;
  FrameBuffer screen(w, h);
  FrameEncoder encoder(w, h);
  const auto t0 = Clock::now();
  KeyFrameSchedule keys(std::chrono::hours(1), t0);
  const std::vector<PixelRect> nothing, corner{{0, 0, 8, 8}};
  std::vector<std::uint8_t> message;
  std::uint64_t tick = 0;
  // One tick as the capture loop runs it; returns whether a frame was sent, and if so whether
  // it was a key frame.
  const auto run_tick = [&](bool screen_changed, bool& key_sent) {
    ++tick;
    const auto now = t0 + std::chrono::milliseconds(tick);
    if (screen_changed) screen.pixels[0] = static_cast<std::uint8_t>(tick);
    const auto stats = encoder.encode(screen.pixels.data(), screen.stride(), tick, 0, keys.due(now), false, message,
                                      std::span<const PixelRect>(screen_changed ? corner : nothing));
    if (!stats) return false;
    if (stats->key) keys.sent(now);
    key_sent = stats->key;
    return true;
  };
  bool key = false;
  ASSERT_TRUE(run_tick(true, key));
  EXPECT_TRUE(key);  // the first frame is whole
  ASSERT_TRUE(run_tick(true, key));
  EXPECT_FALSE(key);

  // A screen that changes every other tick, and a request that lands before an unchanged one.
  for (int round = 0; round < 3; ++round) {
    keys.request();
    EXPECT_FALSE(run_tick(false, key));  // nothing changed: nothing sent, the request stands
    EXPECT_TRUE(keys.due(t0));
    ASSERT_TRUE(run_tick(true, key));
    EXPECT_TRUE(key) << "round " << round;
    EXPECT_FALSE(keys.due(t0 + std::chrono::milliseconds(tick)));
    ASSERT_TRUE(run_tick(true, key));
    EXPECT_FALSE(key);
  }
}

TEST(KeyFrames, TheIntervalCountsFromTheLastKeyFrameSent) {
  const auto t0 = Clock::now();
  KeyFrameSchedule keys(std::chrono::seconds(10), t0);
  EXPECT_FALSE(keys.due(t0 + std::chrono::seconds(9)));
  EXPECT_TRUE(keys.due(t0 + std::chrono::seconds(10)));
  keys.sent(t0 + std::chrono::seconds(12));
  EXPECT_FALSE(keys.due(t0 + std::chrono::seconds(21)));
  EXPECT_TRUE(keys.due(t0 + std::chrono::seconds(22)));
}

}  // namespace
}  // namespace screenreel::capture

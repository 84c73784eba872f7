// The capture client's spool, by its rules (screenreel/capture/spool.hpp): what a
// (re)connection sends first, what an ACK's stored_tick lets it forget, and what a full spool
// drops and counts.
#include "screenreel/capture/spool.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace screenreel::capture {
namespace {

Spool::Bytes bytes(std::size_t n) {
  return std::make_shared<const std::vector<std::uint8_t>>(n, 0);
}

// Adds ticks first..last, 100 bytes each, key frames at the ticks in `keys`.
void add_ticks(Spool& spool, std::uint64_t first, std::uint64_t last,
               const std::vector<std::uint64_t>& keys, bool sending = false) {
  for (std::uint64_t t = first; t <= last; ++t)
    spool.add(t, std::find(keys.begin(), keys.end(), t) != keys.end(), bytes(100), sending);
}

// The ticks take_next() gives until nothing is left.
std::vector<std::uint64_t> send_all(Spool& spool) {
  std::vector<std::uint64_t> ticks;
  while (auto next = spool.take_next()) ticks.push_back(next->tick);
  return ticks;
}

TEST(Spool, ANewSessionGetsEverythingFromTheOldestFrame) {
  Spool spool(1 << 20);
  add_ticks(spool, 1, 4, {1});
  EXPECT_EQ(spool.start_sending(std::nullopt), 0u);
  EXPECT_EQ(spool.to_send(), 4u);
  EXPECT_EQ(send_all(spool), (std::vector<std::uint64_t>{1, 2, 3, 4}));
  EXPECT_TRUE(spool.all_sent());
}

TEST(Spool, AResumeSendsFromTheKeyFrameAtOrBeforeTheFirstTickNotStored) {
  Spool spool(1 << 20);
  add_ticks(spool, 1, 10, {1, 5, 9});
  spool.start_sending(std::nullopt);
  send_all(spool);
  // The receiver holds up to tick 6: 7 needs 5 and 6 as its base (sent again, not stored again).
  EXPECT_EQ(spool.start_sending(6), 2u);
  EXPECT_EQ(send_all(spool), (std::vector<std::uint64_t>{5, 6, 7, 8, 9, 10}));
  // Up to 4: tick 5 is a key frame, nothing is sent again.
  EXPECT_EQ(spool.start_sending(4), 0u);
  EXPECT_EQ(spool.take_next()->tick, 5u);
  // It holds everything: the newest run is sent again, so that the frames to come have a base.
  EXPECT_EQ(spool.start_sending(10), 2u);
  EXPECT_EQ(send_all(spool), (std::vector<std::uint64_t>{9, 10}));
  // The frames were sent before: the summary counts them once.
  spool.start_sending(std::nullopt);
  while (auto next = spool.take_next()) EXPECT_FALSE(next->first_time) << next->tick;
}

TEST(Spool, StoredTickForgetsWhatNothingNewerBuildsOn) {
  Spool spool(1 << 20);
  add_ticks(spool, 1, 10, {1, 5, 9});
  spool.start_sending(std::nullopt);
  send_all(spool);
  EXPECT_EQ(spool.unstored(), 10u);
  spool.stored_up_to(6);  // 7 and 8 build on 5
  EXPECT_EQ(spool.size(), 6u);
  EXPECT_EQ(spool.bytes(), 600u);
  EXPECT_EQ(spool.unstored(), 4u);
  EXPECT_TRUE(spool.all_sent()) << "what was sent stays sent";
  spool.stored_up_to(3);  // an older watermark changes nothing
  EXPECT_EQ(spool.size(), 6u);
  spool.stored_up_to(10);  // the key frame 9 stays, the base of tick 11
  EXPECT_EQ(spool.size(), 2u);
  EXPECT_EQ(spool.unstored(), 0u);
  EXPECT_EQ(spool.start_sending(10), 2u);
  EXPECT_EQ(spool.take_next()->tick, 9u);
}

TEST(Spool, AcknowledgementsCountOnce) {
  Spool spool(1 << 20);
  add_ticks(spool, 1, 3, {1, 3});
  EXPECT_EQ(spool.unacknowledged(), 3u);
  EXPECT_TRUE(spool.acknowledge(2));
  EXPECT_FALSE(spool.acknowledge(2));
  EXPECT_FALSE(spool.acknowledge(7)) << "not spooled";
  EXPECT_EQ(spool.unacknowledged(), 2u);
  spool.stored_up_to(3);  // forgets 1 (unacknowledged) and 2 (acknowledged); 3 is the base kept
  EXPECT_EQ(spool.size(), 1u);
  EXPECT_EQ(spool.unacknowledged(), 1u);
}

TEST(Spool, AFullSpoolDropsItsOldestRunAndCountsIt) {
  Spool spool(1000);  // ten frames
  add_ticks(spool, 1, 10, {1, 4, 8});
  EXPECT_EQ(spool.lost(), 0u);
  EXPECT_EQ(spool.add(11, false, bytes(100), false), Spool::Added::kKeptDroppingOldest);
  EXPECT_EQ(spool.lost(), 3u);  // the run 1..3
  EXPECT_EQ(spool.size(), 8u);
  EXPECT_EQ(spool.bytes(), 800u);
  EXPECT_EQ(spool.unacknowledged(), 8u);
  spool.start_sending(std::nullopt);
  EXPECT_EQ(spool.take_next()->tick, 4u);
  EXPECT_FALSE(spool.take_key_request()) << "the newer runs still have their key frames";
}

TEST(Spool, FramesTheReceiverStoredAreNotCountedLost) {
  Spool spool(1000);
  add_ticks(spool, 1, 10, {1, 4, 8});
  spool.stored_up_to(2);  // 1 stays: the base of 3
  spool.add(11, false, bytes(100), false);
  spool.add(12, false, bytes(100), false);
  EXPECT_EQ(spool.lost(), 1u) << "only tick 3 of the run 1..3";
  // A resumed receiver that turns out to hold tick 3 had it: not lost.
  spool.start_sending(3);
  EXPECT_EQ(spool.lost(), 0u);
}

TEST(Spool, WhenOnlyTheNewestRunIsLeftItGoesAndWaitsForAKeyFrame) {
  Spool spool(500);
  add_ticks(spool, 1, 5, {1});
  EXPECT_EQ(spool.add(6, false, bytes(100), false), Spool::Added::kKeptDroppingOldest);
  EXPECT_TRUE(spool.empty());
  EXPECT_EQ(spool.lost(), 6u);
  EXPECT_TRUE(spool.take_key_request());
  EXPECT_FALSE(spool.take_key_request()) << "asked once";
  EXPECT_EQ(spool.add(7, false, bytes(100), false), Spool::Added::kLost) << "nothing to build on";
  EXPECT_EQ(spool.lost(), 7u);
  EXPECT_EQ(spool.add(8, true, bytes(100), false), Spool::Added::kKept);
  EXPECT_EQ(spool.add(9, false, bytes(100), false), Spool::Added::kKept);
  EXPECT_EQ(spool.size(), 2u);
}

TEST(Spool, FramesOnTheWireAreNotDropped) {
  Spool spool(1000);
  add_ticks(spool, 1, 6, {1, 4}, true);
  spool.start_sending(std::nullopt);
  EXPECT_EQ(send_all(spool).size(), 6u);  // 1..6 are on the wire, unacknowledged
  add_ticks(spool, 7, 10, {7}, true);
  EXPECT_EQ(spool.add(11, false, bytes(100), true), Spool::Added::kKeptDroppingOldest);
  // Not 1..3 nor 4..6, which the receiver is about to store: the newest run 7..11 goes.
  EXPECT_EQ(spool.lost(), 5u);
  EXPECT_EQ(spool.size(), 6u);
  EXPECT_TRUE(spool.take_key_request());
  // Disconnected, the oldest run goes instead.
  Spool away(1000);
  add_ticks(away, 1, 6, {1, 4});
  away.start_sending(std::nullopt);
  send_all(away);
  add_ticks(away, 7, 11, {7});
  EXPECT_EQ(away.lost(), 3u);
  EXPECT_EQ(away.size(), 8u);
}

// A reconnection to a protocol 2 receiver after frames were made with copies (protocol 3):
// those and what builds on them up to the next key frame go; the frames of a run without copies
// stay; what the receiver had stored is not counted lost.
TEST(Spool, AProtocolTwoReceiverGetsNoFrameWithCopiesNorWhatBuildsOnThem) {
  Spool spool(1 << 20);
  const std::vector<std::uint64_t> with_copies{3, 9};
  for (std::uint64_t t = 1; t <= 10; ++t) {
    const bool key = t == 1 || t == 5 || t == 8;
    const bool copies = std::find(with_copies.begin(), with_copies.end(), t) != with_copies.end();
    spool.add(t, key, bytes(100), false, copies);
  }
  spool.stored_up_to(3);  // the receiver has 1..3; 1 stays as the base of 2..4
  EXPECT_EQ(spool.drop_copies(), 4u);  // 3 and 4 (builds on 3), 9 and 10 (builds on 9)
  EXPECT_EQ(spool.lost(), 3u);        // 4, 9, 10: 3 was stored
  EXPECT_EQ(spool.bytes(), 600u);
  EXPECT_TRUE(spool.take_key_request()) << "the newest frame went: the next must be a key frame";
  EXPECT_EQ(spool.add(11, false, bytes(100), false), Spool::Added::kLost);
  EXPECT_EQ(spool.add(12, true, bytes(100), false), Spool::Added::kKept);
  spool.start_sending(std::uint64_t{3});
  EXPECT_EQ(send_all(spool), (std::vector<std::uint64_t>{5, 6, 7, 8, 12}));

  Spool clean(1 << 20);  // nothing used copies: nothing goes, no key frame is asked for
  add_ticks(clean, 1, 4, {1});
  EXPECT_EQ(clean.drop_copies(), 0u);
  EXPECT_FALSE(clean.take_key_request());
  clean.start_sending(std::nullopt);
  EXPECT_EQ(send_all(clean), (std::vector<std::uint64_t>{1, 2, 3, 4}));
}

}  // namespace
}  // namespace screenreel::capture

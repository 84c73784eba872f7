// How long the receiver's catalog commits take: the catalog thread times each batch it commits
// (one transaction of frame rows, recorder.hpp), and the receiver logs their p50, p99 and max as
// it exits ("catalog commits: ..."), so a slow catalog (a PostgreSQL far away, a slow disk under
// catalog.db) shows, and scripts/bench-fleet.sh compares the two backends with it.
//
// A histogram, not the samples: a receiver runs for months. Buckets are 1/16 of a power of two
// wide (a percentile is within 4.5% of the true one, rounded up), from 1 us to over an hour:
// a few kilobytes, and one increment per commit.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>

namespace screenreel::receiver {

class CommitTimes {
 public:
  void add(std::int64_t us);  // from any thread
  std::uint64_t count() const;
  // The smallest bucket bound that at least `fraction` (0 to 1) of the commits took no longer
  // than; 0 when there were none. percentile(1) is max().
  std::int64_t percentile(double fraction) const;
  std::int64_t max() const;
  // "1234 commits: p50 2.1 ms, p99 14.8 ms, max 31.0 ms", or "none".
  std::string describe() const;

 private:
  static constexpr int kStepsPerDoubling = 16;
  static constexpr int kBuckets = 32 * kStepsPerDoubling;  // up to 2^32 us, about 71 minutes
  static int bucket(std::int64_t us);
  static std::int64_t upper_bound(int bucket);
  mutable std::mutex mutex_;
  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  std::int64_t max_us_ = 0;
};

}  // namespace screenreel::receiver

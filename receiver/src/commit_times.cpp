// The catalog commit times histogram (see commit_times.hpp).
#include "screenreel/receiver/commit_times.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace screenreel::receiver {

int CommitTimes::bucket(std::int64_t us) {
  if (us <= 1) return 0;
  const int b = static_cast<int>(std::ceil(std::log2(static_cast<double>(us)) * kStepsPerDoubling));
  return std::clamp(b, 0, kBuckets - 1);
}

std::int64_t CommitTimes::upper_bound(int bucket) {
  return static_cast<std::int64_t>(std::floor(std::exp2(static_cast<double>(bucket) / kStepsPerDoubling)));
}

void CommitTimes::add(std::int64_t us) {
  std::lock_guard lock(mutex_);
  ++counts_[static_cast<std::size_t>(bucket(us))];
  ++count_;
  max_us_ = std::max(max_us_, us);
}

std::uint64_t CommitTimes::count() const {
  std::lock_guard lock(mutex_);
  return count_;
}

std::int64_t CommitTimes::max() const {
  std::lock_guard lock(mutex_);
  return max_us_;
}

std::int64_t CommitTimes::percentile(double fraction) const {
  std::lock_guard lock(mutex_);
  if (count_ == 0) return 0;
  const auto wanted = static_cast<std::uint64_t>(std::ceil(std::clamp(fraction, 0.0, 1.0) * static_cast<double>(count_)));
  std::uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += counts_[static_cast<std::size_t>(b)];
    // The last bucket holds everything longer; no bound says more than the longest commit.
    if (seen >= std::max<std::uint64_t>(wanted, 1))
      return b == kBuckets - 1 ? max_us_ : std::min(upper_bound(b), max_us_);
  }
  return max_us_;
}

std::string CommitTimes::describe() const {
  const std::uint64_t n = count();
  if (n == 0) return "none";
  char buf[160];
  std::snprintf(buf, sizeof buf, "%llu commits: p50 %.1f ms, p99 %.1f ms, max %.1f ms", static_cast<unsigned long long>(n),
                static_cast<double>(percentile(0.5)) / 1e3, static_cast<double>(percentile(0.99)) / 1e3,
                static_cast<double>(max()) / 1e3);
  return buf;
}

}  // namespace screenreel::receiver

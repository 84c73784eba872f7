// The rate controller (see rate_control.hpp).
#include "rate_control.hpp"

#include <algorithm>

namespace screenreel::capture {

void RateControl::queued(std::uint64_t tick, std::size_t bytes) {
  std::lock_guard lock(mutex_);
  Flight f;
  f.bytes = bytes;
  auto [it, added] = flight_.try_emplace(tick, f);
  if (added) backlog_ += bytes;
}

void RateControl::sent(std::uint64_t tick, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  const auto f = flight_.find(tick);
  if (f == flight_.end() || f->second.sent) return;
  f->second.sent = now;
  f->second.delivered = delivered_;
  f->second.delivered_at = in_flight_ > 0 && last_ack_ ? *last_ack_ : now;
  ++in_flight_;
}

void RateControl::acked(std::uint64_t tick, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  const auto f = flight_.find(tick);
  if (f == flight_.end()) return;
  backlog_ -= f->second.bytes;
  delivered_ += f->second.bytes;
  if (f->second.sent) {
    --in_flight_;
    const auto interval = now - f->second.delivered_at;
    if (interval >= kMinSampleInterval)
      samples_.emplace_back(now, static_cast<double>(delivered_ - f->second.delivered) /
                                     std::chrono::duration<double>(interval).count());
  }
  last_ack_ = now;
  flight_.erase(f);
  // Keep the window's samples, but never drop the last ones for want of newer (an idle screen
  // sends nothing: the link did not get slower).
  while (samples_.size() > 8 && now - samples_.front().first > kWindow) samples_.pop_front();
}

void RateControl::reset_flight() {
  std::lock_guard lock(mutex_);
  for (auto& [tick, f] : flight_) f.sent.reset();
  last_ack_.reset();
  in_flight_ = 0;
}

std::optional<double> RateControl::bandwidth_locked() const {
  if (samples_.empty()) return std::nullopt;
  double best = 0;
  for (const auto& s : samples_) best = std::max(best, s.second);
  return best;
}

std::optional<double> RateControl::bandwidth() const {
  std::lock_guard lock(mutex_);
  return bandwidth_locked();
}

std::size_t RateControl::backlog_bytes() const {
  std::lock_guard lock(mutex_);
  return backlog_;
}

bool RateControl::last_jpeg() const {
  std::lock_guard lock(mutex_);
  return last_jpeg_;
}

bool RateControl::choose_jpeg(std::uint64_t lossless_pixels, std::uint64_t jpeg_pixels, bool) {
  std::lock_guard lock(mutex_);
  if (mode_ != WireMode::kAuto) return last_jpeg_ = mode_ == WireMode::kJpeg;
  const auto bw = bandwidth_locked();
  if (!bw) return last_jpeg_ = false;  // nothing measured yet: today's wire
  const double lossless = lossless_bpp_ * static_cast<double>(lossless_pixels);
  const double jpeg = jpeg_bpp_ * static_cast<double>(jpeg_pixels);
  // A frame's busy time includes the round trip and the receiver's work, so for small frames the
  // estimate is low: JPEG only when it is also the smaller (text scrolled as copies is not).
  const bool backed_up = static_cast<double>(backlog_) > *bw * kBacklogSeconds;
  return last_jpeg_ = jpeg < lossless && (backed_up || lossless * fps_ > *bw * kHeadroom);
}

void RateControl::learn(bool jpeg, std::uint64_t pixels, std::size_t bytes) {
  if (pixels == 0) return;
  std::lock_guard lock(mutex_);
  double& bpp = jpeg ? jpeg_bpp_ : lossless_bpp_;
  bpp = 0.7 * bpp + 0.3 * static_cast<double>(bytes) / static_cast<double>(pixels);
}

bool RateControl::skip_tick() {
  std::lock_guard lock(mutex_);
  if (mode_ == WireMode::kLossless || !last_jpeg_) return false;
  const auto bw = bandwidth_locked();
  return bw && static_cast<double>(backlog_) > *bw * kBacklogSeconds;
}

}  // namespace screenreel::capture

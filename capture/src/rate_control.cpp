// The rate controller (see rate_control.hpp).
#include "rate_control.hpp"

#include <algorithm>
#include <vector>

namespace screenreel::capture {

void RateControl::queued(std::uint64_t tick, std::size_t bytes) {
  std::lock_guard lock(mutex_);
  if (unacked_.try_emplace(tick, bytes).second) backlog_ += bytes;
}

void RateControl::acked(std::uint64_t tick) {
  std::lock_guard lock(mutex_);
  const auto f = unacked_.find(tick);
  if (f == unacked_.end()) return;
  backlog_ -= f->second;
  receiver_acked_ += f->second;
  unacked_.erase(f);
}

void RateControl::observe(const LinkSample& sample, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  // A sample counts once (the kernel's newest stays the same until an ACK brings another), and
  // only when it is of a full link: not app-limited, and with bytes still in flight. The kernel
  // does not flag every sample that spans an idle moment: on loopback, the ACK of a small message
  // after a pause read 56 Mbit/s, unflagged, with the send queue empty.
  const bool fresh = sample.bytes_acked != last_sample_.first || sample.delivery_rate != last_sample_.second;
  last_sample_ = {sample.bytes_acked, sample.delivery_rate};
  if (fresh && sample.delivery_rate > 0 && !sample.app_limited && sample.unacked_bytes > 0)
    samples_.emplace_back(now, sample.delivery_rate);
  // Keep the window's samples, but never drop the last ones for want of newer (an idle screen
  // sends nothing: the link did not get slower).
  while (samples_.size() > 8 && now - samples_.front().first > kWindow) samples_.pop_front();

  bool window_bound = false;
  if (last_rwnd_ && now > last_rwnd_->first && sample.rwnd_limited_us >= last_rwnd_->second) {
    const double held = static_cast<double>(sample.rwnd_limited_us - last_rwnd_->second) / 1e6;
    window_bound = held >= kReceiverBoundShare * std::chrono::duration<double>(now - last_rwnd_->first).count();
  }
  last_rwnd_.emplace(now, sample.rwnd_limited_us);
  kernel_acked_ = sample.bytes_acked;
  receiver_bound_ = window_bound || (sample.unacked_bytes == 0 && backlog_ > 0);

  const auto bw = bandwidth_locked();
  const auto persists = [&](double seconds, std::optional<Clock::time_point>& since) {
    if (receiver_bound_ || !bw || static_cast<double>(link_backlog_locked()) <= *bw * seconds) since.reset();
    else if (!since) since = now;
    return since && now - *since >= kBacklogPersists;
  };
  jpeg_backed_up_ = persists(kJpegBacklogSeconds, jpeg_over_since_);
}

void RateControl::reset_link() {
  std::lock_guard lock(mutex_);
  last_rwnd_.reset();
  receiver_bound_ = false;
  kernel_acked_ = receiver_acked_ = 0;
  last_sample_ = {};
  jpeg_over_since_.reset();
  jpeg_backed_up_ = false;
}

std::optional<double> RateControl::bandwidth_locked() const {
  if (samples_.empty()) return std::nullopt;
  std::vector<double> rates;
  for (const auto& s : samples_) rates.push_back(s.second);
  const auto middle = rates.begin() + static_cast<std::ptrdiff_t>(rates.size() / 2);
  std::nth_element(rates.begin(), middle, rates.end());
  return *middle;
}

std::optional<double> RateControl::bandwidth() const {
  std::lock_guard lock(mutex_);
  return bandwidth_locked();
}

std::size_t RateControl::backlog_bytes() const {
  std::lock_guard lock(mutex_);
  return backlog_;
}

std::size_t RateControl::link_backlog_locked() const {
  const std::uint64_t held = kernel_acked_ > receiver_acked_ ? kernel_acked_ - receiver_acked_ : 0;
  return held >= backlog_ ? 0 : backlog_ - static_cast<std::size_t>(held);
}

std::size_t RateControl::link_backlog_bytes() const {
  std::lock_guard lock(mutex_);
  return link_backlog_locked();
}

bool RateControl::last_jpeg() const {
  std::lock_guard lock(mutex_);
  return last_jpeg_;
}

bool RateControl::receiver_bound() const {
  std::lock_guard lock(mutex_);
  return receiver_bound_;
}

FrameEncoder::WirePlan RateControl::plan() {
  using Plan = FrameEncoder::WirePlan;
  std::lock_guard lock(mutex_);
  last_jpeg_ = false;
  if (mode_ == WireMode::kJpeg) {
    last_jpeg_ = true;
    return Plan{Plan::kJpeg, 0};
  }
  const auto bw = bandwidth_locked();
  // Before a frame was measured (the key frame is not), a link still more than a second from
  // delivering what was sent is thin for this screen: the second frame of a full-screen video
  // would be another key frame's worth.
  const bool thin_at_start = bw && !need_ && static_cast<double>(link_backlog_locked()) > *bw * kJpegBacklogSeconds;
  const bool too_much = bw && (jpeg_backed_up_ || thin_at_start || (need_ && *need_ * fps_ > *bw * kHeadroom));
  if (mode_ == WireMode::kLossless || !too_much) return Plan{};  // the link was never full, or the changes fit
  last_jpeg_ = true;
  const double share = *bw * kHeadroom / fps_ * (jpeg_backed_up_ ? 0.5 : 1.0);
  return Plan{Plan::kFit, static_cast<std::uint64_t>(share)};
}

void RateControl::learn(const EncodeStats& stats) {
  if (stats.key || stats.lossless_bytes == 0) return;  // a burst, or not measured
  std::lock_guard lock(mutex_);
  const double bytes = static_cast<double>(stats.lossless_bytes);
  need_ = need_ ? 0.75 * *need_ + 0.25 * bytes : bytes;
}

bool RateControl::skip_tick() {
  std::lock_guard lock(mutex_);
  if (mode_ == WireMode::kLossless || receiver_bound_) return false;
  const auto bw = bandwidth_locked();
  const auto link = static_cast<double>(link_backlog_locked());
  // The link not measured yet, and a key frame of a whole screen of picture still on its way.
  if (!bw) return !need_ && link > kUnmeasuredBacklogBytes;
  return last_jpeg_ && link > *bw * kSkipBacklogSeconds;
}

}  // namespace screenreel::capture

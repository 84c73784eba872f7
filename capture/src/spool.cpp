#include "screenreel/capture/spool.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace screenreel::capture {

Spool::Added Spool::add(std::uint64_t tick, bool key, Bytes bytes, bool sending, bool copies) {
  if (awaiting_key_ && !key) {  // its base was dropped from a full spool
    lost_ticks_.push_back(tick);
    return Added::kLost;
  }
  awaiting_key_ = false;
  ++unacked_;
  bytes_ += bytes->size();
  frames_.push_back(Frame{tick, key, std::move(bytes), false, false, copies});
  return bytes_ > limit_ && make_room(sending) ? Added::kKeptDroppingOldest : Added::kKept;
}

bool Spool::acknowledge(std::uint64_t seq) {
  auto it = std::lower_bound(frames_.begin(), frames_.end(), seq,
                             [](const Frame& f, std::uint64_t tick) { return f.tick < tick; });
  if (it == frames_.end() || it->tick != seq || it->acknowledged) return false;
  it->acknowledged = true;
  --unacked_;
  return true;
}

void Spool::stored_up_to(std::uint64_t tick) {
  if (tick <= stored_tick_) return;
  stored_tick_ = tick;
  // What the receiver has stored goes, but for the key frame the rest is built on.
  erase_front(key_frame_for(first_after(stored_tick_)));
}

std::size_t Spool::start_sending(std::optional<std::uint64_t> receiver_last_tick) {
  std::size_t first_needed = 0;
  if (receiver_last_tick) {
    first_needed = first_after(*receiver_last_tick);
    // Frames dropped from a full spool that the receiver had stored before it went away (it had
    // not said so yet) are not lost.
    std::erase_if(lost_ticks_, [&](std::uint64_t t) { return t <= *receiver_last_tick; });
  }
  next_send_ = key_frame_for(first_needed);
  return first_needed - std::min(first_needed, next_send_);
}

std::optional<Spool::Next> Spool::take_next() {
  if (next_send_ >= frames_.size()) return std::nullopt;
  Frame& f = frames_[next_send_++];
  const bool first = !f.sent_once;
  f.sent_once = true;
  return Next{f.tick, f.bytes, first};
}

std::size_t Spool::drop_copies() {
  std::size_t dropped = 0;
  bool broken = false;  // a frame before this one, since the last key frame, was dropped
  std::deque<Frame> kept;
  for (Frame& f : frames_) {
    if (f.key) broken = false;
    if (!f.key && (f.copies || broken)) {
      broken = true;
      ++dropped;
      if (f.tick > stored_tick_) lost_ticks_.push_back(f.tick);
      if (!f.acknowledged) --unacked_;
      bytes_ -= f.bytes->size();
      continue;
    }
    kept.push_back(std::move(f));
  }
  frames_ = std::move(kept);
  next_send_ = 0;
  if (broken) await_key_frame();
  return dropped;
}

void Spool::await_key_frame() {
  awaiting_key_ = true;
  key_requested_ = true;
}

bool Spool::take_key_request() {
  return std::exchange(key_requested_, false);
}

std::uint64_t Spool::unstored() const {
  return static_cast<std::uint64_t>(std::count_if(
      frames_.begin(), frames_.end(), [&](const Frame& f) { return f.tick > stored_tick_; }));
}

// The index of the first spooled frame newer than `tick` (the spool's size when none is).
std::size_t Spool::first_after(std::uint64_t tick) const {
  return static_cast<std::size_t>(
      std::upper_bound(frames_.begin(), frames_.end(), tick,
                       [](std::uint64_t t, const Frame& f) { return t < f.tick; }) -
      frames_.begin());
}

// The newest key frame at or before index `i` (the last frame when i is past the end): the frame
// a fresh decoder must start from to rebuild frame i and what follows.
std::size_t Spool::key_frame_for(std::size_t i) const {
  std::size_t k = std::min(i, frames_.empty() ? 0 : frames_.size() - 1);
  while (k > 0 && !frames_[k].key) --k;
  return k;
}

void Spool::erase_front(std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    bytes_ -= frames_.front().bytes->size();
    if (!frames_.front().acknowledged) --unacked_;
    frames_.pop_front();
  }
  next_send_ = next_send_ > n ? next_send_ - n : 0;
}

// Over the limit: the oldest changes go. A run of frames from one key frame to the next is
// dropped whole (the next key frame holds the screen as it then was: the changes in between are
// merged into it); when only the newest run is left, it goes too and the spool waits for a key
// frame. Frames already on the wire stay. Returns whether anything was dropped.
bool Spool::make_room(bool sending) {
  const std::size_t first_droppable = sending ? next_send_ : 0;
  bool dropped = false;
  while (bytes_ > limit_) {
    std::size_t begin = first_droppable;
    while (begin < frames_.size() && !frames_[begin].key) ++begin;
    if (begin >= frames_.size()) break;  // nothing droppable
    std::size_t end = begin + 1;
    while (end < frames_.size() && !frames_[end].key) ++end;
    const bool last_run = end == frames_.size();
    for (std::size_t i = begin; i < end; ++i) {
      if (frames_[i].tick > stored_tick_) lost_ticks_.push_back(frames_[i].tick);
      if (!frames_[i].acknowledged) --unacked_;
      bytes_ -= frames_[i].bytes->size();
    }
    frames_.erase(frames_.begin() + static_cast<std::ptrdiff_t>(begin),
                  frames_.begin() + static_cast<std::ptrdiff_t>(end));
    dropped = true;
    if (last_run) {
      await_key_frame();
      break;
    }
  }
  return dropped;
}

}  // namespace screenreel::capture

// When the capture loop sends a key frame: every --key-interval, and soon after a request from
// the io thread (the spool wants to forget what the receiver has stored, or it dropped the run
// a coming frame builds on). A request stands until a key frame is actually sent: a tick that
// sends nothing, because the screen did not change, does not use it up. (On a screen that
// changes every other tick, a request taken by the tick that sent nothing was lost every time.)
#pragma once

#include <atomic>
#include <chrono>

namespace screenreel::capture {

class KeyFrameSchedule {
 public:
  using Clock = std::chrono::steady_clock;

  KeyFrameSchedule(Clock::duration interval, Clock::time_point start) : interval_(interval), last_(start) {}

  // Any thread.
  void request() { requested_.store(true); }
  // The capture thread: whether this tick's frame is to be a key frame...
  bool due(Clock::time_point now) const { return now - last_ >= interval_ || requested_.load(); }
  // ...and that one was sent. A request made since due() is answered by it too: a key frame
  // depends on nothing before it.
  void sent(Clock::time_point now) {
    last_ = now;
    requested_.store(false);
  }

 private:
  const Clock::duration interval_;
  Clock::time_point last_;
  std::atomic<bool> requested_{false};
};

}  // namespace screenreel::capture

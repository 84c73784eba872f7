// Which frames of a session an OCR pass reads: the same rule live (the receiver's --ocr) and
// offline (screenreel-replay index), in capture time, so that both index the same frames
// whatever the machine's load. Due times are `interval` apart; the frame on screen at a due
// time is read (if anything changed since the last read), so text that stays on screen for an
// interval is read once at least. The receiver used to read the newest frame whenever its
// low-priority worker got to it: under load a pass came seconds late and the frames on screen
// meanwhile were never read (issue 23 item 6).
#pragma once

#include <algorithm>
#include <cstdint>

namespace screenreel::ocr {

class PassSchedule {
 public:
  explicit PassSchedule(std::int64_t interval_us) : interval_us_(interval_us) {}

  // The next frame, captured at `capture_us` (frames come in capture order). True when the frame
  // before it was on screen at the due time: it is the one to read then (if it changed since
  // the last read), and the next due time is one interval later.
  bool next_frame(std::int64_t capture_us) {
    const bool due = have_frame_ && due_at() < capture_us;
    if (due) next_due_us_ = due_at() + interval_us_;
    have_frame_ = true;
    newest_us_ = capture_us;
    return due;
  }
  // When (capture time) the newest frame is on screen at a due time, if no frame follows it
  // before then: the receiver reads a still screen's newest frame then, without waiting.
  std::int64_t due_at() const { return std::max(next_due_us_, newest_us_); }

 private:
  std::int64_t interval_us_;
  std::int64_t next_due_us_ = INT64_MIN;
  std::int64_t newest_us_ = 0;
  bool have_frame_ = false;
};

}  // namespace screenreel::ocr

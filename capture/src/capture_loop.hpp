// The capture thread's loop: ticks on a steady clock (start + k / fps; a late tick is skipped
// and counted, the schedule does not slide), grabs the source and encodes the changed tiles into
// FRAME messages, a key frame when the schedule asks for one or the screen was resized.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "screenreel/capture/client.hpp"
#include "screenreel/capture/key_frames.hpp"
#include "screenreel/protocol/wire.hpp"
#include "rate_control.hpp"
#include "window_list.hpp"

namespace screenreel::capture {

// Counts the io thread reads while capture runs (--stats), and what it tells the capture thread.
struct LiveCounts {
  std::atomic<std::uint64_t> unchanged{0}, late{0};
  std::atomic<std::uint64_t> copies{0}, copied_pixels{0};  // copy rectangles, the pixels they cover
  // The newest tick the loop is done with: its frame (if any) has been handed to `out` already.
  std::atomic<std::uint64_t> done_tick{0};
  // Set by the io thread (the `p` key, SIGUSR2): from the next tick on nothing is read.
  std::atomic<bool> paused{false};
  std::atomic<std::uint64_t> jpeg_frames{0};  // frames sent as JPEG strips
  // Set by the io thread on a connection that speaks protocol 6: the next tick read sends the
  // whole window list (WINDOWS) again.
  std::atomic<bool> windows_again{false};
};

// How the loop ended, and its counts.
struct CaptureEnd {
  std::uint64_t ticks = 0, captured = 0, unchanged = 0, dropped = 0, frames = 0, raw_bytes = 0;
  std::uint64_t paused = 0;  // ticks not read: capture was paused
  std::uint64_t copies = 0, copied_pixels = 0;  // copy rectangles encoded, and the pixels they cover
  std::uint64_t jpeg_frames = 0;  // frames whose changes went as JPEG strips
  std::uint64_t skipped = 0;      // of the dropped ticks, those the rate controller skipped
  double seconds = 0;
  bool max_frames = false;  // --max-frames was reached
  std::string gone;         // the source went away (a window closed): a normal end
  std::string error;        // capture failed
};

// `copies`: the frame carries copy rectangles (protocol 3 only); `jpeg_quality`: JPEG strips
// coded at that quality (protocol 4 only), or 0; `yuv420`: 4:2:0 tiles (protocol 5 only).
using FrameOut = std::function<void(std::uint64_t tick, std::int64_t capture_us, bool key, bool copies,
                                    int jpeg_quality, bool yuv420, std::vector<std::uint8_t>)>;

// What the loop tells besides frames (protocol 4): runs of ticks that became no frame
// (wire::Skipped: unchanged, behind schedule, paused), and PAUSE / RESUME with the tick where
// they took effect (their reason is the io thread's to fill in). Each comes after every frame
// before it and before every frame after it.
using EventOut = std::function<void(wire::Message)>;

// Runs until `stop`, --duration or --max-frames; every encoded frame goes to `out`. Frames carry
// copies while `copies` is set; when it is cleared (a reconnection to a protocol 2 receiver), the
// next frame is a key frame without them. JPEG strips (config.wire) are coded at `jpeg_quality`,
// the receiver's (0: none, it does not take them); when it changes (a reconnection), the next
// frame is a key frame coded the new way. `rate` chooses between tiles and strips, and skips ticks.
// Tiles go as 4:2:0 planes while `yuv420` is set (the receiver took them); when it changes, the
// next frame is a key frame in the new format. `windows` (none: no window geometry) is asked
// after every grab; a list that changed goes to `events` as wire::Windows (protocol 6).
CaptureEnd capture_loop(const CaptureConfig& config, FrameSource& source,
                        KeyFrameSchedule& key_frames, const std::atomic<bool>& stop,
                        LiveCounts& live, const FrameOut& out, const EventOut& events,
                        const std::atomic<bool>& copies, const std::atomic<int>& jpeg_quality,
                        const std::atomic<bool>& yuv420, RateControl& rate, WindowList* windows = nullptr);

}  // namespace screenreel::capture

// The capture client's choice between lossless tiles and JPEG strips (--wire auto), and when to
// skip a tick. BBR's idea for the estimate: the link's delivery rate is measured from the ACKs
// (at each ACK, the bytes ACKed since the frame was sent over the time since the ACK before its
// sending; the max of the last 2 s), and
// GCC's for the trigger: a backlog growing beyond what the link drains in a quarter second means
// the sender asks too much. A frame goes lossless when its tiles at the asked frame rate fit the
// estimate with 10 % to spare and nothing is backed up; else as JPEG strips; and a tick is skipped
// only when frames already go as JPEG and the backlog is still too long (even JPEG does not fit).
// Thread-safe: the io thread reports queued, sent and ACKed frames, the capture thread asks.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>

#include "screenreel/capture/client.hpp"

namespace screenreel::capture {

class RateControl {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr auto kWindow = std::chrono::seconds(2);  // the max filter's
  static constexpr double kHeadroom = 0.9;                  // of the estimate a frame may use
  static constexpr double kBacklogSeconds = 0.25;           // of the estimate: longer is too much

  RateControl(WireMode mode, double fps) : mode_(mode), fps_(fps) {}

  // io thread: a frame of `bytes` entered the spool; was written to the socket; was ACKed.
  void queued(std::uint64_t tick, std::size_t bytes);
  void sent(std::uint64_t tick, Clock::time_point now);
  void acked(std::uint64_t tick, Clock::time_point now);
  // The connection broke: what was in flight will be sent again, its timings are void.
  void reset_flight();

  // capture thread: whether this frame goes as JPEG strips, given the pixels the tiles (the
  // changed ones, and those that heal strips sent as JPEG before) and the strips would send.
  bool choose_jpeg(std::uint64_t lossless_pixels, std::uint64_t jpeg_pixels, bool key);
  // After the frame was made: its bytes teach the bytes a pixel of each way costs.
  void learn(bool jpeg, std::uint64_t pixels, std::size_t bytes);
  // Skip this tick: frames go as JPEG and the backlog is still longer than the link drains in
  // kBacklogSeconds.
  bool skip_tick();

  // The delivery-rate estimate, bytes per second (nothing before the first ACKed frame).
  std::optional<double> bandwidth() const;
  std::size_t backlog_bytes() const;
  bool last_jpeg() const;

 private:
  struct Flight {
    std::size_t bytes = 0;
    std::optional<Clock::time_point> sent;
    // BBR's rate sample state when it was sent: the bytes ACKed by then, and when the newest of
    // them was (or the sending itself, when nothing was in flight).
    std::uint64_t delivered = 0;
    Clock::time_point delivered_at;
  };
  // A sample spanning less than this says more about how ACKs bunch than about the link.
  static constexpr auto kMinSampleInterval = std::chrono::milliseconds(10);
  std::optional<double> bandwidth_locked() const;

  mutable std::mutex mutex_;
  const WireMode mode_;
  const double fps_;
  std::map<std::uint64_t, Flight> flight_;  // queued, not yet ACKed
  std::size_t backlog_ = 0;                 // their bytes
  std::optional<Clock::time_point> last_ack_;
  std::uint64_t delivered_ = 0;  // bytes ACKed so far
  std::size_t in_flight_ = 0;    // frames sent, not yet ACKed
  std::deque<std::pair<Clock::time_point, double>> samples_;  // delivery rates, newest last
  // Bytes a pixel costs: LZ4 tiles (a 1080p video measured 2.8, a terminal far less) and JPEG
  // strips at quality 90 (about 0.3 on video); moving averages of the frames made.
  double lossless_bpp_ = 1.5, jpeg_bpp_ = 0.3;
  bool last_jpeg_ = false;
};

}  // namespace screenreel::capture

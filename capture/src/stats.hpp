// What the client tells about its recording: the status line, once a second (on a terminal
// unless --quiet; with --stats also as log lines elsewhere), and (in stats.cpp) the summary at
// the end (format_summary, declared in client.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace screenreel::capture {


class LiveStats {
 public:
  // The capture time of a spooled frame, and its ACK: the latency from one to the other.
  void captured(std::uint64_t tick, std::int64_t capture_us) { capture_times_[tick] = capture_us; }
  void acknowledged(std::uint64_t tick, std::int64_t now_us);

  struct Now {
    double elapsed_s = 0;  // since the capture started
    std::uint64_t stored = 0;  // frames the receiver has acknowledged, so far
    bool connected = false;
    std::uint64_t sent = 0, wire_bytes = 0;  // so far
    std::uint64_t unchanged = 0, dropped = 0;
    std::string receiver;  // HOST:PORT
    std::size_t spool_bytes = 0, spool_frames = 0;
    std::uint64_t lost = 0;
    std::uint64_t copies = 0, copied_pixels = 0;  // so far
    std::uint64_t jpeg_frames = 0;  // so far: frames whose changes went as JPEG strips
    double link_mbit = -1;          // the rate controller's estimate; -1: none yet
    const char* wire = "lossless";  // --wire, as it applies to this receiver
  };
  // The line for the second that ended: the time recorded and the frames stored so far; while
  // connected, frames sent in that second, bandwidth, how long the receiver took to take each
  // frame (capture to ACK), ticks unchanged and dropped so far, and
  // (when there were any) the copy rectangles and the megapixels they covered, then the wire
  // (lossless, auto, jpeg), the JPEG frames of that second and the link's estimated rate; while
  // away, the spool.
  std::string line(const Now& now);

 private:
  std::map<std::uint64_t, std::int64_t> capture_times_;  // tick -> capture time, until ACKed
  std::vector<double> ack_latency_ms_;                   // this second's
  std::uint64_t sent_ = 0, bytes_ = 0, jpeg_ = 0;        // at the start of this second
};

}  // namespace screenreel::capture

// The capture client's choice between lossless tiles and JPEG strips (--wire auto), and when to
// skip a tick. BBR's idea for the estimate, from the kernel's own BBR-style rate sampler
// (TCP_INFO's delivery rate: bytes the peer's kernel ACKed over the time the link took for them,
// whatever congestion control runs): the link's rate is the median of the samples of the last 2 s
// taken while the link was full (BBR takes the max; a token bucket's burst makes single samples
// several times the rate even then: 86 Mbit/s on a 10 Mbit/s tbf). An app-limited sample (the sender had nothing queued) does not count:
// it measures the sender, and where a token bucket shapes the link (tbf, an ISP's policer) a short
// flight passes in the bucket's burst at the wire's speed, many times the link's rate (measured:
// 18 Gbit/s on a 50 Mbit/s tbf). A link never full has no estimate, and the changes go lossless:
// they fit. GCC's idea for the trigger: a backlog that stays beyond what the link drains in a
// given time, for a second, means the sender asks too much.
//
// The need is a rate: the bytes the frames' changes take as LZ4 (a moving average of what the
// encoder measured, key frames and frames that heal left out) at the asked frame rate. The
// frames go as tiles when that need fits the estimate with 10 % to spare and the link has not
// been a second behind for a second (the estimate was too high). Else each frame is fitted to
// the link's share of a tick (FrameEncoder::WirePlan::kFit): its blocks whose JPEG strips save
// the most go as JPEG strips until the frame fits, so a video window goes as JPEG and the text
// around it stays lossless; a key frame too (text never goes as JPEG strips: see
// FrameEncoder::kJpegAtMost). While the link is behind, the share is halved, to drain it.
// A key frame, or the first frame of tiles after JPEG strips (which resends their blocks), is a
// burst, not a rate: the spool takes it as the link drains it. Were it judged by its own size,
// a scrolling terminal on 10 Mbit/s would send its key frame as JPEG strips, and every scroll
// after it too (a copy of strips decoded from a JPEG goes as JPEG strips again). Fitted frames
// LZ4-compress every changed block, so the need stays measured while strips go, and a screen
// that calms down goes back to tiles.
// A tick is skipped only when frames are fitted to the link already and it is still more than a
// quarter second behind: frames are then paced by the link (as TigerVNC sends no update while
// its congestion window is full), at the rate it drains them, rather than sent in bursts that
// back it up by seconds.
//
// A backlog the link did not make is not the link's: what the receiver's kernel holds (ACKed by
// it, not yet by the receiver) is left out of the link's backlog, and when the kernel has
// delivered everything written (its send queue is empty) or the receiver's window holds the
// sending back, the frames wait on the receiver (stopped, or short of CPU). Then nothing changes: the spool takes them,
// as after a reconnection, and no tick is skipped for the link.
// Thread-safe: the io thread reports queued and ACKed frames and the kernel's view, the capture
// thread asks.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>

#include "screenreel/capture/client.hpp"
#include "screenreel/protocol/frame_codec.hpp"

namespace screenreel::capture {

// What the kernel knows of the connection (TCP_INFO and SIOCOUTQ), read on the io thread.
struct LinkSample {
  double delivery_rate = 0;     // bytes/s, the newest delivery-rate sample (0: none yet)
  bool app_limited = false;     // that sample was taken with nothing queued: not the link's
  std::uint64_t rwnd_limited_us = 0;  // the connection's total time held back by the peer's window
  std::size_t unacked_bytes = 0;      // written to the socket, not yet ACKed by the peer's kernel
  std::uint64_t bytes_acked = 0;      // the connection's bytes the peer's kernel has ACKed
};

// Reads TCP_INFO and SIOCOUTQ of a connected TCP socket (nothing when the kernel cannot say).
std::optional<LinkSample> read_link_sample(int fd);

class RateControl {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr auto kWindow = std::chrono::seconds(2);  // the samples'
  static constexpr double kHeadroom = 0.9;                  // of the estimate a frame may use
  // A backlog longer than the link drains in this: fewer frames, when they are fitted to the
  // link already. For kBacklogPersists: frames fitted to the link, when they were not.
  static constexpr double kSkipBacklogSeconds = 0.25, kJpegBacklogSeconds = 1.0;
  static constexpr auto kBacklogPersists = std::chrono::seconds(1);
  // Before the link's rate and the need are known, a tick is skipped while this much of the first
  // frame has not reached the receiver: more than a screen of text (a 1080p terminal's key frame
  // is about 0.5 MB), less than a screen of picture (8 MB), whose next frame would be as large.
  // By the next tick or two the kernel has measured the link, and the frames are fitted to it.
  static constexpr double kUnmeasuredBacklogBytes = 4e6;
  // Held back by the peer's window for at least this share of the time between two samples:
  // the receiver, not the link, is what is slow.
  static constexpr double kReceiverBoundShare = 0.5;

  RateControl(WireMode mode, double fps) : mode_(mode), fps_(fps) {}

  // io thread: a frame of `bytes` entered the spool; was ACKed by the receiver.
  void queued(std::uint64_t tick, std::size_t bytes);
  void acked(std::uint64_t tick);
  // io thread: the kernel's view of the connection, at each ACK, each frame sent and every 20 ms.
  void observe(const LinkSample& sample, Clock::time_point now);
  // The connection broke: the next one's kernel counters start again.
  void reset_link();

  // capture thread: how this frame's changes go (the encoder's WirePlan).
  FrameEncoder::WirePlan plan();
  // After the frame was made: what its changes took as LZ4 teaches the need.
  void learn(const EncodeStats& stats);
  // Skip this tick: frames are fitted to the link and it is backed up (longer than it drains in
  // kSkipBacklogSeconds), or the link is not measured yet (kUnmeasuredBacklogBytes).
  bool skip_tick();

  // The delivery-rate estimate, bytes per second (nothing until the link was full once).
  std::optional<double> bandwidth() const;
  std::size_t backlog_bytes() const;
  // Of the backlog, what the link has still to carry: the frames' bytes not ACKed by the
  // receiver, less those its kernel already holds (ACKed by its kernel, not yet by it).
  std::size_t link_backlog_bytes() const;
  // The last frame was fitted to the link (JPEG strips where they save most), or all JPEG.
  bool last_jpeg() const;
  // The newest sample said the frames wait on the receiver, not on the link.
  bool receiver_bound() const;

 private:
  std::optional<double> bandwidth_locked() const;

  mutable std::mutex mutex_;
  const WireMode mode_;
  const double fps_;
  std::map<std::uint64_t, std::size_t> unacked_;  // queued frames' bytes, until ACKed
  std::size_t backlog_ = 0;                       // their sum
  // This connection's bytes ACKed by the receiver's kernel (the newest sample's), and its
  // frames' bytes ACKed by the receiver: the difference waits in the receiver's kernel.
  std::uint64_t kernel_acked_ = 0, receiver_acked_ = 0;
  std::size_t link_backlog_locked() const;
  std::deque<std::pair<Clock::time_point, double>> samples_;  // delivery rates, newest last
  std::pair<std::uint64_t, double> last_sample_;  // the kernel's last one seen: bytes ACKed then, its rate
  std::optional<std::pair<Clock::time_point, std::uint64_t>> last_rwnd_;  // when, rwnd_limited_us
  bool receiver_bound_ = false;
  // Since when the link's backlog is longer than kJpegBacklogSeconds of it; whether for
  // kBacklogPersists.
  std::optional<Clock::time_point> jpeg_over_since_;
  bool jpeg_backed_up_ = false;
  // Bytes a frame's changes take as LZ4, moving average from the first frame measured (the first
  // after the key frame: a full-screen video's says at once that the link cannot take them).
  std::optional<double> need_;
  bool last_jpeg_ = false;  // the last plan was not kTiles
};

}  // namespace screenreel::capture

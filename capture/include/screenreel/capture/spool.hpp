// The capture client's spool: its one queue of encoded frames. Every frame enters it and leaves
// only once the receiver says it is stored (ACK's stored_tick) and no later frame builds on it.
// Its rules:
// - a (re)connection sends from the newest key frame at or before the first frame the receiver
//   does not hold (a fresh decoder needs it; the receiver decodes but does not store ticks it has);
// - the watermark: an ACK's stored_tick lets it forget what is stored, keeping the key frame the
//   rest builds on;
// - over its limit (--spool-mb) it drops its oldest run (a key frame and the frames up to the
//   next), counting each frame the receiver has not stored as lost; when only the newest run is
//   left, that goes too and the spool waits for a key frame (frames until then are lost);
// - a reconnection to a receiver of protocol 2, after frames were made with copy rectangles
//   (protocol 3): those frames, and the frames up to the next key frame that build on them,
//   cannot go to it; they are dropped (counted lost unless stored) and, when the newest frame
//   was one of them, the spool waits for a key frame.
// Used by the client's io thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

namespace screenreel::capture {

class Spool {
 public:
  using Bytes = std::shared_ptr<const std::vector<std::uint8_t>>;

  explicit Spool(std::size_t limit_bytes) : limit_(limit_bytes) {}

  enum class Added {
    kKept,                // spooled
    kKeptDroppingOldest,  // spooled, and the spool was full: its oldest run went (counted lost)
    kLost,                // builds on a dropped frame: not spooled, counted lost
  };
  // A frame from the capture thread, in tick order. `sending`: a connection is live, so the
  // frames before the next to send are on the wire and are not dropped. `copies`: it carries
  // copy rectangles (protocol 3 only).
  Added add(std::uint64_t tick, bool key, Bytes bytes, bool sending, bool copies = false);

  // ACK of frame `seq`: true the first time for a spooled frame (it leaves the window).
  bool acknowledge(std::uint64_t seq);
  // ACK's stored_tick: the receiver holds every frame up to `tick`.
  void stored_up_to(std::uint64_t tick);

  // A connection was welcomed; `receiver_last_tick` is the last tick the resumed session holds,
  // none for a new session (everything is sent). Sending starts at the newest key frame at or
  // before the first frame the receiver lacks; returns how many frames before that one are sent
  // again as the base of the others. Frames dropped as lost that the receiver turns out to hold
  // are no longer counted.
  std::size_t start_sending(std::optional<std::uint64_t> receiver_last_tick);

  struct Next {
    std::uint64_t tick;
    Bytes bytes;
    bool first_time;  // not sent on any connection before
  };
  // The next frame to send on the current connection, if any is left.
  std::optional<Next> take_next();
  bool all_sent() const { return next_send_ == frames_.size(); }
  // The tick of the next frame to send on the current connection, if any is left.
  std::optional<std::uint64_t> next_tick() const {
    return all_sent() ? std::nullopt : std::optional(frames_[next_send_].tick);
  }
  std::size_t to_send() const { return frames_.size() - next_send_; }

  // Frames from now on are lost until a key frame comes (nothing is left to build on).
  void await_key_frame();
  // The next connection speaks protocol 2: drops the frames with copies and those that build on
  // them (see the rules above); call before start_sending. Returns how many frames went.
  std::size_t drop_copies();
  // True once after the spool started waiting for a key frame: ask the capture thread for one.
  bool take_key_request();

  std::uint64_t unstored() const;  // frames the receiver has not confirmed
  std::uint32_t unacknowledged() const { return unacked_; }  // spooled, never acknowledged
  std::uint64_t lost() const { return lost_ticks_.size(); }
  std::size_t bytes() const { return bytes_; }
  std::size_t size() const { return frames_.size(); }
  bool empty() const { return frames_.empty(); }
  std::size_t limit() const { return limit_; }

 private:
  struct Frame {
    std::uint64_t tick = 0;
    bool key = false;
    Bytes bytes;
    bool acknowledged = false;
    bool sent_once = false;
    bool copies = false;
  };

  std::size_t first_after(std::uint64_t tick) const;
  std::size_t key_frame_for(std::size_t i) const;
  void erase_front(std::size_t n);
  bool make_room(bool sending);

  std::deque<Frame> frames_;
  std::size_t bytes_ = 0;
  const std::size_t limit_;
  std::size_t next_send_ = 0;      // index of the next frame to send on the current link
  std::uint64_t stored_tick_ = 0;  // the receiver holds every frame up to this tick
  std::vector<std::uint64_t>
      lost_ticks_;  // dropped from a full spool, the receiver not having them
  std::uint32_t unacked_ = 0;
  bool awaiting_key_ = false, key_requested_ = false;
};

}  // namespace screenreel::capture

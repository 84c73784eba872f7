// Where the receiver shows frames as they arrive: the live window (display.hpp), or nowhere
// with --no-display. Called from the network thread; implementations hand the frame over and
// return at once.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "screenreel/common/pixel_rect.hpp"

#include "screenreel/receiver/recorder.hpp"

namespace screenreel::receiver {

class FrameSink {
 public:
  virtual ~FrameSink() = default;
  virtual void session_started(std::int64_t session_id, const std::string& title) = 0;
  // `changed`: where the frame differs from the one before it on this connection (its FRAME's
  // rectangles). session_started() comes again when a session continues on a new connection.
  virtual void show(std::int64_t session_id, std::uint64_t frame_number, SharedFrame frame,
                    std::span<const PixelRect> changed) = 0;
  virtual void session_ended(std::int64_t session_id) = 0;
  // The session's client paused capture (protocol 4's PAUSE), or resumed it.
  virtual void session_paused(std::int64_t session_id, bool paused) = 0;
};

}  // namespace screenreel::receiver

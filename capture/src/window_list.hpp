// The top-level windows on screen and where they are, for protocol 6's WINDOWS (so that an
// export can black a window out): one small interface, the platform's implementation behind it
// (X11: x11_window_list.cpp). Read on the capture thread, cheaply: the platform says when
// something may have changed, and the list is read again at most every kMinInterval.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "screenreel/protocol/wire.hpp"

namespace screenreel::capture {

class WindowList {
 public:
  static constexpr std::chrono::milliseconds kMinInterval{500};
  virtual ~WindowList() = default;
  // The windows, bottom first, relative to the recorded area whose top left corner is at
  // `origin_x`, `origin_y` on the screen, when they differ from what the last call returned
  // (or `again`: the whole list once more, for a new connection); nullopt otherwise. Throws
  // std::runtime_error when the display is gone.
  virtual std::optional<std::vector<wire::WindowInfo>> changed(std::int64_t origin_x, std::int64_t origin_y,
                                                               bool again) = 0;
};

// The windows of X display `display` (empty: $DISPLAY), on a connection of their own. Throws
// std::runtime_error when the display cannot be used.
std::unique_ptr<WindowList> make_x11_window_list(const std::string& display);

}  // namespace screenreel::capture

// What the X11 source records, from --region, --monitor or --window (or none of them: the whole
// screen), checked against the display once, when the source is made.
#pragma once

#include <xcb/xcb.h>

#include <optional>
#include <string>

#include "screenreel/capture/source.hpp"
#include "x11_display.hpp"

namespace screenreel::capture {

struct Target {
  Rect area;  // root coordinates; for a window, where its inside was at the start
  std::uint32_t width = 0, height = 0;  // the frame size; for a window, kept while it resizes
  std::optional<xcb_window_t> window;   // follow this window on every grab
  std::string label;  // for describe(): "" (whole screen), "region 640x480+10+10", ...
};

// Throws std::invalid_argument with a message naming the option, the value, and what the
// display has (its screen size, its monitors, the windows that fit).
Target choose_target(const X11Display& display, const SourceOptions& options);

}  // namespace screenreel::capture

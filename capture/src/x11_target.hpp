// What the X11 source records, from --region, --monitor or --window (or none of them: the whole
// screen), checked against the display once, when the source is made.
#pragma once

#include <xcb/xcb.h>

#include <optional>
#include <string>

#include "screenreel/capture/source.hpp"
#include "x11_names.hpp"

namespace screenreel::capture {

struct Target {
  enum class Kind { kScreen, kRegion, kMonitor, kWindow } kind = Kind::kScreen;
  Rect area;  // root coordinates; for a window, where its inside was at the start
  std::uint32_t width = 0, height = 0;  // the frame size; for a window, kept while it resizes
  std::optional<xcb_window_t> window;   // follow this window on every grab
  std::string label;    // for describe(): "" (whole screen), "region 640x480+10+10", ...
  std::string monitor;  // the monitor's name, to find it again after RandR changes the layout
};

// Throws std::invalid_argument with a message naming the option, the value, and what the
// display has (its screen size, its monitors, the windows that fit).
Target choose_target(const X11Display& display, const SourceOptions& options);

// What `target` becomes once RandR has changed the screen (display.screen_rect() is the new
// size): the whole screen is the new screen; a monitor is the monitor of the same name, at its
// new place and size; a region or a window is unchanged (the part now off screen is recorded
// black). Throws SourceGone when the monitor no longer exists or the region lies wholly outside
// the new screen: what was asked for cannot be recorded any more.
Target refit_target(const X11Display& display, const Target& target);

}  // namespace screenreel::capture

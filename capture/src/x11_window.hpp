// Windows for --window: finding one by id or by title (a walk of the window tree), and asking
// each grab where it is now, so the recording follows it when it moves. And the top-level
// windows with their places and titles, for the WINDOWS message (protocol 6).
#pragma once

#include <xcb/xcb.h>

#include <optional>
#include <string>
#include <vector>

#include "x11_names.hpp"

namespace screenreel::capture {

struct FoundWindow {
  xcb_window_t id = 0;
  std::string title;  // _NET_WM_NAME, else WM_NAME; may be empty
};

// `spec`: a window id (0x1a00003, or decimal) or part of a title, compared without regard to
// ASCII case, among the windows shown on screen. Throws std::invalid_argument when no window, or
// more than one, fits (naming the candidates and how to find ids); the message starts with
// `option` and `spec` ("--window xterm: ...").
FoundWindow find_window(const X11Display& display, const std::string& spec,
                        const std::string& option = "--window");

struct WindowPlace {
  Rect area;              // its inside (without the border), in root coordinates
  bool viewable = false;  // it and all its ancestors are mapped (not minimized or hidden)
};

// Where `window` is now: three requests sent together, so one round trip. nullopt once the
// window no longer exists. Throws std::runtime_error for any other failure.
std::optional<WindowPlace> locate_window(const X11Display& display, xcb_window_t window);

struct TopLevelWindow {
  xcb_window_t id = 0;
  WindowPlace place;  // the client's inside, in root coordinates
  std::string title;  // _NET_WM_NAME, else WM_NAME; may be empty
};

// The top-level windows, bottom of the stacking order first: the window manager's
// _NET_CLIENT_LIST_STACKING when it keeps one, else the root's mapped children. Every window's
// requests are sent before any answer is read (a few round trips for the whole desktop); a
// window that vanished meanwhile is left out. Throws std::runtime_error when the display is gone.
std::vector<TopLevelWindow> top_level_windows(const X11Display& display);

}  // namespace screenreel::capture

// The X server's notes that the screen changed under a recording: RandR's ScreenChangeNotify
// (a new size) and CRTC changes (a monitor moved or changed mode), and a ConfigureNotify of the
// root window, which is how RandR 1.5 says that a monitor was defined or deleted (xrandr
// --setmonitor, --delmonitor). The X11 source reads them from its event queue and, at its next
// grab, asks the server what the screen is now.
#pragma once

#include <xcb/xcb.h>

#include <cstdint>
#include <utility>

#include "x11_names.hpp"

namespace screenreel::capture {

class ScreenWatch {
 public:
  explicit ScreenWatch(const X11Display& display) : display_(display) {}

  // Selects the events. Without RandR the size cannot change; a read that fails checks it anyway.
  void start();
  // Looks at one event from the connection's queue; true if it was one of ours.
  bool handle(const xcb_generic_event_t* event);
  // Something changed since the last take(): clears the note.
  bool take() { return std::exchange(changed_, false); }

 private:
  const X11Display& display_;
  std::uint8_t randr_events_ = 0;  // RandR's first event code; 0 when RandR is not watched
  bool changed_ = false;
};

}  // namespace screenreel::capture

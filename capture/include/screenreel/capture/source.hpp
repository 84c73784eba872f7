// The interface every screen capture backend implements (X11 MIT-SHM, PipeWire through the
// ScreenCast portal; DXGI or ScreenCaptureKit later; the test pattern always). Nothing above it
// knows which one runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "screenreel/common/pixel_rect.hpp"

namespace screenreel::capture {

// One grabbed frame, BGRX8888 (4 bytes a pixel, blue first, 4th byte unspecified). The pixels
// belong to the source and stay valid until its next grab(); the source may write into that
// buffer itself (the X11 source draws the cursor into it), so keep no pointer across grabs.
struct FrameRef {
  const std::uint8_t* pixels = nullptr;
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::size_t stride = 0;  // bytes from one row to the next
  // Where this frame may differ from the one this source's previous grab() returned, when the
  // source knows (the X11 source, from X DAMAGE and the cursor): outside these rectangles the
  // pixels are the same. Empty: nothing changed (the X11 source then skips reading the screen
  // and hands out the previous frame's pixels again). nullopt: anything may have changed (the
  // first frame, a new size, a source that cannot tell). Made for FrameEncoder::encode; valid,
  // like the pixels, until the next grab().
  std::optional<std::span<const PixelRect>> changed;
  // Where the frame's top left corner is on the screen (X root coordinates) for a source that
  // records part of one (x11: a region, a monitor, a window where it is now); else 0, 0.
  std::int64_t screen_x = 0, screen_y = 0;
};

class FrameSource {
 public:
  virtual ~FrameSource() = default;
  virtual std::uint32_t width() const = 0;
  virtual std::uint32_t height() const = 0;
  // What is captured, for the session's catalog row and the user ("x11 :0 1920x1080 shm",
  // "x11 :0 window 0x1a00003 \"xterm\" 484x316 shm cursor", "pipewire portal monitor node 42
  // 1920x1080 BGRx shm cursor"); its first word names the source.
  virtual std::string describe() const = 0;
  // Reads the current pixels. `tick` is the capture tick number (0, 1, 2, ...); only
  // deterministic sources use it. Throws SourceGone when what it records has ended normally
  // (the recorded window was closed), std::runtime_error when it failed (the X server is gone).
  virtual FrameRef grab(std::uint64_t tick) = 0;
};

// grab() found that what it records is gone for good, as a user would end it: the window being
// recorded was closed. The recording should end cleanly (not as an error), keeping what it has.
// what(): "window 0x1a00003 closed".
class SourceGone : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SourceOptions {
  // "auto" (resolve_source_kind), "x11", "pipewire" or "test-pattern".
  std::string kind = "auto";
  std::string display;           // X display name; empty: $DISPLAY
  std::uint32_t width = 1280;    // test-pattern only
  std::uint32_t height = 720;    // test-pattern only
  double fps = 30;               // test-pattern only: how far the pattern moves per tick

  // What part of the screen to record; at most one of the three, none: the whole screen.
  // x11: checked against the display when the source is made.
  // pipewire: the desktop's dialog chooses; monitor or window "ask" says which kind of source to
  // ask the portal for (none: a monitor); region is not possible.
  std::string region;   // "X,Y,W,H" in screen pixels, inside the screen
  std::string monitor;  // a RandR monitor: its index in list_x11_monitors() or its name
  std::string window;   // a window id (0x1a00003 or decimal) or part of its title; followed as
                        // it moves, frames keep its first size; closing it ends the recording
  // x11 and pipewire: draw the mouse pointer (x11: the XFixes cursor image; pipewire: the
  // portal's embedded cursor, where offered) into the frames. Off here so that a library caller
  // gets exactly the screen's pixels (and zero-copy grabs); screenreel-capture turns it on unless
  // --no-cursor.
  bool cursor = false;
};

// Throws std::runtime_error with a message that says what to do ("cannot open X display :5:
// is an X server running there? Use --display or --source test-pattern").
std::unique_ptr<FrameSource> make_source(const SourceOptions& options);

// The source `options.kind` names; "auto" is "x11" when a display is given, else "pipewire" in a
// Wayland session (XDG_SESSION_TYPE=wayland or WAYLAND_DISPLAY set), else "x11".
std::string resolve_source_kind(const SourceOptions& options);

// A Wayland desktop (or one window) through the xdg-desktop-portal ScreenCast interface and a
// PipeWire stream (BGRx, BGRA, RGBx or RGBA, in shared memory or DMA-BUF). The first run may show
// the desktop's dialog; its choice is kept as a restore token under $XDG_STATE_HOME/screenreel/
// (mode 0600) and restored by later runs without asking. A buffer-less tick is a still screen;
// the buffers' damage says where the screen changed; a new size (an output's mode, a window
// resized) gives frames of the new size. Throws std::runtime_error saying what to do when there
// is no session bus, portal or PipeWire, or the dialog was refused; SourceGone from grab() when
// the screen cast is stopped (the user ended the share).
std::unique_ptr<FrameSource> make_pipewire_source(const SourceOptions& options);

// Deterministic: the same tick always gives the same pixels, so tests can regenerate any frame.
std::unique_ptr<FrameSource> make_test_pattern(std::uint32_t width, std::uint32_t height, double fps);

// XCB with MIT-SHM (one shared segment reused for every grab); falls back to xcb_get_image
// when the server has no MIT-SHM, and says so once on stderr. With X DAMAGE it reads the screen
// only when something was drawn there (or the cursor moved) and says where (FrameRef::changed);
// without it every grab reads everything. It follows a RandR resize of the screen: the frames
// of the whole screen, or of a monitor, take the new size (a region or window keeps its size,
// black where it is now off screen). The first form records the whole
// screen without the cursor; the second honours options.region, monitor, window and cursor
// (options.kind is not looked at). Throws std::invalid_argument for a region, monitor or window
// that does not fit the display (the message names the screen size or what exists), and
// std::runtime_error when the display cannot be used.
std::unique_ptr<FrameSource> make_x11_source(const std::string& display);
std::unique_ptr<FrameSource> make_x11_source(const SourceOptions& options);

// One RandR 1.5 monitor (a physical screen, or one defined with xrandr --setmonitor).
struct MonitorInfo {
  std::uint32_t index = 0;  // what --monitor N takes: the position in the server's list
  std::string name;         // what --monitor NAME takes ("DP-1", "HDMI-A-0")
  std::int32_t x = 0, y = 0;
  std::uint32_t width = 0, height = 0;
  bool primary = false;
};

// The display's monitors, in the server's order. Throws std::runtime_error when the display
// cannot be opened or has no RandR 1.5.
std::vector<MonitorInfo> list_x11_monitors(const std::string& display);
// What screenreel-capture --list-monitors prints: a line per monitor, "0  DP-1  1920x1080+0+0
// primary", names padded to one width.
std::string format_monitors(const std::vector<MonitorInfo>& monitors);

}  // namespace screenreel::capture

// An open X display as the X11 code uses it (the capture source, and the receiver's live
// window): the XCB connection (RAII), its screen, the check that the screen's pixels are BGRX,
// and the small helpers every X11 file shares.
#pragma once

#include <xcb/xcb.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "screenreel/x11/rect.hpp"

namespace screenreel::x11 {

struct Disconnect {
  void operator()(xcb_connection_t* c) const { xcb_disconnect(c); }
};
using Connection = std::unique_ptr<xcb_connection_t, Disconnect>;

// XCB replies and errors are malloc'd.
struct Free {
  void operator()(void* p) const { std::free(p); }
};
template <typename T>
using Reply = std::unique_ptr<T, Free>;

// X protocol error codes the capture code tells apart.
inline constexpr std::uint8_t kBadWindow = 3;
inline constexpr std::uint8_t kBadDrawable = 9;

// A connection to `display` (empty: $DISPLAY) that asks nothing of its screen: enough for a
// program that opens a window through a toolkit. Throws std::runtime_error when there is no
// display or it cannot be reached; the message ends with `advice`.
struct DisplayConnection {
  Connection conn;
  std::string name;       // the display's name, as used
  int screen_number = 0;  // the screen the name asks for
};
DisplayConnection connect_display(const std::string& display, const std::string& advice);

class X11Display {
 public:
  // Connects to `display` (empty: $DISPLAY). Throws std::runtime_error when there is no display,
  // it cannot be reached, or the screen is not a 24/32-bit BGRX one; the message ends with
  // `advice` (what the user can do instead).
  explicit X11Display(const std::string& display,
                      const std::string& advice = "Use --display, or --source test-pattern");
  xcb_screen_t* screen() const { return const_cast<xcb_screen_t*>(screen_); }

  xcb_connection_t* conn() const { return conn_.get(); }
  const std::string& name() const { return name_; }
  xcb_window_t root() const { return screen_->root; }
  // The whole screen, at 0,0: its size at connection time, until refresh_screen_size() finds
  // that RandR changed it.
  Rect screen_rect() const { return Rect{0, 0, screen_width_, screen_height_}; }
  // Asks the server for the root window's size now (one round trip); true if it changed. Throws
  // std::runtime_error when the server is gone.
  bool refresh_screen_size();
  bool broken() const { return xcb_connection_has_error(conn_.get()) != 0; }
  // "X display :0 closed the connection (X server gone?)".
  std::string closed_message() const;
  // The atom for `name`. Without `create`, XCB_ATOM_NONE if the server has none yet.
  xcb_atom_t atom(const char* name, bool create = false) const;

 private:
  void check_bgrx(const xcb_setup_t* setup, const std::string& advice) const;

  Connection conn_;
  std::string name_;
  const xcb_screen_t* screen_ = nullptr;                // inside the connection's setup data
  std::uint16_t screen_width_ = 0, screen_height_ = 0;  // now (setup data keeps the first size)
};

// 0x1a00003: how xwininfo and xdotool print window ids.
std::string hex_id(std::uint32_t id);

}  // namespace screenreel::x11

// The live window's platform part: top-level X11 windows, each showing a BGRX picture that the
// X server reads from shared memory (MIT-SHM), drawn only where it changed, as a VNC viewer
// draws damaged rectangles. Nothing stands between the picture and the server: no toolkit, no
// conversion of the pixels (the server's own format is BGRX), no copy of the whole picture for
// each frame. Without MIT-SHM (a remote display) the changed rectangles go through the socket.
#pragma once

#include <xcb/xcb.h>

#include <cstdint>
#include <map>
#include <opencv2/core.hpp>
#include <span>
#include <string>
#include <vector>

#include "screenreel/x11/display.hpp"
#include "screenreel/x11/shm_segment.hpp"
#include "screenreel/common/pixel_rect.hpp"

namespace screenreel::receiver {

class X11Windows {
 public:
  using Id = xcb_window_t;

  // Connects to $DISPLAY. Throws std::runtime_error saying why, and what to do instead.
  X11Windows();
  ~X11Windows();
  X11Windows(const X11Windows&) = delete;
  X11Windows& operator=(const X11Windows&) = delete;

  // A new window titled `title`, the size of the pictures it will show, on screen.
  Id create(const std::string& title, int width, int height);
  // Names window `id` `title` (its title bar, WM_NAME and _NET_WM_NAME).
  void set_title(Id id, const std::string& title);
  // Window `id` shows `rects` of `picture` (BGRX, CV_8UC4) from now on; a picture of another
  // size resizes the window (and shows all of it).
  void draw(Id id, const cv::Mat& picture, std::span<const PixelRect> rects);
  void destroy(Id id);
  // Sends what was drawn to the server.
  void flush();
  // Handles the events that came, without waiting: a window uncovered is drawn again from its
  // picture; one the user closed goes (see take_closed). Returns the character of a key
  // pressed in a window ('q'), or -1.
  int poll();
  // The windows the user closed since the last call; they no longer exist.
  std::vector<Id> take_closed();

 private:
  struct Window {
    int width = 0, height = 0;
    x11::ShmSegment shm;              // the picture, shared with the server
    std::vector<std::uint8_t> unshared;   // the picture, when the server cannot share memory
    std::uint8_t* pixels() { return shm.attached() ? shm.data() : unshared.data(); }
  };
  void allocate(Id id, Window& w, int width, int height);
  void put(Id id, Window& w, const PixelRect& r);
  void load_keymap();

  x11::X11Display display_;
  xcb_gcontext_t gc_ = 0;
  xcb_atom_t wm_protocols_ = 0, wm_delete_window_ = 0, net_wm_name_ = 0, utf8_string_ = 0;
  std::uint8_t min_keycode_ = 0;
  std::uint8_t keysyms_per_keycode_ = 0;
  std::vector<std::uint32_t> keysyms_;
  std::size_t max_request_bytes_ = 0;
  std::map<Id, Window> windows_;  // after display_: destroyed first, while the connection lives
  std::vector<Id> closed_;
};

}  // namespace screenreel::receiver

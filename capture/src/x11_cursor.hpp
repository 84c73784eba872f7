// The mouse pointer in the frames: the real cursor image (XFixes GetCursorImage, ARGB with
// premultiplied alpha, the theme's or the application's) alpha-blended onto the grabbed pixels.
// X servers leave the cursor out of GetImage, as a screen recorder would want it otherwise.
#pragma once

#include <xcb/xfixes.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "x11_display.hpp"

namespace screenreel::capture {

class CursorOverlay {
 public:
  explicit CursorOverlay(const X11Display& display) : display_(display) {}
  ~CursorOverlay() { forget(); }
  CursorOverlay(const CursorOverlay&) = delete;
  CursorOverlay& operator=(const CursorOverlay&) = delete;

  // Returns why the cursor cannot be drawn (no XFixes 2 or later), or "" once it can.
  std::string start();

  // Asks for the cursor's image and position; send it before the pixels are read, so both
  // travel in one round trip.
  void request();
  // Draws the cursor asked for by request() into `frame` (BGRX, `width` x `height`, rows
  // `stride` bytes apart), whose top left pixel is at `origin` in root coordinates. Only the
  // cursor's own rectangle is touched. Does nothing without a request, or if the request failed.
  void draw(std::uint8_t* frame, std::size_t stride, std::uint32_t width, std::uint32_t height,
            std::int64_t origin_x, std::int64_t origin_y);

 private:
  void forget();  // drops an unread reply, so XCB does not keep it queued

  const X11Display& display_;
  std::optional<xcb_xfixes_get_cursor_image_cookie_t> pending_;
};

// Blends `argb` (premultiplied alpha, `cursor_width` x `cursor_height`, top left at x, y in the
// frame's coordinates; any part outside the frame is left out) onto a BGRX frame:
// out = cursor + frame * (255 - alpha) / 255.
void blend_cursor(const std::uint32_t* argb, std::uint32_t cursor_width,
                  std::uint32_t cursor_height, std::int64_t x, std::int64_t y, std::uint8_t* frame,
                  std::size_t stride, std::uint32_t width, std::uint32_t height);

}  // namespace screenreel::capture

// The mouse pointer in the frames: the real cursor image (XFixes GetCursorImage, ARGB with
// premultiplied alpha, the theme's or the application's) alpha-blended onto the grabbed pixels.
// X servers leave the cursor out of GetImage, as a screen recorder would want it otherwise.
#pragma once

#include <xcb/xfixes.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "screenreel/common/result.hpp"
#include "x11_names.hpp"

namespace screenreel::capture {

class CursorOverlay {
 public:
  explicit CursorOverlay(const X11Display& display) : display_(display) {}
  ~CursorOverlay() { forget(); }
  CursorOverlay(const CursorOverlay&) = delete;
  CursorOverlay& operator=(const CursorOverlay&) = delete;

  // Returns why the cursor cannot be drawn (no XFixes 2 or later), or "" once it can.
  Result<void> start();

  // Asks for the cursor's image and position. fetch() reads the answer: send other requests in
  // between and they share the round trip.
  void request();
  void fetch();
  // The fetched cursor differs from the one last drawn (it moved, or has another image), so the
  // frame must be read again even if nothing was drawn on the screen.
  bool changed() const { return fetched_ != drawn_; }
  // Where the cursor was last drawn and where the fetched one goes, in root coordinates (empty
  // when there is none): what a frame with the cursor moved differs in.
  Rect drawn_area() const { return drawn_ ? drawn_->area : Rect{}; }
  Rect fetched_area() const { return fetched_ ? fetched_->area : Rect{}; }
  // Draws the fetched cursor into `frame` (BGRX, `width` x `height`, rows `stride` bytes
  // apart), whose top left pixel is at `origin` in root coordinates. Only the cursor's own
  // rectangle is touched. Draws nothing if nothing was fetched, or the request failed.
  void draw(std::uint8_t* frame, std::size_t stride, std::uint32_t width, std::uint32_t height,
            std::int64_t origin_x, std::int64_t origin_y);

 private:
  void forget();  // drops an unread reply, so XCB does not keep it queued

  // What tells two cursors apart on screen: its rectangle and image (the server numbers each
  // image it hands out).
  struct Shape {
    Rect area;
    std::uint32_t serial = 0;
    bool operator==(const Shape&) const = default;
  };

  const X11Display& display_;
  std::optional<xcb_xfixes_get_cursor_image_cookie_t> pending_;
  Reply<xcb_xfixes_get_cursor_image_reply_t> image_;  // the fetched answer
  std::optional<Shape> fetched_, drawn_;
};

// Blends `argb` (premultiplied alpha, `cursor_width` x `cursor_height`, top left at x, y in the
// frame's coordinates; any part outside the frame is left out) onto a BGRX frame:
// out = cursor + frame * (255 - alpha) / 255.
void blend_cursor(const std::uint32_t* argb, std::uint32_t cursor_width,
                  std::uint32_t cursor_height, std::int64_t x, std::int64_t y, std::uint8_t* frame,
                  std::size_t stride, std::uint32_t width, std::uint32_t height);

}  // namespace screenreel::capture

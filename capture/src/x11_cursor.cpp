// Drawing the XFixes cursor image into frames (see x11_cursor.hpp).
#include "x11_cursor.hpp"

#include <algorithm>

namespace screenreel::capture {

Result<void> CursorOverlay::start() {
  xcb_connection_t* c = display_.conn();
  const xcb_query_extension_reply_t* ext = xcb_get_extension_data(c, &xcb_xfixes_id);
  if (!ext || !ext->present) return Error{"the X server has no XFIXES extension"};
  // XFixes requests are refused until the client has said which version it speaks.
  Reply<xcb_xfixes_query_version_reply_t> version(xcb_xfixes_query_version_reply(
      c, xcb_xfixes_query_version(c, XCB_XFIXES_MAJOR_VERSION, XCB_XFIXES_MINOR_VERSION), nullptr));
  if (!version) return Error{"XFIXES QueryVersion failed"};
  if (version->major_version < 1) return Error{"the X server's XFIXES is older than version 1"};
  return {};
}

void CursorOverlay::request() {
  forget();
  pending_ = xcb_xfixes_get_cursor_image(display_.conn());
}

void CursorOverlay::forget() {
  if (pending_) xcb_discard_reply(display_.conn(), pending_->sequence);
  pending_.reset();
}

void CursorOverlay::fetch() {
  image_.reset();
  fetched_.reset();
  if (!pending_) return;
  const auto cookie = *pending_;
  pending_.reset();
  // A failure here (the server refused, or is gone) only costs the cursor in this frame; the
  // next grab notices a lost connection and says so.
  Reply<xcb_xfixes_get_cursor_image_reply_t> r(
      xcb_xfixes_get_cursor_image_reply(display_.conn(), cookie, nullptr));
  if (!r || r->width == 0 || r->height == 0) return;
  const auto pixels =
      static_cast<std::size_t>(xcb_xfixes_get_cursor_image_cursor_image_length(r.get()));
  if (pixels < std::size_t{r->width} * r->height) return;
  fetched_ =
      Shape{Rect{std::int64_t{r->x} - r->xhot, std::int64_t{r->y} - r->yhot, r->width, r->height},
            r->cursor_serial};
  image_ = std::move(r);
}

void CursorOverlay::draw(std::uint8_t* frame, std::size_t stride, std::uint32_t width,
                         std::uint32_t height, std::int64_t origin_x, std::int64_t origin_y) {
  drawn_ = fetched_;
  if (!image_) return;
  blend_cursor(xcb_xfixes_get_cursor_image_cursor_image(image_.get()), image_->width,
               image_->height, fetched_->area.x - origin_x, fetched_->area.y - origin_y, frame,
               stride, width, height);
}

void blend_cursor(const std::uint32_t* argb, std::uint32_t cursor_width,
                  std::uint32_t cursor_height, std::int64_t x, std::int64_t y, std::uint8_t* frame,
                  std::size_t stride, std::uint32_t width, std::uint32_t height) {
  const std::int64_t x0 = std::max<std::int64_t>(x, 0), y0 = std::max<std::int64_t>(y, 0);
  const std::int64_t x1 = std::min<std::int64_t>(x + cursor_width, width);
  const std::int64_t y1 = std::min<std::int64_t>(y + cursor_height, height);
  for (std::int64_t fy = y0; fy < y1; ++fy) {
    const std::uint32_t* src = argb + static_cast<std::size_t>(fy - y) * cursor_width;
    std::uint8_t* dst = frame + static_cast<std::size_t>(fy) * stride;
    for (std::int64_t fx = x0; fx < x1; ++fx) {
      const std::uint32_t p = src[fx - x];
      const std::uint32_t alpha = p >> 24;
      if (alpha == 0) continue;
      std::uint8_t* d = dst + static_cast<std::size_t>(fx) * 4;
      const std::uint32_t keep = 255 - alpha;
      for (int ch = 0; ch < 3; ++ch) {  // B, G, R: the cursor's bits 0-7, 8-15, 16-23
        const std::uint32_t under = d[ch] * keep + 128;  // d * keep / 255, rounded
        const std::uint32_t v = ((p >> (8 * ch)) & 0xff) + ((under + (under >> 8)) >> 8);
        d[ch] = static_cast<std::uint8_t>(std::min<std::uint32_t>(v, 255));
      }
    }
  }
}

}  // namespace screenreel::capture

// Opening an X display (see x11_display.hpp).
#include "screenreel/x11/display.hpp"

#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace screenreel::x11 {
namespace {

// Why xcb_connect failed, as advice. XCB_CONN_ERROR covers both "nothing listens there" and
// "the server refused us", which XCB does not tell apart.
std::string connection_problem(int code) {
  switch (code) {
    case XCB_CONN_ERROR:
      return "is an X server running there (and does $XAUTHORITY let you in)?";
    case XCB_CONN_CLOSED_PARSE_ERR:
      return "that is not a display name like :0, :0.0 or host:0.";
    case XCB_CONN_CLOSED_INVALID_SCREEN:
      return "the display has no such screen.";
    case XCB_CONN_CLOSED_MEM_INSUFFICIENT:
      return "out of memory.";
    default:
      return "XCB connection error " + std::to_string(code) + ".";
  }
}

}  // namespace

DisplayConnection connect_display(const std::string& display, const std::string& advice) {
  const char* env = std::getenv("DISPLAY");
  DisplayConnection c;
  c.name = !display.empty() ? display : (env ? env : "");
  if (c.name.empty()) throw std::runtime_error("no X display: $DISPLAY is not set. " + advice);
  c.conn.reset(xcb_connect(c.name.c_str(), &c.screen_number));  // never null; errors are in-band
  if (const int code = xcb_connection_has_error(c.conn.get()))
    throw std::runtime_error("cannot open X display '" + c.name + "': " + connection_problem(code) +
                             " " + advice);
  return c;
}

X11Display::X11Display(const std::string& display, const std::string& advice) {
  DisplayConnection c = connect_display(display, advice);
  conn_ = std::move(c.conn);
  name_ = std::move(c.name);
  const int screen_number = c.screen_number;
  const xcb_setup_t* setup = xcb_get_setup(conn_.get());
  auto it = xcb_setup_roots_iterator(setup);
  for (int i = 0; i < screen_number && it.rem; ++i) xcb_screen_next(&it);
  if (!it.rem)
    throw std::runtime_error("X display '" + name_ + "' has no screen " +
                             std::to_string(screen_number) +
                             ": use a display name like :0 or :0.0. " + advice);
  screen_ = it.data;
  screen_width_ = screen_->width_in_pixels;
  screen_height_ = screen_->height_in_pixels;
  check_bgrx(setup, advice);
}

bool X11Display::refresh_screen_size() {
  Reply<xcb_get_geometry_reply_t> g(
      xcb_get_geometry_reply(conn(), xcb_get_geometry(conn(), root()), nullptr));
  if (!g) {
    if (broken()) throw std::runtime_error(closed_message());
    return false;
  }
  const bool changed = g->width != screen_width_ || g->height != screen_height_;
  screen_width_ = g->width;
  screen_height_ = g->height;
  return changed;
}

std::string X11Display::closed_message() const {
  return "X display " + name_ + " closed the connection (X server gone?)";
}

xcb_atom_t X11Display::atom(const char* name, bool create) const {
  Reply<xcb_intern_atom_reply_t> r(xcb_intern_atom_reply(
      conn(), xcb_intern_atom(conn(), create ? 0 : 1, static_cast<std::uint16_t>(std::strlen(name)), name),
      nullptr));
  return r ? r->atom : xcb_atom_t{XCB_ATOM_NONE};
}

// The frame format promised to everything above is BGRX in 4 bytes; refuse anything else rather
// than hand out garbled pixels.
void X11Display::check_bgrx(const xcb_setup_t* setup, const std::string& advice) const {
  const std::string hint =
      "; screenreel works with 24/32-bit little-endian (BGRX) screens only. Run the X server "
      "at depth 24 (for Xvfb: -screen 0 WxHx24). " + advice;
  const int depth = screen_->root_depth;
  if (depth != 24 && depth != 32)
    throw std::runtime_error("X display '" + name_ + "' has depth " + std::to_string(depth) + hint);
  if (setup->image_byte_order != XCB_IMAGE_ORDER_LSB_FIRST)
    throw std::runtime_error("X display '" + name_ + "' sends images big-endian" + hint);
  int bpp = 0;
  for (auto f = xcb_setup_pixmap_formats_iterator(setup); f.rem; xcb_format_next(&f))
    if (f.data->depth == depth) bpp = f.data->bits_per_pixel;
  if (bpp != 32)
    throw std::runtime_error("X display '" + name_ + "' stores depth " + std::to_string(depth) +
                             " in " + std::to_string(bpp) + " bits a pixel" + hint);
  for (auto d = xcb_screen_allowed_depths_iterator(screen_); d.rem; xcb_depth_next(&d))
    for (auto v = xcb_depth_visuals_iterator(d.data); v.rem; xcb_visualtype_next(&v))
      if (v.data->visual_id == screen_->root_visual &&
          (v.data->red_mask != 0xff0000 || v.data->green_mask != 0xff00 ||
           v.data->blue_mask != 0xff))
        throw std::runtime_error("X display '" + name_ +
                                 "' has colour masks other than 8 bits each as R, G, B" + hint);
}

std::string hex_id(std::uint32_t id) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%x", id);
  return buf;
}

}  // namespace screenreel::x11

// Known pictures on an X screen (see screen_painter.hpp).
#include "support/screen_painter.hpp"

#include "screenreel/capture/test_pattern.hpp"

#include <unistd.h>
#include <xcb/xcb.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

namespace screenreel::test {

ScreenPainter::ScreenPainter(const std::string& display) {
  conn_ = xcb_connect(display.c_str(), nullptr);
  if (xcb_connection_has_error(conn_)) {
    xcb_disconnect(conn_);
    conn_ = nullptr;
    throw std::runtime_error("ScreenPainter: cannot connect to " + display);
  }
  xcb_screen_t* screen = xcb_setup_roots_iterator(xcb_get_setup(conn_)).data;
  width_ = screen->width_in_pixels;
  height_ = screen->height_in_pixels;
  window_ = xcb_generate_id(conn_);
  const std::uint32_t values[] = {screen->black_pixel, 1};  // back pixel, override-redirect
  xcb_create_window(conn_, XCB_COPY_FROM_PARENT, window_, screen->root, 0, 0, static_cast<std::uint16_t>(width_),
                    static_cast<std::uint16_t>(height_), 0, XCB_WINDOW_CLASS_INPUT_OUTPUT, screen->root_visual,
                    XCB_CW_BACK_PIXEL | XCB_CW_OVERRIDE_REDIRECT, values);
  // Whose window it is (_NET_WM_PID), as applications say: scene.sh waits for a scene's
  // programs' windows by it.
  const char kPid[] = "_NET_WM_PID";
  if (xcb_intern_atom_reply_t* atom =
          xcb_intern_atom_reply(conn_, xcb_intern_atom(conn_, 0, sizeof kPid - 1, kPid), nullptr)) {
    const std::uint32_t pid = static_cast<std::uint32_t>(getpid());
    xcb_change_property(conn_, XCB_PROP_MODE_REPLACE, window_, atom->atom, XCB_ATOM_CARDINAL, 32, 1, &pid);
    free(atom);
  }
  pixmap_ = xcb_generate_id(conn_);
  xcb_create_pixmap(conn_, screen->root_depth, pixmap_, window_, static_cast<std::uint16_t>(width_),
                    static_cast<std::uint16_t>(height_));
  gc_ = xcb_generate_id(conn_);
  xcb_create_gc(conn_, gc_, pixmap_, 0, nullptr);
  xcb_map_window(conn_, window_);
  xcb_flush(conn_);
}

ScreenPainter::~ScreenPainter() {
  if (!conn_) return;
  xcb_free_gc(conn_, gc_);
  xcb_free_pixmap(conn_, pixmap_);
  xcb_destroy_window(conn_, window_);
  xcb_flush(conn_);
  xcb_disconnect(conn_);
}

void ScreenPainter::show(const std::vector<std::uint8_t>& bgrx) { show_part(bgrx, 0, 0, width_, height_); }

void ScreenPainter::show_part(const std::vector<std::uint8_t>& bgrx, std::uint32_t x, std::uint32_t y,
                              std::uint32_t w, std::uint32_t h) {
  if (bgrx.size() != std::size_t{width_} * height_ * 4) throw std::invalid_argument("ScreenPainter: wrong image size");
  // Strips small enough for any request size limit; they go to the pixmap, not the screen.
  const std::uint32_t rows = std::max<std::uint32_t>(1, (200 * 1024) / (width_ * 4));
  for (std::uint32_t row = 0; row < height_; row += rows) {
    const std::uint32_t n = std::min(rows, height_ - row);
    xcb_put_image(conn_, XCB_IMAGE_FORMAT_Z_PIXMAP, pixmap_, gc_, static_cast<std::uint16_t>(width_),
                  static_cast<std::uint16_t>(n), 0, static_cast<std::int16_t>(row), 0, 24, width_ * n * 4,
                  bgrx.data() + std::size_t{row} * width_ * 4);
  }
  xcb_copy_area(conn_, pixmap_, window_, gc_, static_cast<std::int16_t>(x), static_cast<std::int16_t>(y),
                static_cast<std::int16_t>(x), static_cast<std::int16_t>(y), static_cast<std::uint16_t>(w),
                static_cast<std::uint16_t>(h));
  // A round trip: when it returns, the server has executed everything before it.
  free(xcb_get_input_focus_reply(conn_, xcb_get_input_focus(conn_), nullptr));
}

std::vector<std::uint8_t> make_picture(std::uint32_t width, std::uint32_t height, int variant) {
  // The capture test pattern, a few seconds apart per variant: scrolled text, a moved box.
  std::vector<std::uint8_t> img(std::size_t{width} * height * 4);
  capture::render_test_pattern(width, height, 1.0, static_cast<std::uint64_t>(variant) * 3, img.data());
  return img;
}

double psnr_bgr_vs_bgrx(const std::vector<std::uint8_t>& bgr, const std::vector<std::uint8_t>& bgrx) {
  if (bgr.size() / 3 != bgrx.size() / 4) return 0;
  double se = 0;
  const std::size_t n = bgr.size() / 3;
  for (std::size_t i = 0; i < n; ++i)
    for (int c = 0; c < 3; ++c) {
      const double d = double(bgr[i * 3 + c]) - double(bgrx[i * 4 + c]);
      se += d * d;
    }
  const double mse = se / double(n * 3);
  return mse == 0 ? 99.0 : 10.0 * std::log10(255.0 * 255.0 / mse);
}

}  // namespace screenreel::test

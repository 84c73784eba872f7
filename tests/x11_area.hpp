// The fixture and helpers of the X11 area tests (capture_region_test.cpp, capture_cursor_test.cpp):
// a private 320x240 Xvfb per test showing a known picture, windows with known content, and
// comparisons of frames with the picture.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>
#include <xcb/xcb.h>
#include <xcb/xfixes.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>
#include "screenreel/capture/source.hpp"
#include "support/process.hpp"
#include "support/screen_painter.hpp"
#include "support/xvfb.hpp"

namespace screenreel::capture::x11_area {


using namespace std::chrono_literals;
using Pixels = std::vector<std::uint8_t>;

inline constexpr std::uint32_t kW = 320, kH = 240;  // every test's screen

inline std::string hex(std::uint32_t id) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%x", id);
  return buf;
}

// The rectangle x, y, w, h of a `width`-wide BGRX image, row after row; outside the image
// (x or y negative, or past its edge) is black, as the source pads it.
inline Pixels crop(const Pixels& img, std::uint32_t width, std::uint32_t height, int x, int y,
            std::uint32_t w, std::uint32_t h) {
  Pixels out(std::size_t{w} * h * 4, 0);
  for (std::uint32_t row = 0; row < h; ++row)
    for (std::uint32_t col = 0; col < w; ++col) {
      const long sx = x + static_cast<long>(col), sy = y + static_cast<long>(row);
      if (sx < 0 || sy < 0 || sx >= static_cast<long>(width) || sy >= static_cast<long>(height))
        continue;
      std::memcpy(&out[(std::size_t{row} * w + col) * 4],
                  &img[(static_cast<std::size_t>(sy) * width + static_cast<std::size_t>(sx)) * 4],
                  4);
    }
  return out;
}

// `img` (w x h) with everything outside [x0, x1) x [y0, y1) black.
inline Pixels only(Pixels img, std::uint32_t w, std::uint32_t h, std::uint32_t x0, std::uint32_t y0,
            std::uint32_t x1, std::uint32_t y1) {
  for (std::uint32_t y = 0; y < h; ++y)
    for (std::uint32_t x = 0; x < w; ++x)
      if (x < x0 || x >= x1 || y < y0 || y >= y1)
        std::memset(&img[(std::size_t{y} * w + x) * 4], 0, 4);
  return img;
}

// Where a grabbed frame differs from `expected` in B, G or R (the 4th byte is padding).
struct Difference {
  std::size_t pixels = 0;
  long first_x = -1, first_y = -1;
};
inline Difference compare(const FrameRef& got, const Pixels& expected) {
  Difference d;
  for (std::uint32_t y = 0; y < got.height; ++y)
    for (std::uint32_t x = 0; x < got.width; ++x)
      if (std::memcmp(got.pixels + y * got.stride + x * 4,
                      &expected[(std::size_t{y} * got.width + x) * 4], 3) != 0 &&
          d.pixels++ == 0) {
        d.first_x = x;
        d.first_y = y;
      }
  return d;
}

// The frame is w x h and equal to `expected` in B, G and R.
inline ::testing::AssertionResult same_frame(const FrameRef& got, std::uint32_t w, std::uint32_t h,
                                             const Pixels& expected) {
  if (got.width != w || got.height != h)
    return ::testing::AssertionFailure()
           << "the frame is " << got.width << "x" << got.height << ", not " << w << "x" << h;
  const Difference d = compare(got, expected);
  if (d.pixels)
    return ::testing::AssertionFailure()
           << d.pixels << " pixels differ, the first at x " << d.first_x << " y " << d.first_y;
  return ::testing::AssertionSuccess();
}

// Sizes of the SysV shared memory segments this process created.
inline std::vector<std::size_t> our_segment_sizes() {
  std::ifstream in("/proc/sysvipc/shm");
  std::vector<std::size_t> out;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream f(line);
    long key = 0, id = 0, cpid = 0;
    unsigned mode = 0;
    std::size_t size = 0;
    f >> key >> id >> std::oct >> mode >> std::dec >> size >> cpid;
    if (f && cpid == ::getpid()) out.push_back(size);
  }
  return out;
}

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    value ? ::setenv(name, value, 1) : ::unsetenv(name);
  }
  ~ScopedEnv() { old_ ? ::setenv(name_, old_->c_str(), 1) : ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// A window with known content, made with XCB. Its background is a pixmap of the picture, so the
// server repaints it by itself wherever it is exposed (after a move, coming back on screen).
class TestWindow {
 public:
  TestWindow(const std::string& display, const std::string& title, int x, int y, std::uint32_t w,
             std::uint32_t h, const Pixels& picture) {
    conn_ = xcb_connect(display.c_str(), nullptr);
    if (xcb_connection_has_error(conn_)) throw std::runtime_error("TestWindow: cannot connect");
    const xcb_screen_t* screen = xcb_setup_roots_iterator(xcb_get_setup(conn_)).data;
    pixmap_ = xcb_generate_id(conn_);
    xcb_create_pixmap(conn_, screen->root_depth, pixmap_, screen->root,
                      static_cast<std::uint16_t>(w), static_cast<std::uint16_t>(h));
    const xcb_gcontext_t gc = xcb_generate_id(conn_);
    xcb_create_gc(conn_, gc, pixmap_, 0, nullptr);
    for (std::uint32_t row = 0; row < h; row += 32) {
      const std::uint32_t rows = std::min<std::uint32_t>(32, h - row);
      xcb_put_image(conn_, XCB_IMAGE_FORMAT_Z_PIXMAP, pixmap_, gc, static_cast<std::uint16_t>(w),
                    static_cast<std::uint16_t>(rows), 0, static_cast<std::int16_t>(row), 0, 24,
                    w * rows * 4, picture.data() + std::size_t{row} * w * 4);
    }
    xcb_free_gc(conn_, gc);
    id_ = xcb_generate_id(conn_);
    const std::uint32_t values[] = {pixmap_, 1};  // background pixmap, override-redirect
    xcb_create_window(conn_, XCB_COPY_FROM_PARENT, id_, screen->root, static_cast<std::int16_t>(x),
                      static_cast<std::int16_t>(y), static_cast<std::uint16_t>(w),
                      static_cast<std::uint16_t>(h), 0, XCB_WINDOW_CLASS_INPUT_OUTPUT,
                      screen->root_visual, XCB_CW_BACK_PIXMAP | XCB_CW_OVERRIDE_REDIRECT, values);
    xcb_change_property(conn_, XCB_PROP_MODE_REPLACE, id_, XCB_ATOM_WM_NAME, XCB_ATOM_STRING, 8,
                        static_cast<std::uint32_t>(title.size()), title.data());
    map();
  }
  ~TestWindow() {
    if (id_) xcb_destroy_window(conn_, id_);
    xcb_free_pixmap(conn_, pixmap_);
    xcb_flush(conn_);
    xcb_disconnect(conn_);
  }
  TestWindow(const TestWindow&) = delete;
  TestWindow& operator=(const TestWindow&) = delete;

  xcb_window_t id() const { return id_; }
  void move(int x, int y) {
    const std::uint32_t v[] = {static_cast<std::uint32_t>(x), static_cast<std::uint32_t>(y)};
    xcb_configure_window(conn_, id_, XCB_CONFIG_WINDOW_X | XCB_CONFIG_WINDOW_Y, v);
    sync();
  }
  void resize(std::uint32_t w, std::uint32_t h) {
    const std::uint32_t v[] = {w, h};
    xcb_configure_window(conn_, id_, XCB_CONFIG_WINDOW_WIDTH | XCB_CONFIG_WINDOW_HEIGHT, v);
    sync();
  }
  void map() {
    xcb_map_window(conn_, id_);
    sync();
  }
  void unmap() {
    xcb_unmap_window(conn_, id_);
    sync();
  }
  void destroy() {
    xcb_destroy_window(conn_, id_);
    id_ = 0;
    sync();
  }

 private:
  // When the reply arrives, the server has carried out everything sent before.
  void sync() { std::free(xcb_get_input_focus_reply(conn_, xcb_get_input_focus(conn_), nullptr)); }

  xcb_connection_t* conn_ = nullptr;
  xcb_window_t id_ = 0;
  xcb_pixmap_t pixmap_ = 0;
};

// Each test gets its own 320x240 Xvfb showing a known picture.
class X11Area : public ::testing::Test {
 protected:
  void SetUp() override {
    painter_ = std::make_unique<test::ScreenPainter>(xvfb_.display());
    painter_->show(screen_);
  }

  SourceOptions options() const {
    SourceOptions o;
    o.display = xvfb_.display();
    return o;
  }
  std::unique_ptr<FrameSource> source(const std::string& region, const std::string& monitor,
                                      const std::string& window, bool cursor = false) const {
    SourceOptions o = options();
    o.region = region;
    o.monitor = monitor;
    o.window = window;
    o.cursor = cursor;
    return make_x11_source(o);
  }
  // The message of the std::invalid_argument that making the source throws; fails the test if
  // it does not throw one.
  std::string refusal(const SourceOptions& o) const {
    try {
      make_x11_source(o);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    ADD_FAILURE() << "no std::invalid_argument for region '" << o.region << "' monitor '"
                  << o.monitor << "' window '" << o.window << "'";
    return "";
  }
  int xrandr(const std::string& args) const {
    return test::shell("xrandr --display " + xvfb_.display() + " " + args + " >/dev/null 2>&1");
  }
  int xdotool(const std::string& args) const {
    return test::shell("DISPLAY=" + xvfb_.display() + " xdotool " + args + " >/dev/null 2>&1");
  }

  test::Xvfb xvfb_{"320x240"};
  const Pixels screen_ = test::make_picture(kW, kH, 1);
  std::unique_ptr<test::ScreenPainter> painter_;
};

}  // namespace screenreel::capture::x11_area

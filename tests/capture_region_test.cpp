// What part of an X screen the X11 source records, on a real Xvfb: a --region is exactly those
// pixels; a --monitor (one defined with xrandr --setmonitor) is its rectangle; a --window is
// followed when it moves, padded when it leaves the screen or shrinks, and ends the recording
// with SourceGone when it closes; the cursor is the real XFixes image, drawn only when asked;
// bad values are explained.
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

namespace screenreel::capture {
namespace {

using namespace std::chrono_literals;
using Pixels = std::vector<std::uint8_t>;

constexpr std::uint32_t kW = 320, kH = 240;  // every test's screen

std::string hex(std::uint32_t id) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%x", id);
  return buf;
}

// The rectangle x, y, w, h of a `width`-wide BGRX image, row after row; outside the image
// (x or y negative, or past its edge) is black, as the source pads it.
Pixels crop(const Pixels& img, std::uint32_t width, std::uint32_t height, int x, int y,
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
Pixels only(Pixels img, std::uint32_t w, std::uint32_t h, std::uint32_t x0, std::uint32_t y0,
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
Difference compare(const FrameRef& got, const Pixels& expected) {
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
::testing::AssertionResult same_frame(const FrameRef& got, std::uint32_t w, std::uint32_t h,
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
std::vector<std::size_t> our_segment_sizes() {
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

TEST_F(X11Area, RegionIsExactlyThoseScreenPixelsThroughShmAndGetImage) {
  for (const char* no_shm : {"0", "1"}) {
    SCOPED_TRACE(std::string("SCREENREEL_NO_SHM=") + no_shm);
    ScopedEnv env("SCREENREEL_NO_SHM", no_shm);
    testing::internal::CaptureStderr();
    auto src = source("40,30,100,60", "", "");
    testing::internal::GetCapturedStderr();
    EXPECT_EQ(src->width(), 100u);
    EXPECT_EQ(src->height(), 60u);
    EXPECT_EQ(src->describe(), "x11 " + xvfb_.display() + " region 100x60+40+30 " +
                                   (no_shm[0] == '0' ? "shm" : "get-image"));
    if (no_shm[0] == '0') {  // the segment is the region's size, not the screen's
      EXPECT_EQ(our_segment_sizes(), std::vector<std::size_t>{100 * 60 * 4});
    }
    const FrameRef f = src->grab(0);
    EXPECT_EQ(f.stride, 100u * 4);
    EXPECT_TRUE(same_frame(f, 100u, 60u, crop(screen_, kW, kH, 40, 30, 100, 60)));
    // A new picture: the next grab shows it, not the last one.
    const Pixels other = test::make_picture(kW, kH, 7);
    painter_->show(other);
    EXPECT_TRUE(same_frame(src->grab(1), 100u, 60u, crop(other, kW, kH, 40, 30, 100, 60)));
    painter_->show(screen_);
  }
  // The corners of the screen are inside; odd sizes are fine.
  const auto top_left = source("0,0,17,16", "", ""), bottom_right = source("303,223,17,17", "", ""),
             all = source("0,0,320,240", "", "");
  EXPECT_TRUE(same_frame(top_left->grab(0), 17u, 16u, crop(screen_, kW, kH, 0, 0, 17, 16)));
  EXPECT_TRUE(same_frame(bottom_right->grab(0), 17u, 17u, crop(screen_, kW, kH, 303, 223, 17, 17)));
  EXPECT_TRUE(same_frame(all->grab(0), kW, kH, screen_));
}

TEST_F(X11Area, BadRegionsAreExplained) {
  SourceOptions o = options();
  for (const char* bad : {"1,2,3", "a,b,c,d", "1,2,3,4,5", "1,2,3,", "10 20 30 40", "0x0+10+10"}) {
    o.region = bad;
    EXPECT_NE(refusal(o).find("want X,Y,W,H in screen pixels"), std::string::npos) << bad;
  }
  for (const char* outside : {"0,0,321,240", "300,0,40,40", "0,200,50,50", "-1,0,100,100"}) {
    o.region = outside;
    const std::string why = refusal(o);
    EXPECT_NE(
        why.find("--region " + std::string(outside) + " reaches outside the screen of X display " +
                 xvfb_.display() + ", which is 320x240"),
        std::string::npos)
        << why;
  }
  o.region = "0,0,0,100";
  EXPECT_NE(refusal(o).find("must be positive"), std::string::npos);
  o.region = "10,10,8,100";
  EXPECT_NE(refusal(o).find("frames must be 16 to 8192 pixels wide and high"), std::string::npos);
  o.region = "10,10,100,100";
  o.monitor = "0";
  EXPECT_NE(refusal(o).find("give only one of them"), std::string::npos);
  o.monitor.clear();
  o.kind = "test-pattern";
  try {
    make_source(o);
    ADD_FAILURE() << "a region of a test pattern";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("go with --source x11"), std::string::npos) << e.what();
  }
}

TEST_F(X11Area, MonitorDefinedWithXrandrIsItsRectangle) {
  ASSERT_EQ(xrandr("--setmonitor PART 120/30x90/20+150+100 none"), 0);
  ASSERT_EQ(xrandr("--output screen --primary"), 0);
  const std::vector<MonitorInfo> monitors = list_x11_monitors(xvfb_.display());
  ASSERT_EQ(monitors.size(), 2u);
  const MonitorInfo* part = nullptr;
  for (std::size_t i = 0; i < monitors.size(); ++i) {
    EXPECT_EQ(monitors[i].index, i);
    if (monitors[i].name == "PART") part = &monitors[i];
    if (monitors[i].name == "screen") {  // Xvfb's one output
      EXPECT_EQ(monitors[i].width, kW);
      EXPECT_EQ(monitors[i].height, kH);
      EXPECT_TRUE(monitors[i].primary);
    }
  }
  ASSERT_NE(part, nullptr);
  EXPECT_EQ(part->x, 150);
  EXPECT_EQ(part->y, 100);
  EXPECT_EQ(part->width, 120u);
  EXPECT_EQ(part->height, 90u);
  EXPECT_FALSE(part->primary);

  const Pixels expected = crop(screen_, kW, kH, 150, 100, 120, 90);
  auto by_name = source("", "PART", "");
  EXPECT_EQ(by_name->describe(), "x11 " + xvfb_.display() + " monitor PART 120x90+150+100 shm");
  EXPECT_TRUE(same_frame(by_name->grab(0), 120u, 90u, expected));
  const auto by_index = source("", std::to_string(part->index), ""),
             whole = source("", "screen", "");
  EXPECT_TRUE(same_frame(by_index->grab(0), 120u, 90u, expected));
  EXPECT_TRUE(same_frame(whole->grab(0), kW, kH, screen_));
}

TEST_F(X11Area, ListMonitorsPrintsIndexNameGeometryPrimary) {
  ASSERT_EQ(xrandr("--setmonitor LEFT-HALF 160/40x240/60+0+0 none"), 0);
  ASSERT_EQ(xrandr("--output screen --primary"), 0);
  const auto monitors = list_x11_monitors(xvfb_.display());
  ASSERT_EQ(monitors.size(), 2u);
  // The server's order: ask it, then check the text for that order.
  const bool screen_first = monitors[0].name == "screen";
  const std::string screen_line = "screen     320x240+0+0  primary\n";
  const std::string left_line = "LEFT-HALF  160x240+0+0\n";
  const std::string expected = screen_first ? "0  " + screen_line + "1  " + left_line
                                            : "0  " + left_line + "1  " + screen_line;
  EXPECT_EQ(format_monitors(monitors), expected);

  test::Process p({SCREENREEL_CAPTURE_BIN, "--list-monitors", "--display", xvfb_.display()});
  EXPECT_EQ(p.wait_for(10s), 0) << p.err();
  EXPECT_EQ(p.out(), expected);
  EXPECT_EQ(p.err(), "");
}

TEST_F(X11Area, BadMonitorsAreExplained) {
  ASSERT_EQ(xrandr("--setmonitor BEYOND 200/50x200/50+200+100 none"), 0);
  SourceOptions o = options();
  for (const char* bad : {"7", "NOPE"}) {
    o.monitor = bad;
    const std::string why = refusal(o);
    EXPECT_NE(why.find("--monitor " + std::string(bad) + ": X display " + xvfb_.display() +
                       " has no monitor"),
              std::string::npos)
        << why;
    EXPECT_NE(why.find("BEYOND 200x200+200+100"), std::string::npos) << why;
    EXPECT_NE(why.find("screen 320x240+0+0"), std::string::npos) << why;
  }
  o.monitor = "BEYOND";
  const std::string why = refusal(o);
  EXPECT_NE(why.find("monitor BEYOND is 200x200+200+100, which reaches outside the 320x240 screen"),
            std::string::npos)
      << why;
}

TEST_F(X11Area, WindowIsFollowedWhenItMovesAndPaddedOffScreen) {
  const Pixels content = test::make_picture(100, 80, 5);
  TestWindow window(xvfb_.display(), "screenreel region test", 20, 30, 100, 80, content);
  auto src = source("", "", "REGION TEST");  // part of the title, any case
  auto whole = source("", "", "");
  // The window really is at x, y: a frame equal to its content proves it was followed there.
  const auto expect_at = [&](int x, int y) {
    // Only the window's rectangle is known: the painter does not repaint what the window uncovers.
    const FrameRef f = whole->grab(0);
    Pixels screen(f.pixels, f.pixels + std::size_t{kW} * kH * 4);
    for (std::uint32_t row = 0; row < 80; ++row)
      for (std::uint32_t col = 0; col < 100; ++col) {
        const long sx = x + static_cast<long>(col), sy = y + static_cast<long>(row);
        if (sx >= 0 && sy >= 0 && sx < long{kW} && sy < long{kH})
          std::memcpy(
              &screen[(static_cast<std::size_t>(sy) * kW + static_cast<std::size_t>(sx)) * 4],
              &content[(std::size_t{row} * 100 + col) * 4], 4);
      }
    EXPECT_TRUE(same_frame(f, kW, kH, screen)) << "the window is not at " << x << "," << y;
  };
  EXPECT_EQ(src->width(), 100u);
  EXPECT_EQ(src->height(), 80u);
  EXPECT_EQ(src->describe(), "x11 " + xvfb_.display() + " window " + hex(window.id()) +
                                 " \"screenreel region test\" 100x80 shm");
  expect_at(20, 30);
  EXPECT_TRUE(same_frame(src->grab(0), 100u, 80u, content));
  window.move(200, 150);
  expect_at(200, 150);
  EXPECT_TRUE(same_frame(src->grab(1), 100u, 80u, content));
  // Moved by another client, as a user's window manager would.
  ASSERT_EQ(xdotool("windowmove " + std::to_string(window.id()) + " 5 140"), 0);
  expect_at(5, 140);
  EXPECT_TRUE(same_frame(src->grab(2), 100u, 80u, content));
  // Partly off the screen: what is on it, and black for the rest.
  window.move(270, 200);
  expect_at(270, 200);
  EXPECT_TRUE(same_frame(src->grab(3), 100u, 80u, only(content, 100, 80, 0, 0, 50, 40)));
  window.move(-30, -20);
  expect_at(-30, -20);
  EXPECT_TRUE(same_frame(src->grab(4), 100u, 80u, only(content, 100, 80, 30, 20, 100, 80)));
  window.move(400, 10);  // all of it
  EXPECT_TRUE(same_frame(src->grab(5), 100u, 80u, Pixels(100 * 80 * 4, 0)));
  // By id, as xwininfo prints it and as xdotool does (decimal).
  window.move(60, 50);
  const auto by_hex = source("", "", hex(window.id()));
  const auto by_decimal = source("", "", std::to_string(window.id()));
  EXPECT_TRUE(same_frame(by_hex->grab(0), 100u, 80u, content));
  EXPECT_TRUE(same_frame(by_decimal->grab(0), 100u, 80u, content));
}

TEST_F(X11Area, WindowResizedOrHiddenKeepsTheFrameSizeAndSaysSo) {
  const Pixels content = test::make_picture(100, 80, 5);
  TestWindow window(xvfb_.display(), "resizable", 20, 30, 100, 80, content);
  auto src = source("", "", hex(window.id()));
  testing::internal::CaptureStderr();
  window.resize(60, 70);
  painter_->show(screen_);  // what the window uncovered shows the picture, not black
  // The window's 60x70 (its background pixmap, from its origin), black around it.
  EXPECT_TRUE(same_frame(src->grab(0), 100u, 80u, only(content, 100, 80, 0, 0, 60, 70)));
  // Larger: its top left 100x80 (beyond that its background pixmap repeats, unseen).
  window.resize(140, 90);
  EXPECT_TRUE(same_frame(src->grab(1), 100u, 80u, content));
  window.unmap();
  painter_->show(screen_);  // black frames, although the screen there is not black
  EXPECT_TRUE(same_frame(src->grab(2), 100u, 80u, Pixels(100 * 80 * 4, 0)));
  window.map();
  EXPECT_TRUE(same_frame(src->grab(3), 100u, 80u, content));
  const std::string err = testing::internal::GetCapturedStderr();
  const std::string id = hex(window.id());
  EXPECT_NE(err.find("window " + id + " is now 60x70; frames stay 100x80"), std::string::npos)
      << err;
  EXPECT_NE(err.find("window " + id + " is now 140x90; frames stay 100x80"), std::string::npos)
      << err;
  EXPECT_NE(err.find("window " + id + " is hidden"), std::string::npos) << err;
  EXPECT_NE(err.find("window " + id + " is shown again"), std::string::npos) << err;
}

TEST_F(X11Area, ClosingTheWindowEndsWithSourceGone) {
  for (const char* no_shm : {"0", "1"}) {
    SCOPED_TRACE(std::string("SCREENREEL_NO_SHM=") + no_shm);
    ScopedEnv env("SCREENREEL_NO_SHM", no_shm);
    testing::internal::CaptureStderr();
    TestWindow window(xvfb_.display(), "short-lived", 20, 30, 64, 48,
                      test::make_picture(64, 48, 2));
    const std::string id = hex(window.id());
    auto src = source("", "", "short-lived", true);
    src->grab(0);
    window.destroy();
    try {
      src->grab(1);
      ADD_FAILURE() << "grab after the window closed did not throw";
    } catch (const SourceGone& e) {
      EXPECT_STREQ(e.what(), ("window " + id + " closed").c_str());
    } catch (const std::exception& e) {
      ADD_FAILURE() << "not SourceGone: " << e.what();
    }
    // And again: it stays gone.
    EXPECT_THROW(src->grab(2), SourceGone);
    testing::internal::GetCapturedStderr();
  }
}

TEST_F(X11Area, BadWindowsAreExplained) {
  TestWindow a(xvfb_.display(), "editor", 10, 10, 40, 40, test::make_picture(40, 40, 1));
  TestWindow b(xvfb_.display(), "editor 2", 60, 10, 40, 40, test::make_picture(40, 40, 2));
  TestWindow c(xvfb_.display(), "twin left", 110, 10, 40, 40, test::make_picture(40, 40, 3));
  TestWindow d(xvfb_.display(), "twin right", 160, 10, 40, 40, test::make_picture(40, 40, 4));
  // One title is exactly what was asked for: that one.
  EXPECT_EQ(source("", "", "editor")->describe(),
            "x11 " + xvfb_.display() + " window " + hex(a.id()) + " \"editor\" 40x40 shm");
  SourceOptions o = options();
  o.window = "twin";
  std::string why = refusal(o);
  EXPECT_NE(why.find("--window twin: 2 windows on X display " + xvfb_.display() +
                     " have a title containing 'twin': "),
            std::string::npos)
      << why;
  EXPECT_NE(why.find(hex(c.id()) + " \"twin left\""), std::string::npos) << why;
  EXPECT_NE(why.find(hex(d.id()) + " \"twin right\""), std::string::npos) << why;
  o.window = "nothing like it";
  why = refusal(o);
  EXPECT_NE(why.find("no window shown on X display " + xvfb_.display() +
                     " has a title containing 'nothing like it'"),
            std::string::npos)
      << why;
  o.window = "0x7ffff0";
  why = refusal(o);
  EXPECT_NE(why.find("--window 0x7ffff0: X display " + xvfb_.display() + " has no window 0x7ffff0"),
            std::string::npos)
      << why;
  // A hidden window's title does not count.
  d.unmap();
  EXPECT_EQ(source("", "", "twin")->describe(),
            "x11 " + xvfb_.display() + " window " + hex(c.id()) + " \"twin left\" 40x40 shm");
}

// The cursor image and where it is, as the X server reports it.
struct CursorShot {
  int left = 0, top = 0;  // the image's top left corner on the screen
  std::uint32_t width = 0, height = 0;
  std::vector<std::uint32_t> argb;
};
CursorShot cursor_now(const std::string& display) {
  xcb_connection_t* c = xcb_connect(display.c_str(), nullptr);
  std::free(xcb_xfixes_query_version_reply(c, xcb_xfixes_query_version(c, 4, 0), nullptr));
  auto* r = xcb_xfixes_get_cursor_image_reply(c, xcb_xfixes_get_cursor_image(c), nullptr);
  CursorShot s;
  if (r) {
    s.left = r->x - r->xhot;
    s.top = r->y - r->yhot;
    s.width = r->width;
    s.height = r->height;
    const std::uint32_t* p = xcb_xfixes_get_cursor_image_cursor_image(r);
    s.argb.assign(p, p + std::size_t{r->width} * r->height);
  }
  std::free(r);
  xcb_disconnect(c);
  return s;
}

TEST_F(X11Area, CursorIsDrawnWhereItIsAndOnlyWhenAsked) {
  ASSERT_EQ(xdotool("mousemove 100 80"), 0);
  const CursorShot cursor = cursor_now(xvfb_.display());
  ASSERT_GT(cursor.width, 0u) << "Xvfb reports no cursor image";
  for (const char* no_shm : {"0", "1"}) {
    SCOPED_TRACE(std::string("SCREENREEL_NO_SHM=") + no_shm);
    ScopedEnv env("SCREENREEL_NO_SHM", no_shm);
    testing::internal::CaptureStderr();
    auto with = source("", "", "", true);
    auto without = source("", "", "", false);
    auto region = source("60,40,100,100", "", "", true);
    auto away = source("200,150,100,80", "", "", true);
    testing::internal::GetCapturedStderr();
    EXPECT_NE(with->describe().find(" cursor"), std::string::npos) << with->describe();
    EXPECT_EQ(without->describe().find("cursor"), std::string::npos) << without->describe();

    EXPECT_TRUE(same_frame(without->grab(0), kW, kH, screen_));
    EXPECT_TRUE(same_frame(away->grab(0), 100u, 80u, crop(screen_, kW, kH, 200, 150, 100, 80)));
    // With the cursor: the frame differs from the screen only inside the cursor's rectangle,
    // where it is the cursor's own colour wherever the image is opaque.
    for (auto* src : {with.get(), region.get()}) {
      const bool is_region = src == region.get();
      const int ox = is_region ? 60 : 0, oy = is_region ? 40 : 0;
      const FrameRef f = src->grab(1);
      const Pixels under = crop(screen_, kW, kH, ox, oy, f.width, f.height);
      std::size_t differ = 0, outside = 0, opaque = 0, wrong_colour = 0;
      for (std::uint32_t y = 0; y < f.height; ++y)
        for (std::uint32_t x = 0; x < f.width; ++x) {
          const std::uint8_t* got = f.pixels + y * f.stride + x * 4;
          const long cx = static_cast<long>(x) + ox - cursor.left;
          const long cy = static_cast<long>(y) + oy - cursor.top;
          const bool in = cx >= 0 && cy >= 0 && cx < static_cast<long>(cursor.width) &&
                          cy < static_cast<long>(cursor.height);
          const bool same = std::memcmp(got, &under[(std::size_t{y} * f.width + x) * 4], 3) == 0;
          if (!same) ++differ;
          if (!in) {
            if (!same) ++outside;
            continue;
          }
          const std::uint32_t p =
              cursor
                  .argb[static_cast<std::size_t>(cy) * cursor.width + static_cast<std::size_t>(cx)];
          if (p >> 24 != 0xff) continue;
          ++opaque;
          if (got[0] != (p & 0xff) || got[1] != ((p >> 8) & 0xff) || got[2] != ((p >> 16) & 0xff))
            ++wrong_colour;
        }
      EXPECT_GT(differ, 20u) << "no cursor in the frame";
      EXPECT_EQ(outside, 0u) << "pixels changed outside the cursor";
      EXPECT_GT(opaque, 20u);
      EXPECT_EQ(wrong_colour, 0u);
    }
    // Where it moves, it follows; the old place shows the screen again.
    ASSERT_EQ(xdotool("mousemove 250 190"), 0);
    EXPECT_TRUE(same_frame(region->grab(2), 100u, 100u, crop(screen_, kW, kH, 60, 40, 100, 100)));
    const FrameRef moved = away->grab(2);
    EXPECT_GT(compare(moved, crop(screen_, kW, kH, 200, 150, 100, 80)).pixels, 20u);
    ASSERT_EQ(xdotool("mousemove 100 80"), 0);
  }
}

// `img` (w x h) with the rectangle x, y, rw, rh taken from `from` (the same size).
Pixels patched(Pixels img, const Pixels& from, std::uint32_t w, std::uint32_t x, std::uint32_t y,
               std::uint32_t rw, std::uint32_t rh) {
  for (std::uint32_t row = y; row < y + rh; ++row)
    std::memcpy(&img[(std::size_t{row} * w + x) * 4], &from[(std::size_t{row} * w + x) * 4],
                std::size_t{rw} * 4);
  return img;
}

// Every pixel in which `now` differs from `before` lies inside one of `now.changed`'s
// rectangles: what the damage gate tells the encoder is enough.
::testing::AssertionResult changes_are_inside(const FrameRef& now, const Pixels& before) {
  if (!now.changed)
    return ::testing::AssertionFailure() << "the frame says nothing about what changed";
  std::size_t outside = 0;
  for (std::uint32_t y = 0; y < now.height; ++y)
    for (std::uint32_t x = 0; x < now.width; ++x) {
      if (std::memcmp(now.pixels + y * now.stride + x * 4,
                      &before[(std::size_t{y} * now.width + x) * 4], 3) == 0)
        continue;
      bool in = false;
      for (const PixelRect& r : *now.changed)
        in = in || r.contains(PixelRect{static_cast<std::int32_t>(x), static_cast<std::int32_t>(y), 1, 1});
      outside += !in;
    }
  if (outside)
    return ::testing::AssertionFailure()
           << outside << " changed pixels lie outside the changed rectangles";
  return ::testing::AssertionSuccess();
}

Pixels copy_of(const FrameRef& f) {
  return crop(Pixels(f.pixels, f.pixels + f.stride * f.height), f.width, f.height, 0, 0, f.width,
              f.height);
}

TEST_F(X11Area, DamageGateSkipsAStillScreenAndLocatesSmallChanges) {
  for (const char* no_shm : {"0", "1"}) {
    SCOPED_TRACE(std::string("SCREENREEL_NO_SHM=") + no_shm);
    ScopedEnv env("SCREENREEL_NO_SHM", no_shm);
    testing::internal::CaptureStderr();
    auto whole = source("", "", "");
    auto region = source("40,30,100,60", "", "");
    testing::internal::GetCapturedStderr();
    painter_->show(screen_);
    FrameRef f = whole->grab(0);
    EXPECT_FALSE(f.changed) << "a first frame is all new";
    EXPECT_TRUE(same_frame(f, kW, kH, screen_));
    EXPECT_TRUE(same_frame(region->grab(0), 100u, 60u, crop(screen_, kW, kH, 40, 30, 100, 60)));

    // Nothing drawn: nothing changed, and the frame is still the screen.
    f = whole->grab(1);
    ASSERT_TRUE(f.changed);
    EXPECT_TRUE(f.changed->empty());
    EXPECT_TRUE(same_frame(f, kW, kH, screen_));
    const FrameRef r = region->grab(1);
    ASSERT_TRUE(r.changed);
    EXPECT_TRUE(r.changed->empty());

    // A small change inside the region: both frames show it and say where it is.
    const Pixels other = test::make_picture(kW, kH, 7);
    Pixels expected = patched(screen_, other, kW, 100, 50, 30, 20);
    painter_->show_part(other, 100, 50, 30, 20);
    Pixels before = copy_of(f);
    f = whole->grab(2);
    EXPECT_TRUE(same_frame(f, kW, kH, expected));
    EXPECT_TRUE(changes_are_inside(f, before));
    ASSERT_TRUE(f.changed);
    ASSERT_FALSE(f.changed->empty());
    for (const PixelRect& c : *f.changed)  // not the whole screen: just about the change
      EXPECT_LE(c.area(), 30 * 20 * 4) << c.x << "," << c.y << " " << c.w << "x" << c.h;
    before = crop(screen_, kW, kH, 40, 30, 100, 60);
    const FrameRef rf = region->grab(2);
    EXPECT_TRUE(same_frame(rf, 100u, 60u, crop(expected, kW, kH, 40, 30, 100, 60)));
    EXPECT_TRUE(changes_are_inside(rf, before));

    // A change outside the region: the whole screen sees it, the region reports nothing.
    expected = patched(expected, other, kW, 200, 150, 50, 40);
    painter_->show_part(other, 200, 150, 50, 40);
    before = copy_of(f);
    f = whole->grab(3);
    EXPECT_TRUE(same_frame(f, kW, kH, expected));
    EXPECT_TRUE(changes_are_inside(f, before));
    const FrameRef rg = region->grab(3);
    ASSERT_TRUE(rg.changed);
    EXPECT_TRUE(rg.changed->empty());
    EXPECT_TRUE(same_frame(rg, 100u, 60u, crop(expected, kW, kH, 40, 30, 100, 60)));
    f = whole->grab(4);
    ASSERT_TRUE(f.changed);
    EXPECT_TRUE(f.changed->empty());
  }
}

TEST_F(X11Area, DamageGateFollowsTheCursorWhenOnlyTheCursorMoves) {
  ASSERT_EQ(xdotool("mousemove 100 80"), 0);
  auto src = source("", "", "", true);
  FrameRef f = src->grab(0);
  Pixels before = copy_of(f);
  f = src->grab(1);
  ASSERT_TRUE(f.changed);
  EXPECT_TRUE(f.changed->empty()) << "neither the screen nor the cursor changed";
  ASSERT_EQ(xdotool("mousemove 250 190"), 0);
  f = src->grab(2);
  EXPECT_TRUE(changes_are_inside(f, before));
  // The old place shows the screen again; the new one the cursor.
  EXPECT_TRUE(same_frame(f, kW, kH, patched(copy_of(f), screen_, kW, 60, 40, 100, 100)));
  EXPECT_GT(compare(f, screen_).pixels, 20u);

  // A region the cursor moves out of changes; one it moves around outside of does not.
  ASSERT_EQ(xdotool("mousemove 100 80"), 0);
  auto region = source("60,40,100,100", "", "", true);
  before = copy_of(region->grab(0));
  ASSERT_EQ(xdotool("mousemove 250 190"), 0);
  f = region->grab(1);
  EXPECT_TRUE(changes_are_inside(f, before));
  EXPECT_TRUE(same_frame(f, 100u, 100u, crop(screen_, kW, kH, 60, 40, 100, 100)));
  ASSERT_EQ(xdotool("mousemove 280 200"), 0);
  f = region->grab(2);
  ASSERT_TRUE(f.changed);
  EXPECT_TRUE(f.changed->empty());
  EXPECT_TRUE(same_frame(f, 100u, 100u, crop(screen_, kW, kH, 60, 40, 100, 100)));
}

// Without DAMAGE (a server without it, or SCREENREEL_NO_DAMAGE=1) every grab reads and reports
// everything, and says so once.
TEST(X11AreaNoDamage, EveryFrameIsWholeAndTheReasonIsSaid) {
  for (const bool server_has_it : {true, false}) {
    SCOPED_TRACE(server_has_it ? "SCREENREEL_NO_DAMAGE=1" : "Xvfb -extension DAMAGE");
    test::Xvfb xvfb("320x240", server_has_it ? std::vector<std::string>{}
                                             : std::vector<std::string>{"-extension", "DAMAGE"});
    ScopedEnv env("SCREENREEL_NO_DAMAGE", server_has_it ? "1" : nullptr);
    test::ScreenPainter painter(xvfb.display());
    const Pixels a = test::make_picture(kW, kH, 1), b = test::make_picture(kW, kH, 2);
    painter.show(a);
    testing::internal::CaptureStderr();
    auto src = make_x11_source(xvfb.display());
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(err, "screenreel-capture: X DAMAGE not used on display " + xvfb.display() + " (" +
                       (server_has_it ? "SCREENREEL_NO_DAMAGE is set"
                                      : "the X server has no DAMAGE extension") +
                       "); reading and comparing every frame whole\n");
    for (int i = 0; i < 2; ++i) {
      const FrameRef f = src->grab(static_cast<std::uint64_t>(i));
      EXPECT_FALSE(f.changed);
      EXPECT_TRUE(same_frame(f, kW, kH, a));
    }
    painter.show_part(b, 10, 10, 40, 40);
    const FrameRef f = src->grab(2);
    EXPECT_FALSE(f.changed);
    EXPECT_TRUE(same_frame(f, kW, kH, patched(a, b, kW, 10, 10, 40, 40)));
  }
}

// RandR resizes: the whole screen and a monitor take the new size (a new segment of that size);
// a region keeps its size, black where it is now off screen, and ends when it is all off screen.
TEST_F(X11Area, ScreenResizeIsFollowed) {
  ScopedEnv env("SCREENREEL_NO_SHM", nullptr);
  testing::internal::CaptureStderr();
  auto whole = source("", "", "");
  auto monitor = source("", "screen", "");
  auto region = source("200,100,100,100", "", "");
  auto gone = source("260,180,40,40", "", "");
  for (auto* s : {whole.get(), monitor.get(), region.get(), gone.get()}) s->grab(0);
  testing::internal::GetCapturedStderr();

  testing::internal::CaptureStderr();
  xvfb_.resize(240, 160);
  painter_->show(screen_);  // a resize loses the pixels; windows repaint, as this one does
  EXPECT_TRUE(same_frame(whole->grab(1), 240u, 160u, crop(screen_, kW, kH, 0, 0, 240, 160)));
  EXPECT_TRUE(same_frame(monitor->grab(1), 240u, 160u, crop(screen_, kW, kH, 0, 0, 240, 160)));
  EXPECT_TRUE(same_frame(region->grab(1), 100u, 100u,
                         only(crop(screen_, kW, kH, 200, 100, 100, 100), 100, 100, 0, 0, 40, 60)));
  EXPECT_THROW(gone->grab(1), SourceGone);
  const std::string said = testing::internal::GetCapturedStderr();
  EXPECT_NE(said.find("the screen of X display " + xvfb_.display() +
                      " is now 240x160; frames are now 240x160"),
            std::string::npos)
      << said;
  EXPECT_NE(said.find("monitor screen is now 240x160+0+0"), std::string::npos) << said;
  EXPECT_NE(said.find("the part of the region 100x100+200+100 outside it is recorded black"),
            std::string::npos)
      << said;
  const std::vector<std::size_t> sizes = our_segment_sizes();
  EXPECT_EQ(std::count(sizes.begin(), sizes.end(), std::size_t{240 * 160 * 4}), 2)
      << "a segment of the new size each";

  // Back to the first size.
  testing::internal::CaptureStderr();
  xvfb_.resize(kW, kH);
  painter_->show(screen_);
  EXPECT_TRUE(same_frame(whole->grab(2), kW, kH, screen_));
  EXPECT_TRUE(same_frame(monitor->grab(2), kW, kH, screen_));
  EXPECT_TRUE(same_frame(region->grab(2), 100u, 100u, crop(screen_, kW, kH, 200, 100, 100, 100)));
  testing::internal::GetCapturedStderr();
}

// A monitor defined with xrandr --setmonitor is followed when it is redefined, and its
// recording ends when it is deleted.
TEST_F(X11Area, MonitorIsFollowedByNameAndEndsWhenGone) {
  ASSERT_EQ(xrandr("--setmonitor PART 120/30x90/20+150+100 none"), 0);
  testing::internal::CaptureStderr();
  auto src = source("", "PART", "");
  EXPECT_TRUE(same_frame(src->grab(0), 120u, 90u, crop(screen_, kW, kH, 150, 100, 120, 90)));
  ASSERT_EQ(xrandr("--delmonitor PART"), 0);  // redefined: xrandr cannot change one in place
  ASSERT_EQ(xrandr("--setmonitor PART 100/30x80/20+10+20 none"), 0);
  EXPECT_TRUE(same_frame(src->grab(1), 100u, 80u, crop(screen_, kW, kH, 10, 20, 100, 80)));
  ASSERT_EQ(xrandr("--delmonitor PART"), 0);
  try {
    src->grab(2);
    ADD_FAILURE() << "no SourceGone after the monitor was deleted";
  } catch (const SourceGone& e) {
    EXPECT_STREQ(e.what(), "monitor PART is gone (the X screen was reconfigured)");
  }
  const std::string said = testing::internal::GetCapturedStderr();
  EXPECT_NE(said.find("monitor PART is now 100x80+10+20; frames are now 100x80"), std::string::npos)
      << said;
}

TEST_F(X11Area, CommandLineRefusesBadValuesWithTheReason) {
  const auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(),
                {SCREENREEL_CAPTURE_BIN, "--display", xvfb_.display(), "--connect", "127.0.0.1:1"});
    auto p = std::make_unique<test::Process>(args);
    EXPECT_TRUE(p->wait_for(10s).has_value());
    return p;
  };
  auto region = run({"--region", "0,0,400,100"});
  EXPECT_EQ(region->wait_for(0ms), 1);
  EXPECT_NE(region->err().find("--region 0,0,400,100 reaches outside the screen of X display " +
                               xvfb_.display() + ", which is 320x240"),
            std::string::npos)
      << region->err();
  auto monitor = run({"--monitor", "DP-9"});
  EXPECT_EQ(monitor->wait_for(0ms), 1);
  EXPECT_NE(monitor->err().find("has no monitor named DP-9; it has 1: 0 screen 320x240+0+0"),
            std::string::npos)
      << monitor->err();
  auto window = run({"--window", "no such window"});
  EXPECT_EQ(window->wait_for(0ms), 1);
  EXPECT_NE(window->err().find("no window shown on X display"), std::string::npos) << window->err();
  auto two = run({"--region", "0,0,100,100", "--window", "x"});
  EXPECT_EQ(two->wait_for(0ms), 2);
  EXPECT_NE(two->err().find("give only one of --region, --monitor and --window"), std::string::npos)
      << two->err();
}

}  // namespace
}  // namespace screenreel::capture

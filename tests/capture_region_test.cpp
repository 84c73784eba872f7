// What part of an X screen the X11 source records, on a real Xvfb: a --region is exactly those
// pixels; a --monitor (one defined with xrandr --setmonitor) is its rectangle; a --window is
// followed when it moves, padded when it leaves the screen or shrinks, and ends the recording
// with SourceGone when it closes; the cursor is the real XFixes image, drawn only when asked;
// bad values are explained.
#include "x11_area.hpp"

namespace screenreel::capture::x11_area {
namespace {

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
}  // namespace
}  // namespace screenreel::capture::x11_area

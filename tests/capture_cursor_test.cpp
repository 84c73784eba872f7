// The X11 source on a real Xvfb, beyond the area it records: the cursor is the real XFixes image,
// drawn only when asked; the DAMAGE gate skips a still screen and locates small changes; a
// resized screen and a monitor are followed; bad command-line values are refused with the reason.
#include <gtest/gtest.h>
#include <xcb/xfixes.h>

#include <cstdlib>

#include "screenreel/common/log.hpp"
#include "x11_area.hpp"

namespace screenreel::capture::x11_area {
namespace {

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
    log::set_program("screenreel-capture");  // as capture's main() does
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
}  // namespace screenreel::capture::x11_area

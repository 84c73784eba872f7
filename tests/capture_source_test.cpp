// Capture backends: the test pattern is deterministic and has static, scrolling and moving
// regions; the X11 source returns exactly the pixels on a real Xvfb screen, through MIT-SHM and
// through the GetImage fallback, and explains a display it cannot use.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "screenreel/capture/source.hpp"
#include "screenreel/capture/test_pattern.hpp"
#include "screenreel/common/log.hpp"
#include "support/scoped_env.hpp"
#include "support/screen_painter.hpp"
#include "support/xvfb.hpp"

namespace screenreel::capture {
namespace {

using Pixels = std::vector<std::uint8_t>;

Pixels copy(const FrameRef& f) {
  Pixels out(std::size_t{f.width} * f.height * 4);
  for (std::uint32_t y = 0; y < f.height; ++y)
    std::memcpy(&out[std::size_t{y} * f.width * 4], f.pixels + y * f.stride,
                std::size_t{f.width} * 4);
  return out;
}

Pixels pattern(std::uint32_t w, std::uint32_t h, double fps, std::uint64_t tick) {
  Pixels out(std::size_t{w} * h * 4);
  render_test_pattern(w, h, fps, tick, out.data());
  return out;
}

// The pixels of the rectangle [x0, x1) x [y0, y1) of a w-wide BGRX image, row after row.
Pixels crop(const Pixels& img, std::uint32_t w, std::uint32_t x0, std::uint32_t y0,
            std::uint32_t x1, std::uint32_t y1) {
  Pixels out;
  for (std::uint32_t y = y0; y < y1; ++y) {
    const auto* row = &img[(std::size_t{y} * w + x0) * 4];
    out.insert(out.end(), row, row + std::size_t{x1 - x0} * 4);
  }
  return out;
}

struct SharedSegment {
  unsigned mode = 0;  // permission bits, plus SHM_DEST (01000) once marked for removal
  std::size_t size = 0;
};

// The SysV shared memory segments this process created, from the kernel's table.
std::vector<SharedSegment> our_segments() {
  std::ifstream in("/proc/sysvipc/shm");
  std::vector<SharedSegment> out;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream f(line);
    long key = 0, id = 0;
    SharedSegment s;
    long cpid = 0;
    f >> key >> id >> std::oct >> s.mode >> std::dec >> s.size >> cpid;
    if (f && cpid == ::getpid()) out.push_back(s);
  }
  return out;
}

using test::ScopedEnv;

TEST(TestPattern, SameTickGivesTheSameBytes) {
  auto a = make_test_pattern(320, 240, 30);
  auto b = make_test_pattern(320, 240, 30);
  const Pixels tick7 = copy(a->grab(7));
  a->grab(8);
  a->grab(1000000);
  EXPECT_EQ(copy(a->grab(7)), tick7);
  EXPECT_EQ(copy(b->grab(7)), tick7);
  EXPECT_EQ(pattern(320, 240, 30, 7), tick7) << "render_test_pattern and the source disagree";
  const FrameRef f = a->grab(7);
  EXPECT_EQ(f.width, 320u);
  EXPECT_EQ(f.height, 240u);
  EXPECT_EQ(f.stride, 320u * 4);
  EXPECT_EQ(a->describe(), "test-pattern 320x240");
}

TEST(TestPattern, EveryTickDiffersFromTheLastAndPaddingIsZero) {
  auto src = make_test_pattern(320, 240, 30);
  Pixels previous = copy(src->grab(0));
  for (std::uint64_t tick = 1; tick < 40; ++tick) {
    Pixels now = copy(src->grab(tick));
    EXPECT_NE(now, previous) << "tick " << tick;
    for (std::size_t i = 3; i < now.size(); i += 4)
      ASSERT_EQ(now[i], 0) << "byte " << i << " of tick " << tick;
    previous = std::move(now);
  }
}

// At 640x480 the regions split at x 320 and y 240 (whole 8x16 cells); at 40 fps the terminal
// scrolls every 10 ticks. The counter covers the editor's top left 101x23 pixels.
TEST(TestPattern, EditorStaysTerminalScrollsOneLineVideoMoves) {
  constexpr std::uint32_t w = 640, h = 480, split_x = 320, split_y = 240, line = 16;
  const Pixels t0 = pattern(w, h, 40, 0), t1 = pattern(w, h, 40, 1), t10 = pattern(w, h, 40, 10),
               t12345 = pattern(w, h, 40, 12345);

  const auto editor = [&](const Pixels& p) { return crop(p, w, 0, 32, split_x, h); };
  EXPECT_EQ(editor(t0), editor(t1));
  EXPECT_EQ(editor(t0), editor(t12345));
  EXPECT_NE(crop(t0, w, 0, 0, 120, 32), crop(t1, w, 0, 0, 120, 32))
      << "the tick counter does not count";

  // One scroll step later, each terminal row shows what the row below it showed. The last two
  // rows are left out: the newest line is still being typed.
  EXPECT_EQ(crop(t10, w, split_x, 0, w, split_y - 2 * line),
            crop(t0, w, split_x, line, w, split_y - line));
  EXPECT_NE(crop(t10, w, split_x, 0, w, split_y), crop(t0, w, split_x, 0, w, split_y));
  EXPECT_EQ(crop(t1, w, split_x, 0, w, split_y - line), crop(t0, w, split_x, 0, w, split_y - line))
      << "the terminal scrolled between two ticks of the same step";

  EXPECT_NE(crop(t0, w, split_x, split_y, w, h), crop(t1, w, split_x, split_y, w, h))
      << "the video is still";
}

TEST(TestPattern, OddAndTinySizesRender) {
  for (const auto& [w, h] :
       {std::pair<std::uint32_t, std::uint32_t>{1, 1}, {7, 5}, {16, 16}, {17, 33}, {321, 241}}) {
    auto src = make_test_pattern(w, h, 24);
    for (std::uint64_t tick = 0; tick < 30; ++tick)
      EXPECT_EQ(copy(src->grab(tick)), pattern(w, h, 24, tick))
          << w << "x" << h << " tick " << tick;
  }
}

TEST(TestPattern, RejectsNonsense) {
  EXPECT_THROW(make_test_pattern(0, 240, 30), std::invalid_argument);
  EXPECT_THROW(make_test_pattern(320, 0, 30), std::invalid_argument);
  EXPECT_THROW(make_test_pattern(320, 240, 0), std::invalid_argument);
  EXPECT_THROW(make_test_pattern(320, 240, -1), std::invalid_argument);
}

TEST(MakeSource, DispatchesOnKindAndNamesTheChoices) {
  SourceOptions o;
  o.kind = "test-pattern";
  o.width = 64;
  o.height = 48;
  EXPECT_EQ(make_source(o)->describe(), "test-pattern 64x48");
  o.kind = "vnc";
  try {
    make_source(o);
    FAIL() << "no exception for --source vnc";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "unknown --source 'vnc': use auto, x11, pipewire or test-pattern");
  }
}

TEST(MakeSource, AutoIsPipeWireInAWaylandSessionAndX11Otherwise) {
  SourceOptions o;  // kind auto
  ScopedEnv type("XDG_SESSION_TYPE", std::nullopt), wayland("WAYLAND_DISPLAY", std::nullopt);
  EXPECT_EQ(resolve_source_kind(o), "x11");
  {
    ScopedEnv t("XDG_SESSION_TYPE", "wayland");
    EXPECT_EQ(resolve_source_kind(o), "pipewire");
  }
  {
    ScopedEnv t("XDG_SESSION_TYPE", "x11");
    EXPECT_EQ(resolve_source_kind(o), "x11");
    ScopedEnv w("WAYLAND_DISPLAY", "wayland-0");
    EXPECT_EQ(resolve_source_kind(o), "pipewire");
    o.display = ":0";  // an X display named: XWayland or a nested X server, recorded as X
    EXPECT_EQ(resolve_source_kind(o), "x11");
  }
  o.display.clear();
  for (const char* kind : {"x11", "pipewire", "test-pattern"}) {
    o.kind = kind;
    EXPECT_EQ(resolve_source_kind(o), kind);
  }
}

// The message of the std::invalid_argument make_source throws for `o`; empty if it throws none.
std::string refusal(const SourceOptions& o) {
  try {
    make_source(o);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(MakeSource, PipeWireTakesNoRegionAndLetsTheDialogChoose) {
  SourceOptions o;
  o.kind = "pipewire";
  o.region = "0,0,10,10";
  EXPECT_NE(refusal(o).find("--region goes with --source x11"), std::string::npos) << refusal(o);
  o.region.clear();
  o.window = "Firefox";
  EXPECT_NE(refusal(o).find("give --window ask (not 'Firefox')"), std::string::npos) << refusal(o);
}

// Each test gets its own 320x240 Xvfb; the picture on it is a test pattern frame, which has
// text-like detail and gradients, so every byte value and position matters.
class X11Capture : public ::testing::Test {
 protected:
  static constexpr std::uint32_t kW = 320, kH = 240;

  // The grabbed frame must equal `expected` in B, G and R (the 4th byte is padding).
  static void expect_same_rgb(const FrameRef& got, const Pixels& expected) {
    ASSERT_EQ(got.width, kW);
    ASSERT_EQ(got.height, kH);
    ASSERT_EQ(got.stride, kW * 4);
    std::size_t differ = 0, first = 0;
    for (std::uint32_t y = 0; y < kH; ++y)
      for (std::uint32_t x = 0; x < kW; ++x) {
        if (std::memcmp(got.pixels + y * got.stride + x * 4, &expected[(y * kW + x) * 4], 3) == 0)
          continue;
        if (differ++ == 0) first = y * kW + x;
      }
    EXPECT_EQ(differ, 0u) << "pixels differ, the first at x " << first % kW << " y " << first / kW;
  }

  // Paints two different pictures in turn and grabs each: the second grab must not return the
  // first picture (the segment or reply is refreshed, not stale).
  void check_grabs(FrameSource& src) {
    test::ScreenPainter painter(xvfb.display());
    ASSERT_EQ(painter.width(), kW);
    for (std::uint64_t tick : {3, 250}) {
      const Pixels picture = pattern(kW, kH, 30, tick);
      painter.show(picture);
      expect_same_rgb(src.grab(tick), picture);
    }
  }

  test::Xvfb xvfb{"320x240"};
};

TEST_F(X11Capture, SharedMemoryGrabIsTheScreen) {
  ScopedEnv shm("SCREENREEL_NO_SHM", std::nullopt);
  testing::internal::CaptureStderr();
  auto src = make_x11_source(xvfb.display());
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(src->describe(), "x11 " + xvfb.display() + " 320x240 shm");
  EXPECT_EQ(err, "") << "Xvfb has MIT-SHM, so no fallback notice";
  EXPECT_EQ(src->width(), kW);
  EXPECT_EQ(src->height(), kH);
  check_grabs(*src);
}

TEST_F(X11Capture, TheSegmentCannotOutliveTheSource) {
  ScopedEnv shm("SCREENREEL_NO_SHM", std::nullopt);
  ASSERT_TRUE(our_segments().empty());
  auto src = make_x11_source(xvfb.display());
  const auto live = our_segments();
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].size, std::size_t{kW} * kH * 4);
  EXPECT_EQ(live[0].mode & 0777, 0600u) << "only our user may attach the screen's pixels";
  EXPECT_NE(live[0].mode & 01000, 0u) << "not marked for removal: a crash would leak it";
  src.reset();
  // The server detaches when it reads our request; give it a moment.
  for (int i = 0; i < 200 && !our_segments().empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(our_segments().empty());
}

TEST_F(X11Capture, GetImageFallbackIsTheScreenAndSaysSoOnce) {
  ScopedEnv no_shm("SCREENREEL_NO_SHM", "1");
  screenreel::log::set_program("screenreel-capture");  // as capture's main() does
  testing::internal::CaptureStderr();
  auto src = make_x11_source(xvfb.display());
  check_grabs(*src);
  src->grab(9);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(src->describe(), "x11 " + xvfb.display() + " 320x240 get-image");
  const std::string notice = "screenreel-capture: MIT-SHM not available on display " +
                             xvfb.display() +
                             " (SCREENREEL_NO_SHM is set); using xcb_get_image (slower)\n";
  EXPECT_EQ(err, notice);
}

TEST_F(X11Capture, EmptyDisplayNameMeansDollarDisplay) {
  ScopedEnv display("DISPLAY", xvfb.display());
  EXPECT_EQ(make_x11_source("")->describe(), "x11 " + xvfb.display() + " 320x240 shm");
  SourceOptions o;  // kind auto, display empty: x11 outside a Wayland session
  ScopedEnv type("XDG_SESSION_TYPE", std::nullopt), wayland("WAYLAND_DISPLAY", std::nullopt);
  EXPECT_EQ(make_source(o)->describe(), "x11 " + xvfb.display() + " 320x240 shm");
}

TEST(X11CaptureLoss, GrabThrowsOnceTheServerIsGone) {
  for (const char* no_shm : {"0", "1"}) {
    ScopedEnv env("SCREENREEL_NO_SHM", no_shm);
    testing::internal::CaptureStderr();
    auto xvfb = std::make_unique<test::Xvfb>("64x48");
    const std::string display = xvfb->display();
    auto src = make_x11_source(display);
    src->grab(0);
    xvfb.reset();  // the server ends
    try {
      src->grab(1);
      ADD_FAILURE() << "grab after the server ended did not throw (SCREENREEL_NO_SHM=" << no_shm
                    << ")";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("X display " + display + " closed"), std::string::npos)
          << e.what();
    }
    testing::internal::GetCapturedStderr();
  }
}

TEST(X11CaptureErrors, ABadDisplayIsExplained) {
  struct stat st {};
  if (::stat("/tmp/.X11-unix/X149", &st) == 0) GTEST_SKIP() << "an X server runs on :149";
  try {
    make_x11_source(":149");
    FAIL() << "no exception for a display without a server";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("cannot open X display ':149'"), std::string::npos) << what;
    EXPECT_NE(what.find("Use --display, or --source test-pattern"), std::string::npos) << what;
  }
  try {
    make_x11_source("no display here");
    FAIL() << "no exception for a malformed display name";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("'no display here'"), std::string::npos) << e.what();
  }
}

TEST(X11CaptureErrors, NoDisplayAnywhereIsExplained) {
  ScopedEnv display("DISPLAY", std::nullopt);
  try {
    make_x11_source("");
    FAIL() << "no exception without a display";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("$DISPLAY is not set"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace screenreel::capture

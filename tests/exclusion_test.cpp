// Keeping a window and a region out of a recording (--exclude-window, --exclude-region), end to
// end: screenreel-capture records a private Xvfb showing a known picture and a "password
// manager" window of bright stripes that moves and grows during the recording; every JPEG the
// receiver stores is black wherever the window was and over the region, never the window's
// stripes, and the rest of the screen matches the picture. Bad values: an unknown window is one
// error line and exit 1, a malformed region exit 2.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/jpeg.hpp"
#include "screenreel/archive/sqlite_catalog.hpp"
#include "support/process.hpp"
#include "support/programs.hpp"
#include "support/screen_painter.hpp"
#include "support/xvfb.hpp"
#include "x11_area.hpp"

namespace screenreel {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Pixels = std::vector<std::uint8_t>;

constexpr std::uint32_t kW = 640, kH = 400;

// A rectangle of the screen; every one here lies on the 16-pixel grid of JPEG's blocks, so a
// block is wholly inside or outside it.
struct Box {
  std::uint32_t x, y, w, h;
  bool contains(std::uint32_t px, std::uint32_t py) const { return px >= x && px < x + w && py >= y && py < y + h; }
};

// Bright yellow and white stripes: nothing like the picture under it, nor black.
Pixels stripes(std::uint32_t w, std::uint32_t h) {
  Pixels out(std::size_t{w} * h * 4);
  for (std::uint32_t y = 0; y < h; ++y)
    for (std::uint32_t x = 0; x < w; ++x) {
      std::uint8_t* p = &out[(std::size_t{y} * w + x) * 4];
      const bool white = (x / 8 + y / 8) % 2 != 0;
      p[0] = white ? 255 : 0, p[1] = 255, p[2] = 255, p[3] = 0;
    }
  return out;
}

// The mean absolute difference of a 16x16 block of a decoded frame (BGR) from `bgrx`, or from
// black when `bgrx` is null.
double block_difference(const DecodedImage& img, const Pixels* bgrx, std::uint32_t bx, std::uint32_t by) {
  double sum = 0;
  for (std::uint32_t y = by; y < by + 16; ++y)
    for (std::uint32_t x = bx; x < bx + 16; ++x)
      for (int c = 0; c < 3; ++c) {
        const double want = bgrx ? (*bgrx)[(std::size_t{y} * kW + x) * 4 + c] : 0.0;
        sum += std::abs(double(img.bgr[(std::size_t{y} * kW + x) * 3 + c]) - want);
      }
  return sum / (16 * 16 * 3);
}

bool black_over(const DecodedImage& img, const Box& b) {
  for (std::uint32_t y = b.y; y < b.y + b.h; y += 16)
    for (std::uint32_t x = b.x; x < b.x + b.w; x += 16)
      if (block_difference(img, nullptr, x, y) > 6) return false;
  return true;
}

class Exclusion : public ::testing::Test {
 protected:
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(archive_);
  }
  std::vector<std::string> capture_args(std::vector<std::string> extra) const {
    std::vector<std::string> argv = {SCREENREEL_CAPTURE_BIN, "--display", screen_.display(), "--no-cursor"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  test::Xvfb screen_{std::to_string(kW) + "x" + std::to_string(kH)};
  fs::path archive_ = test::fresh_temp_dir("screenreel-exclude");
};

TEST_F(Exclusion, AMovingWindowAndARegionAreBlackInEveryStoredFrame) {
  test::ScreenPainter painter(screen_.display());
  const Pixels picture = test::make_picture(kW, kH, 0), second = test::make_picture(kW, kH, 2);
  painter.show(picture);
  const Box first{48, 48, 192, 128}, moved{320, 208, 192, 128}, grown{320, 208, 256, 160};
  const Box region{400, 32, 128, 64};
  const Pixels vault = stripes(grown.w, grown.h);
  // The window's picture is its background pixmap, as big as it ever gets.
  capture::x11_area::TestWindow window(screen_.display(), "Vault - Passwords", int(first.x), int(first.y),
                                       first.w, first.h, vault);

  auto receiver = test::start_receiver(archive_, {"--no-display"});
  ASSERT_NE(receiver.port, 0);
  test::Process capture(capture_args({"--connect", "127.0.0.1:" + std::to_string(receiver.port), "--fps", "10",
                                      "--name", "vault", "--exclude-window", "Vault - Pass", "--exclude-region",
                                      "400,32,128,64"}));
  ASSERT_TRUE(capture.wait_for_stderr("recording session", 20s)) << capture.err();
  std::this_thread::sleep_for(1s);
  window.move(int(moved.x), int(moved.y));
  std::this_thread::sleep_for(1s);
  window.resize(grown.w, grown.h);
  std::this_thread::sleep_for(700ms);
  painter.show(second);  // the screen changes under the window and the region too
  std::this_thread::sleep_for(1s);
  capture.signal(SIGINT);
  ASSERT_EQ(capture.wait_for(30s).value_or(-1), 0) << capture.err();
  receiver.process->signal(SIGTERM);
  ASSERT_EQ(receiver.process->wait_for(30s).value_or(-1), 0) << receiver.process->err();

  SqliteCatalog catalog(ArchivePaths(archive_).catalog(), SqliteCatalog::Mode::kReadOnly);
  const auto sessions = catalog.sessions();
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_NE(sessions[0].source.find(", 1 window and 1 region excluded"), std::string::npos) << sessions[0].source;
  const auto rows = catalog.frames(sessions[0].id);
  ASSERT_GE(rows.size(), 3u) << "the start, the move, the resize and the new picture are frames";
  const fs::path dir = ArchivePaths(archive_).session(sessions[0].folder);
  bool saw_first = false, saw_grown = false;
  for (const auto& row : rows) {
    SCOPED_TRACE(row.file);
    const std::string bytes = test::read_file(dir / row.file);
    auto img = decode_jpeg_bgr(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
    ASSERT_TRUE(img);
    ASSERT_EQ(img->width, kW);
    ASSERT_EQ(img->height, kH);
    // Which picture is on the screen: the one the rest of the frame matches (>= 35 dB).
    const auto masked = [&](const Pixels& pic) {
      Pixels want = pic;
      Pixels got = img->bgr;
      for (std::uint32_t y = 0; y < kH; ++y)
        for (std::uint32_t x = 0; x < kW; ++x)
          if (first.contains(x, y) || grown.contains(x, y) || region.contains(x, y)) {
            std::fill_n(&want[(std::size_t{y} * kW + x) * 4], 3, 0);
            std::fill_n(&got[(std::size_t{y} * kW + x) * 3], 3, 0);
          }
      return test::psnr_bgr_vs_bgrx(got, want);
    };
    const double psnr_first = masked(picture), psnr_second = masked(second);
    const Pixels& shown = psnr_first >= psnr_second ? picture : second;
    EXPECT_GE(std::max(psnr_first, psnr_second), 35.0) << "the screen outside the excluded areas";
    EXPECT_TRUE(black_over(*img, region)) << "the excluded region";
    // Wherever the window ever was: black, or the picture the window uncovered; never its stripes.
    for (const Box& b : {first, grown})
      for (std::uint32_t y = b.y; y < b.y + b.h; y += 16)
        for (std::uint32_t x = b.x; x < b.x + b.w; x += 16) {
          const double to_black = block_difference(*img, nullptr, x, y), to_screen = block_difference(*img, &shown, x, y);
          EXPECT_LT(std::min(to_black, to_screen), 12.0) << "block at " << x << "," << y;
        }
    const bool at_first = black_over(*img, first), at_grown = black_over(*img, grown);
    EXPECT_TRUE(at_first || black_over(*img, moved)) << "the window is black where it is";
    saw_first = saw_first || (at_first && !black_over(*img, moved));
    saw_grown = saw_grown || (at_grown && !black_over(*img, first));
  }
  EXPECT_TRUE(saw_first) << "a frame with the window at its first place";
  EXPECT_TRUE(saw_grown) << "a frame with the window moved and grown, followed there";
}

TEST_F(Exclusion, AnUnknownWindowIsOneErrorLineAndExit1) {
  test::Process capture(capture_args({"--connect", "127.0.0.1:9", "--exclude-window", "no such window here"}));
  ASSERT_EQ(capture.wait_for(20s).value_or(-1), 1) << capture.err();
  const std::string err = capture.err();
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_NE(err.find("error: --exclude-window no such window here: no window shown on X display"),
            std::string::npos)
      << capture.err();
}

TEST_F(Exclusion, AMalformedRegionIsABadCommandLine) {
  for (const char* bad : {"1,2,3", "a,b,c,d", "10,10,0,5", "10,10,5,-5"}) {
    test::Process capture(capture_args({"--exclude-region", bad}));
    EXPECT_EQ(capture.wait_for(20s).value_or(-1), 2) << bad << ": " << capture.err();
    EXPECT_NE(capture.err().find("--exclude-region " + std::string(bad) + ": want X,Y,W,H"), std::string::npos)
        << capture.err();
  }
  test::Process pattern({SCREENREEL_CAPTURE_BIN, "--source", "test-pattern", "--connect", "127.0.0.1:9",
                         "--exclude-window", "0x1234"});
  EXPECT_EQ(pattern.wait_for(20s).value_or(-1), 1) << pattern.err();
  EXPECT_NE(pattern.err().find("--exclude-window goes with --source x11"), std::string::npos) << pattern.err();
}

}  // namespace
}  // namespace screenreel

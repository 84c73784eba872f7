// End to end, with real processes: text scrolls on an Xvfb screen (a page drawn 16 rows higher
// each step, as a terminal scrolls), the real screenreel-capture streams it over loopback TCP to
// the real screenreel-receiver, once with copies (the default on a protocol-3 connection) and
// once with --no-copies. Both runs store every frame sent, each one (decoded by the receiver,
// which checks it against the client's frame hash) a view of the page that was on the screen;
// with copies the client says it sent copy rectangles, and the wire carries far fewer bytes.
#include <gtest/gtest.h>

#include <csignal>
#include <iostream>
#include <filesystem>
#include <random>
#include <regex>
#include <thread>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/jpeg.hpp"
#include "screenreel/archive/sqlite_catalog.hpp"
#include "support/process.hpp"
#include "support/programs.hpp"
#include "support/screen_painter.hpp"
#include "support/xvfb.hpp"

namespace screenreel {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::Process;

constexpr std::uint32_t kW = 640, kH = 400, kStep = 16;  // rows scrolled a step
constexpr int kSteps = 30;

// A page of text-like lines (ink at random in 4-pixel cells, every row unlike the others, a
// blank line every 64 rows), kW wide and tall enough for every step. The ink is tinted: grey
// would come back from 4:2:0 planes converted to BGRX exactly, and the tests could not tell the
// receiver's JPEG coded from the planes from one coded from the pixels converted back. The tint
// is a constant red offset: the chroma is then the same everywhere (as grey's), so the planes
// compress as well as grey's.
std::vector<std::uint8_t> make_page() {
  const std::uint32_t rows = kH + kStep * kSteps;
  std::vector<std::uint8_t> page(std::size_t{kW} * rows * 4);
  std::mt19937 rng(19);
  for (std::uint32_t y = 0; y < rows; ++y)
    for (std::uint32_t x = 0; x < kW; x += 4) {
      const std::uint8_t ink = y % 64 == 63 ? 0 : rng() % 3 == 0 ? 200 : 60;
      for (std::uint32_t k = 0; k < 4; ++k) {
        std::uint8_t* p = page.data() + (std::size_t{y} * kW + x + k) * 4;
        p[0] = p[1] = ink;
        p[2] = static_cast<std::uint8_t>(ink + 21);  // reddish: the same Cb and Cr for every ink
      }
    }
  return page;
}

// The screen at `step`: the page from row step * kStep.
std::vector<std::uint8_t> view(const std::vector<std::uint8_t>& page, int step) {
  const std::size_t from = std::size_t{kW} * 4 * kStep * static_cast<std::size_t>(step);
  return {page.begin() + static_cast<long>(from), page.begin() + static_cast<long>(from + std::size_t{kW} * kH * 4)};
}

double number(const std::string& text, const std::string& pattern) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(pattern))) return -1;
  return std::stod(m[1]);
}

struct Recorded {
  std::string summary, err;
  std::int64_t sent = -1, stored = -1, copies = -1;
  // Stored frames that decode to exactly the pixels of the archive's JPEG of the screen itself.
  std::int64_t as_the_screens = 0;
  std::int64_t from_planes = -1;  // the receiver's count of JPEGs coded from 4:2:0 planes
  double wire_pct_of_raw = -1;
};

class CopyRecording : public ::testing::Test {
 protected:
  void SetUp() override {
    archive = test::fresh_temp_dir("screenreel-copies");
    screen = std::make_unique<test::Xvfb>(std::to_string(kW) + "x" + std::to_string(kH));
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(archive);
  }

  // One recording of the scroll into archive/NAME; checks that every frame sent is stored and
  // is a view of the page.
  Recorded record(const std::string& name, const std::vector<std::string>& extra) {
    Recorded run;
    const fs::path dir = archive / name;
    test::ScreenPainter painter(screen->display());
    painter.show(view(page, 0));
    auto receiver = test::start_receiver(dir, {"--no-display", "--quality", "95"});
    std::vector<std::string> argv = {SCREENREEL_CAPTURE_BIN, "--connect", "127.0.0.1:" + std::to_string(receiver.port),
                                     "--display", screen->display(), "--fps", "15", "--name", name, "--no-cursor",
                                     "--duration", "6"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    Process capture(argv);
    EXPECT_TRUE(capture.wait_for_stderr("recording session", 20s)) << capture.err();
    for (int step = 1; step <= kSteps; ++step) {
      std::this_thread::sleep_for(150ms);
      painter.show(view(page, step));
    }
    const auto rc = capture.wait_for(30s);
    EXPECT_TRUE(rc && *rc == 0) << capture.err();
    receiver.process->signal(SIGTERM);
    EXPECT_TRUE(receiver.process->wait_for(30s));

    run.summary = capture.out();
    run.err = capture.err();
    run.from_planes =
        static_cast<std::int64_t>(number(receiver.process->err(), R"((\d+) of them coded from 4:2:0 planes)"));
    run.sent = test::frames_sent(run.summary);
    run.stored = static_cast<std::int64_t>(number(run.summary, R"(receiver stored (\d+))"));
    run.copies = static_cast<std::int64_t>(number(run.summary, R"((\d+) copy rectangles)"));
    run.wire_pct_of_raw = number(run.summary, R"(\(([0-9.]+)% of raw\))");
    EXPECT_GE(run.sent, kSteps / 2) << run.summary;
    EXPECT_EQ(run.stored, run.sent) << run.summary;

    SqliteCatalog catalog(ArchivePaths(dir).catalog(), SqliteCatalog::Mode::kReadOnly);
    const auto sessions = catalog.sessions();
    EXPECT_EQ(sessions.size(), 1u);
    if (sessions.size() != 1) return run;
    EXPECT_EQ(sessions[0].frame_count, run.sent);
    const auto rows = catalog.frames(sessions[0].id);
    EXPECT_EQ(static_cast<std::int64_t>(rows.size()), run.sent);
    int last_step = 0;
    JpegEncoder screens(95);  // the receiver's --quality
    for (const auto& r : rows) {
      const std::string bytes = test::read_file(ArchivePaths(dir).session(sessions[0].folder) / r.file);
      auto img = decode_jpeg_bgr(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
      EXPECT_TRUE(img) << r.file;
      if (!img) continue;
      double best = 0;
      int best_step = -1;
      for (int step = last_step; step <= kSteps; ++step) {  // the screen only scrolls on
        const double v = test::psnr_bgr_vs_bgrx(img->bgr, view(page, step));
        if (v > best) best = v, best_step = step;
      }
      EXPECT_GE(best, 35.0) << name << " " << r.file << " is no view of the page that was on the screen";
      last_step = std::max(last_step, best_step);
      if (best_step < 0) continue;
      const auto shown = view(page, best_step);
      const auto own = decode_jpeg_bgr(screens.encode_bgrx(shown.data(), kW, kH, std::size_t{kW} * 4));
      if (own && own->bgr == img->bgr) ++run.as_the_screens;
    }
    EXPECT_EQ(last_step, kSteps) << name << ": the last view should be recorded";
    return run;
  }

  fs::path archive;
  std::unique_ptr<test::Xvfb> screen;
  const std::vector<std::uint8_t> page = make_page();
};

TEST_F(CopyRecording, ScrolledTextGoesAsCopiesEveryFrameStoredWithFewerBytesThanWithout) {
  const Recorded with = record("copies", {"--stats"});
  const Recorded without = record("no-copies", {"--no-copies"});
  EXPECT_GE(with.copies, kSteps / 2) << with.summary;
  EXPECT_EQ(without.copies, -1) << "--no-copies sent copies: " << without.summary;
  // --stats' line counts them as they go.
  EXPECT_TRUE(std::regex_search(with.err, std::regex(R"(copies [1-9]\d* \([0-9.]+ Mpx\))"))) << with.err;
  // Per frame (as a share of the raw frames sent): a scroll step resends only its new rows.
  ASSERT_GT(with.wire_pct_of_raw, 0) << with.summary;
  EXPECT_LT(with.wire_pct_of_raw * 3, without.wire_pct_of_raw) << with.summary << "\n" << without.summary;
  std::cout << "with copies:    " << with.summary << "\nwithout copies: " << without.summary << "\n";
}

// Protocol 5: the same scroll with the changed tiles as 4:2:0 planes (--wire-pixels yuv420,
// without copies so that every step's tiles go): every frame sent is stored, the receiver's frame
// matching the client's hash, each stored JPEG a view of the page within 35 dB, in fewer bytes.
// The receiver codes the JPEGs from the planes the client sent (issue 19; its log counts them):
// the very JPEG of the screen's pixels (the planes are libjpeg's own conversion; 640 is whole
// MCUs), as with BGRX tiles.
TEST_F(CopyRecording, FourTwoZeroTilesStoreEveryFrameAsAViewOfThePageInFewerBytes) {
  const Recorded yuv = record("yuv420", {"--no-copies", "--wire-pixels", "yuv420"});
  const Recorded bgrx = record("bgrx", {"--no-copies"});
  ASSERT_GT(yuv.wire_pct_of_raw, 0) << yuv.summary;
  EXPECT_LT(yuv.wire_pct_of_raw, bgrx.wire_pct_of_raw) << yuv.summary << "\n" << bgrx.summary;
  EXPECT_EQ(yuv.from_planes, yuv.stored) << "the receiver did not code every JPEG from the planes";
  EXPECT_EQ(bgrx.from_planes, -1) << "planes in a BGRX session";
  // A frame captured while the painter was drawing is no view of the page: most are.
  EXPECT_GE(yuv.as_the_screens * 10, yuv.stored * 8) << yuv.as_the_screens << " of " << yuv.stored;
  EXPECT_GE(bgrx.as_the_screens * 10, bgrx.stored * 8) << bgrx.as_the_screens << " of " << bgrx.stored;
  std::cout << "yuv420: " << yuv.summary << "\nbgrx:   " << bgrx.summary << "\nstored as the screen's own JPEG: yuv420 "
            << yuv.as_the_screens << " of " << yuv.stored << ", bgrx " << bgrx.as_the_screens << " of " << bgrx.stored
            << "\n";
}

}  // namespace
}  // namespace screenreel

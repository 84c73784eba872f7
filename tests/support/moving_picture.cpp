// screenreel-moving-picture: a full-screen moving picture at a steady rate, cheap to draw, for the
// "picture" scene (tests/support/scene.sh) of the shaped-link benchmark and tests. ffplay drawing
// testsrc2 full screen took 1.4 cores of this 2-core machine and drew 18 pictures a second, so a
// recording of it could not show more; this draws 30 a second in a fifth of a core (and Xvfb a
// tenth to show them).
//
//   DISPLAY=:N screenreel-moving-picture [FPS]   (30 when not given)
//
// Every picture differs from the one before everywhere and is no shift of it (three sine waves
// moving at different speeds and directions, per colour channel): as a camera's picture, JPEG
// codes it in a few percent of its pixels' bytes and LZ4 barely at all, and no part of it is a
// copy of the last. Prints "moving picture ready" on stderr after the first one is shown; runs
// until killed.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "support/screen_painter.hpp"

namespace {

// Picture `t` of the sequence into `bgrx` (w x h): per channel, a wave along x, one along y and
// a finer diagonal one, each moving at its own speed.
void render(std::uint32_t w, std::uint32_t h, std::uint64_t t, std::vector<std::uint8_t>& bgrx,
            std::vector<std::int16_t>& along_x, std::vector<std::int16_t>& along_y, std::vector<std::int16_t>& diagonal) {
  const double phase = static_cast<double>(t);
  along_x.resize(std::size_t{w} * 4);
  along_y.resize(std::size_t{h} * 4);
  diagonal.resize((std::size_t{w} + 2 * h) * 4);
  for (int c = 0; c < 3; ++c) {
    for (std::uint32_t x = 0; x < w; ++x)
      along_x[x * 4 + c] = static_cast<std::int16_t>(128 + 55 * std::sin(x / (61.0 + 9 * c) + phase * (0.09 + 0.02 * c)));
    for (std::uint32_t y = 0; y < h; ++y)
      along_y[y * 4 + c] = static_cast<std::int16_t>(45 * std::sin(y / (43.0 + 7 * c) - phase * (0.07 + 0.03 * c) + c));
    for (std::uint32_t d = 0; d < w + 2 * h; ++d)
      diagonal[d * 4 + c] = static_cast<std::int16_t>(14 * std::sin(d / (19.0 + 2 * c) + phase * 0.31));
  }
  // 128 + 55 + 45 + 14 < 256 and 128 - 114 > 0: no clamping, a loop the compiler vectorizes.
  for (std::uint32_t y = 0; y < h; ++y) {
    std::uint8_t* row = bgrx.data() + std::size_t{y} * w * 4;
    const std::int16_t* dd = diagonal.data() + std::size_t{2} * y * 4;
    const std::int16_t y0 = along_y[y * 4], y1 = along_y[y * 4 + 1], y2 = along_y[y * 4 + 2];
    for (std::uint32_t i = 0; i < w * 4; i += 4) {
      row[i] = static_cast<std::uint8_t>(along_x[i] + y0 + dd[i]);
      row[i + 1] = static_cast<std::uint8_t>(along_x[i + 1] + y1 + dd[i + 1]);
      row[i + 2] = static_cast<std::uint8_t>(along_x[i + 2] + y2 + dd[i + 2]);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const char* display = std::getenv("DISPLAY");
  const double fps = argc > 1 ? std::atof(argv[1]) : 30.0;
  if (!display || fps <= 0 || fps > 240) {
    std::fprintf(stderr, "usage: DISPLAY=:N screenreel-moving-picture [FPS, 1..240]\n");
    return 2;
  }
  try {
    screenreel::test::ScreenPainter painter(display);
    const std::uint32_t w = painter.width(), h = painter.height();
    std::vector<std::uint8_t> picture(std::size_t{w} * h * 4);
    std::vector<std::int16_t> along_x, along_y, diagonal;
    const auto period = std::chrono::duration<double>(1.0 / fps);
    const auto start = std::chrono::steady_clock::now();
    for (std::uint64_t t = 0;; ++t) {
      render(w, h, t, picture, along_x, along_y, diagonal);
      std::this_thread::sleep_until(start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(period * t));
      painter.show(picture);
      if (t == 0) std::fprintf(stderr, "moving picture ready\n");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "screenreel-moving-picture: %s\n", e.what());
    return 1;
  }
}

// The test-pattern capture source (see test_pattern.hpp): deterministic moving and static
// regions with text-like detail, for demos and tests without a screen.
#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "screenreel/capture/source.hpp"
#include "screenreel/capture/test_pattern.hpp"

namespace screenreel::capture {
namespace {

constexpr std::uint32_t kCellW = 8, kCellH = 14;  // one "character" of the fake text

// Whether pixel (gx, gy) of a character cell is ink for character `code`. Characters are built
// from strokes, like a bitmap font (a 7-segment display with a few extras), so the pattern has
// the edges of real text rather than noise.
bool glyph_dot(std::uint32_t code, std::uint32_t gx, std::uint32_t gy) {
  if (code == 0 || code % 5 == 0) return false;  // empty cells and spaces
  const std::uint32_t strokes = (code * 2654435761u) >> 20;
  const bool left = gx == 1, right = gx == 5, mid_col = gx == 3;
  const bool in_x = gx >= 1 && gx <= 5, upper = gy >= 3 && gy <= 7, lower = gy >= 7 && gy <= 11;
  return ((strokes & 1) && gy == 3 && in_x) || ((strokes & 2) && gy == 7 && in_x) ||
         ((strokes & 4) && gy == 11 && in_x) || ((strokes & 8) && left && upper) ||
         ((strokes & 16) && left && lower) || ((strokes & 32) && right && upper) ||
         ((strokes & 64) && right && lower) || ((strokes & 128) && mid_col && gy >= 3 && gy <= 11);
}

// Character code of text line `line`, column `col`: lines have pseudo-random lengths.
std::uint32_t text_code(std::uint64_t line, std::uint32_t col) {
  const std::uint32_t h = static_cast<std::uint32_t>(line * 0x9E3779B1u);
  const std::uint32_t len = 10 + (h >> 8) % 60;
  return col < len ? (h ^ (col * 0x85EBCA6Bu)) | 1 : 0;
}

void put(std::uint8_t* p, std::uint8_t b, std::uint8_t g, std::uint8_t r) {
  p[0] = b;
  p[1] = g;
  p[2] = r;
  p[3] = 0;
}

}  // namespace

void render_test_pattern(std::uint32_t w, std::uint32_t h, double fps, std::uint64_t tick, std::uint8_t* out) {
  const std::size_t stride = std::size_t{w} * 4;
  const double t = static_cast<double>(tick) / (fps > 0 ? fps : 30);  // seconds since the start
  const std::uint32_t split = w / 2, term_bottom = h * 2 / 3;
  const std::uint64_t scroll = static_cast<std::uint64_t>(t * 2);  // one line every half second
  // Moving box: 1/6 of the height, crossing the lower right area in 4 s, back and forth.
  const std::uint32_t box = std::max<std::uint32_t>(8, h / 6);
  const double phase = t / 4.0 - static_cast<double>(static_cast<std::uint64_t>(t / 4.0));
  const double sweep = (static_cast<std::uint64_t>(t / 4.0) % 2) ? 1 - phase : phase;
  const std::uint32_t span = (w - split > box) ? w - split - box : 0;
  const std::uint32_t bx = split + static_cast<std::uint32_t>(sweep * span);
  const std::uint32_t by = term_bottom + (h - term_bottom > box ? (h - term_bottom - box) / 2 : 0);

  for (std::uint32_t y = 0; y < h; ++y) {
    std::uint8_t* row = out + y * stride;
    for (std::uint32_t x = 0; x < w; ++x) {
      std::uint8_t* p = row + std::size_t{x} * 4;
      if (y < term_bottom && x < split) {
        // Terminal: light text on dark, scrolled by `scroll` lines.
        const std::uint64_t line = y / kCellH + scroll;
        const std::uint32_t code = text_code(line, x / kCellW);
        if (glyph_dot(code, x % kCellW, y % kCellH))
          put(p, 210, 220, 200);
        else
          put(p, 30, 24, 20);
      } else if (y < term_bottom) {
        // Static "document": dark text on white, never changes.
        const std::uint32_t code = text_code(y / kCellH + 100000, (x - split) / kCellW);
        if (glyph_dot(code, x % kCellW, y % kCellH))
          put(p, 40, 40, 40);
        else
          put(p, 250, 250, 250);
      } else if (x >= bx && x < bx + box && y >= by && y < by + box) {
        put(p, 40, 200, 250);  // the moving box
      } else if (x >= split) {
        // Video area: a slowly moving diagonal gradient.
        // A triangle wave, so the gradient has no hard edge where it wraps around.
        const auto v = static_cast<std::uint32_t>(x + y + static_cast<std::uint32_t>(t * 60)) % 512;
        const auto tri = static_cast<std::uint8_t>(v < 256 ? v : 511 - v);
        put(p, tri, static_cast<std::uint8_t>(64 + tri / 2), static_cast<std::uint8_t>(255 - tri));
      } else {
        put(p, 90, 60, 50);  // static panel
      }
    }
  }
  // Tick counter: 10 binary "digits" in the top left corner of the static panel.
  if (h > term_bottom + 16 && split > 10 * 12) {
    for (std::uint32_t bit = 0; bit < 10; ++bit) {
      const bool on = (tick >> bit) & 1;
      for (std::uint32_t y = term_bottom + 4; y < term_bottom + 14; ++y)
        for (std::uint32_t x = 4 + bit * 12; x < 14 + bit * 12; ++x)
          put(out + y * stride + std::size_t{x} * 4, on ? 255 : 0, on ? 255 : 0, on ? 255 : 0);
    }
  }
}

namespace {

class TestPatternSource : public FrameSource {
 public:
  TestPatternSource(std::uint32_t w, std::uint32_t h, double fps)
      : w_(w), h_(h), fps_(fps), pixels_(std::size_t{w} * h * 4) {
    if (w < 16 || h < 16) throw std::invalid_argument("test pattern size must be at least 16x16");
  }
  std::uint32_t width() const override { return w_; }
  std::uint32_t height() const override { return h_; }
  std::string describe() const override {
    return "test-pattern " + std::to_string(w_) + "x" + std::to_string(h_);
  }
  FrameRef grab(std::uint64_t tick) override {
    render_test_pattern(w_, h_, fps_, tick, pixels_.data());
    return FrameRef{pixels_.data(), w_, h_, std::size_t{w_} * 4};
  }

 private:
  std::uint32_t w_, h_;
  double fps_;
  std::vector<std::uint8_t> pixels_;
};

}  // namespace

std::unique_ptr<FrameSource> make_test_pattern(std::uint32_t width, std::uint32_t height, double fps) {
  return std::make_unique<TestPatternSource>(width, height, fps);
}

}  // namespace screenreel::capture

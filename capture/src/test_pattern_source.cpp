// The test-pattern capture source (layout in test_pattern.hpp): a screen that looks like an
// editor, a scrolling terminal and a video, rendered from the tick number alone.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "screenreel/capture/source.hpp"
#include "screenreel/capture/test_pattern.hpp"

namespace screenreel::capture {
namespace {

constexpr std::uint32_t kCellW = 8, kCellH = 16;  // one character cell of the fake text
constexpr std::uint32_t kCellBytes = kCellW * kCellH * 4;
constexpr std::uint32_t kGlyphs = 64;           // glyph 0 is a space
constexpr std::uint32_t kGradientPeriod = 256;  // pixels; the drifting gradient repeats this often
constexpr double kGradientSpeed = 90, kBoxSpeedX = 150, kBoxSpeedY = 100;  // pixels a second
constexpr double kLinesPerSecond = 4;                                      // terminal scroll speed

struct Colour {
  std::uint8_t b, g, r;
};

// Text styles: foreground on background. Muted colours: saturated one-pixel strokes are what
// JPEG's 4:2:0 chroma loses most, and the recording tests hold stored frames to 35 dB PSNR.
enum Style : std::uint32_t { kEditorText, kEditorComment, kTerminalText, kTerminalPrompt, kStyles };
constexpr std::array<Colour, kStyles> kForeground = {
    {{200, 196, 190}, {140, 185, 130}, {195, 195, 195}, {130, 195, 135}}};
constexpr std::array<Colour, kStyles> kBackground = {
    {{48, 40, 36}, {48, 40, 36}, {26, 26, 26}, {26, 26, 26}}};
constexpr Colour kCounterBg{0, 0, 0}, kCounterFg{255, 255, 255}, kBox{70, 150, 220},
    kBoxEdge{200, 200, 200};

// SplitMix64's finaliser: a fixed, portable hash, so the "text" is the same on every machine.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

void put(std::uint8_t* p, Colour c) {
  p[0] = c.b;
  p[1] = c.g;
  p[2] = c.r;
  p[3] = 0;
}

void fill(std::uint8_t* out, std::size_t stride, std::uint32_t x0, std::uint32_t y0,
          std::uint32_t x1, std::uint32_t y1, Colour c) {
  for (std::uint32_t y = y0; y < y1; ++y)
    for (std::uint32_t x = x0; x < x1; ++x) put(out + y * stride + std::size_t{x} * 4, c);
}

// 0..255..0 over one period of kGradientPeriod pixels: smooth, so JPEG keeps it well.
std::uint8_t triangle(std::uint32_t x) {
  const std::uint32_t m = x % kGradientPeriod;
  return static_cast<std::uint8_t>(m < 128 ? m * 2 : (255 - m) * 2 + 1);
}

// Back and forth over [0, range] at one pixel per unit of `travel`.
std::uint32_t bounce(std::uint64_t travel, std::uint32_t range) {
  if (range == 0) return 0;
  const std::uint64_t m = travel % (2 * std::uint64_t{range});
  return static_cast<std::uint32_t>(m <= range ? m : 2 * std::uint64_t{range} - m);
}

// How far something moving at `speed` pixels a second has gone by `tick`. Pure arithmetic on the
// tick, never the clock, so every render of a tick agrees.
std::uint64_t travelled(std::uint64_t tick, double fps, double speed) {
  return static_cast<std::uint64_t>(std::floor(static_cast<double>(tick) * speed / fps));
}

// 3x5 digit shapes for the tick counter, one bit a block, top row first.
constexpr std::array<std::uint16_t, 10> kDigits = {
    0b111'101'101'101'111, 0b010'110'010'010'111, 0b111'001'111'100'111, 0b111'001'111'001'111,
    0b101'101'111'001'001, 0b111'100'111'001'111, 0b111'100'111'101'111, 0b111'001'010'010'010,
    0b111'101'111'101'111, 0b111'101'111'001'111};

class Pattern {
 public:
  Pattern(std::uint32_t w, std::uint32_t h, double fps) : w_(w), h_(h), fps_(fps) {
    if (w == 0 || h == 0 || w > 16384 || h > 16384)
      throw std::invalid_argument("test pattern size " + std::to_string(w) + "x" +
                                  std::to_string(h) + " is outside 1..16384 each");
    if (!(fps > 0) || !std::isfinite(fps))
      throw std::invalid_argument("test pattern fps " + std::to_string(fps) +
                                  " must be a positive number");
    // Region edges on whole text cells where the frame is large enough for that.
    split_x_ = w / 2 >= kCellW ? w / 2 / kCellW * kCellW : w / 2;
    split_y_ = h / 2 >= kCellH ? h / 2 / kCellH * kCellH : h / 2;
    ticks_per_line_ =
        std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::llround(fps / kLinesPerSecond)));
    build_glyphs();
    build_editor();
    build_gradient();
  }

  void render(std::uint64_t tick, std::uint8_t* out) const {
    const std::size_t stride = std::size_t{w_} * 4;
    // Left: the static editor. Right: redrawn whole every tick, so nothing to copy there.
    for (std::uint32_t y = 0; y < h_; ++y)
      std::memcpy(out + y * stride, editor_.data() + y * std::size_t{split_x_} * 4,
                  std::size_t{split_x_} * 4);
    draw_terminal(tick, out, stride);
    draw_video(tick, out, stride);
    draw_counter(tick, out, stride);
  }

 private:
  // Glyphs are 5x9 pixels built from strokes, like a small bitmap font (a seven-segment digit
  // with a middle bar and a diagonal): not letters, but with the density and the sharp one-pixel
  // edges of text, which is what the frame codec and JPEG meet on a real screen.
  static bool ink(std::uint32_t strokes, std::uint32_t x, std::uint32_t y) {
    const bool upper = y <= 4, lower = y >= 4;
    return ((strokes & 1) && y == 0) || ((strokes & 2) && y == 4) || ((strokes & 4) && y == 8) ||
           ((strokes & 8) && x == 0 && upper) || ((strokes & 16) && x == 0 && lower) ||
           ((strokes & 32) && x == 4 && upper) || ((strokes & 64) && x == 4 && lower) ||
           ((strokes & 128) && x == 2) || ((strokes & 256) && x == y / 2);
  }

  void build_glyphs() {
    glyphs_.assign(std::size_t{kStyles} * kGlyphs * kCellBytes, 0);
    for (std::uint32_t g = 0; g < kGlyphs; ++g) {
      // Two or three of the nine strokes: about as much ink as a letter has.
      const std::uint64_t h = mix(0x61796C68ull + g);
      const std::uint32_t strokes = g == 0 ? 0
                                           : (1u << (h % 9)) | (1u << ((h >> 8) % 9)) |
                                                 ((h >> 16) % 2 ? 1u << ((h >> 24) % 9) : 0);
      for (std::uint32_t s = 0; s < kStyles; ++s) {
        std::uint8_t* cell = glyph(static_cast<Style>(s), g);
        for (std::uint32_t y = 0; y < kCellH; ++y)
          for (std::uint32_t x = 0; x < kCellW; ++x) {
            const bool on = x >= 1 && x < 6 && y >= 4 && y < 13 && ink(strokes, x - 1, y - 4);
            put(cell + (y * kCellW + x) * 4, on ? kForeground[s] : kBackground[s]);
          }
      }
    }
  }

  std::uint8_t* glyph(Style s, std::uint32_t g) {
    return &glyphs_[(std::size_t{s} * kGlyphs + g) * kCellBytes];
  }
  const std::uint8_t* glyph(Style s, std::uint32_t g) const {
    return &glyphs_[(std::size_t{s} * kGlyphs + g) * kCellBytes];
  }

  // One line of fake text (`line` picks its content from a stream chosen by `seed`) drawn from
  // cell (x0, y0), clipped to x1, y1. Characters past `typed` are not there yet.
  void draw_line(std::uint8_t* out, std::size_t stride, std::uint32_t x0, std::uint32_t y0,
                 std::uint32_t x1, std::uint32_t y1, bool terminal, std::uint64_t seed,
                 std::uint64_t line, std::uint32_t typed) const {
    const std::uint64_t h = mix(seed ^ mix(line));
    const std::uint32_t cols = (x1 - x0 + kCellW - 1) / kCellW;
    const bool blank = h % 5 == 0;
    const std::uint32_t indent = static_cast<std::uint32_t>((h >> 8) % 4) * 2;
    // Lines of 4 characters up to two thirds of the width, like code and shell output: denser
    // text would be less like a screen, and harder on JPEG than the recording tests allow.
    const auto extra =
        static_cast<std::uint32_t>((h >> 16) % std::max<std::uint32_t>(1, cols * 2 / 3));
    const std::uint32_t len = blank ? 0 : std::min(cols, indent + 4 + extra);
    const bool accent = (h >> 40) % 5 == 0;  // a comment line, or a shell prompt
    const Style style = terminal ? (accent ? kTerminalPrompt : kTerminalText)
                                 : (accent ? kEditorComment : kEditorText);
    const std::uint32_t rows = std::min(kCellH, y1 - y0);
    for (std::uint32_t col = 0; col < cols; ++col) {
      const std::uint32_t x = x0 + col * kCellW;
      std::uint32_t g = 0;
      if (col >= indent && col < len && col < typed) {
        const std::uint64_t c = mix(h + col);
        g = c % 5 == 0 ? 0 : 1 + static_cast<std::uint32_t>((c >> 8) % (kGlyphs - 1));  // words
      }
      const std::uint8_t* src = glyph(style, g);
      const std::size_t bytes = std::size_t{std::min(kCellW, x1 - x)} * 4;
      for (std::uint32_t r = 0; r < rows; ++r)
        std::memcpy(out + (y0 + r) * stride + std::size_t{x} * 4, src + r * kCellW * 4, bytes);
    }
  }

  void build_editor() {
    editor_.assign(std::size_t{split_x_} * h_ * 4, 0);
    if (split_x_ == 0) return;
    for (std::uint32_t y = 0, line = 0; y < h_; y += kCellH, ++line)
      draw_line(editor_.data(), std::size_t{split_x_} * 4, 0, y, split_x_, h_, false, 0xED170Bull,
                line, ~0u);
  }

  // Rows of one gradient period more than the video is wide: drifting it is then a memcpy from
  // a moving offset instead of a computation per pixel.
  void build_gradient() {
    const std::uint32_t vw = w_ - split_x_, vh = h_ - split_y_;
    gradient_w_ = vw + kGradientPeriod;
    gradient_.assign(std::size_t{gradient_w_} * vh * 4, 0);
    for (std::uint32_t y = 0; y < vh; ++y) {
      const auto g = static_cast<std::uint8_t>(vh > 1 ? y * 255 / (vh - 1) : 128);
      for (std::uint32_t x = 0; x < gradient_w_; ++x) {
        const std::uint8_t t = triangle(x);
        put(&gradient_[(std::size_t{y} * gradient_w_ + x) * 4],
            {t, g, static_cast<std::uint8_t>(255 - t / 2 - g / 4)});
      }
    }
  }

  void draw_terminal(std::uint64_t tick, std::uint8_t* out, std::size_t stride) const {
    if (split_x_ >= w_ || split_y_ == 0) return;
    const std::uint64_t top = tick / ticks_per_line_;  // line shown in the first row
    const std::uint32_t rows = (split_y_ + kCellH - 1) / kCellH;
    for (std::uint32_t r = 0; r < rows; ++r) {
      std::uint32_t typed = ~0u;
      if (r == rows - 1)  // the newest line appears a few characters at a time
        typed = static_cast<std::uint32_t>(((tick % ticks_per_line_) + 1) *
                                           ((w_ - split_x_) / kCellW) / ticks_per_line_);
      draw_line(out, stride, split_x_, r * kCellH, w_, split_y_, true, 0x7E3Dull, top + r, typed);
    }
  }

  void draw_video(std::uint64_t tick, std::uint8_t* out, std::size_t stride) const {
    const std::uint32_t vw = w_ - split_x_, vh = h_ - split_y_;
    if (vw == 0 || vh == 0) return;
    const std::size_t phase = travelled(tick, fps_, kGradientSpeed) % kGradientPeriod;
    for (std::uint32_t y = 0; y < vh; ++y)
      std::memcpy(out + (split_y_ + y) * stride + std::size_t{split_x_} * 4,
                  &gradient_[(std::size_t{y} * gradient_w_ + phase) * 4], std::size_t{vw} * 4);
    const std::uint32_t bw = std::max<std::uint32_t>(1, vw / 5),
                        bh = std::max<std::uint32_t>(1, vh / 4);
    const std::uint32_t bx = split_x_ + bounce(travelled(tick, fps_, kBoxSpeedX), vw - bw);
    const std::uint32_t by = split_y_ + bounce(travelled(tick, fps_, kBoxSpeedY), vh - bh);
    const std::uint32_t edge = bw > 8 && bh > 8 ? 2 : 0;
    fill(out, stride, bx, by, bx + bw, by + bh, kBoxEdge);
    fill(out, stride, bx + edge, by + edge, bx + bw - edge, by + bh - edge, kBox);
  }

  // Eight decimal digits of the tick (mod 10^8) in 3-pixel blocks, so a person looking at a
  // recorded frame can tell which tick it was.
  void draw_counter(std::uint64_t tick, std::uint8_t* out, std::size_t stride) const {
    constexpr std::uint32_t kBlock = 3, kPad = 4, kDigitCount = 8, kPitch = 4 * kBlock;
    const std::uint32_t x0 = 4, y0 = 4;
    const std::uint32_t box_w = kPad * 2 + kDigitCount * kPitch - kBlock,
                        box_h = kPad * 2 + 5 * kBlock;
    const auto clip_x = [&](std::uint32_t x) { return std::min(x, w_); };
    const auto clip_y = [&](std::uint32_t y) { return std::min(y, h_); };
    fill(out, stride, clip_x(x0), clip_y(y0), clip_x(x0 + box_w), clip_y(y0 + box_h), kCounterBg);
    std::uint64_t v = tick % 100000000;
    for (std::uint32_t i = 0; i < kDigitCount; ++i, v /= 10) {
      const std::uint16_t shape = kDigits[v % 10];
      const std::uint32_t dx = x0 + kPad + (kDigitCount - 1 - i) * kPitch, dy = y0 + kPad;
      for (std::uint32_t r = 0; r < 5; ++r)
        for (std::uint32_t c = 0; c < 3; ++c)
          if ((shape >> (14 - (r * 3 + c))) & 1)
            fill(out, stride, clip_x(dx + c * kBlock), clip_y(dy + r * kBlock),
                 clip_x(dx + (c + 1) * kBlock), clip_y(dy + (r + 1) * kBlock), kCounterFg);
    }
  }

  std::uint32_t w_, h_;
  double fps_;
  std::uint32_t split_x_ = 0, split_y_ = 0;
  std::uint64_t ticks_per_line_ = 1;
  std::vector<std::uint8_t> glyphs_;    // kStyles x kGlyphs cells, BGRX
  std::vector<std::uint8_t> editor_;    // the left region, split_x_ wide
  std::vector<std::uint8_t> gradient_;  // gradient_w_ x (h - split_y_)
  std::uint32_t gradient_w_ = 0;
};

class TestPatternSource : public FrameSource {
 public:
  TestPatternSource(std::uint32_t w, std::uint32_t h, double fps)
      : pattern_(w, h, fps), w_(w), h_(h), pixels_(std::size_t{w} * h * 4) {}
  std::uint32_t width() const override { return w_; }
  std::uint32_t height() const override { return h_; }
  std::string describe() const override {
    return "test-pattern " + std::to_string(w_) + "x" + std::to_string(h_);
  }
  FrameRef grab(std::uint64_t tick) override {
    pattern_.render(tick, pixels_.data());
    return FrameRef{pixels_.data(), w_, h_, std::size_t{w_} * 4, std::nullopt};  // every tick moves
  }

 private:
  Pattern pattern_;  // built once: grabs only redraw what moves
  std::uint32_t w_, h_;
  std::vector<std::uint8_t> pixels_;
};

}  // namespace

void render_test_pattern(std::uint32_t width, std::uint32_t height, double fps, std::uint64_t tick,
                         std::uint8_t* out_bgrx) {
  Pattern(width, height, fps).render(tick, out_bgrx);
}

std::unique_ptr<FrameSource> make_test_pattern(std::uint32_t width, std::uint32_t height,
                                               double fps) {
  return std::make_unique<TestPatternSource>(width, height, fps);
}

}  // namespace screenreel::capture

// Puts known pictures on an X screen for display tests: a borderless window covering the whole
// screen, repainted atomically (image into a pixmap, then one CopyArea), so a capture never sees
// half of a picture.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

struct xcb_connection_t;

namespace screenreel::test {

class ScreenPainter {
 public:
  explicit ScreenPainter(const std::string& display);
  ~ScreenPainter();
  ScreenPainter(const ScreenPainter&) = delete;
  ScreenPainter& operator=(const ScreenPainter&) = delete;

  std::uint32_t width() const { return width_; }
  std::uint32_t height() const { return height_; }
  // `bgrx`: width * height * 4 bytes. Returns once the X server has drawn it.
  void show(const std::vector<std::uint8_t>& bgrx);
  // Draws only the rectangle x, y, w, h of `bgrx` (a whole screen's picture): a small change,
  // which X DAMAGE reports as just that rectangle.
  void show_part(const std::vector<std::uint8_t>& bgrx, std::uint32_t x, std::uint32_t y, std::uint32_t w,
                 std::uint32_t h);

 private:
  xcb_connection_t* conn_ = nullptr;
  std::uint32_t window_ = 0, pixmap_ = 0, gc_ = 0;
  std::uint32_t width_ = 0, height_ = 0;
};

// A picture with text-like detail, flat areas and gradients (the capture test pattern),
// different for each `variant`.
std::vector<std::uint8_t> make_picture(std::uint32_t width, std::uint32_t height, int variant);

// Peak signal-to-noise ratio (dB) between a BGR image and a BGRX one of the same size.
double psnr_bgr_vs_bgrx(const std::vector<std::uint8_t>& bgr, const std::vector<std::uint8_t>& bgrx);

}  // namespace screenreel::test

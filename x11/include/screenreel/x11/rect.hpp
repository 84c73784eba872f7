// A rectangle in X root-window coordinates, and the little arithmetic the X11 source needs on it
// (clipping a window or a region to the screen).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

namespace screenreel::x11 {

struct Rect {
  std::int64_t x = 0, y = 0;
  std::int64_t width = 0, height = 0;  // 64-bit so that x + width never overflows

  bool empty() const { return width <= 0 || height <= 0; }
  bool contains(const Rect& r) const {
    return r.x >= x && r.y >= y && r.x + r.width <= x + width && r.y + r.height <= y + height;
  }
  bool operator==(const Rect&) const = default;
  // X's geometry notation, as xrandr and xwininfo print it: 640x480+100+50.
  std::string geometry() const {
    const auto offset = [](std::int64_t v) {
      return (v < 0 ? "-" : "+") + std::to_string(v < 0 ? -v : v);
    };
    return std::to_string(width) + "x" + std::to_string(height) + offset(x) + offset(y);
  }
};

inline Rect intersect(const Rect& a, const Rect& b) {
  const std::int64_t x0 = std::max(a.x, b.x), y0 = std::max(a.y, b.y);
  const std::int64_t x1 = std::min(a.x + a.width, b.x + b.width),
                     y1 = std::min(a.y + a.height, b.y + b.height);
  if (x1 <= x0 || y1 <= y0) return Rect{x0, y0, 0, 0};
  return Rect{x0, y0, x1 - x0, y1 - y0};
}

}  // namespace screenreel::x11

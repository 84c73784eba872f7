// A rectangle of frame pixels, the one geometry type of the archive library: where a capture
// source says a frame may differ from the one before (X DAMAGE, so the frame encoder compares
// only there), and where OCR read a line or a word (the text index).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

namespace screenreel {

// A rectangle in frame pixels: top left corner, then size.
struct PixelRect {
  std::int32_t x = 0, y = 0, w = 0, h = 0;

  std::int64_t area() const { return std::int64_t{w} * h; }
  bool empty() const { return w <= 0 || h <= 0; }
  std::int32_t right() const { return x + w; }
  std::int32_t bottom() const { return y + h; }
  bool intersects(const PixelRect& o) const {
    return x < o.right() && o.x < right() && y < o.bottom() && o.y < bottom();
  }
  bool contains(const PixelRect& o) const {
    return o.x >= x && o.y >= y && o.right() <= right() && o.bottom() <= bottom();
  }
  PixelRect united(const PixelRect& o) const {
    if (empty()) return o;
    if (o.empty()) return *this;
    const auto l = std::min(x, o.x), t = std::min(y, o.y);
    return {l, t, std::max(right(), o.right()) - l, std::max(bottom(), o.bottom()) - t};
  }
  PixelRect intersected(const PixelRect& o) const {
    const auto l = std::max(x, o.x), t = std::max(y, o.y);
    const auto r = std::min(right(), o.right()), b = std::min(bottom(), o.bottom());
    return r > l && b > t ? PixelRect{l, t, r - l, b - t} : PixelRect{};
  }
  bool operator==(const PixelRect&) const = default;
  // The cells of a grid of cell_w x cell_h cells from 0,0 that this rectangle touches, in cells
  // (for a rectangle that is not empty and not left of or above 0,0).
  PixelRect cells(std::int32_t cell_w, std::int32_t cell_h) const {
    const std::int32_t x0 = x / cell_w, y0 = y / cell_h;
    return {x0, y0, (right() - 1) / cell_w - x0 + 1, (bottom() - 1) / cell_h - y0 + 1};
  }
};

// Sets marks[row * columns + column] for each cell of a grid of cell_w x cell_h cells that `r`
// touches (`r` as for PixelRect::cells, and inside the grid).
inline void mark_cells(const PixelRect& r, std::int32_t cell_w, std::int32_t cell_h, std::size_t columns,
                       std::span<std::uint8_t> marks) {
  const PixelRect c = r.cells(cell_w, cell_h);
  for (std::int32_t row = c.y; row < c.bottom(); ++row)
    std::fill_n(marks.begin() + static_cast<std::ptrdiff_t>(std::size_t(row) * columns + std::size_t(c.x)), c.w,
                std::uint8_t{1});
}

}  // namespace screenreel

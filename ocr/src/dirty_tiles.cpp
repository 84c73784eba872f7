// Changed tiles and the regions an OCR pass reads (see dirty_tiles.hpp).
#include "screenreel/ocr/dirty_tiles.hpp"

#include <algorithm>
#include <cstdlib>

namespace screenreel::ocr {

DirtyTiles::DirtyTiles(std::int32_t width, std::int32_t height)
    : width_(width),
      height_(height),
      cols_((width + kTile - 1) / kTile),
      rows_((height + kTile - 1) / kTile),
      marked_(std::size_t(cols_) * std::size_t(rows_), 0),
      before_(marked_.size()) {}

void DirtyTiles::mark(const PixelRect& wanted, std::optional<FrameMoment> before) {
  const PixelRect r = wanted.intersected({0, 0, width_, height_});
  if (r.empty()) return;
  const PixelRect c = r.cells(kTile, kTile);
  for (std::int32_t ty = c.y; ty < c.bottom(); ++ty)
    for (std::int32_t tx = c.x; tx < c.right(); ++tx) {
      const std::size_t t = std::size_t(ty) * std::size_t(cols_) + std::size_t(tx);
      if (!marked_[t]) before_[t] = before;  // the first change since clear() counts
      marked_[t] = 1;
    }
}

std::optional<FrameMoment> DirtyTiles::unchanged_until(const PixelRect& wanted) const {
  const PixelRect r = wanted.intersected({0, 0, width_, height_});
  std::optional<FrameMoment> earliest;
  if (r.empty()) return earliest;
  const PixelRect c = r.cells(kTile, kTile);
  for (std::int32_t ty = c.y; ty < c.bottom(); ++ty)
    for (std::int32_t tx = c.x; tx < c.right(); ++tx) {
      const auto& b = before_[std::size_t(ty) * std::size_t(cols_) + std::size_t(tx)];
      if (b && (!earliest || b->seq < earliest->seq)) earliest = b;
    }
  return earliest;
}

void DirtyTiles::mark_differences(const GrayImage& a, const GrayImage& b, int threshold) {
  if (a.width != width_ || b.width != width_ || a.height != height_ || b.height != height_) {
    mark_all();
    return;
  }
  for (std::int32_t y = 0; y < height_; ++y) {
    const std::uint8_t* pa = a.row(y);
    const std::uint8_t* pb = b.row(y);
    const std::size_t row_base = std::size_t(y / kTile) * std::size_t(cols_);
    for (std::int32_t tx = 0; tx < cols_; ++tx) {
      auto& tile = marked_[row_base + std::size_t(tx)];
      if (tile) continue;
      const std::int32_t end = std::min(width_, (tx + 1) * kTile);
      for (std::int32_t x = tx * kTile; x < end; ++x)
        if (std::abs(int{pa[x]} - int{pb[x]}) > threshold) {
          tile = 1;
          break;
        }
    }
  }
}

void DirtyTiles::merge(const DirtyTiles& other) {
  if (other.width_ != width_ || other.height_ != height_) {
    mark_all();
    return;
  }
  for (std::size_t t = 0; t < marked_.size(); ++t)
    if (other.marked_[t] && !marked_[t]) {
      marked_[t] = 1;
      before_[t] = other.before_[t];
    }
}

bool DirtyTiles::any() const {
  return std::find(marked_.begin(), marked_.end(), 1) != marked_.end();
}

void DirtyTiles::clear() {
  std::fill(marked_.begin(), marked_.end(), 0);
  std::fill(before_.begin(), before_.end(), std::nullopt);
}

std::vector<PixelRect> DirtyTiles::regions(const std::vector<PixelRect>& lines,
                                           std::int32_t margin) const {
  const PixelRect frame{0, 0, width_, height_};
  std::vector<PixelRect> out;
  // Groups of touching tiles (8-neighbours), each as its bounding box.
  std::vector<std::uint8_t> seen(marked_.size(), 0);
  std::vector<std::int32_t> stack;
  for (std::int32_t start = 0; start < cols_ * rows_; ++start) {
    if (!marked_[std::size_t(start)] || seen[std::size_t(start)]) continue;
    PixelRect box;
    stack.push_back(start);
    seen[std::size_t(start)] = 1;
    while (!stack.empty()) {
      const std::int32_t t = stack.back();
      stack.pop_back();
      const std::int32_t tx = t % cols_, ty = t / cols_;
      box = box.united({tx * kTile, ty * kTile, kTile, kTile});
      for (std::int32_t dy = -1; dy <= 1; ++dy)
        for (std::int32_t dx = -1; dx <= 1; ++dx) {
          const std::int32_t nx = tx + dx, ny = ty + dy;
          if (nx < 0 || ny < 0 || nx >= cols_ || ny >= rows_) continue;
          const std::int32_t n = ny * cols_ + nx;
          if (marked_[std::size_t(n)] && !seen[std::size_t(n)]) {
            seen[std::size_t(n)] = 1;
            stack.push_back(n);
          }
        }
    }
    out.push_back(PixelRect{box.x - margin, box.y - margin, box.w + 2 * margin, box.h + 2 * margin}
                      .intersected(frame));
  }
  // Grow over the lines they cut (with the margin: Tesseract misreads text that touches the
  // edge of what it is given) and merge what then overlaps, until nothing changes.
  // A line is taken with its margin only once the region meets its own box, so that lines
  // closer together than the margin do not pull each other in, down a whole terminal.
  std::vector<PixelRect> padded;
  for (const auto& l : lines)
    padded.push_back(
        PixelRect{l.x - margin, l.y - margin, l.w + 2 * margin, l.h + 2 * margin}.intersected(
            frame));
  for (bool changed = true; changed;) {
    changed = false;
    for (auto& r : out)
      for (std::size_t i = 0; i < lines.size(); ++i)
        if (r.intersects(lines[i]) && !r.contains(padded[i])) {
          r = r.united(padded[i]);
          changed = true;
        }
    for (std::size_t i = 0; i < out.size(); ++i)
      for (std::size_t j = i + 1; j < out.size();) {
        if (out[i].intersects(out[j])) {
          out[i] = out[i].united(out[j]);
          out.erase(out.begin() + static_cast<std::ptrdiff_t>(j));
          changed = true;
        } else {
          ++j;
        }
      }
  }
  return out;
}

}  // namespace screenreel::ocr

// What changed on screen since a session's last OCR pass, in 64x64 tiles (the wire protocol's
// tiles), and the rectangles a pass reads because of it.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "screenreel/ocr/engine.hpp"
#include "screenreel/archive/text_index.hpp"

namespace screenreel::ocr {

class DirtyTiles {
 public:
  static constexpr std::int32_t kTile = 64;

  DirtyTiles(std::int32_t width, std::int32_t height);

  std::int32_t width() const { return width_; }
  std::int32_t height() const { return height_; }

  // Marks the tiles that `r` meets. `before`: the last frame before this change (kept per tile
  // for the first change since clear(), for unchanged_until()).
  void mark(const PixelRect& r, std::optional<FrameMoment> before = std::nullopt);
  void mark_all() { mark({0, 0, width_, height_}); }
  // Marks the tiles where two images of this size differ by more than `threshold` grey levels
  // in some pixel (decoded JPEGs: an unchanged area decodes the same, give or take a little).
  void mark_differences(const GrayImage& a, const GrayImage& b, int threshold = 24);
  // Marks what `other` (of the same size; else all) marks, keeping each tile's first `before`.
  void merge(const DirtyTiles& other);
  bool any() const;
  void clear();
  // The earliest `before` of the marked tiles that `box` meets: the last frame on which all of
  // it was as the previous pass saw it. Empty when no tile there was marked with one.
  std::optional<FrameMoment> unchanged_until(const PixelRect& box) const;

  // The rectangles to read: each group of touching marked tiles as its bounding box, grown by
  // `margin` pixels, then over every box of `lines` (the lines on screen so far) that it meets,
  // so that a line is read whole or not at all; overlapping rectangles are merged.
  std::vector<PixelRect> regions(const std::vector<PixelRect>& lines,
                                 std::int32_t margin = 4) const;

 private:
  std::int32_t width_, height_, cols_, rows_;
  std::vector<std::uint8_t> marked_;
  std::vector<std::optional<FrameMoment>> before_;  // per tile
};

}  // namespace screenreel::ocr

// The strip grid of screenreel's JPEGs and the coded bytes of some of its strips: shared by the
// archive (which codes and splices them), the wire (protocol 4's JPEG-strip rectangles, which are
// exactly one strip each) and the capture client (which codes them when the link is thin). Only
// geometry and bytes here; the coding itself is archive/jpeg.hpp's.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "screenreel/common/pixel_rect.hpp"

namespace screenreel {

// How a frame of width x height is cut into strips: rows of one 4:2:0 MCU (16 pixel rows; the
// last may be shorter), columns of mcus_per_strip() MCUs (16 pixel columns each; the last may
// be narrower). Each strip is one restart interval, in raster order.
class JpegStripGrid {
 public:
  static constexpr std::uint32_t kMcuPixels = 16;
  static constexpr std::uint32_t kMaxMcusPerStrip = 8;

  JpegStripGrid() = default;
  JpegStripGrid(std::uint32_t width, std::uint32_t height) : width_(width), height_(height) {
    const std::uint32_t mcus = (width + kMcuPixels - 1) / kMcuPixels;
    for (std::uint32_t r = kMaxMcusPerStrip; r >= 1; --r)
      if (mcus % r == 0) {
        mcus_per_strip_ = r;
        break;
      }
    columns_ = mcus / mcus_per_strip_;
    rows_ = (height + kMcuPixels - 1) / kMcuPixels;
  }

  std::uint32_t width() const { return width_; }
  std::uint32_t height() const { return height_; }
  // The restart interval: the largest divisor of the MCUs across the frame that is at most
  // kMaxMcusPerStrip, so that every strip starts a row or follows one in the same row.
  std::uint32_t mcus_per_strip() const { return mcus_per_strip_; }
  std::uint32_t strip_width() const { return mcus_per_strip_ * kMcuPixels; }
  std::uint32_t columns() const { return columns_; }
  std::uint32_t rows() const { return rows_; }
  std::size_t size() const { return std::size_t{columns_} * rows_; }
  // Where strip i is in the frame (the last column and row clipped to it).
  PixelRect strip(std::size_t i) const {
    const std::uint32_t x = static_cast<std::uint32_t>(i % columns_) * strip_width();
    const std::uint32_t y = static_cast<std::uint32_t>(i / columns_) * kMcuPixels;
    return {static_cast<std::int32_t>(x), static_cast<std::int32_t>(y),
            static_cast<std::int32_t>(std::min(strip_width(), width_ - x)),
            static_cast<std::int32_t>(std::min(kMcuPixels, height_ - y))};
  }
  // The strip whose rectangle is exactly `r`, or size() when none is.
  std::size_t strip_at(const PixelRect& r) const {
    if (r.x < 0 || r.y < 0 || columns_ == 0 || static_cast<std::uint32_t>(r.x) % strip_width() != 0 ||
        static_cast<std::uint32_t>(r.y) % kMcuPixels != 0)
      return size();
    const std::size_t i = std::size_t{static_cast<std::uint32_t>(r.y) / kMcuPixels} * columns_ +
                          static_cast<std::uint32_t>(r.x) / strip_width();
    return i < size() && strip(i) == r ? i : size();
  }
  // Sets marks[i] for every strip i that `r` (clipped to the frame) touches; marks has size().
  void mark(const PixelRect& r, std::vector<std::uint8_t>& marks) const {
    const PixelRect c = r.intersected({0, 0, static_cast<std::int32_t>(width_), static_cast<std::int32_t>(height_)});
    if (!c.empty())
      mark_cells(c, static_cast<std::int32_t>(strip_width()), static_cast<std::int32_t>(kMcuPixels), columns_, marks);
  }
  // Calls f(index) for every strip that `r` touches, in raster order.
  template <typename F>
  void for_each_strip(const PixelRect& r, F&& f) const {
    const PixelRect c = r.intersected({0, 0, static_cast<std::int32_t>(width_), static_cast<std::int32_t>(height_)});
    if (c.empty()) return;
    const PixelRect cells = c.cells(static_cast<std::int32_t>(strip_width()), static_cast<std::int32_t>(kMcuPixels));
    for (std::int32_t row = cells.y; row < cells.bottom(); ++row)
      for (std::int32_t col = cells.x; col < cells.right(); ++col)
        f(static_cast<std::uint32_t>(row) * columns_ + static_cast<std::uint32_t>(col));
  }
  bool operator==(const JpegStripGrid&) const = default;

 private:
  std::uint32_t width_ = 0, height_ = 0, mcus_per_strip_ = 1, columns_ = 0, rows_ = 0;
};

// The entropy-coded bytes of some strips of one frame (JpegEncoder::encode_strips makes them;
// a protocol-4 FRAME carries them as JPEG-strip rectangles).
struct CodedStrips {
  JpegStripGrid grid;
  std::vector<std::uint32_t> strips;   // which strips, in the order they were coded
  std::vector<std::size_t> offsets;    // strip strips[i] is data[offsets[i], offsets[i + 1])
  std::vector<std::uint8_t> data;
  std::vector<std::uint8_t> header;    // SOI up to the end of SOS, when every strip is here

  bool whole() const { return strips.size() == grid.size(); }
  std::span<const std::uint8_t> strip(std::size_t i) const {
    return {data.data() + offsets[i], offsets[i + 1] - offsets[i]};
  }
  void clear(const JpegStripGrid& g) {
    grid = g;
    strips.clear();
    offsets.assign(1, 0);
    data.clear();
    header.clear();
  }
  void add(std::uint32_t index, std::span<const std::uint8_t> bytes) {
    strips.push_back(index);
    data.insert(data.end(), bytes.begin(), bytes.end());
    offsets.push_back(data.size());
  }
};

}  // namespace screenreel

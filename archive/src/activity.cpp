// Activity per frame (see activity.hpp).
#include "screenreel/archive/activity.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "screenreel/archive/session_files.hpp"

namespace screenreel {
namespace {

// A JPEG's noise: the same pixels coded again decode the same, so any real change stands out.
constexpr int kNoise = 12;
constexpr std::size_t kBatch = 1000;  // rows a transaction

std::uint32_t tiles_across(std::uint32_t pixels) { return (pixels + kActivityTile - 1) / kActivityTile; }

// Whether tile (tx, ty) differs between a and b (same size, BGR), its outermost ring left out.
bool tile_changed(const DecodedImage& a, const DecodedImage& b, std::uint32_t tx, std::uint32_t ty) {
  const std::uint32_t x0 = tx * kActivityTile, y0 = ty * kActivityTile;
  const std::uint32_t x1 = std::min(a.width, x0 + kActivityTile), y1 = std::min(a.height, y0 + kActivityTile);
  // A tile of 1 or 2 pixels across has no inside: then all of it is looked at.
  const std::uint32_t ix0 = x1 - x0 > 2 ? x0 + 1 : x0, ix1 = x1 - x0 > 2 ? x1 - 1 : x1;
  const std::uint32_t iy0 = y1 - y0 > 2 ? y0 + 1 : y0, iy1 = y1 - y0 > 2 ? y1 - 1 : y1;
  const std::size_t stride = std::size_t{a.width} * 3;
  for (std::uint32_t y = iy0; y < iy1; ++y) {
    const std::uint8_t* pa = a.bgr.data() + y * stride + ix0 * 3;
    const std::uint8_t* pb = b.bgr.data() + y * stride + ix0 * 3;
    for (std::size_t i = 0; i < std::size_t{ix1 - ix0} * 3; ++i)
      if (std::abs(int{pa[i]} - int{pb[i]}) > kNoise) return true;
  }
  return false;
}

std::vector<std::uint8_t> read_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

FrameActivity activity_of_rects(std::uint32_t width, std::uint32_t height, std::span<const PixelRect> changed) {
  if (width == 0 || height == 0) return {};
  // Clipped rectangles, as [x0, x1) x [y0, y1).
  struct Box {
    std::int64_t x0, y0, x1, y1;
  };
  std::vector<Box> boxes;
  for (const auto& r : changed) {
    const Box b{std::max<std::int64_t>(r.x, 0), std::max<std::int64_t>(r.y, 0),
                std::min<std::int64_t>(std::int64_t{r.x} + r.w, width),
                std::min<std::int64_t>(std::int64_t{r.y} + r.h, height)};
    if (b.x0 < b.x1 && b.y0 < b.y1) boxes.push_back(b);
  }
  // Tiles touched: a mark per tile.
  const std::uint32_t cols = tiles_across(width), rows = tiles_across(height);
  std::vector<std::uint8_t> marks(std::size_t{cols} * rows);
  for (const auto& b : boxes)
    for (auto ty = b.y0 / kActivityTile; ty <= (b.y1 - 1) / kActivityTile; ++ty)
      for (auto tx = b.x0 / kActivityTile; tx <= (b.x1 - 1) / kActivityTile; ++tx)
        marks[static_cast<std::size_t>(ty) * cols + static_cast<std::size_t>(tx)] = 1;
  // The union's area, band by band between the rectangles' distinct top and bottom edges (a
  // FRAME has at most a tile's worth of rectangles: a few hundred).
  std::vector<std::int64_t> edges;
  for (const auto& b : boxes) edges.insert(edges.end(), {b.y0, b.y1});
  std::sort(edges.begin(), edges.end());
  edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
  std::int64_t area = 0;
  std::vector<std::pair<std::int64_t, std::int64_t>> spans;
  for (std::size_t i = 0; i + 1 < edges.size(); ++i) {
    spans.clear();
    for (const auto& b : boxes)
      if (b.y0 <= edges[i] && b.y1 >= edges[i + 1]) spans.emplace_back(b.x0, b.x1);
    std::sort(spans.begin(), spans.end());
    std::int64_t covered = 0, end = 0;
    for (const auto& [x0, x1] : spans) {
      if (x1 <= end) continue;
      covered += x1 - std::max(x0, end);
      end = x1;
    }
    area += covered * (edges[i + 1] - edges[i]);
  }
  return {static_cast<double>(area) / (double(width) * height),
          static_cast<std::int64_t>(std::count(marks.begin(), marks.end(), 1))};
}

FrameActivity ActivityMeter::next(DecodedImage image) {
  FrameActivity a;
  const std::uint32_t cols = tiles_across(image.width), rows = tiles_across(image.height);
  if (previous_.width != image.width || previous_.height != image.height || previous_.bgr.size() != image.bgr.size()) {
    a = {image.width && image.height ? 1.0 : 0.0, std::int64_t{cols} * rows};
  } else {
    std::int64_t pixels = 0;
    for (std::uint32_t ty = 0; ty < rows; ++ty)
      for (std::uint32_t tx = 0; tx < cols; ++tx)
        if (tile_changed(previous_, image, tx, ty)) {
          ++a.changed_tiles;
          pixels += std::int64_t{std::min(kActivityTile, image.width - tx * kActivityTile)} *
                    std::min(kActivityTile, image.height - ty * kActivityTile);
        }
    a.changed_share = static_cast<double>(pixels) / (double(image.width) * image.height);
  }
  previous_ = std::move(image);
  return a;
}

ActivityFill fill_activity(const ArchivePaths& paths, CatalogWriter& catalog, const SessionRecord& session) {
  ActivityFill fill;
  const auto first = catalog.first_frame_without_activity(session.id);
  if (!first || !is_plain_file_name(session.folder)) return fill;
  const auto dir = paths.session(session.folder);
  // The frames from the one before the first without activity (to compare it with) are read; a
  // repeat (a hard link to an earlier frame) changed nothing and is not decoded.
  std::vector<FrameRecord> frames;
  catalog.for_each_frame(session.id, [&](const FrameRecord& f) {
    if (f.seq >= *first - 1) frames.push_back(f);
  });
  ActivityMeter meter;
  std::vector<std::pair<std::int64_t, FrameActivity>> rows;
  for (const auto& f : frames) {
    FrameActivity a;
    if (f.same_as && f.seq != *first - 1) {
      a = {};
    } else if (auto image = is_plain_file_name(f.file) ? decode_jpeg_bgr(read_bytes(dir / f.file))
                                                       : decode_jpeg_bgr({})) {
      a = meter.next(std::move(*image));
    } else {
      meter.forget();
      if (!f.activity) ++fill.unreadable;
      continue;
    }
    if (f.activity) continue;  // the frame before the first: only compared with
    rows.emplace_back(f.seq, a);
    if (rows.size() == kBatch) {
      catalog.set_frame_activity(session.id, rows);
      fill.frames += static_cast<std::int64_t>(rows.size());
      rows.clear();
    }
  }
  if (!rows.empty()) catalog.set_frame_activity(session.id, rows);
  fill.frames += static_cast<std::int64_t>(rows.size());
  return fill;
}

}  // namespace screenreel

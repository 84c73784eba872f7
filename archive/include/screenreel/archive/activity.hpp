// How much of a frame changed since the frame before it (frames.changed_share and changed_tiles,
// schemas/catalog.sql): what the viewer's timeline draws and "next change" looks for.
//
// The receiver knows it for free: the FRAME's rectangles say where the pixels changed
// (activity_of_rects). A frame recorded before schema 4 is measured from the JPEG files
// instead (ActivityMeter: each decoded frame against the one before, tile by tile), by recover,
// rebuild and `screenreel-replay index` (fill_activity).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/catalog.hpp"
#include "screenreel/archive/jpeg.hpp"
#include "screenreel/common/pixel_rect.hpp"

namespace screenreel {

// The grid activity is counted on: the wire's tiles (FrameEncoder::kTile).
inline constexpr std::uint32_t kActivityTile = 64;

// The union of `changed` (clipped to the frame) as a share of its area, and the tiles it touches.
FrameActivity activity_of_rects(std::uint32_t width, std::uint32_t height, std::span<const PixelRect> changed);

// The activity of a sequence of decoded frames, each against the one before: a tile changed when
// a pixel inside it (its outermost ring of pixels left out: the JPEG decoder's chroma upsampling
// lets a neighbour's change reach it) differs by more than a JPEG's noise in some channel.
// changed_share counts the changed tiles' pixels. The first frame, and a frame of another size,
// changed entirely.
class ActivityMeter {
 public:
  FrameActivity next(DecodedImage image);
  // The frame before is not known (not decoded): the next one changed entirely.
  void forget() { previous_ = {}; }

 private:
  DecodedImage previous_;
};

struct ActivityFill {
  std::int64_t frames = 0;      // rows given their activity
  std::int64_t unreadable = 0;  // frames whose file could not be decoded (left NULL)
};

// Gives every frame row of the session without activity (recorded before schema 4, or indexed by
// recover from a file) its activity, measured from the JPEG files, in batches of one transaction.
// Nothing is read when every row has it.
ActivityFill fill_activity(const ArchivePaths& paths, CatalogWriter& catalog, const SessionRecord& session);

}  // namespace screenreel

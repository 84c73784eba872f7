// Scrolled content as copies (VNC's CopyRect, RFC 6143 §7.7.2): finds where the new frame equals
// the previous frame shifted vertically, so that the encoder can send "copy these rows from N rows
// above" instead of the pixels. A scrolling terminal changes every tile it covers, but almost all
// of it is the same text one line higher.
//
// How: the frame is cut into columns of 64 pixels (the encoder's tiles); each row of a column
// has a hash (XXH3 of its 256 bytes). The previous frame's hashes are kept from the frame before,
// so only the changed tiles' rows of the new frame are hashed. Candidate shifts come from rows
// whose hash is unique in the previous frame's column (a blank row says nothing), voted by the
// few columns that changed most; each column's changed rows are then matched against the
// previous frame at those shifts, and matching runs of rows become copies, merged across
// neighbouring columns that moved alike.
//
// Cost: nothing on a tick without changed tiles (the encoder does not call it). When the voting
// columns find no shift (a video, a redraw in place), only their rows were hashed; the other
// changed rows' hashes are marked stale and made again only if a later search needs them.
//
// The finder only proposes: the encoder applies the copies to its reference, then compares the
// tiles as always, so a copy that matched only by hash costs bytes, never a wrong frame.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "screenreel/common/pixel_rect.hpp"

namespace screenreel {

struct FrameBuffer;

// A rectangle of the new frame (dst) that is the rectangle of the same size at (src_x, src_y) of
// the frame before (the finder proposes vertical shifts: src_x == dst.x).
struct CopyRect {
  PixelRect dst;
  std::int32_t src_x = 0, src_y = 0;
  bool operator==(const CopyRect&) const = default;
};

class CopyFinder {
 public:
  static constexpr std::uint32_t kColumn = 64;   // pixels: the encoder's tile width
  static constexpr std::uint32_t kMinRows = 8;   // a shorter run is sent as tiles
  static constexpr std::size_t kMaxShifts = 3;   // shifts tried in one frame (windows scrolling at once)
  static constexpr std::size_t kVoteColumns = 3; // columns whose rows vote for the shifts

  CopyFinder(std::uint32_t width, std::uint32_t height);

  // Forgets the previous frame's hashes (the next find() hashes the reference whole): after a
  // key frame, or whenever the reference changed other than through find() and commit().
  void reset() { valid_ = false; }

  // `reference`: the previous frame (what the peer holds); `pixels`, rows `stride` bytes apart:
  // the new one; `changed`: one flag per 64x64 tile, row by row (tiles_x * tiles_y), set where
  // they differ. Returns the copies, in the order to apply them; each lies inside changed tiles.
  std::span<const CopyRect> find(const FrameBuffer& reference, const std::uint8_t* pixels, std::size_t stride,
                                 std::span<const std::uint8_t> changed);

  // The reference now equals `pixels` of the last find() in every changed tile: their rows'
  // hashes become the previous frame's for the next find().
  void commit();

 private:
  std::uint64_t hash_row(const std::uint8_t* row, std::uint32_t column) const;
  void hash_reference(const FrameBuffer& reference);
  void refresh_column(const FrameBuffer& reference, std::uint32_t column);  // its stale rows
  std::vector<std::int32_t> vote(std::span<const std::uint32_t> columns) const;

  std::uint32_t width_, height_, columns_, tiles_y_;
  std::vector<std::uint64_t> ref_hash_;  // column * height + y: the reference's rows
  std::vector<std::uint64_t> new_hash_;  // the same for the new frame, valid where hashed_
  std::vector<std::uint8_t> hashed_;     // column * height + y: new_hash_ holds this row
  std::vector<std::uint8_t> ref_stale_;  // column * height + y: ref_hash_ is out of date
  std::vector<std::uint8_t> changed_tiles_;  // the last find()'s `changed`, for commit()
  std::vector<std::uint32_t> changed_columns_;
  std::vector<CopyRect> copies_;
  bool valid_ = false;
};

// Applies a copy to `frame` in place (rows moved in the order that never reads a row it already
// wrote). The rectangles must lie inside the frame.
void apply_copy(FrameBuffer& frame, const CopyRect& copy);

}  // namespace screenreel

// Scroll detection for the frame encoder (see copy_finder.hpp).
#include "screenreel/protocol/copy_finder.hpp"

#include <xxh_x86dispatch.h>

#include <algorithm>
#include <cstring>
#include <tuple>
#include <utility>

#include "screenreel/protocol/frame_codec.hpp"

namespace screenreel {
namespace {

struct Run {
  std::uint32_t column = 0;
  std::int32_t y0 = 0, y1 = 0;  // rows [y0, y1) of the new frame
  std::int32_t dy = 0;          // from row y - dy of the previous frame
};

}  // namespace

CopyFinder::CopyFinder(std::uint32_t width, std::uint32_t height)
    : width_(width),
      height_(height),
      columns_((width + kColumn - 1) / kColumn),
      tiles_y_((height + kColumn - 1) / kColumn),
      ref_hash_(std::size_t{columns_} * height),
      new_hash_(ref_hash_.size()),
      hashed_(ref_hash_.size()),
      ref_stale_(ref_hash_.size()) {}

std::uint64_t CopyFinder::hash_row(const std::uint8_t* row, std::uint32_t column) const {
  const std::uint32_t x0 = column * kColumn, x1 = std::min(width_, x0 + kColumn);
  return XXH3_64bits(row + std::size_t{x0} * 4, std::size_t{x1 - x0} * 4);
}

void CopyFinder::hash_reference(const FrameBuffer& reference) {
  for (std::uint32_t y = 0; y < height_; ++y)
    for (std::uint32_t c = 0; c < columns_; ++c) ref_hash_[std::size_t{c} * height_ + y] = hash_row(reference.row(y), c);
  std::fill(ref_stale_.begin(), ref_stale_.end(), std::uint8_t{0});
  valid_ = true;
}

void CopyFinder::refresh_column(const FrameBuffer& reference, std::uint32_t column) {
  const std::size_t base = std::size_t{column} * height_;
  for (std::uint32_t y = 0; y < height_; ++y)
    if (ref_stale_[base + y]) {
      ref_hash_[base + y] = hash_row(reference.row(y), column);
      ref_stale_[base + y] = 0;
    }
}

// The shifts that the new rows of `columns` suggest, most votes first: for each new row whose
// hash appears exactly once in the previous frame's column, the distance between the two.
std::vector<std::int32_t> CopyFinder::vote(std::span<const std::uint32_t> columns) const {
  std::vector<std::int32_t> shifts;
  std::vector<std::pair<std::uint64_t, std::int32_t>> rows(height_);
  for (const std::uint32_t c : columns) {
    const std::uint64_t* ref = ref_hash_.data() + std::size_t{c} * height_;
    for (std::uint32_t y = 0; y < height_; ++y) rows[y] = {ref[y], static_cast<std::int32_t>(y)};
    std::sort(rows.begin(), rows.end());
    for (std::uint32_t y = 0; y < height_; ++y) {
      const std::size_t i = std::size_t{c} * height_ + y;
      if (!hashed_[i]) continue;
      auto it = std::lower_bound(rows.begin(), rows.end(), std::pair{new_hash_[i], std::int32_t{-1}});
      if (it == rows.end() || it->first != new_hash_[i]) continue;
      if (std::next(it) != rows.end() && std::next(it)->first == it->first) continue;  // not unique
      if (it->second != static_cast<std::int32_t>(y)) shifts.push_back(static_cast<std::int32_t>(y) - it->second);
    }
  }
  std::sort(shifts.begin(), shifts.end());
  std::vector<std::pair<std::size_t, std::int32_t>> counted;  // votes, shift
  for (std::size_t i = 0; i < shifts.size();) {
    std::size_t j = i;
    while (j < shifts.size() && shifts[j] == shifts[i]) ++j;
    if (j - i >= kMinRows) counted.emplace_back(j - i, shifts[i]);
    i = j;
  }
  std::sort(counted.begin(), counted.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::int32_t> best;
  for (std::size_t i = 0; i < counted.size() && i < kMaxShifts; ++i) best.push_back(counted[i].second);
  return best;
}

std::span<const CopyRect> CopyFinder::find(const FrameBuffer& reference, const std::uint8_t* pixels,
                                           std::size_t stride, std::span<const std::uint8_t> changed) {
  copies_.clear();
  if (!valid_) hash_reference(reference);
  std::fill(hashed_.begin(), hashed_.end(), std::uint8_t{0});
  changed_tiles_.assign(changed.begin(), changed.end());

  // Count the changed rows per column.
  changed_columns_.clear();
  std::vector<std::pair<std::uint32_t, std::uint32_t>> by_rows;  // changed rows, column
  for (std::uint32_t c = 0; c < columns_; ++c) {
    std::uint32_t rows = 0;
    for (std::uint32_t ty = 0; ty < tiles_y_; ++ty)
      if (changed[std::size_t{ty} * columns_ + c]) rows += std::min(height_, (ty + 1) * kColumn) - ty * kColumn;
    if (rows >= kMinRows) {
      changed_columns_.push_back(c);
      by_rows.emplace_back(rows, c);
    }
  }
  if (changed_columns_.empty()) return {};
  // Hashes the new frame's rows of column c where its tiles changed.
  const auto hash_column = [&](std::uint32_t c) {
    for (std::uint32_t ty = 0; ty < tiles_y_; ++ty) {
      if (!changed[std::size_t{ty} * columns_ + c]) continue;
      const std::uint32_t y1 = std::min(height_, (ty + 1) * kColumn);
      for (std::uint32_t y = ty * kColumn; y < y1; ++y) {
        const std::size_t i = std::size_t{c} * height_ + y;
        new_hash_[i] = hash_row(pixels + y * stride, c);
        hashed_[i] = 1;
      }
    }
  };

  // The columns that changed most vote for the shifts. Only theirs are hashed first: when they
  // find no shift (a video playing, a window redrawn in place), the search ends there.
  std::sort(by_rows.begin(), by_rows.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::uint32_t> voters;
  for (std::size_t i = 0; i < by_rows.size() && i < kVoteColumns; ++i) voters.push_back(by_rows[i].second);
  for (const std::uint32_t c : voters) {
    refresh_column(reference, c);
    hash_column(c);
  }
  const std::vector<std::int32_t> shifts = vote(voters);
  if (shifts.empty()) return {};
  for (std::size_t i = kVoteColumns; i < by_rows.size(); ++i) {
    refresh_column(reference, by_rows[i].second);
    hash_column(by_rows[i].second);
  }

  // In each changed column, runs of changed rows that equal the previous frame at a shift (a row
  // goes to the first shift that takes it). A run must change something: rows that equal the
  // previous frame where they are (blank lines) only join a run, they do not make one.
  std::vector<Run> runs;
  std::vector<std::uint8_t> claimed(height_);
  const auto h = static_cast<std::int32_t>(height_);
  for (const std::uint32_t c : changed_columns_) {
    std::fill(claimed.begin(), claimed.end(), std::uint8_t{0});
    const std::uint64_t* ref = ref_hash_.data() + std::size_t{c} * height_;
    const std::uint64_t* now = new_hash_.data() + std::size_t{c} * height_;
    const std::uint8_t* hashed = hashed_.data() + std::size_t{c} * height_;
    for (const std::int32_t dy : shifts) {
      std::int32_t start = -1;
      bool changes = false;
      for (std::int32_t y = 0; y <= h; ++y) {
        const bool match = y < h && hashed[y] && !claimed[y] && y - dy >= 0 && y - dy < h && now[y] == ref[y - dy];
        if (match) {
          if (start < 0) start = y, changes = false;
          changes = changes || now[y] != ref[y];
          continue;
        }
        if (start >= 0 && changes && y - start >= static_cast<std::int32_t>(kMinRows)) {
          runs.push_back({c, start, y, dy});
          std::fill(claimed.begin() + start, claimed.begin() + y, std::uint8_t{1});
        }
        start = -1;
      }
    }
  }

  // Neighbouring columns whose runs moved alike become one rectangle.
  std::sort(runs.begin(), runs.end(), [](const Run& a, const Run& b) {
    return std::tie(a.dy, a.y0, a.y1, a.column) < std::tie(b.dy, b.y0, b.y1, b.column);
  });
  for (std::size_t i = 0; i < runs.size();) {
    std::size_t j = i + 1;
    while (j < runs.size() && runs[j].dy == runs[i].dy && runs[j].y0 == runs[i].y0 && runs[j].y1 == runs[i].y1 &&
           runs[j].column == runs[j - 1].column + 1)
      ++j;
    const std::uint32_t x0 = runs[i].column * kColumn, x1 = std::min(width_, (runs[j - 1].column + 1) * kColumn);
    copies_.push_back({PixelRect{static_cast<std::int32_t>(x0), runs[i].y0, static_cast<std::int32_t>(x1 - x0),
                                 runs[i].y1 - runs[i].y0},
                       static_cast<std::int32_t>(x0), runs[i].y0 - runs[i].dy});
    i = j;
  }
  return copies_;
}

void CopyFinder::commit() {
  // The changed rows that find() did not hash (it stopped after the vote) are hashed from the
  // reference when a later find() needs their column.
  for (std::uint32_t c = 0; c < columns_; ++c)
    for (std::uint32_t ty = 0; ty < tiles_y_; ++ty) {
      if (!changed_tiles_[std::size_t{ty} * columns_ + c]) continue;
      const std::uint32_t y1 = std::min(height_, (ty + 1) * kColumn);
      for (std::uint32_t y = ty * kColumn; y < y1; ++y) {
        const std::size_t i = std::size_t{c} * height_ + y;
        if (hashed_[i]) ref_hash_[i] = new_hash_[i];
        ref_stale_[i] = !hashed_[i];
      }
    }
}

void apply_copy(FrameBuffer& frame, const CopyRect& copy) {
  const std::size_t to = static_cast<std::size_t>(copy.dst.x) * 4, from = static_cast<std::size_t>(copy.src_x) * 4;
  const std::size_t bytes = static_cast<std::size_t>(copy.dst.w) * 4;
  const auto move_row = [&](std::int32_t r) {  // memmove: a row may overlap itself when moved sideways
    std::memmove(frame.row(static_cast<std::uint32_t>(copy.dst.y + r)) + to,
                 frame.row(static_cast<std::uint32_t>(copy.src_y + r)) + from, bytes);
  };
  if (copy.src_y < copy.dst.y) {  // moving down: the bottom row first
    for (std::int32_t r = copy.dst.h - 1; r >= 0; --r) move_row(r);
  } else {
    for (std::int32_t r = 0; r < copy.dst.h; ++r) move_row(r);
  }
}

}  // namespace screenreel

// Tile-diff encoder and checked decoder for FRAME messages (schemas/wire-protocol.md).
#include "screenreel/protocol/frame_codec.hpp"

#include <lz4.h>
// The dispatching build picks the widest vector unit at run time (AVX2 here): the same hashes,
// 0.19 ms instead of 0.43 ms for a 1080p frame (tests/bench/codec_bench.cpp, BM_PixelHash*).
#include <xxh_x86dispatch.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>

#include "screenreel/common/yuv420.hpp"
#include "screenreel/protocol/copy_finder.hpp"

namespace screenreel {

std::uint64_t pixel_hash(const FrameBuffer& frame) {
  return XXH3_64bits(frame.pixels.data(), frame.pixels.size());
}

FrameEncoder::FrameEncoder(std::uint32_t width, std::uint32_t height, int lz4_acceleration)
    : reference_(width, height),
      tiles_x_((width + kTile - 1) / kTile),
      tiles_y_((height + kTile - 1) / kTile),
      changed_(std::size_t{tiles_x_} * tiles_y_),
      compare_(changed_.size()),
      lz4_stream_((sizeof(LZ4_stream_t) + sizeof(std::uint64_t) - 1) / sizeof(std::uint64_t)),
      acceleration_(std::max(1, lz4_acceleration)) {
  LZ4_initStream(lz4_stream_.data(), sizeof(LZ4_stream_t));
}

FrameEncoder::~FrameEncoder() = default;
FrameEncoder::FrameEncoder(FrameEncoder&&) noexcept = default;
FrameEncoder& FrameEncoder::operator=(FrameEncoder&&) noexcept = default;

void FrameEncoder::enable_jpeg(StripCoder* coder, WireChoice choose) {
  strip_coder_ = coder;
  choose_ = std::move(choose);
  grid_ = JpegStripGrid(reference_.width, reference_.height);
  lossy_.assign(grid_.size(), 0);
  lossy_count_ = 0;
  blocks_x_ = grid_.columns();
  blocks_y_ = (reference_.height + kBlockRows - 1) / kBlockRows;
  coded_at_.assign(grid_.size(), -1);
  block_lz4_.assign(std::size_t{blocks_x_} * blocks_y_, 0);
  block_lz4_age_.assign(block_lz4_.size(), 0);
}

// Block b: kBlockRows rows of a column of strips (the last clipped to the frame), whole strips.
PixelRect FrameEncoder::block(std::size_t b) const {
  const std::uint32_t sw = grid_.strip_width();
  const std::uint32_t x = static_cast<std::uint32_t>(b % blocks_x_) * sw;
  const std::uint32_t y = static_cast<std::uint32_t>(b / blocks_x_) * kBlockRows;
  return {static_cast<std::int32_t>(x), static_cast<std::int32_t>(y),
          static_cast<std::int32_t>(std::min(sw, reference_.width - x)),
          static_cast<std::int32_t>(std::min(kBlockRows, reference_.height - y))};
}

// Whether the receiver holds one of block b's strips decoded from a JPEG.
bool FrameEncoder::block_lossy(std::size_t b) const {
  if (lossy_count_ == 0) return false;
  const std::size_t column = b % blocks_x_, first_row = b / blocks_x_ * (kBlockRows / JpegStripGrid::kMcuPixels);
  for (std::size_t row = first_row; row < std::min<std::size_t>(grid_.rows(), first_row + kBlockRows / JpegStripGrid::kMcuPixels); ++row)
    if (lossy_[row * grid_.columns() + column]) return true;
  return false;
}

// Block b's pixels of the reference, LZ4-compressed (raw when that is smaller) into block_bytes_,
// weighed in weighed_. 4:2:0 tiles: the receiver's frame (peer_) gets them converted back when
// `to_peer` (a block that goes whichever way: JPEG strips would overwrite them).
void FrameEncoder::add_block(std::size_t b, PixelRect r, bool to_peer) {
  weighed_.push_back(Weighed{b, r});
  compress_block(weighed_.back(), to_peer);
}

// The part of block b to send as LZ4: the whole block when the receiver holds one of its strips
// decoded from a JPEG (the rectangle must cover such strips whole), else its changed tiles.
PixelRect FrameEncoder::lossless_part(std::size_t b) const {
  const PixelRect whole = block(b);
  if (block_lossy(b)) return whole;
  const std::uint32_t ty = static_cast<std::uint32_t>(whole.y) / kTile;  // blocks are a tile row high
  PixelRect part{};
  for (std::uint32_t tx = static_cast<std::uint32_t>(whole.x) / kTile; tx * kTile < static_cast<std::uint32_t>(whole.right()); ++tx)
    if (changed_[std::size_t{ty} * tiles_x_ + tx]) {
      const PixelRect tile = PixelRect{static_cast<std::int32_t>(tx * kTile), whole.y, static_cast<std::int32_t>(kTile), whole.h}
                                 .intersected(whole);
      part = part.empty() ? tile : part.united(tile);
    }
  return part.empty() ? whole : part;
}

void FrameEncoder::compress_block(Weighed& w, bool to_peer) {
  const PixelRect r = w.rect;
  const auto x = static_cast<std::uint32_t>(r.x), y = static_cast<std::uint32_t>(r.y);
  const auto rw = static_cast<std::uint32_t>(r.w), rh = static_cast<std::uint32_t>(r.h);
  const auto [src, raw, n] = compress(x, y, rw, rh, to_peer);
  w.offset = block_bytes_.size();
  w.encoding = wire::RectEncoding::kLz4;
  if (yuv420_) {
    w.encoding = wire::RectEncoding::kLz4Yuv420;
    block_bytes_.insert(block_bytes_.end(), lz4_.begin(), lz4_.begin() + n);
  } else if (n > 0 && static_cast<std::size_t>(n) < raw) {
    block_bytes_.insert(block_bytes_.end(), lz4_.begin(), lz4_.begin() + n);
  } else {
    w.encoding = wire::RectEncoding::kRaw;
    block_bytes_.insert(block_bytes_.end(), src, src + raw);
  }
  w.size = block_bytes_.size() - w.offset;
  w.lossless = w.size + wire::kRectHeaderBytes;
  w.compressed = true;
  if (r == block(w.block)) {
    block_lz4_[w.block] = w.lossless;
    block_lz4_age_[w.block] = 0;
  }
}

// A frame's changes block by block (see enable_jpeg): each changed block as LZ4 or as JPEG strips
// as `plan` says, then, with kFit's budget left over, unchanged blocks that heal.
void FrameEncoder::encode_blocks(const WirePlan& plan, EncodeStats& stats, wire::FrameMessageWriter& writer) {
  const bool all_jpeg = plan.mode == WirePlan::kJpeg;
  block_marks_.assign(std::size_t{blocks_x_} * blocks_y_, 0);
  const auto mark = [&](const PixelRect& r) {
    mark_cells(r, static_cast<std::int32_t>(grid_.strip_width()), static_cast<std::int32_t>(kBlockRows), blocks_x_,
               block_marks_);
  };
  for (std::uint32_t ty = 0; ty < tiles_y_; ++ty)
    for (std::uint32_t tx = 0; tx < tiles_x_; ++tx)
      if (changed_[std::size_t{ty} * tiles_x_ + tx])
        mark(PixelRect{static_cast<std::int32_t>(tx * kTile), static_cast<std::int32_t>(ty * kTile),
                       static_cast<std::int32_t>(std::min(kTile, reference_.width - tx * kTile)),
                       static_cast<std::int32_t>(std::min(kTile, reference_.height - ty * kTile))});
  for (const PixelRect& r : lossy_writes_) mark(r);  // copied pixels decoded from a JPEG: sent again

  weighed_.clear();
  block_bytes_.clear();
  tile_rects_.clear();
  for (std::size_t b = 0; b < block_marks_.size(); ++b) {
    if (!block_marks_[b]) continue;
    tile_rects_.push_back(block(b));
    if (all_jpeg) {
      weighed_.push_back(Weighed{b, block(b)});
    } else if (block_lossy(b) && block_lz4_[b] > 0 && ++block_lz4_age_[b] < kMeasureEvery) {
      // A block that went as JPEG strips and changed again (a video's): what its LZ4 took when
      // last measured; compressed only if it goes as LZ4 now.
      Weighed w{b, block(b)};
      w.lossless = block_lz4_[b];
      weighed_.push_back(w);
    } else {
      add_block(b, lossless_part(b), /*to_peer=*/true);
    }
  }
  std::uint64_t total = writer.bytes();  // the message so far: its copies
  for (const Weighed& w : weighed_) total += w.lossless;
  if (!all_jpeg) stats.lossless_bytes = total;

  // Over budget: the blocks' JPEG strips, and those that save the most go as JPEG.
  const CodedStrips* coded = nullptr;
  if (!weighed_.empty() && (all_jpeg || total > plan.budget)) {
    coded = &strip_coder_->code(reference_, tile_rects_);
    std::fill(coded_at_.begin(), coded_at_.end(), -1);
    for (std::size_t i = 0; i < coded->strips.size(); ++i) coded_at_[coded->strips[i]] = static_cast<std::int32_t>(i);
    std::vector<Weighed*> saving;
    for (Weighed& w : weighed_) {
      std::uint64_t jpeg = 0;
      bool codable = true;
      grid_.for_each_strip(block(w.block), [&](std::uint32_t s) {
        const std::int32_t at = coded_at_[s];
        const std::size_t bytes = at < 0 ? 0 : coded->strip(static_cast<std::size_t>(at)).size();
        // Never in practice: a strip over the protocol's limit goes as LZ4.
        if (at < 0 || bytes > static_cast<std::uint64_t>(grid_.strip(s).area()) * wire::kMaxJpegStripBytesPerPixel)
          codable = false;
        jpeg += bytes + wire::kRectHeaderBytes + wire::kJpegStripPrefixBytes;
      });
      if (!codable) continue;
      w.jpeg = jpeg;
      if (all_jpeg) w.as_jpeg = true;
      else if (jpeg * kJpegAtMost < w.lossless) saving.push_back(&w);
    }
    std::sort(saving.begin(), saving.end(),
              [](const Weighed* a, const Weighed* b) { return a->lossless - a->jpeg > b->lossless - b->jpeg; });
    for (Weighed* w : saving) {
      if (total <= plan.budget) break;
      w->as_jpeg = true;
      total -= w->lossless - w->jpeg;
    }
    if (all_jpeg) {  // blocks that could not go as JPEG go as LZ4
      std::vector<std::size_t> lossless;
      for (const Weighed& w : weighed_)
        if (!w.as_jpeg) lossless.push_back(w.block);
      std::erase_if(weighed_, [](const Weighed& w) { return !w.as_jpeg; });
      for (const std::size_t b : lossless) add_block(b, lossless_part(b), /*to_peer=*/true);
    }
  }
  // Budget left over heals blocks the receiver holds from a JPEG, from where the last frame
  // stopped, so that the whole screen heals in turn. A block that does not fit is passed over
  // (a few a frame: each costs its LZ4).
  if (plan.mode == WirePlan::kFit && lossy_count_ > 0 && total < plan.budget) {
    constexpr int kHealMisses = 4;
    const std::size_t n = block_marks_.size();
    int misses = 0;
    for (std::size_t k = 0; k < n && total < plan.budget && misses < kHealMisses; ++k) {
      const std::size_t b = (heal_cursor_ + k) % n;
      if (block_marks_[b] || !block_lossy(b)) continue;
      heal_cursor_ = (b + 1) % n;
      add_block(b, block(b), /*to_peer=*/false);
      if (total + weighed_.back().lossless > plan.budget) {  // does not fit
        block_bytes_.resize(weighed_.back().offset);
        weighed_.pop_back();
        ++misses;
        continue;
      }
      total += weighed_.back().lossless;
      if (yuv420_) {  // the receiver's frame gets the planes converted back
        const PixelRect r = block(b);
        compress(static_cast<std::uint32_t>(r.x), static_cast<std::uint32_t>(r.y), static_cast<std::uint32_t>(r.w),
                 static_cast<std::uint32_t>(r.h), /*to_peer=*/true);
      }
      stats.heal_pixels += static_cast<std::uint64_t>(block(b).area());
    }
  }

  for (Weighed& w : weighed_)  // blocks weighed by an earlier measure that go as LZ4
    if (!w.as_jpeg && !w.compressed) compress_block(w, /*to_peer=*/true);

  // The receiver's frame: the reference but for the strips held from a JPEG (4:2:0: kept apart).
  bool any_jpeg = false;
  for (const Weighed& w : weighed_) any_jpeg = any_jpeg || w.as_jpeg;
  if (!yuv420_ && lossy_count_ == 0 && any_jpeg) peer_ = reference_;
  chosen_.clear(grid_);
  for (const Weighed& w : weighed_) {
    if (w.as_jpeg) {
      const PixelRect r = block(w.block);
      grid_.for_each_strip(r, [&](std::uint32_t s) {
        const auto bytes = coded->strip(static_cast<std::size_t>(coded_at_[s]));
        chosen_.add(s, bytes);
        lossy_count_ += !lossy_[s];
        lossy_[s] = 1;
      });
      stats.jpeg_pixels += static_cast<std::uint64_t>(r.area());
      continue;
    }
    const PixelRect& r = w.rect;  // whole strips when any was held from a JPEG
    writer.add_rect(static_cast<std::uint32_t>(r.x), static_cast<std::uint32_t>(r.y), static_cast<std::uint32_t>(r.w),
                    static_cast<std::uint32_t>(r.h), w.encoding, {block_bytes_.data() + w.offset, w.size});
    stats.lossless_pixels += static_cast<std::uint64_t>(r.area());
    stats.raw_bytes += static_cast<std::size_t>(r.area()) * 4;
    grid_.for_each_strip(r, [&](std::uint32_t s) {
      lossy_count_ -= lossy_[s];
      lossy_[s] = 0;
    });
    if (!yuv420_ && !peer_.pixels.empty() && (lossy_count_ > 0 || any_jpeg))
      for (std::int32_t y = r.y; y < r.bottom(); ++y)
        std::memcpy(peer_.row(static_cast<std::uint32_t>(y)) + static_cast<std::size_t>(r.x) * 4,
                    reference_.row(static_cast<std::uint32_t>(y)) + static_cast<std::size_t>(r.x) * 4,
                    static_cast<std::size_t>(r.w) * 4);
  }
  for (std::size_t i = 0; i < chosen_.strips.size(); ++i)
    writer.add_jpeg_strip(grid_, chosen_.strips[i], strip_coder_->quality(), chosen_.strip(i));
  if (any_jpeg) strip_coder_->decode(chosen_, peer_);
  if (lossy_count_ == 0 && !yuv420_) peer_ = FrameBuffer();
  stats.jpeg = any_jpeg;
  stats.jpeg_strips = static_cast<std::uint32_t>(chosen_.strips.size());
}

// A copy while strips decoded from JPEG are out (see encode): when it reads or writes one, the
// strips it writes hold such pixels now.
void FrameEncoder::taint(const CopyRect& c) {
  touched_.assign(grid_.size(), 0);
  grid_.mark(PixelRect{c.src_x, c.src_y, c.dst.w, c.dst.h}, touched_);
  grid_.mark(c.dst, touched_);
  bool lossy = false;
  for (std::size_t i = 0; i < touched_.size() && !lossy; ++i) lossy = touched_[i] && lossy_[i];
  if (!lossy) return;
  lossy_writes_.push_back(c.dst);
  touched_.assign(grid_.size(), 0);
  grid_.mark(c.dst, touched_);
  for (std::size_t i = 0; i < touched_.size(); ++i)
    if (touched_[i] && !lossy_[i]) {
      lossy_[i] = 1;
      ++lossy_count_;
    }
}

void FrameEncoder::enable_yuv420(bool on) {
  if (on == yuv420_) return;
  yuv420_ = on;
  force_key_ = true;  // the receiver's frame is rebuilt whole in the new format
  if (on) peer_ = FrameBuffer(reference_.width, reference_.height);
  else if (lossy_count_ == 0) peer_ = FrameBuffer();
}

void FrameEncoder::enable_copies(bool on) {
  copies_ = on;
  if (on && !copy_finder_) copy_finder_ = std::make_unique<CopyFinder>(reference_.width, reference_.height);
  if (on) copy_finder_->reset();  // its hashes are of the reference as it was when last used
}

// Compares `pixels` with the reference in the tiles compare_ marks (kCompare) and sets changed_;
// tiles marked kTake are taken as changed without a compare. With `copy`, copies the changed
// tiles into the reference in the same pass. Returns the tiles changed.
std::uint32_t FrameEncoder::diff(const std::uint8_t* pixels, std::size_t stride, bool first, bool copy) {
  const std::uint32_t w = reference_.width, h = reference_.height;
  const std::size_t ref_stride = reference_.stride();
  std::uint32_t tiles_changed = 0;
  // Compare and copy in one pass, a pixel row at a time across the tile row: a tile's rows are
  // compared until its first difference, after which they are only copied, so the pixels of an
  // unchanged tile are read once. Neighbouring tiles in the same state are one memcmp or memcpy
  // (a whole screen row when nothing changed): 2.6x faster than a call per 64-pixel tile row on
  // real frames of both scenes (0.39 against 1.0 ms a 1080p frame), the same tiles found.
  constexpr std::uint8_t kEqual = 0, kDiffers = 1, kSkipped = 2;  // kSkipped: not to be compared
  for (std::uint32_t ty = 0; ty < tiles_y_; ++ty) {
    const std::uint32_t y0 = ty * kTile, y1 = std::min(h, y0 + kTile);
    std::uint8_t* state = changed_.data() + std::size_t{ty} * tiles_x_;
    const std::uint8_t* compare = compare_.data() + std::size_t{ty} * tiles_x_;
    for (std::uint32_t tx = 0; tx < tiles_x_; ++tx)
      state[tx] = compare[tx] == kSkip ? kSkipped : first || compare[tx] == kTake ? kDiffers : kEqual;
    for (std::uint32_t y = y0; y < y1; ++y) {
      const std::uint8_t* src = pixels + y * stride;
      std::uint8_t* dst = reference_.pixels.data() + y * ref_stride;
      for (std::uint32_t tx = 0; tx < tiles_x_;) {
        std::uint32_t end = tx + 1;
        while (end < tiles_x_ && state[end] == state[tx]) ++end;
        const std::size_t from = std::size_t{tx} * kTile * 4, to = std::size_t{std::min(w, end * kTile)} * 4;
        if (state[tx] == kDiffers) {
          if (copy) std::memcpy(dst + from, src + from, to - from);
        } else if (state[tx] == kEqual && std::memcmp(src + from, dst + from, to - from) != 0) {
          for (std::uint32_t k = tx; k < end; ++k) {  // which of them differ, from this row on
            const std::size_t a = std::size_t{k} * kTile * 4, b = std::min(to, a + kTile * 4);
            if (std::memcmp(src + a, dst + a, b - a) != 0) {
              state[k] = kDiffers;
              if (copy) std::memcpy(dst + a, src + a, b - a);
            }
          }
        }
        tx = end;
      }
    }
    for (std::uint32_t tx = 0; tx < tiles_x_; ++tx) {
      state[tx] = state[tx] == kDiffers;
      tiles_changed += state[tx];
    }
  }
  return tiles_changed;
}

// Calls run(x0, y0, w, h) for every run of changed tiles along a tile row.
template <typename Run>
void FrameEncoder::for_each_changed_run(Run&& run) const {
  const std::uint32_t w = reference_.width, h = reference_.height;
  for (std::uint32_t ty = 0; ty < tiles_y_; ++ty) {
    const std::uint32_t y0 = ty * kTile, rh = std::min(h, y0 + kTile) - y0;
    for (std::uint32_t tx = 0; tx < tiles_x_;) {
      if (!changed_[std::size_t{ty} * tiles_x_ + tx]) {
        ++tx;
        continue;
      }
      std::uint32_t end = tx;
      while (end < tiles_x_ && changed_[std::size_t{ty} * tiles_x_ + end]) ++end;
      run(tx * kTile, y0, std::min(w, end * kTile) - tx * kTile, rh);
      tx = end;
    }
  }
}

std::optional<EncodeStats> FrameEncoder::encode(const std::uint8_t* pixels, std::size_t stride,
                                                std::uint64_t seq, std::int64_t capture_time_us,
                                                bool key, bool force, std::vector<std::uint8_t>& out,
                                                std::optional<std::span<const PixelRect>> changed) {
  const bool first = !have_reference_;
  const std::uint32_t w = reference_.width, h = reference_.height;
  EncodeStats stats;
  stats.tiles_total = tiles_x_ * tiles_y_;
  if (!first && changed && changed->empty() && !force) return std::nullopt;
  key = key || force_key_;
  if (first || key) changed.reset();  // see encode()'s comment: these compare everything
  std::fill(compare_.begin(), compare_.end(), static_cast<std::uint8_t>(changed ? 0 : 1));
  if (changed) {
    const PixelRect frame{0, 0, static_cast<std::int32_t>(w), static_cast<std::int32_t>(h)};
    for (const PixelRect& given : *changed) {
      const PixelRect r = given.intersected(frame);
      if (!r.empty()) mark_cells(r, kTile, kTile, tiles_x_, compare_);
    }
  }

  // With copies, the tiles are first only compared, so the reference still holds the frame the
  // peer has; the copies found in the changed tiles are applied to it, and the changed tiles are
  // compared again (and copied) against that: a tile that the copies made equal is not sent.
  // While the peer holds strips decoded from JPEG (lossy_), the copies move its pixels too: a copy
  // that reads or writes such a strip makes the strips it writes lossy (healed by the next frame
  // that goes as tiles), and goes in this frame's JPEG strips if it goes as JPEG (lossy_writes_),
  // so that the receiver never codes pixels decoded from a JPEG again.
  const bool find_copies = copies_ && !first && !key;
  std::span<const CopyRect> copies;
  lossy_writes_.clear();
  stats.tiles_changed = diff(pixels, stride, first, /*copy=*/!find_copies);
  if (find_copies && stats.tiles_changed > 0) {
    copies = copy_finder_->find(reference_, pixels, stride, changed_);
    for (const CopyRect& c : copies) {
      apply_copy(reference_, c);
      if (yuv420_ || lossy_count_ > 0) apply_copy(peer_, c);  // the receiver's pixels move with them
      if (lossy_count_ > 0) taint(c);
    }
    // Only the tiles a copy wrote to are compared again; the other changed tiles are taken.
    for (std::size_t i = 0; i < compare_.size(); ++i) compare_[i] = changed_[i] ? kTake : kSkip;
    for (const CopyRect& c : copies) mark_cells(c.dst, kTile, kTile, tiles_x_, compare_);
    stats.tiles_changed = diff(pixels, stride, false, /*copy=*/true);
    copy_finder_->commit();
  }
  have_reference_ = true;
  // Copies that alone made the frame (a scroll of whole tiles) are still a frame to send.
  if (stats.tiles_changed == 0 && copies.empty() && !force) return std::nullopt;
  key = key || first;
  force_key_ = false;
  if (key) {
    std::fill(changed_.begin(), changed_.end(), std::uint8_t{1});
    if (copy_finder_) copy_finder_->reset();  // the reference changed everywhere
  }

  // Room for a message a quarter larger than the last one: appending rarely reallocates.
  wire::FrameMessageWriter writer(out, seq, capture_time_us, w, h, key ? wire::kFrameFlagKey : 0,
                                  last_message_bytes_ + last_message_bytes_ / 4 + 4096);
  for (const CopyRect& c : copies) {  // first: they read the frame before this one's tiles
    writer.add_copy(static_cast<std::uint32_t>(c.dst.x), static_cast<std::uint32_t>(c.dst.y),
                    static_cast<std::uint32_t>(c.dst.w), static_cast<std::uint32_t>(c.dst.h),
                    static_cast<std::uint32_t>(c.src_x), static_cast<std::uint32_t>(c.src_y));
    ++stats.copies;
    stats.copied_pixels += static_cast<std::uint64_t>(c.dst.area());
  }
  const auto finish = [&](const FrameBuffer& peers) {  // the hash is of the peer's frame
    writer.finish(pixel_hash(peers));
    stats.rects = writer.rect_count();
    stats.message_bytes = out.size();
    last_message_bytes_ = out.size();
    stats.key = key;
    return stats;
  };
  const WirePlan plan = strip_coder_ && choose_ ? choose_() : WirePlan{};
  if (plan.mode != WirePlan::kTiles) {
    encode_blocks(plan, stats, writer);
    return finish(peer());
  }
  if (lossy_count_ > 0) {  // tiles: every strip the peer holds from a JPEG goes again, lossless
    std::vector<std::uint8_t>& heal = compare_;  // free now
    std::fill(heal.begin(), heal.end(), std::uint8_t{0});
    for (std::size_t i = 0; i < lossy_.size(); ++i)
      if (lossy_[i]) mark_cells(grid_.strip(i), kTile, kTile, tiles_x_, heal);
    for (std::size_t t = 0; t < heal.size(); ++t)
      if (heal[t] && !changed_[t]) {
        changed_[t] = 1;
        const std::uint32_t x = static_cast<std::uint32_t>(t % tiles_x_) * kTile, y = static_cast<std::uint32_t>(t / tiles_x_) * kTile;
        stats.heal_pixels += std::uint64_t{std::min(kTile, w - x)} * std::min(kTile, h - y);
      }
    std::fill(lossy_.begin(), lossy_.end(), std::uint8_t{0});
    lossy_count_ = 0;
    if (!yuv420_) peer_ = FrameBuffer();
  }
  // A run of changed tiles along a tile row becomes one rectangle; on a key frame each tile row
  // is one full-width rectangle whose rows are contiguous in the reference (no packing needed).
  for_each_changed_run([&](std::uint32_t x0, std::uint32_t y0, std::uint32_t rw, std::uint32_t rh) {
    add_tiles(x0, y0, rw, rh, writer);
    stats.raw_bytes += std::size_t{rw} * 4 * rh;
    stats.lossless_pixels += std::uint64_t{rw} * rh;
  });
  if (stats.heal_pixels == 0) stats.lossless_bytes = writer.bytes();
  stats.yuv420 = yuv420_;
  return finish(yuv420_ ? peer_ : reference_);
}

// One run of changed tiles of the reference: BGRX as LZ4 (raw when that is smaller), or 4:2:0
// planes as LZ4, which the receiver's frame (peer_) then gets converted back as it will.
void FrameEncoder::add_tiles(std::uint32_t x0, std::uint32_t y0, std::uint32_t rw, std::uint32_t rh,
                             wire::FrameMessageWriter& writer) {
  const auto [src, raw, n] = compress(x0, y0, rw, rh, /*to_peer=*/true);
  if (yuv420_)  // one encoding for planes: LZ4 even when it does not shrink them (noise)
    writer.add_rect(x0, y0, rw, rh, wire::RectEncoding::kLz4Yuv420, {lz4_.data(), static_cast<std::size_t>(n)});
  else if (n > 0 && static_cast<std::size_t>(n) < raw)
    writer.add_rect(x0, y0, rw, rh, wire::RectEncoding::kLz4, {lz4_.data(), static_cast<std::size_t>(n)});
  else  // incompressible (noise): raw is smaller and cheaper to decode
    writer.add_rect(x0, y0, rw, rh, wire::RectEncoding::kRaw, {src, raw});
}

// One run of tiles of the reference, LZ4-compressed into lz4_ (BGRX, or 4:2:0 planes, which the
// receiver's frame (peer_) then gets converted back as it will when `to_peer`): the bytes
// compressed and their LZ4 size (0: LZ4 failed).
FrameEncoder::Compressed FrameEncoder::compress(std::uint32_t x0, std::uint32_t y0, std::uint32_t rw,
                                                std::uint32_t rh, bool to_peer) {
  const std::size_t row_bytes = std::size_t{rw} * 4;
  std::size_t raw = row_bytes * rh;
  const std::uint8_t* src;
  if (yuv420_) {
    raw = Yuv420Layout{rw, rh}.bytes();
    scratch_.resize(raw);
    bgrx_to_yuv420(reference_.row(y0) + std::size_t{x0} * 4, reference_.stride(), rw, rh, scratch_.data());
    if (to_peer) yuv420_to_bgrx(scratch_.data(), rw, rh, peer_.row(y0) + std::size_t{x0} * 4, peer_.stride());
    src = scratch_.data();
  } else if (rw == reference_.width) {
    src = reference_.row(y0);
  } else {
    scratch_.resize(raw);
    for (std::uint32_t y = 0; y < rh; ++y)
      std::memcpy(scratch_.data() + y * row_bytes, reference_.row(y0 + y) + std::size_t{x0} * 4, row_bytes);
    src = scratch_.data();
  }
  const int bound = LZ4_compressBound(static_cast<int>(raw));
  if (lz4_.size() < static_cast<std::size_t>(bound)) lz4_.resize(static_cast<std::size_t>(bound));
  // LZ4_compress_fast would clear a 16 KiB table on the stack for every rectangle; a kept
  // stream, reset the fast way, gives the same independent block without that.
  auto* stream = reinterpret_cast<LZ4_stream_t*>(lz4_stream_.data());
  LZ4_resetStream_fast(stream);
  const int n = LZ4_compress_fast_continue(stream, reinterpret_cast<const char*>(src), reinterpret_cast<char*>(lz4_.data()),
                                           static_cast<int>(raw), bound, acceleration_);
  return {src, raw, n};
}

// The frame's pixels are allocated by the first key frame, not here: a HELLO alone (60 bytes)
// must not make the receiver hold up to 64 MiB.
namespace {
// FrameBuffer::content: the decoder's id in the high bits, the frame's count in the low ones.
constexpr int kContentShift = 40;
constexpr std::uint64_t kContentFrame = (std::uint64_t{1} << kContentShift) - 1;
std::atomic<std::uint64_t> next_decoder_id{1};

// Rows of `w` bytes of one plane (`stride` bytes a row) from (sx, sy) to (dx, dy), in the order
// that an overlapping move (a scroll) needs.
void move_plane(std::uint8_t* plane, std::size_t stride, std::uint32_t dx, std::uint32_t dy, std::uint32_t sx,
                std::uint32_t sy, std::uint32_t w, std::uint32_t h) {
  const auto move_row = [&](std::uint32_t r) {
    std::memmove(plane + (dy + r) * stride + dx, plane + (sy + r) * stride + sx, w);
  };
  if (sy < dy) {
    for (std::uint32_t r = h; r-- > 0;) move_row(r);
  } else {
    for (std::uint32_t r = 0; r < h; ++r) move_row(r);
  }
}

// The chroma samples (2x2 blocks) that pixels `r` touch.
PixelRect chroma_blocks(const PixelRect& r) {
  const std::int32_t x0 = r.x / 2, y0 = r.y / 2;
  return {x0, y0, (r.right() + 1) / 2 - x0, (r.bottom() + 1) / 2 - y0};
}

// Whether `r` is made of whole 2x2 blocks of a width x height frame (a block cut by the
// frame's odd right or bottom edge is whole).
bool whole_blocks(const PixelRect& r, std::uint32_t width, std::uint32_t height) {
  const auto even_or_edge = [](std::int32_t end, std::uint32_t size) {
    return end % 2 == 0 || static_cast<std::uint32_t>(end) == size;
  };
  return r.x % 2 == 0 && r.y % 2 == 0 && even_or_edge(r.right(), width) && even_or_edge(r.bottom(), height);
}

// The planes of `r` (whole blocks) from one frame's planes into another's.
void copy_planes(const std::uint8_t* from, std::uint8_t* to, const Yuv420Layout& l, const PixelRect& r) {
  for (std::int32_t y = r.y; y < r.bottom(); ++y) {
    const std::size_t at = static_cast<std::size_t>(y) * l.width + static_cast<std::size_t>(r.x);
    std::memcpy(to + at, from + at, static_cast<std::size_t>(r.w));
  }
  const PixelRect c = chroma_blocks(r);
  for (const std::size_t plane : {l.luma_bytes(), l.luma_bytes() + l.chroma_bytes()})
    for (std::int32_t y = c.y; y < c.bottom(); ++y) {
      const std::size_t at = plane + static_cast<std::size_t>(y) * l.chroma_width() + static_cast<std::size_t>(c.x);
      std::memcpy(to + at, from + at, static_cast<std::size_t>(c.w));
    }
}

// A tile's planes (Yuv420Layout{r.w, r.h}, packed) into the frame's at `r`: the luma, and the
// chroma when `r` is whole blocks.
void put_planes(const std::uint8_t* tile, FrameBuffer& frame, const PixelRect& r, bool chroma) {
  const Yuv420Layout l{frame.width, frame.height}, t{static_cast<std::uint32_t>(r.w), static_cast<std::uint32_t>(r.h)};
  for (std::int32_t y = 0; y < r.h; ++y)
    std::memcpy(frame.yuv420.data() + static_cast<std::size_t>(r.y + y) * l.width + static_cast<std::size_t>(r.x),
                tile + static_cast<std::size_t>(y) * t.width, t.width);
  if (!chroma) return;
  const PixelRect c = chroma_blocks(r);
  for (std::size_t p = 0; p < 2; ++p)
    for (std::int32_t y = 0; y < c.h; ++y)
      std::memcpy(frame.yuv420.data() + l.luma_bytes() + p * l.chroma_bytes() +
                      static_cast<std::size_t>(c.y + y) * l.chroma_width() + static_cast<std::size_t>(c.x),
                  tile + t.luma_bytes() + p * t.chroma_bytes() + static_cast<std::size_t>(y) * t.chroma_width(),
                  t.chroma_width());
}
}  // namespace

void FrameDecoder::derive_planes(FrameBuffer& frame, const PixelRect& r, bool luma) {
  // From a chroma column that is even (a pixel column that is a multiple of 4), so that libjpeg's
  // downsampling bias (1 and 2 alternately along the row, from the left edge) falls as in the
  // whole frame's conversion.
  const PixelRect c = chroma_blocks(r);
  const std::uint32_t cx0 = static_cast<std::uint32_t>(c.x) & ~1u;
  const std::uint32_t x0 = cx0 * 2, y0 = static_cast<std::uint32_t>(c.y) * 2;
  const std::uint32_t x1 = std::min(frame.width, static_cast<std::uint32_t>(c.right()) * 2);
  const std::uint32_t y1 = std::min(frame.height, static_cast<std::uint32_t>(c.bottom()) * 2);
  const Yuv420Layout l{frame.width, frame.height}, part{x1 - x0, y1 - y0};
  scratch_.resize(part.bytes());
  bgrx_to_yuv420(frame.row(y0) + std::size_t{x0} * 4, frame.stride(), part.width, part.height, scratch_.data());
  if (luma)
    for (std::int32_t y = r.y; y < r.bottom(); ++y)
      std::memcpy(frame.yuv420.data() + static_cast<std::size_t>(y) * l.width + static_cast<std::size_t>(r.x),
                  scratch_.data() + std::size_t{static_cast<std::uint32_t>(y) - y0} * part.width +
                      (static_cast<std::uint32_t>(r.x) - x0),
                  static_cast<std::size_t>(r.w));
  for (std::size_t p = 0; p < 2; ++p)
    for (std::int32_t y = 0; y < c.h; ++y)
      std::memcpy(frame.yuv420.data() + l.luma_bytes() + p * l.chroma_bytes() +
                      static_cast<std::size_t>(c.y + y) * l.chroma_width() + static_cast<std::size_t>(c.x),
                  scratch_.data() + part.luma_bytes() + p * part.chroma_bytes() +
                      static_cast<std::size_t>(y) * part.chroma_width() + (static_cast<std::uint32_t>(c.x) - cx0),
                  static_cast<std::size_t>(c.w));
}

FrameDecoder::FrameDecoder(std::uint32_t width, std::uint32_t height, Allocate allocate)
    : allocate_(allocate ? std::move(allocate)
                         : [](std::uint32_t w, std::uint32_t h) { return std::make_shared<FrameBuffer>(w, h); }),
      frame_(std::make_shared<FrameBuffer>()),
      id_(next_decoder_id++) {
  frame_->width = width;
  frame_->height = height;
}

// The buffer to draw the next FRAME into: the current one when no reader holds it, else a fresh
// one (with the current pixels when `keep_pixels`: a frame that builds on the one before).
FrameBuffer& FrameDecoder::writable(std::uint32_t width, std::uint32_t height, bool keep_pixels) {
  const bool shared = frame_.use_count() > 1;
  // A reader that let the buffer go did so with a release (the count's decrement); this makes
  // its last reads happen before the writes that follow.
  std::atomic_thread_fence(std::memory_order_acquire);
  const bool fits = frame_->width == width && frame_->height == height &&
                    frame_->pixels.size() == std::size_t{width} * height * wire::kBytesPerPixel;
  const auto planes = [&](FrameBuffer& f) -> FrameBuffer& {  // none in a buffer of a BGRX session
    if (keep_planes_) f.yuv420.resize(Yuv420Layout{width, height}.bytes());
    else f.yuv420.clear();
    return f;
  };
  if (!shared && fits) return planes(*frame_);
  auto fresh = allocate_(width, height);
  planes(*fresh);
  if (keep_pixels && fits) carry(*frame_, *fresh);
  frame_ = std::move(fresh);
  return *frame_;
}

void FrameDecoder::carry(const FrameBuffer& from, FrameBuffer& to) {
  const std::uint64_t held = to.content >> kContentShift == id_ ? to.content & kContentFrame : 0;
  const std::uint64_t oldest_known = drawn_ + 1 - history_.size();  // the first frame in history_
  if (held == 0 || held > drawn_ || held + 1 < oldest_known) {
    std::memcpy(to.pixels.data(), from.pixels.data(), to.pixels.size());
    bytes_carried_ += to.pixels.size();
    if (to.yuv420.size() == from.yuv420.size()) std::memcpy(to.yuv420.data(), from.yuv420.data(), to.yuv420.size());
    return;
  }
  const bool planes = !to.yuv420.empty() && to.yuv420.size() == from.yuv420.size();
  const Yuv420Layout layout{from.width, from.height};
  // Tiles any frame after `held` changed, then a copy of each run of them, row by row.
  const std::uint32_t tiles_x = (from.width + kCarryTile - 1) / kCarryTile;
  const std::uint32_t tiles_y = (from.height + kCarryTile - 1) / kCarryTile;
  carry_marks_.assign(std::size_t{tiles_x} * tiles_y, 0);
  for (std::uint64_t n = held + 1; n <= drawn_; ++n)
    for (const auto& r : history_[n - oldest_known]) mark_cells(r, kCarryTile, kCarryTile, tiles_x, carry_marks_);
  for (std::uint32_t ty = 0; ty < tiles_y; ++ty) {
    const std::uint8_t* marks = &carry_marks_[std::size_t{ty} * tiles_x];
    const std::uint32_t y0 = ty * kCarryTile, y1 = std::min(from.height, y0 + kCarryTile);
    for (std::uint32_t tx = 0; tx < tiles_x;) {
      if (!marks[tx]) {
        ++tx;
        continue;
      }
      std::uint32_t end = tx;
      while (end < tiles_x && marks[end]) ++end;
      const std::size_t x = std::size_t{tx} * kCarryTile * 4, bytes = std::min(from.width, end * kCarryTile) * 4 - x;
      for (std::uint32_t y = y0; y < y1; ++y) std::memcpy(to.row(y) + x, from.row(y) + x, bytes);
      bytes_carried_ += bytes * (y1 - y0);
      if (planes)  // the tiles' planes: luma pixel for pixel, chroma a sample per 2x2 block
        copy_planes(from.yuv420.data(), to.yuv420.data(), layout,
                    PixelRect{static_cast<std::int32_t>(x / 4), static_cast<std::int32_t>(y0),
                              static_cast<std::int32_t>(bytes / 4), static_cast<std::int32_t>(y1 - y0)});
      tx = end;
    }
  }
}

Result<void, wire::WireError> FrameDecoder::apply(const wire::FrameView& f) {
  using wire::ErrorCode;
  using wire::WireError;
  // Only a key frame may change the size (the client's screen was resized): it covers the whole
  // new frame, so nothing of the old one is needed.
  if ((f.width != frame_->width || f.height != frame_->height) && !f.is_key())
    return WireError{ErrorCode::kBadMessage, "FRAME size " + std::to_string(f.width) + "x" + std::to_string(f.height) +
                                                 " differs from the session's " + std::to_string(frame_->width) + "x" +
                                                 std::to_string(frame_->height) + " and it is not a key frame"};
  if (f.seq <= last_seq_)
    return WireError{ErrorCode::kBadSequence, "FRAME seq " + std::to_string(f.seq) + " after " +
                                                  std::to_string(last_seq_) + " (must increase)"};
  if (!have_key_ && !f.is_key())
    return WireError{ErrorCode::kBadSequence, "first FRAME of a connection is not a key frame"};
  // Capture times order the frames: a clock stepped back a little is clamped, more is refused.
  // (The gap in 64-bit unsigned arithmetic: the session's last time may be -2^63, which a
  // signed subtraction of the tolerance would overflow.)
  if (have_key_ && f.capture_time_us < capture_time_us_ &&
      static_cast<std::uint64_t>(capture_time_us_) - static_cast<std::uint64_t>(f.capture_time_us) >
          static_cast<std::uint64_t>(wire::kMaxClockStepBackUs))
    return WireError{ErrorCode::kBadMessage,
                     "FRAME seq " + std::to_string(f.seq) + ": capture time is " +
                         // unsigned: the gap can exceed int64 (a time of -2^63), never uint64
                         std::to_string((static_cast<std::uint64_t>(capture_time_us_) -
                                         static_cast<std::uint64_t>(f.capture_time_us)) / 1000) +
                         " ms before the previous frame's (the client's clock may step back at most 1 s)"};
  // Dimensions were checked against the limits by decode_body. This is also where the frame is
  // first allocated (see the constructor): by the first key frame, not by HELLO.
  FrameBuffer& frame = writable(f.width, f.height, !f.is_key());
  frame.content = 0;  // not a frame this decoder made until it is complete
  if (f.is_key()) {
    // A key frame depends on nothing before it: its rectangles are drawn on black, so rectangles
    // that overlap (their areas still adding up to the frame's) cannot leave old pixels behind.
    std::fill(frame.pixels.begin(), frame.pixels.end(), std::uint8_t{0});
    if (!frame.yuv420.empty()) {  // black: Y 0, Cb and Cr 128
      const Yuv420Layout l{frame.width, frame.height};
      std::fill(frame.yuv420.begin(), frame.yuv420.begin() + static_cast<std::ptrdiff_t>(l.luma_bytes()), 0);
      std::fill(frame.yuv420.begin() + static_cast<std::ptrdiff_t>(l.luma_bytes()), frame.yuv420.end(), 128);
    }
  }
  const bool keep = !frame.yuv420.empty();  // the planes too (keep_planes)

  const std::size_t stride = frame.stride();
  for (std::size_t i = 0; i < f.rects.size(); ++i) {
    const auto& r = f.rects[i];
    // decode_body has checked the rectangle against the frame; this check keeps the decoder
    // safe on its own, whoever builds the FrameView.
    if (r.w == 0 || r.h == 0 || std::uint64_t{r.x} + r.w > frame.width || std::uint64_t{r.y} + r.h > frame.height)
      return WireError{ErrorCode::kBadMessage, "FRAME rect " + std::to_string(i) + " outside the frame"};
    if (r.encoding == wire::RectEncoding::kCopy) {
      if (f.is_key() || std::uint64_t{r.src_x} + r.w > frame.width || std::uint64_t{r.src_y} + r.h > frame.height)
        return WireError{ErrorCode::kBadMessage, "FRAME rect " + std::to_string(i) + ": copy outside the frame"};
      apply_copy(frame, CopyRect{r.area(), static_cast<std::int32_t>(r.src_x), static_cast<std::int32_t>(r.src_y)});
      if (keep) {  // the luma moves with the pixels; the chroma too when the blocks move whole
        const Yuv420Layout l{frame.width, frame.height};
        const PixelRect src{static_cast<std::int32_t>(r.src_x), static_cast<std::int32_t>(r.src_y),
                            static_cast<std::int32_t>(r.w), static_cast<std::int32_t>(r.h)};
        move_plane(frame.yuv420.data(), l.width, r.x, r.y, r.src_x, r.src_y, r.w, r.h);
        if (whole_blocks(r.area(), frame.width, frame.height) && whole_blocks(src, frame.width, frame.height) &&
            chroma_blocks(r.area()).w == chroma_blocks(src).w && chroma_blocks(r.area()).h == chroma_blocks(src).h) {
          const PixelRect to = chroma_blocks(r.area()), from = chroma_blocks(src);
          for (std::size_t p = 0; p < 2; ++p)
            move_plane(frame.yuv420.data() + l.luma_bytes() + p * l.chroma_bytes(), l.chroma_width(),
                       static_cast<std::uint32_t>(to.x), static_cast<std::uint32_t>(to.y),
                       static_cast<std::uint32_t>(from.x), static_cast<std::uint32_t>(from.y),
                       static_cast<std::uint32_t>(to.w), static_cast<std::uint32_t>(to.h));
        } else {
          derive_planes(frame, r.area(), /*luma=*/false);
        }
      }
      continue;
    }
    if (r.encoding == wire::RectEncoding::kJpegStrip) {  // a run of them is decoded in one call
      std::size_t end = i + 1;
      while (end < f.rects.size() && f.rects[end].encoding == wire::RectEncoding::kJpegStrip) ++end;
      if (!strip_decoder_)
        return WireError{ErrorCode::kBadMessage, "FRAME rect " + std::to_string(i) +
                                                     ": a JPEG strip, which this receiver did not offer (WELCOME)"};
      if (auto decoded = strip_decoder_(std::span(f.rects).subspan(i, end - i), frame); !decoded) return decoded;
      // Spliced into the archive's JPEG as they came; the planes of their pixels are for the
      // strips around them that a later frame changes.
      if (keep)
        for (std::size_t j = i; j < end; ++j) derive_planes(frame, f.rects[j].area(), /*luma=*/true);
      i = end - 1;
      continue;
    }
    if (r.encoding == wire::RectEncoding::kLz4Yuv420) {
      const std::size_t planes = Yuv420Layout{r.w, r.h}.bytes();
      scratch_.resize(planes);
      const int n = LZ4_decompress_safe(reinterpret_cast<const char*>(r.data.data()), reinterpret_cast<char*>(scratch_.data()),
                                        static_cast<int>(r.data.size()), static_cast<int>(planes));
      if (n < 0 || static_cast<std::size_t>(n) != planes)
        return WireError{ErrorCode::kBadMessage, "FRAME rect " + std::to_string(i) + ": 4:2:0 LZ4 data decodes to " +
                                                     (n < 0 ? std::string("an error") : std::to_string(n) + " bytes") +
                                                     ", expected " + std::to_string(planes)};
      yuv420_to_bgrx(scratch_.data(), r.w, r.h, frame.row(r.y) + std::size_t{r.x} * 4, stride);
      if (keep) {  // as they came; the chroma of blocks the tile cuts, from the pixels
        const bool whole = whole_blocks(r.area(), frame.width, frame.height);
        put_planes(scratch_.data(), frame, r.area(), whole);
        if (!whole) derive_planes(frame, r.area(), /*luma=*/false);
      }
      continue;
    }
    const std::size_t row_bytes = std::size_t{r.w} * 4, raw = row_bytes * r.h;
    const bool contiguous = r.w == frame.width;
    const std::uint8_t* src = r.data.data();
    if (r.encoding == wire::RectEncoding::kLz4) {
      std::uint8_t* dst;
      if (contiguous) {
        dst = frame.row(r.y);
      } else {
        scratch_.resize(raw);
        dst = scratch_.data();
      }
      const int n = LZ4_decompress_safe(reinterpret_cast<const char*>(r.data.data()), reinterpret_cast<char*>(dst),
                                        static_cast<int>(r.data.size()), static_cast<int>(raw));
      if (n < 0 || static_cast<std::size_t>(n) != raw)
        return WireError{ErrorCode::kBadMessage, "FRAME rect " + std::to_string(i) + ": LZ4 data decodes to " +
                                                     (n < 0 ? std::string("an error") : std::to_string(n) + " bytes") +
                                                     ", expected " + std::to_string(raw)};
      if (contiguous) {
        if (keep) derive_planes(frame, r.area(), /*luma=*/true);
        continue;
      }
      src = scratch_.data();
    } else if (r.data.size() != raw) {
      return WireError{ErrorCode::kBadMessage, "FRAME rect " + std::to_string(i) + ": raw length mismatch"};
    }
    for (std::uint32_t y = 0; y < r.h; ++y)
      std::memcpy(frame.pixels.data() + (r.y + y) * stride + std::size_t{r.x} * 4, src + y * row_bytes, row_bytes);
    if (keep) derive_planes(frame, r.area(), /*luma=*/true);  // BGRX in a 4:2:0 session
  }
  if (pixel_hash(frame) != f.pixel_hash)
    return WireError{ErrorCode::kHashMismatch, "FRAME seq " + std::to_string(f.seq) +
                                                   ": rebuilt frame's hash differs from the client's"};
  last_seq_ = f.seq;
  capture_time_us_ = have_key_ ? std::max(capture_time_us_, f.capture_time_us) : f.capture_time_us;
  if (f.is_key()) {
    have_key_ = true;
    history_.clear();  // a buffer from before it holds nothing this frame builds on
  }
  if (history_.size() == kCarryHistory) std::rotate(history_.begin(), history_.begin() + 1, history_.end());
  else history_.emplace_back();
  history_.back().clear();
  for (const auto& r : f.rects) history_.back().push_back(r.area());
  frame.content = id_ << kContentShift | ++drawn_;
  return {};
}

}  // namespace screenreel

// The frame codec of the wire protocol (schemas/wire-protocol.md, FRAME): the client's encoder
// sends only the 64x64 tiles that changed since the last frame it sent, LZ4-compressed; the
// receiver's decoder rebuilds the whole frame from them and checks its hash.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "screenreel/common/pixel_rect.hpp"
#include "screenreel/protocol/wire.hpp"

namespace screenreel {

class CopyFinder;
struct CopyRect;

// A whole frame, BGRX8888, rows of exactly width * 4 bytes.
struct FrameBuffer {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::vector<std::uint8_t> pixels;
  // The frame's 4:2:0 planes (Yuv420Layout{width, height}) when its decoder keeps them
  // (FrameDecoder::keep_planes: the session's tiles come as 4:2:0), else empty: what the
  // archive's JPEG is coded from (JpegEncoder::encode_strips_yuv420).
  std::vector<std::uint8_t> yuv420;
  // Which FrameDecoder frame the pixels are (FrameDecoder::Content), 0 when not known: a
  // buffer recycled to the decoder that drew it then needs only what changed since.
  std::uint64_t content = 0;

  FrameBuffer() = default;
  FrameBuffer(std::uint32_t w, std::uint32_t h) : width(w), height(h), pixels(std::size_t{w} * h * 4) {}
  std::size_t stride() const { return std::size_t{width} * 4; }
  const std::uint8_t* row(std::uint32_t y) const { return pixels.data() + y * stride(); }
  std::uint8_t* row(std::uint32_t y) { return pixels.data() + y * stride(); }
};

// XXH3-64 of the frame's pixels, as the FRAME message's pixel_hash defines it.
std::uint64_t pixel_hash(const FrameBuffer& frame);

// Codes strips of a frame as JPEG (protocol 4's JPEG strips) and decodes them as the receiver
// will. The capture client's is archive/jpeg.hpp's JpegEncoder and JpegStripDecoder at the
// quality the receiver's WELCOME announced; this library does not link libjpeg.
class StripCoder {
 public:
  virtual ~StripCoder() = default;
  virtual std::uint32_t quality() const = 0;
  // Codes the strips of the frame's grid that `changed` touches (or more: all of them).
  virtual const CodedStrips& code(const FrameBuffer& frame, std::span<const PixelRect> changed) = 0;
  // Draws `coded` into `into` as the receiver's decoder does.
  virtual void decode(const CodedStrips& coded, FrameBuffer& into) = 0;
};

struct EncodeStats {
  std::uint32_t tiles_changed = 0;  // since the last frame encoded (a key frame sends them all)
  std::uint32_t tiles_total = 0;
  std::uint32_t rects = 0;
  std::size_t raw_bytes = 0;      // pixel bytes of the changed tiles
  std::size_t message_bytes = 0;  // the whole FRAME message
  bool key = false;               // a key frame: asked for, or the encoder's first
  std::uint32_t copies = 0;       // copy rectangles (scrolled content), sent before the tiles
  std::uint64_t copied_pixels = 0;  // pixels they cover
  bool jpeg = false;                // the changes went as JPEG strips (protocol 4)
  std::uint32_t jpeg_strips = 0;    // how many
  std::uint64_t lossless_pixels = 0;  // what the frame had to send as tiles (changed, and lossy to heal)
  std::uint64_t heal_pixels = 0;      // of them, unchanged tiles of strips the peer holds from a JPEG
  std::uint64_t jpeg_pixels = 0;      // or as JPEG strips
  // What the frame's changes (copies, changed tiles or blocks, not those that heal) take as LZ4,
  // measured: the message of a frame of tiles that healed nothing, or the blocks weighed by a
  // WirePlan::kFit. 0: not known (a frame of tiles that healed, or of kJpeg).
  std::uint64_t lossless_bytes = 0;
  bool yuv420 = false;                // the tiles went as 4:2:0 planes (protocol 5)
};

class FrameEncoder {
 public:
  static constexpr std::uint32_t kTile = 64;
  // LZ4's acceleration for the changed tiles: above 1 it skips faster through bytes that do not
  // match. A tick's compare + copy + LZ4 + hash on 60 real 1080p frames, medians of 3
  // (tests/bench/codec_bench.cpp, BM_TileDiffLz4Encode/acceleration; docs/benchmarks.md):
  //   video scene     1: 1.64 ms, 4.24% of raw   2: 1.43 ms, 4.35%   4: 1.35 ms, 4.39%
  //   terminal scene  1: 0.95 ms, 1.17% of raw   2: 0.91 ms, 1.16%   4: 0.89 ms, 1.17%
  // 4 takes a sixth off the video scene for 4% more bytes. (In a plain LZ4 test of whole frames,
  // 8 and 16 cost 10-20% more bytes.) The block format is the same: decoders cannot tell.
  static constexpr int kLz4Acceleration = 4;

  FrameEncoder(std::uint32_t width, std::uint32_t height, int lz4_acceleration = kLz4Acceleration);
  ~FrameEncoder();
  FrameEncoder(FrameEncoder&&) noexcept;
  FrameEncoder& operator=(FrameEncoder&&) noexcept;

  // Compares `pixels` (rows `stride` bytes apart) with the last frame encoded, tile by tile,
  // copying the changed tiles into its reference in the same pass, and writes a FRAME message
  // holding them into `out`. Returns nothing, and leaves `out` alone, when no tile changed
  // (unless `force`). A message is a key frame (every tile) on the first call or with `key`.
  //
  // `changed`, when given, says where `pixels` may differ from the pixels of the previous call
  // (the capture source knows it from X DAMAGE): only the tiles those rectangles touch are
  // compared, the others are taken as unchanged. An empty list means nothing changed: nothing is
  // read and nothing is returned (unless `force`), even when `key` is asked for (the key frame
  // waits for the next change). The first call and every key frame that is sent compare all
  // tiles whatever `changed` says, so a change the source failed to report is sent at the latest
  // with the next key frame. Rectangles may reach past the frame's edges.
  std::optional<EncodeStats> encode(const std::uint8_t* pixels, std::size_t stride, std::uint64_t seq,
                                    std::int64_t capture_time_us, bool key, bool force,
                                    std::vector<std::uint8_t>& out,
                                    std::optional<std::span<const PixelRect>> changed = std::nullopt);

  const FrameBuffer& reference() const { return reference_; }
  // The receiver's frame after the last message: the reference, or what the receiver decoded
  // from 4:2:0 tiles and JPEG strips where they went.
  const FrameBuffer& peer() const { return yuv420_ || lossy_count_ > 0 ? peer_ : reference_; }

  // Sends the changed tiles as 4:2:0 planes (RectEncoding::kLz4Yuv420, protocol 5): only for a
  // receiver whose WELCOME took them. The encoder converts them back as the receiver does, into
  // its copy of the receiver's frame (peer()), which copies also act on and the hash is of;
  // changes are still found against the screen's pixels (reference()). Off by default; turning
  // it on or off makes the next message a key frame.
  void enable_yuv420(bool on);

  // Sends scrolled content as copies (RectEncoding::kCopy, protocol 3; CopyFinder): only for a
  // receiver that speaks protocol 3 or later. Off by default.
  void enable_copies(bool on);

  // JPEG strips (protocol 4: only for a receiver whose WELCOME offered a quality). For each frame,
  // after the tiles are compared, `choose` says how its changes go (WirePlan):
  // - kTiles: as LZ4 tiles; every strip the receiver holds decoded from a JPEG is resent with
  //   them (healed), so that the receiver never codes again pixels decoded from a JPEG.
  // - kFit: weighed block by block (kBlockRows rows of a column of strips: whole strips, which
  //   the receiver's JPEG is made of). Every changed block is LZ4-compressed; when the frame
  //   does not fit `budget` bytes, its changed blocks are also coded as JPEG strips by `coder`,
  //   and the blocks whose strips save the most over their LZ4 go as JPEG strips until the rest
  //   fits (a block whose strips are not smaller never does). A block that goes as LZ4 goes
  //   whole, healing its strips; budget left over heals unchanged ones too.
  // - kJpeg: every changed block as JPEG strips (--wire jpeg).
  // The receiver holds the strips decoded, which the encoder keeps too (the hash is of them).
  // Copies go on meanwhile: one that reads or writes a strip held from a JPEG makes the blocks
  // it writes changed ones, so that they go as JPEG strips coded from the screen or as LZ4
  // (schemas/wire-protocol.md, "JPEG strips"). nullptr: off.
  struct WirePlan {
    enum Mode { kTiles, kFit, kJpeg } mode = kTiles;
    std::uint64_t budget = 0;  // kFit: the bytes the frame may take
  };
  static constexpr std::uint32_t kBlockRows = kTile;
  // kFit sends a block as JPEG strips only when they take at most 1/kJpegAtMost of its LZ4: a
  // picture's do (a tenth to a third, measured on the desktop scene's video), text's do not
  // (about as much). A block of text sent as JPEG strips because they were a little smaller
  // would cost more later: every scroll that copies its decoded pixels resends the blocks it
  // writes (on the desktop scene over 10 Mbit/s, 90 blocks a frame instead of 40).
  static constexpr std::uint64_t kJpegAtMost = 2;
  using WireChoice = std::function<WirePlan()>;
  void enable_jpeg(StripCoder* coder, WireChoice choose);

 private:
  void encode_blocks(const WirePlan& plan, EncodeStats& stats, wire::FrameMessageWriter& writer);
  PixelRect block(std::size_t b) const;
  bool block_lossy(std::size_t b) const;
  struct Weighed;
  void add_block(std::size_t b, PixelRect r, bool to_peer);
  PixelRect lossless_part(std::size_t b) const;
  void compress_block(Weighed& w, bool to_peer);
  void taint(const CopyRect& copy);
  template <typename Run>
  void for_each_changed_run(Run&& run) const;
  struct Compressed {
    const std::uint8_t* src;  // the bytes compressed (the reference's row, or scratch_)
    std::size_t raw;          // their size
    int lz4;                  // in lz4_
  };
  Compressed compress(std::uint32_t x0, std::uint32_t y0, std::uint32_t rw, std::uint32_t rh, bool to_peer);
  void add_tiles(std::uint32_t x0, std::uint32_t y0, std::uint32_t rw, std::uint32_t rh,
                 wire::FrameMessageWriter& writer);
  std::uint32_t diff(const std::uint8_t* pixels, std::size_t stride, bool first, bool copy);

  FrameBuffer reference_;
  std::uint32_t tiles_x_, tiles_y_;
  std::vector<std::uint8_t> changed_;  // one flag a tile
  static constexpr std::uint8_t kSkip = 0, kCompare = 1, kTake = 2;
  std::vector<std::uint8_t> compare_;  // one a tile: what diff() does with it (the tiles `changed` touches are compared)
  std::vector<std::uint8_t> scratch_;  // a rectangle's pixels packed for LZ4
  std::vector<std::uint8_t> lz4_;      // a rectangle's LZ4 bytes, before they are appended to the message
  std::vector<std::uint64_t> lz4_stream_;  // an LZ4_stream_t (8-byte aligned), reset for each rectangle
  int acceleration_;
  std::size_t last_message_bytes_ = 0;  // what to reserve for the next message
  bool have_reference_ = false;
  bool copies_ = false;
  std::unique_ptr<CopyFinder> copy_finder_;  // made by enable_copies
  StripCoder* strip_coder_ = nullptr;
  WireChoice choose_;
  JpegStripGrid grid_;
  std::vector<std::uint8_t> lossy_;   // one a strip: the receiver holds it decoded from a JPEG strip
  std::size_t lossy_count_ = 0;
  FrameBuffer peer_;                  // the receiver's frame, while lossy_count_ > 0 or yuv420_
  std::vector<PixelRect> lossy_writes_;  // this frame's copies that read or wrote lossy strips
  std::vector<std::uint8_t> touched_;    // scratch: strips a copy touches
  // WirePlan::kFit and kJpeg: the blocks (columns of strips, kBlockRows high), raster order.
  std::uint32_t blocks_x_ = 0, blocks_y_ = 0;
  std::vector<std::uint8_t> block_marks_;  // one a block: changed this frame
  struct Weighed {
    std::size_t block;
    PixelRect rect;  // what goes if it goes as LZ4: the block, or its changed tiles (lossless_part)
    std::uint64_t lossless = 0, jpeg = 0;  // bytes each way takes in the message (0 jpeg: not coded)
    std::size_t offset = 0, size = 0;      // its LZ4 (or raw) bytes in block_bytes_
    wire::RectEncoding encoding = wire::RectEncoding::kLz4;
    bool compressed = false;  // its bytes are in block_bytes_ (else `lossless` is an earlier measure)
    bool as_jpeg = false;
  };
  std::vector<Weighed> weighed_;
  std::vector<std::uint8_t> block_bytes_;
  // One a block: what its LZ4 took when last measured (with the rectangle's header), and the
  // frames since. A block held from a JPEG that changes again (a video's) is measured every
  // kMeasureEvery frames only: the LZ4 of a frame of 1080p video costs the capture 4-8 ms.
  static constexpr std::uint8_t kMeasureEvery = 4;
  std::vector<std::uint64_t> block_lz4_;
  std::vector<std::uint8_t> block_lz4_age_;
  std::vector<std::int32_t> coded_at_;  // one a strip: its index in the coded strips, or -1
  CodedStrips chosen_;                  // the strips that go
  std::size_t heal_cursor_ = 0;         // the block where healing with budget left over goes on
  bool yuv420_ = false;
  bool force_key_ = false;            // the next message is a key frame (the pixel format changed)
  std::vector<PixelRect> tile_rects_;  // the changed tiles, for the strip coder
  std::vector<std::uint8_t> strip_marks_;
};

// Receiver side: one per connection. Keeps the frame the client has described so far and
// applies each FRAME to it, enforcing the stream rules (first FRAME a key frame, seq increasing,
// size fixed) and the hash. Never writes outside its buffer, whatever the message says.
//
// The frame is shared, not copied: share() hands it to readers (the JPEG encoder, the window),
// and the next FRAME is drawn into it in place only once every reader has let it go. While one
// still holds it, the decoder draws into a fresh buffer from `allocate` (a pool), starting from
// a copy of the current pixels.
class FrameDecoder {
 public:
  using Allocate = std::function<std::shared_ptr<FrameBuffer>(std::uint32_t width, std::uint32_t height)>;

  FrameDecoder(std::uint32_t width, std::uint32_t height, Allocate allocate = nullptr);

  // Draws a run of JPEG-strip rectangles (protocol 4) into the frame, or says why it cannot. The
  // receiver's decodes them with archive/jpeg.hpp's JpegStripDecoder (this library does not link
  // libjpeg); without one, a JPEG strip is refused.
  using StripDecoder =
      std::function<Result<void, wire::WireError>(std::span<const wire::RectView> strips, FrameBuffer& frame)>;
  void set_strip_decoder(StripDecoder decoder) { strip_decoder_ = std::move(decoder); }

  // Keeps the frame's 4:2:0 planes (FrameBuffer::yuv420) beside its pixels, from the next key
  // frame on: a session whose tiles come as 4:2:0 (protocol 5), so that its JPEGs are coded from
  // the planes the client sent, not from the pixels converted back. The planes are those of the
  // 4:2:0 tiles; copies move them (luma always, chroma where the copy moves whole 2x2 blocks);
  // whatever else the frame gets (chroma a copy splits, JPEG strips, BGRX rectangles) is
  // converted from the pixels with bgrx_to_yuv420 (schemas/wire-protocol.md, "4:2:0 pixels").
  void keep_planes(bool on) { keep_planes_ = on; }

  // Done, or the ERROR to send. On error the frame buffer may hold part of the rectangles; the connection is to be closed.
  Result<void, wire::WireError> apply(const wire::FrameView& frame);

  const FrameBuffer& frame() const { return *frame_; }
  // The frame as it is now, for readers; apply() never changes a buffer that is shared.
  std::shared_ptr<const FrameBuffer> share() const { return frame_; }
  std::uint64_t last_seq() const { return last_seq_; }
  // The last frame's capture time, never earlier than the one before (wire::kMaxClockStepBackUs).
  std::int64_t capture_time_us() const { return capture_time_us_; }
  // Pixel bytes copied from the previous frame into a fresh buffer so far (for benchmarks).
  std::uint64_t bytes_carried() const { return bytes_carried_; }

 private:
  // A frame that builds on a shared one is drawn in a fresh buffer (allocate_): the previous
  // frame's pixels are carried over first. When the buffer held an earlier frame of this
  // decoder (a pool recycles them), only the tiles that changed since are copied, as a
  // compositor redraws a back buffer by its age.
  static constexpr std::uint32_t kCarryTile = 64;
  static constexpr std::size_t kCarryHistory = 16;  // frames whose rectangles are remembered
  FrameBuffer& writable(std::uint32_t width, std::uint32_t height, bool keep_pixels);
  void carry(const FrameBuffer& from, FrameBuffer& to);
  // The planes of the pixels in `r` (rounded out to whole 2x2 blocks for the chroma; the luma
  // of `r` only when `luma`), converted from them.
  void derive_planes(FrameBuffer& frame, const PixelRect& r, bool luma);

  Allocate allocate_;
  StripDecoder strip_decoder_;
  std::shared_ptr<FrameBuffer> frame_;
  std::vector<std::uint8_t> scratch_;
  std::uint64_t last_seq_ = 0;
  std::int64_t capture_time_us_ = 0;
  bool have_key_ = false;
  bool keep_planes_ = false;
  const std::uint64_t id_;      // this decoder's, in FrameBuffer::content
  std::uint64_t drawn_ = 0;     // frames drawn; frame_ holds frame drawn_
  // The rectangles of frames drawn_ - history_.size() + 1 .. drawn_, oldest first.
  std::vector<std::vector<PixelRect>> history_;
  std::vector<std::uint8_t> carry_marks_;
  std::uint64_t bytes_carried_ = 0;
};

}  // namespace screenreel

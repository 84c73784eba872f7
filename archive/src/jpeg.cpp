// JPEG encoding (libjpeg API) and decoding (TurboJPEG); see jpeg.hpp.
#include "screenreel/archive/jpeg.hpp"

// jpeglib.h needs size_t and FILE declared first.
#include <algorithm>
#include <cstdio>
#include <csetjmp>
#include <cstring>
#include <jpeglib.h>
#include <stdexcept>
#include <turbojpeg.h>

#include "screenreel/common/yuv420.hpp"

namespace screenreel {
namespace {

// A TurboJPEG decompressor.
struct TjDecoder {
  TjDecoder() : h(tjInitDecompress()) {
    if (!h) throw std::runtime_error(std::string("TurboJPEG init failed: ") + tjGetErrorStr2(nullptr));
  }
  ~TjDecoder() { tjDestroy(h); }
  TjDecoder(const TjDecoder&) = delete;
  TjDecoder& operator=(const TjDecoder&) = delete;
  tjhandle h;
};

// Strips coded in one pass of libjpeg, stacked one under the other as one tall image (JPEG
// images are at most 65535 rows high).
constexpr std::size_t kMaxStackedStrips = 4000;
// At this share of changed strips, coding the whole frame in one pass costs less than coding
// the changed strips stacked (codec_bench: the stacked image costs about 8% more per pixel).
constexpr std::size_t kWholeFramePercent = 90;
// Room in front of a JPEG for SOI and the largest COM segment (see encode_bgrx).
constexpr std::size_t kCommentGap = kMaxJpegComment + 6;

void put_u16(std::uint8_t* p, std::size_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v & 0xFF);
}

// The bytes of SOI and of the COM segment holding `comment` (none when it is empty).
std::size_t start_size(std::string_view comment) {
  if (comment.size() > kMaxJpegComment) throw std::invalid_argument("JPEG comment over 512 bytes");
  return comment.empty() ? 2 : 6 + comment.size();
}

// Writes SOI, then the COM segment (marker, length, text) when there is a comment; returns
// where the next segment goes.
std::uint8_t* write_start(std::uint8_t* p, std::string_view comment) {
  *p++ = 0xFF;
  *p++ = 0xD8;
  if (comment.empty()) return p;
  *p++ = 0xFF;
  *p++ = 0xFE;
  put_u16(p, 2 + comment.size());
  std::memcpy(p + 2, comment.data(), comment.size());
  return p + 2 + comment.size();
}

}  // namespace

struct JpegEncoder::Impl {
  struct ErrorManager {
    jpeg_error_mgr pub;
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
  };
  // libjpeg writes into `out` after a gap of kCommentGap bytes; the buffer grows by doubling
  // and is kept, so that steady-state encoding allocates nothing.
  struct Destination {
    jpeg_destination_mgr pub;
    std::unique_ptr<std::uint8_t[]> buffer;
    std::size_t capacity = 0;
    std::size_t size = 0;  // bytes libjpeg wrote, after the gap
  };

  explicit Impl(int q) : quality(q) {
    c.err = jpeg_std_error(&error.pub);
    error.pub.error_exit = [](j_common_ptr ci) {
      auto* e = reinterpret_cast<ErrorManager*>(ci->err);
      (*ci->err->format_message)(ci, e->message);
      std::longjmp(e->jump, 1);
    };
    error.pub.output_message = [](j_common_ptr) {};
    jpeg_create_compress(&c);
    dest.pub.init_destination = [](j_compress_ptr ci) {
      auto* d = reinterpret_cast<Destination*>(ci->dest);
      if (d->capacity < kCommentGap + (1u << 16)) grow(*d, kCommentGap + (1u << 16));
      d->pub.next_output_byte = d->buffer.get() + kCommentGap;
      d->pub.free_in_buffer = d->capacity - kCommentGap;
    };
    dest.pub.empty_output_buffer = [](j_compress_ptr ci) -> boolean {
      auto* d = reinterpret_cast<Destination*>(ci->dest);
      const std::size_t used = d->capacity;
      grow(*d, 2 * d->capacity);
      d->pub.next_output_byte = d->buffer.get() + used;
      d->pub.free_in_buffer = d->capacity - used;
      return TRUE;
    };
    dest.pub.term_destination = [](j_compress_ptr ci) {
      auto* d = reinterpret_cast<Destination*>(ci->dest);
      d->size = d->capacity - d->pub.free_in_buffer - kCommentGap;
    };
    c.dest = &dest.pub;
  }
  ~Impl() { jpeg_destroy_compress(&c); }

  static void grow(Destination& d, std::size_t capacity) {
    auto bigger = std::make_unique<std::uint8_t[]>(capacity);
    if (d.capacity) std::memcpy(bigger.get(), d.buffer.get(), d.capacity);
    d.buffer = std::move(bigger);
    d.capacity = capacity;
  }
  std::uint8_t* jpeg() { return dest.buffer.get() + kCommentGap; }
  // rows = rows first .. first + count - 1 of the frame.
  void point_rows(const std::uint8_t* pixels, std::size_t stride, std::uint32_t first, std::uint32_t count) {
    rows.resize(count);
    for (std::uint32_t y = 0; y < count; ++y) rows[y] = const_cast<JSAMPROW>(pixels + (first + y) * stride);
  }

  // Sets up libjpeg for one JPEG of width x height restarting every `interval` MCUs, from BGRX
  // rows or (raw) from 4:2:0 planes. Both give the same header: YCbCr 4:2:0, the standard
  // Huffman tables, a JFIF header, this quality.
  void start(std::uint32_t width, std::uint32_t height, std::uint32_t interval, bool raw) {
    c.image_width = width;
    c.image_height = height;
    c.input_components = raw ? 3 : 4;
    c.in_color_space = raw ? JCS_YCbCr : JCS_EXT_BGRX;
    jpeg_set_defaults(&c);  // YCbCr 4:2:0 (h2v2 chroma), the standard Huffman tables, a JFIF header
    jpeg_set_quality(&c, quality, TRUE);
    c.dct_method = JDCT_IFAST;
    c.restart_interval = interval;
    c.raw_data_in = raw ? TRUE : FALSE;
    jpeg_start_compress(&c, TRUE);
  }

  // One JPEG of `height` rows (row pointers) of `width` BGRX pixels, restarting every
  // `interval` MCUs, into the destination. False, with error.message, when libjpeg fails.
  bool compress(JSAMPROW* row_ptrs, std::uint32_t width, std::uint32_t height, std::uint32_t interval) {
    if (setjmp(error.jump)) {
      jpeg_abort_compress(&c);
      return false;
    }
    start(width, height, interval, false);
    while (c.next_scanline < c.image_height)
      jpeg_write_scanlines(&c, row_ptrs + c.next_scanline, c.image_height - c.next_scanline);
    jpeg_finish_compress(&c);
    return true;
  }
  void compress_or_throw(JSAMPROW* row_ptrs, std::uint32_t width, std::uint32_t height, std::uint32_t interval) {
    if (!compress(row_ptrs, width, height, interval))
      throw std::runtime_error(std::string("JPEG encode failed: ") + error.message);
  }

  // One JPEG of `pieces` of a frame's 4:2:0 planes stacked one under the other (all of the
  // JPEG's width; each 16 rows high but the last), as raw data: libjpeg's colour conversion and
  // downsampling are skipped, the planes are coded as they are. libjpeg takes an MCU row (16 luma
  // and 8 chroma rows) per call, each row as wide as the MCUs it codes: a piece whose width is a
  // multiple of 16 and height 16 is read in place; another (the frame's last column or row) is
  // copied out with its last column and row repeated, as libjpeg pads a BGRX image's edges.
  bool compress_planes(const Yuv420Planes& planes, std::span<const PixelRect> pieces, std::uint32_t width,
                       std::uint32_t height, std::uint32_t interval) {
    if (setjmp(error.jump)) {
      jpeg_abort_compress(&c);
      return false;
    }
    start(width, height, interval, true);
    constexpr std::uint32_t kMcu = JpegStripGrid::kMcuPixels;
    const std::uint32_t padded = (width + kMcu - 1) / kMcu * kMcu;
    JSAMPROW luma[kMcu], cb[kMcu / 2], cr[kMcu / 2];
    JSAMPARRAY image[3] = {luma, cb, cr};
    for (const PixelRect& p : pieces) {
      const auto x = static_cast<std::uint32_t>(p.x), y = static_cast<std::uint32_t>(p.y);
      const auto w = static_cast<std::uint32_t>(p.w), h = static_cast<std::uint32_t>(p.h);
      if (w % kMcu == 0 && h == kMcu) {
        for (std::uint32_t r = 0; r < kMcu; ++r) luma[r] = const_cast<JSAMPROW>(planes.luma(y + r) + x);
        for (std::uint32_t r = 0; r < kMcu / 2; ++r) {
          cb[r] = const_cast<JSAMPROW>(planes.cb(y / 2 + r) + x / 2);
          cr[r] = const_cast<JSAMPROW>(planes.cr(y / 2 + r) + x / 2);
        }
      } else {
        edge.resize(std::size_t{padded} * kMcu * 2);
        const std::uint32_t cw = (w + 1) / 2, ch = (h + 1) / 2;
        std::uint8_t* out = edge.data();
        const auto pad_row = [&](const std::uint8_t* src, std::uint32_t n, std::uint32_t room) {
          std::memcpy(out, src, n);
          std::memset(out + n, src[n - 1], room - n);
          JSAMPROW row = out;
          out += room;
          return row;
        };
        for (std::uint32_t r = 0; r < kMcu; ++r) luma[r] = pad_row(planes.luma(y + std::min(r, h - 1)) + x, w, padded);
        for (std::uint32_t r = 0; r < kMcu / 2; ++r) {
          cb[r] = pad_row(planes.cb(y / 2 + std::min(r, ch - 1)) + x / 2, cw, padded / 2);
          cr[r] = pad_row(planes.cr(y / 2 + std::min(r, ch - 1)) + x / 2, cw, padded / 2);
        }
      }
      jpeg_write_raw_data(&c, image, kMcu);
    }
    jpeg_finish_compress(&c);
    return true;
  }

  // Where the header ends (after SOS) in the JPEG just made.
  std::size_t header_size() const {
    const std::uint8_t* b = dest.buffer.get() + kCommentGap;
    std::size_t at = 2;
    while (at + 4 <= dest.size && b[at] == 0xFF) {
      const std::size_t length = std::size_t{b[at + 2]} << 8 | b[at + 3];
      const bool sos = b[at + 1] == 0xDA;
      at += 2 + length;
      if (sos) return at;
    }
    throw std::logic_error("libjpeg wrote no SOS segment");
  }

  // Appends the `expected` restart intervals of the JPEG just made to out.data and out.offsets.
  void split(CodedStrips& out, std::size_t expected) {
    const std::size_t begin = header_size();
    const std::uint8_t* b = jpeg();
    const std::size_t end = dest.size - 2;  // EOI
    std::size_t found = 0, from = begin;
    for (std::size_t at = begin; at + 1 < end;) {
      const void* ff = std::memchr(b + at, 0xFF, end - 1 - at);
      if (!ff) break;
      at = static_cast<std::size_t>(static_cast<const std::uint8_t*>(ff) - b);
      if (b[at + 1] >= 0xD0 && b[at + 1] <= 0xD7) {  // RSTn; FF 00 is a stuffed data byte
        out.data.insert(out.data.end(), b + from, b + at);
        out.offsets.push_back(out.data.size());
        ++found;
        from = at + 2;
      }
      at += 2;
    }
    out.data.insert(out.data.end(), b + from, b + end);
    out.offsets.push_back(out.data.size());
    if (found + 1 != expected) throw std::logic_error("libjpeg wrote an unexpected number of restart intervals");
  }

  template <typename Code>
  const CodedStrips& code_strips(std::uint32_t width, std::uint32_t height, std::span<const PixelRect> changed,
                                 Code&& code);

  int quality;
  jpeg_compress_struct c{};
  ErrorManager error{};
  Destination dest{};
  std::vector<JSAMPROW> rows;
  std::vector<std::uint8_t> edge;  // padded plane rows of an edge piece (compress_planes)
  std::vector<PixelRect> pieces;
  std::vector<std::uint8_t> marks;
  CodedStrips coded;
  std::vector<std::uint8_t> blank;  // zero pixels, for header()
  std::vector<std::uint8_t> header;
  std::uint32_t header_width = 0, header_height = 0;
};

JpegEncoder::JpegEncoder(int quality) {
  if (quality < 1 || quality > 100)
    throw std::invalid_argument("JPEG quality " + std::to_string(quality) + " outside 1..100");
  impl_ = std::make_unique<Impl>(quality);
}

JpegEncoder::~JpegEncoder() = default;

std::span<const std::uint8_t> JpegEncoder::encode_bgrx(const std::uint8_t* pixels, std::uint32_t width,
                                                       std::uint32_t height, std::size_t stride,
                                                       std::string_view comment) {
  const std::size_t added = start_size(comment) - 2;  // the COM segment, if any
  Impl& m = *impl_;
  m.point_rows(pixels, stride, 0, height);
  m.compress_or_throw(m.rows.data(), width, height, JpegStripGrid(width, height).mcus_per_strip());
  // The JPEG is SOI, then the rest. SOI and the COM segment go in front of the rest, in the
  // gap before it: the COM segment ends exactly where the old SOI ended.
  std::uint8_t* start = m.jpeg() - added;
  write_start(start, comment);
  return {start, m.dest.size + added};
}

// The strips the `changed` rectangles touch, coded by `code(pieces, width, height)`: one JPEG of
// the frame's `pieces` (rectangles of `width`, 16 rows high but the last) stacked one under the
// other, restarting at each strip. The same passes for BGRX pixels and 4:2:0 planes, so that
// the two code the same strips the same way.
template <typename Code>
const CodedStrips& JpegEncoder::Impl::code_strips(std::uint32_t width, std::uint32_t height,
                                                  std::span<const PixelRect> changed, Code&& code) {
  CodedStrips& out = coded;
  out.grid = JpegStripGrid(width, height);
  const JpegStripGrid& g = out.grid;
  constexpr std::uint32_t kMcu = JpegStripGrid::kMcuPixels;
  out.strips.clear();
  out.offsets.assign(1, 0);
  out.data.clear();
  out.header.clear();
  marks.assign(g.size(), 0);
  for (const auto& r : changed) g.mark(r, marks);
  for (std::uint32_t i = 0; i < g.size(); ++i)
    if (marks[i]) out.strips.push_back(i);
  const auto row_pieces = [&](std::uint32_t top) {  // the rows from `top` down, a strip row each
    pieces.clear();
    for (std::uint32_t y = top; y < height; y += kMcu)
      pieces.push_back({0, static_cast<std::int32_t>(y), static_cast<std::int32_t>(width),
                        static_cast<std::int32_t>(std::min(kMcu, height - y))});
  };

  if (out.strips.size() * 100 >= g.size() * kWholeFramePercent) {
    out.strips.resize(g.size());
    for (std::uint32_t i = 0; i < g.size(); ++i) out.strips[i] = i;
    row_pieces(0);
    code(std::span<const PixelRect>(pieces), width, height);
    out.header.assign(jpeg(), jpeg() + header_size());
    split(out, g.size());
    return out;
  }

  // Strips of the same size are stacked into one image per pass (strip i's 16 rows are the
  // rows 16 i .. 16 i + 15 of it), so that libjpeg codes exactly their MCUs, each restarting.
  // The last column (narrower when the width is not a multiple of the strip's) and the last
  // row (shorter when the height is not a multiple of 16) are coded as their own images of
  // that size, so that libjpeg pads their edges as it does in the whole frame.
  const std::uint32_t full_rows = height / kMcu;
  const bool narrow_last = width % g.strip_width() != 0;
  const std::uint32_t last_width = width - (g.columns() - 1) * g.strip_width();
  bool last_row = false;
  std::vector<std::uint32_t> order;  // the strips in the order the passes below code them
  order.reserve(out.strips.size());
  for (const bool narrow : {false, true}) {
    const std::uint32_t w = narrow ? last_width : g.strip_width();
    const auto flush = [&] {
      if (pieces.empty()) return;
      code(std::span<const PixelRect>(pieces), w, static_cast<std::uint32_t>(pieces.size() * kMcu));
      split(out, pieces.size());
      pieces.clear();
    };
    pieces.clear();
    for (const std::uint32_t i : out.strips) {
      const std::uint32_t sy = i / g.columns(), sx = i % g.columns();
      if (sy >= full_rows) {
        last_row = true;
        continue;
      }
      if ((narrow_last && sx == g.columns() - 1) != narrow) continue;
      pieces.push_back({static_cast<std::int32_t>(sx * g.strip_width()), static_cast<std::int32_t>(sy * kMcu),
                        static_cast<std::int32_t>(w), static_cast<std::int32_t>(kMcu)});
      order.push_back(i);
      if (pieces.size() == kMaxStackedStrips) flush();
    }
    flush();
  }
  if (last_row) {  // the whole last row: it is one strip row of a 16th of the frame at most
    row_pieces(full_rows * kMcu);
    code(std::span<const PixelRect>(pieces), width, height - full_rows * kMcu);
    split(out, g.columns());
    for (std::uint32_t i = full_rows * g.columns(); i < g.size(); ++i) order.push_back(i);
  }
  out.strips = std::move(order);
  return out;
}

const CodedStrips& JpegEncoder::encode_strips(const std::uint8_t* pixels, std::uint32_t width, std::uint32_t height,
                                              std::size_t stride, std::span<const PixelRect> changed) {
  Impl& m = *impl_;
  const std::uint32_t interval = JpegStripGrid(width, height).mcus_per_strip();
  const auto code = [&](std::span<const PixelRect> pieces, std::uint32_t w, std::uint32_t h) {
    m.rows.clear();
    for (const PixelRect& p : pieces)
      for (std::int32_t y = 0; y < p.h; ++y)
        m.rows.push_back(const_cast<JSAMPROW>(pixels + static_cast<std::size_t>(p.y + y) * stride +
                                              static_cast<std::size_t>(p.x) * 4));
    m.compress_or_throw(m.rows.data(), w, h, interval);
  };
  return m.code_strips(width, height, changed, code);
}

const CodedStrips& JpegEncoder::encode_strips_yuv420(const std::uint8_t* planes, std::uint32_t width,
                                                     std::uint32_t height, std::span<const PixelRect> changed) {
  Impl& m = *impl_;
  const Yuv420Planes frame{planes, Yuv420Layout{width, height}};
  const std::uint32_t interval = JpegStripGrid(width, height).mcus_per_strip();
  const auto code = [&](std::span<const PixelRect> pieces, std::uint32_t w, std::uint32_t h) {
    if (!m.compress_planes(frame, pieces, w, h, interval))
      throw std::runtime_error(std::string("JPEG encode failed: ") + m.error.message);
  };
  return m.code_strips(width, height, changed, code);
}

int JpegEncoder::quality() const { return impl_->quality; }

std::span<const std::uint8_t> JpegEncoder::header(std::uint32_t width, std::uint32_t height) {
  Impl& m = *impl_;
  if (!m.header.empty() && m.header_width == width && m.header_height == height) return m.header;
  // The header does not depend on the pixels: that of a short image of the same width and
  // restart interval, with the frame's height in its SOF segment.
  const std::uint32_t rows = std::min(height, JpegStripGrid::kMcuPixels);
  m.blank.assign(std::size_t{width} * 4 * rows, 0);
  m.point_rows(m.blank.data(), std::size_t{width} * 4, 0, rows);
  m.compress_or_throw(m.rows.data(), width, rows, JpegStripGrid(width, height).mcus_per_strip());
  m.header.assign(m.jpeg(), m.jpeg() + m.header_size());
  for (std::size_t at = 2; at + 9 <= m.header.size() && m.header[at] == 0xFF;) {
    if (m.header[at + 1] == 0xC0) {  // SOF0: length, precision, height, width
      put_u16(&m.header[at + 5], height);
      m.header_width = width;
      m.header_height = height;
      return m.header;
    }
    at += 2 + (std::size_t{m.header[at + 2]} << 8 | m.header[at + 3]);
  }
  m.header.clear();
  throw std::logic_error("libjpeg wrote no SOF0 segment");
}

struct JpegStripDecoder::Impl {
  explicit Impl(int quality) : encoder(quality) {}
  JpegEncoder encoder;  // for the headers
  TjDecoder tj;
  std::vector<std::uint8_t> jpeg, pixels;

  // Decodes `strips` (all of w x h) as one image of them stacked, and puts each in its place.
  Result<void> stack(const JpegStripGrid& grid, std::span<const Strip* const> strips, std::uint32_t w,
                     std::uint32_t h, std::uint8_t* out, std::size_t stride) {
    const auto head = encoder.header(w, static_cast<std::uint32_t>(h * strips.size()));
    jpeg.assign(head.begin(), head.end());
    for (std::size_t i = 0; i < strips.size(); ++i) {
      if (i) {
        jpeg.push_back(0xFF);
        jpeg.push_back(static_cast<std::uint8_t>(0xD0 + (i - 1) % 8));
      }
      jpeg.insert(jpeg.end(), strips[i]->bytes.begin(), strips[i]->bytes.end());
    }
    jpeg.push_back(0xFF);
    jpeg.push_back(0xD9);
    const std::size_t row = std::size_t{w} * 4;
    pixels.resize(row * h * strips.size());
    // Accurate IDCT (the default), plain upsampling; a warning (damaged data) is an error.
    if (tjDecompress2(tj.h, jpeg.data(), static_cast<unsigned long>(jpeg.size()), pixels.data(), static_cast<int>(w),
                      static_cast<int>(row), static_cast<int>(h * strips.size()), TJPF_BGRX,
                      TJFLAG_FASTUPSAMPLE | TJFLAG_STOPONWARNING) != 0)
      return Error{std::string("JPEG strip does not decode: ") + tjGetErrorStr2(tj.h)};
    for (std::size_t i = 0; i < strips.size(); ++i) {
      const PixelRect r = grid.strip(strips[i]->index);
      for (std::uint32_t y = 0; y < h; ++y)
        std::memcpy(out + (static_cast<std::size_t>(r.y) + y) * stride + static_cast<std::size_t>(r.x) * 4,
                    pixels.data() + (i * h + y) * row, row);
    }
    return {};
  }
};

JpegStripDecoder::JpegStripDecoder(int quality) : impl_(std::make_unique<Impl>(quality)) {}
JpegStripDecoder::~JpegStripDecoder() = default;

Result<void> JpegStripDecoder::decode(const JpegStripGrid& grid, std::span<const Strip> strips, std::uint8_t* pixels,
                                      std::size_t stride) {
  // Full-height strips of each width (the last column may be narrower) go stacked, at most
  // kMaxStackedStrips at once; those of a shorter last row one by one (a row of them at most).
  const std::uint32_t widths[] = {grid.strip_width(), grid.width() - (grid.columns() - 1) * grid.strip_width()};
  std::vector<const Strip*> group;
  for (int pass = 0; pass < 3; ++pass) {
    for (const Strip& s : strips) {
      if (s.index >= grid.size()) return Error{"JPEG strip " + std::to_string(s.index) + " outside the grid"};
      const PixelRect r = grid.strip(s.index);
      const bool full = static_cast<std::uint32_t>(r.h) == JpegStripGrid::kMcuPixels;
      if (pass < 2 ? !full || static_cast<std::uint32_t>(r.w) != widths[pass] || (pass == 1 && widths[0] == widths[1])
                   : full)
        continue;
      group.push_back(&s);
      if (pass == 2 || group.size() == kMaxStackedStrips) {
        if (auto done = impl_->stack(grid, group, static_cast<std::uint32_t>(r.w), static_cast<std::uint32_t>(r.h),
                                     pixels, stride);
            !done)
          return done;
        group.clear();
      }
    }
    if (!group.empty()) {
      if (auto done = impl_->stack(grid, group, widths[pass], JpegStripGrid::kMcuPixels, pixels, stride); !done)
        return done;
      group.clear();
    }
  }
  return {};
}

Result<void> JpegStripDecoder::decode(const CodedStrips& coded, std::uint8_t* pixels, std::size_t stride) {
  std::vector<Strip> strips(coded.strips.size());
  for (std::size_t i = 0; i < strips.size(); ++i) strips[i] = {coded.strips[i], coded.strip(i)};
  return decode(coded.grid, strips, pixels, stride);
}

void JpegStrips::update(const CodedStrips& coded, std::optional<std::span<const PixelRect>> only) {
  if (coded.whole() && !coded.header.empty() && !holds(coded.grid)) {  // (a client's strips come without one)
    grid_ = coded.grid;
    header_ = coded.header;
    strips_.assign(grid_.size(), {});
    only.reset();  // a first frame takes every strip
  } else if (!holds(coded.grid)) {
    throw std::logic_error("JpegStrips: changed strips of a frame whose previous frame it does not hold");
  }
  if (only) {
    marks_.assign(grid_.size(), 0);
    for (const PixelRect& r : *only) grid_.mark(r, marks_);
  }
  for (std::size_t i = 0; i < coded.strips.size(); ++i) {
    if (only && !marks_[coded.strips[i]]) continue;
    const auto bytes = coded.strip(i);
    strips_[coded.strips[i]].assign(bytes.begin(), bytes.end());
  }
}

void JpegStrips::start(const JpegStripGrid& grid, std::span<const std::uint8_t> header) {
  grid_ = grid;
  header_.assign(header.begin(), header.end());
  strips_.assign(grid_.size(), {});
}

void JpegStrips::write(std::string_view comment, std::vector<std::uint8_t>& out) const {
  if (header_.empty()) throw std::logic_error("JpegStrips: no frame to write");
  std::size_t size = start_size(comment) + header_.size() - 2 + 2 * strips_.size();  // RSTs and EOI
  for (const auto& s : strips_) size += s.size();
  out.resize(size);
  std::uint8_t* p = write_start(out.data(), comment);
  std::memcpy(p, header_.data() + 2, header_.size() - 2);
  p += header_.size() - 2;
  for (std::size_t i = 0; i < strips_.size(); ++i) {
    if (i) {
      *p++ = 0xFF;
      *p++ = static_cast<std::uint8_t>(0xD0 + (i - 1) % 8);
    }
    std::memcpy(p, strips_[i].data(), strips_[i].size());
    p += strips_[i].size();
  }
  *p++ = 0xFF;
  *p = 0xD9;
}

std::optional<std::string> read_jpeg_comment(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < 4 || bytes[0] != 0xFF || bytes[1] != 0xD8) return std::nullopt;
  std::size_t at = 2;
  while (at + 4 <= bytes.size() && bytes[at] == 0xFF) {
    const std::uint8_t marker = bytes[at + 1];
    if (marker == 0xDA || marker == 0xD9) break;  // image data, or the end: no comment before it
    const std::size_t length = std::size_t{bytes[at + 2]} << 8 | bytes[at + 3];
    if (length < 2 || at + 2 + length > bytes.size()) break;
    if (marker == 0xFE)
      return std::string(reinterpret_cast<const char*>(bytes.data() + at + 4), length - 2);
    at += 2 + length;
  }
  return std::nullopt;
}

Result<JpegInfo> read_jpeg_info(std::span<const std::uint8_t> bytes) {
  TjDecoder tj;
  int w = 0, h = 0, sub = 0, cs = 0;
  if (tjDecompressHeader3(tj.h, bytes.data(), static_cast<unsigned long>(bytes.size()), &w, &h, &sub, &cs) != 0)
    return Error{tjGetErrorStr2(tj.h)};
  return JpegInfo{static_cast<std::uint32_t>(w), static_cast<std::uint32_t>(h)};
}

Result<DecodedImage> decode_jpeg_bgr(std::span<const std::uint8_t> bytes) {
  TjDecoder tj;
  int w = 0, h = 0, sub = 0, cs = 0;
  if (tjDecompressHeader3(tj.h, bytes.data(), static_cast<unsigned long>(bytes.size()), &w, &h, &sub, &cs) != 0 ||
      w <= 0 || h <= 0 || static_cast<std::uint64_t>(w) * static_cast<std::uint64_t>(h) > (64ull << 20))
    return Error{w > 0 ? "image too large" : tjGetErrorStr2(tj.h)};
  DecodedImage img;
  img.width = static_cast<std::uint32_t>(w);
  img.height = static_cast<std::uint32_t>(h);
  img.bgr.resize(std::size_t{img.width} * img.height * 3);
  // TJFLAG_STOPONWARNING: a truncated file is an error, not a grey-bottomed image.
  if (tjDecompress2(tj.h, bytes.data(), static_cast<unsigned long>(bytes.size()), img.bgr.data(), w, w * 3, h, TJPF_BGR,
                    TJFLAG_STOPONWARNING) != 0)
    return Error{tjGetErrorStr2(tj.h)};
  return img;
}

}  // namespace screenreel

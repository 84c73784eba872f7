// Wire protocol v2 to v6: see schemas/wire-protocol.md. Every rule of the spec's tables is
// checked here. Longer than most files on purpose: each message's decoder sits next to its
// encoder and its limits, as the spec's tables do, so a rule and its check read together.
#include "screenreel/protocol/wire.hpp"

#include <lz4.h>

#include <algorithm>
#include <cstring>

#include "byte_io.hpp"
#include "screenreel/common/yuv420.hpp"

namespace screenreel::wire {
namespace {

using detail::ByteReader;
using detail::ByteWriter;

WireError bad(std::string what, ErrorCode code = ErrorCode::kBadMessage) {
  return WireError{code, std::move(what)};
}

std::vector<std::uint8_t> start_message(MessageType type) {
  std::vector<std::uint8_t> out;
  out.reserve(64);
  ByteWriter w(out);
  w.write(static_cast<std::uint16_t>(type));
  w.write(std::uint16_t{0});
  w.write(std::uint32_t{0});  // length, patched by finish_message
  return out;
}

std::vector<std::uint8_t> finish_message(std::vector<std::uint8_t> out) {
  detail::put_le(out.data() + 4, out.size() - kHeaderBytes, 4);
  return out;
}

// Frame dimensions are checked in one place, for HELLO and FRAME alike.
Result<void, WireError> check_dimensions(const char* what, std::uint64_t w, std::uint64_t h) {
  if (w < kMinDimension || h < kMinDimension || w > kMaxDimension || h > kMaxDimension)
    return bad(std::string(what) + ": size " + std::to_string(w) + "x" + std::to_string(h) +
               " outside " + std::to_string(kMinDimension) + ".." + std::to_string(kMaxDimension));
  if (w * h > kMaxPixels)
    return bad(std::string(what) + ": " + std::to_string(w) + "x" + std::to_string(h) +
               " is over the limit of " + std::to_string(kMaxPixels) + " pixels");
  return {};
}

Result<Message, WireError> decode_hello(ByteReader& r, std::uint16_t version) {
  Hello m;
  m.width = r.read<std::uint32_t>();
  m.height = r.read<std::uint32_t>();
  const auto fmt = r.read<std::uint32_t>();
  m.fps_milli = r.read<std::uint32_t>();
  m.client_time_us = r.read<std::int64_t>();
  m.resume_session_id = r.read<std::uint64_t>();
  r.read_array(m.resume_key);
  m.name = r.read_str16(kMaxText);
  m.source = r.read_str16(kMaxText);
  if (!r.ok()) return bad("HELLO: truncated, or a text over " + std::to_string(kMaxText) + " bytes");
  if (auto d = check_dimensions("HELLO", m.width, m.height); !d) return d.error();
  if (fmt != static_cast<std::uint32_t>(PixelFormat::kBgrx8888))
    return bad("HELLO: pixel format " + std::to_string(fmt) + " not supported (only 1 = BGRX8888)");
  m.pixel_format = PixelFormat::kBgrx8888;
  if (version >= 5 && r.remaining() >= 4) m.wire_pixels = r.read<std::uint32_t>();  // appended in protocol 5
  if (m.fps_milli < 1 || m.fps_milli > kMaxFps * 1000)
    return bad("HELLO: fps_milli " + std::to_string(m.fps_milli) + " outside 1.." +
               std::to_string(kMaxFps * 1000));
  return Message(std::move(m));
}

Result<Message, WireError> decode_welcome(ByteReader& r, std::uint16_t version) {
  Welcome m;
  m.session_id = r.read<std::uint64_t>();
  m.max_in_flight = r.read<std::uint32_t>();
  m.last_tick = r.read<std::uint64_t>();
  r.read_array(m.resume_key);
  m.folder = r.read_str16(kMaxText);
  if (!r.ok()) return bad("WELCOME: truncated");
  if (m.max_in_flight < 1) return bad("WELCOME: max_in_flight is 0");
  if (version >= 4 && r.remaining() >= 4) {  // appended in protocol 4
    m.jpeg_quality = r.read<std::uint32_t>();
    if (m.jpeg_quality > 100) return bad("WELCOME: jpeg_quality " + std::to_string(m.jpeg_quality) + " over 100");
  }
  if (version >= 5 && r.remaining() >= 4) m.wire_pixels = r.read<std::uint32_t>();  // appended in protocol 5
  return Message(std::move(m));
}

Result<Message, WireError> decode_frame(ByteReader& r, std::uint16_t version) {
  FrameView m;
  m.seq = r.read<std::uint64_t>();
  m.capture_time_us = r.read<std::int64_t>();
  m.width = r.read<std::uint32_t>();
  m.height = r.read<std::uint32_t>();
  m.flags = r.read<std::uint32_t>();
  m.pixel_hash = r.read<std::uint64_t>();
  const auto count = r.read<std::uint32_t>();
  if (!r.ok()) return bad("FRAME: truncated header");
  if (auto d = check_dimensions("FRAME", m.width, m.height); !d) return d.error();
  if ((m.flags & ~kFrameFlagKey) != 0) return bad("FRAME: unknown flags " + std::to_string(m.flags));
  if (m.seq == 0) return bad("FRAME: seq 0", ErrorCode::kBadSequence);
  if (m.seq > kMaxTick)
    return bad("FRAME: seq " + std::to_string(m.seq) + " is 2^63 or more (ticks are below 2^63)",
               ErrorCode::kBadSequence);
  if (count > kMaxRects) return bad("FRAME: " + std::to_string(count) + " rects, limit " + std::to_string(kMaxRects));
  // Each rect needs at least its 24-byte header: refuse a count the body cannot hold before reserving.
  if (std::uint64_t{count} * 24 > r.remaining()) return bad("FRAME: rect count " + std::to_string(count) + " exceeds the body");
  m.rects.reserve(count);
  std::uint64_t covered = 0;
  for (std::uint32_t i = 0; i < count; ++i) {
    RectView rect;
    rect.x = r.read<std::uint32_t>();
    rect.y = r.read<std::uint32_t>();
    rect.w = r.read<std::uint32_t>();
    rect.h = r.read<std::uint32_t>();
    const auto enc = r.read<std::uint8_t>();
    const auto res0 = r.read<std::uint8_t>();
    const auto res1 = r.read<std::uint16_t>();
    const auto len = r.read<std::uint32_t>();
    const std::string at = "FRAME rect " + std::to_string(i) + ": ";
    if (!r.ok()) return bad(at + "truncated");
    if (rect.w == 0 || rect.h == 0) return bad(at + "empty rectangle");
    if (std::uint64_t{rect.x} + rect.w > m.width || std::uint64_t{rect.y} + rect.h > m.height)
      return bad(at + "rectangle " + std::to_string(rect.x) + "," + std::to_string(rect.y) + " " +
                 std::to_string(rect.w) + "x" + std::to_string(rect.h) + " is outside the " +
                 std::to_string(m.width) + "x" + std::to_string(m.height) + " frame");
    if (res0 != 0 || res1 != 0) return bad(at + "reserved bytes not zero");
    const std::uint64_t raw = std::uint64_t{rect.w} * rect.h * kBytesPerPixel;
    if (enc == static_cast<std::uint8_t>(RectEncoding::kRaw)) {
      if (len != raw) return bad(at + "raw data length " + std::to_string(len) + " != " + std::to_string(raw));
    } else if (enc == static_cast<std::uint8_t>(RectEncoding::kLz4)) {
      if (len == 0 || len > static_cast<std::uint64_t>(LZ4_compressBound(static_cast<int>(raw))))
        return bad(at + "LZ4 data length " + std::to_string(len) + " impossible for " + std::to_string(raw) + " bytes");
    } else if (enc == static_cast<std::uint8_t>(RectEncoding::kJpegStrip) && version >= 4) {
      if (len <= kJpegStripPrefixBytes || len - kJpegStripPrefixBytes > raw / kBytesPerPixel * kMaxJpegStripBytesPerPixel)
        return bad(at + "JPEG strip data length " + std::to_string(len) + " impossible for " +
                   std::to_string(rect.w) + "x" + std::to_string(rect.h) + " pixels");
    } else if (enc == static_cast<std::uint8_t>(RectEncoding::kLz4Yuv420) && version >= 5) {
      const std::uint64_t planes = Yuv420Layout{rect.w, rect.h}.bytes();
      if (rect.x % 2 != 0 || rect.y % 2 != 0)
        return bad(at + "4:2:0 rectangle at odd " + std::to_string(rect.x) + "," + std::to_string(rect.y) +
                   " (x and y must be even)");
      if (len == 0 || len > static_cast<std::uint64_t>(LZ4_compressBound(static_cast<int>(planes))))
        return bad(at + "4:2:0 LZ4 data length " + std::to_string(len) + " impossible for " + std::to_string(planes) +
                   " bytes of planes");
    } else if (enc == static_cast<std::uint8_t>(RectEncoding::kCopy) && version >= 3) {
      if (m.is_key()) return bad(at + "a key frame has nothing to copy from");
      if (len != kCopyDataBytes) return bad(at + "copy data length " + std::to_string(len) + " != 8");
    } else {
      return bad(at + "unknown encoding " + std::to_string(enc));
    }
    rect.encoding = static_cast<RectEncoding>(enc);
    rect.data = r.read_bytes(len);
    if (!r.ok()) return bad(at + "data truncated");
    if (rect.encoding == RectEncoding::kCopy) {
      detail::ByteReader source(rect.data);
      rect.src_x = source.read<std::uint32_t>();
      rect.src_y = source.read<std::uint32_t>();
      if (std::uint64_t{rect.src_x} + rect.w > m.width || std::uint64_t{rect.src_y} + rect.h > m.height)
        return bad(at + "copy source " + std::to_string(rect.src_x) + "," + std::to_string(rect.src_y) +
                   " is outside the frame");
      m.rects.push_back(rect);
      continue;  // covers nothing of a key frame
    }
    if (rect.encoding == RectEncoding::kJpegStrip) {
      const JpegStripGrid grid(m.width, m.height);
      const std::size_t strip = grid.strip_at(rect.area());
      if (strip == grid.size())
        return bad(at + "JPEG strip " + std::to_string(rect.x) + "," + std::to_string(rect.y) + " " +
                   std::to_string(rect.w) + "x" + std::to_string(rect.h) + " is not a strip of the frame's grid");
      rect.strip = static_cast<std::uint32_t>(strip);
      rect.jpeg_quality = rect.data[0];
      if (rect.jpeg_quality < 1 || rect.jpeg_quality > 100 || rect.data[1] != 0 || rect.data[2] != 0 || rect.data[3] != 0)
        return bad(at + "JPEG strip quality " + std::to_string(rect.jpeg_quality) + " outside 1..100, or reserved bytes set");
      rect.jpeg = rect.data.subspan(kJpegStripPrefixBytes);
      // Coded bytes only: a marker (0xFF not followed by a stuffed 0x00) would end or corrupt
      // the JPEG the receiver splices the strip into.
      for (std::size_t k = 0; k < rect.jpeg.size(); ++k)
        if (rect.jpeg[k] == 0xFF && (k + 1 == rect.jpeg.size() || rect.jpeg[++k] != 0x00))
          return bad(at + "JPEG strip holds a marker at byte " + std::to_string(k));
    }
    covered += std::uint64_t{rect.w} * rect.h;
    m.rects.push_back(rect);
  }
  // Rects of a key frame may not overlap in a well-formed stream, so their area adds up to the frame's.
  if (m.is_key() && covered < std::uint64_t{m.width} * m.height)
    return bad("FRAME: key frame rectangles do not cover the frame");
  return Message(std::move(m));
}

Result<Message, WireError> decode_ack(ByteReader& r) {
  Ack m;
  m.seq = r.read<std::uint64_t>();
  m.frame_number = r.read<std::uint64_t>();
  m.stored_tick = r.read<std::uint64_t>();
  if (!r.ok()) return bad("ACK: truncated");
  return Message(m);
}

Result<Message, WireError> decode_stop(ByteReader& r) {
  Stop m;
  const auto reason = r.read<std::uint32_t>();
  m.message = r.read_str16(kMaxText);
  if (!r.ok()) return bad("STOP: truncated");
  if (reason < 1 || reason > 3) return bad("STOP: unknown reason " + std::to_string(reason));
  m.reason = static_cast<StopReason>(reason);
  return Message(std::move(m));
}

Result<Message, WireError> decode_bye(ByteReader& r) {
  Bye m;
  m.frames = r.read<std::uint64_t>();
  m.dropped = r.read<std::uint64_t>();
  if (!r.ok()) return bad("BYE: truncated");
  return Message(m);
}

Result<Message, WireError> decode_error(ByteReader& r) {
  Error m;
  const auto code = r.read<std::uint32_t>();
  m.message = r.read_str16(kMaxText);
  if (!r.ok()) return bad("ERROR: truncated");
  constexpr auto kLast = static_cast<std::uint32_t>(ErrorCode::kBusy);  // unknown codes read as internal
  m.code = (code >= 1 && code <= kLast) ? static_cast<ErrorCode>(code) : ErrorCode::kInternal;
  return Message(std::move(m));
}

Result<Message, WireError> decode_challenge(ByteReader& r) {
  Challenge m;
  const auto required = r.read<std::uint8_t>();
  const auto reserved0 = r.read<std::uint8_t>();
  const auto reserved1 = r.read<std::uint16_t>();
  r.read_array(m.nonce);
  if (!r.ok()) return bad("CHALLENGE: truncated");
  if (required > 1 || reserved0 != 0 || reserved1 != 0) return bad("CHALLENGE: bad flags");
  m.auth_required = required == 1;
  return Message(m);
}

Result<Message, WireError> decode_auth(ByteReader& r) {
  Auth m;
  r.read_array(m.mac);
  if (!r.ok()) return bad("AUTH: truncated");
  return Message(m);
}

// A tick named by a protocol-4 message: 1 to kMaxTick, as FRAME seq.
Result<void, WireError> check_tick(const char* what, std::uint64_t tick) {
  if (tick == 0 || tick > kMaxTick)
    return bad(std::string(what) + ": tick " + std::to_string(tick) + " outside 1..2^63-1");
  return {};
}

Result<Message, WireError> decode_marker(ByteReader& r) {
  Marker m;
  m.tick = r.read<std::uint64_t>();
  m.time_us = r.read<std::int64_t>();
  const auto source = r.read<std::uint8_t>();
  const auto reserved0 = r.read<std::uint8_t>();
  const auto reserved1 = r.read<std::uint16_t>();
  m.label = r.read_str16(kMaxText);
  if (!r.ok()) return bad("MARKER: truncated, or a label over " + std::to_string(kMaxText) + " bytes");
  if (auto t = check_tick("MARKER", m.tick); !t) return t.error();
  if (source < 1 || source > static_cast<std::uint8_t>(MarkerSource::kApi))
    return bad("MARKER: unknown source " + std::to_string(source));
  if (reserved0 != 0 || reserved1 != 0) return bad("MARKER: reserved bytes not zero");
  m.source = static_cast<MarkerSource>(source);
  return Message(std::move(m));
}

Result<Message, WireError> decode_pause(ByteReader& r) {
  Pause m;
  m.tick = r.read<std::uint64_t>();
  m.time_us = r.read<std::int64_t>();
  m.reason = r.read_str16(kMaxText);
  if (!r.ok()) return bad("PAUSE: truncated, or a reason over " + std::to_string(kMaxText) + " bytes");
  if (auto t = check_tick("PAUSE", m.tick); !t) return t.error();
  return Message(std::move(m));
}

// RESUME and SAVE_BUFFER: a tick and the client's time.
template <typename T>
Result<Message, WireError> decode_tick_time(ByteReader& r, const char* name) {
  T m;
  m.tick = r.read<std::uint64_t>();
  m.time_us = r.read<std::int64_t>();
  if (!r.ok()) return bad(std::string(name) + ": truncated");
  if (auto t = check_tick(name, m.tick); !t) return t.error();
  return Message(m);
}

Result<Message, WireError> decode_skipped(ByteReader& r) {
  Skipped m;
  m.first_tick = r.read<std::uint64_t>();
  m.last_tick = r.read<std::uint64_t>();
  const auto cause = r.read<std::uint8_t>();
  const auto reserved0 = r.read<std::uint8_t>();
  const auto reserved1 = r.read<std::uint16_t>();
  if (!r.ok()) return bad("SKIPPED: truncated");
  if (auto t = check_tick("SKIPPED", m.first_tick); !t) return t.error();
  if (auto t = check_tick("SKIPPED", m.last_tick); !t) return t.error();
  if (m.last_tick < m.first_tick)
    return bad("SKIPPED: last_tick " + std::to_string(m.last_tick) + " before first_tick " +
               std::to_string(m.first_tick));
  if (cause < 1 || cause > kLastClientSkipCause) return bad("SKIPPED: unknown cause " + std::to_string(cause));
  if (reserved0 != 0 || reserved1 != 0) return bad("SKIPPED: reserved bytes not zero");
  m.cause = static_cast<SkipCause>(cause);
  return Message(m);
}

Result<Message, WireError> decode_windows(ByteReader& r) {
  Windows m;
  m.tick = r.read<std::uint64_t>();
  m.time_us = r.read<std::int64_t>();
  const auto count = r.read<std::uint32_t>();
  if (!r.ok()) return bad("WINDOWS: truncated");
  if (auto t = check_tick("WINDOWS", m.tick); !t) return t.error();
  if (count > kMaxWindows)
    return bad("WINDOWS: " + std::to_string(count) + " windows, limit " + std::to_string(kMaxWindows));
  // Each window needs at least its fixed part and a title length: refuse a count the body cannot hold.
  if (std::uint64_t{count} * (kWindowFixedBytes + 2) > r.remaining())
    return bad("WINDOWS: window count " + std::to_string(count) + " exceeds the body");
  m.windows.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    WindowInfo w;
    w.id = r.read<std::uint32_t>();
    w.x = r.read<std::int32_t>();
    w.y = r.read<std::int32_t>();
    w.width = r.read<std::uint32_t>();
    w.height = r.read<std::uint32_t>();
    const auto flags = r.read<std::uint8_t>();
    const auto reserved0 = r.read<std::uint8_t>();
    const auto reserved1 = r.read<std::uint16_t>();
    w.title = r.read_str16(kMaxText);
    const std::string at = "WINDOWS window " + std::to_string(i) + ": ";
    if (!r.ok()) return bad(at + "truncated, or a title over " + std::to_string(kMaxText) + " bytes");
    if (w.width > kMaxDimension || w.height > kMaxDimension)
      return bad(at + "size " + std::to_string(w.width) + "x" + std::to_string(w.height) + " over " +
                 std::to_string(kMaxDimension));
    if ((flags & ~kWindowFlagVisible) != 0 || reserved0 != 0 || reserved1 != 0)
      return bad(at + "unknown flags " + std::to_string(flags) + ", or reserved bytes set");
    w.visible = (flags & kWindowFlagVisible) != 0;
    m.windows.push_back(std::move(w));
  }
  return Message(std::move(m));
}

// The longest prefix of `s` of at most `max` bytes that does not cut a UTF-8 sequence.
std::string utf8_prefix(const std::string& s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // s[n] continues a sequence
  return s.substr(0, n);
}

}  // namespace

std::vector<std::uint8_t> encode_preamble(std::uint16_t version) {
  std::vector<std::uint8_t> out(kMagic, kMagic + sizeof(kMagic));
  ByteWriter w(out);
  w.write(version);
  w.write(std::uint16_t{0});
  return out;
}

Result<std::uint16_t, WireError> decode_preamble(std::span<const std::uint8_t> bytes) {
  if (bytes.size() != kPreambleBytes) return bad("preamble: need 12 bytes");
  if (!std::equal(kMagic, kMagic + sizeof(kMagic), bytes.begin()))
    return bad("preamble: bad magic (not a screenreel peer)");
  ByteReader r(bytes.subspan(8));
  const auto version = r.read<std::uint16_t>();
  const auto reserved = r.read<std::uint16_t>();
  if (reserved != 0) return bad("preamble: reserved field not zero", ErrorCode::kUnsupportedVersion);
  if (version < kMinVersion)
    return bad("preamble: version " + std::to_string(version) + " not supported (this build speaks " +
               std::to_string(kMinVersion) + " to " + std::to_string(kVersion) + ")",
               ErrorCode::kUnsupportedVersion);
  return version;
}

std::size_t max_body_bytes(MessageType type) {
  if (type == MessageType::kFrame) return kMaxMessageBytes;
  return type == MessageType::kWindows ? kMaxWindowsBytes : kMaxControlBytes;
}

bool Header::known(std::uint16_t version) const {
  const auto t = static_cast<std::uint16_t>(type);
  if (t >= 1 && t <= 10) return true;
  if (t >= 11 && t <= 15) return version >= 4;
  return version >= 6 && t == 16;
}

Result<Header, WireError> decode_header(std::span<const std::uint8_t> bytes, std::uint16_t version) {
  if (bytes.size() != kHeaderBytes) return bad("header: need 8 bytes");
  ByteReader r(bytes);
  const auto type = r.read<std::uint16_t>();
  const auto reserved = r.read<std::uint16_t>();
  const auto length = r.read<std::uint32_t>();
  if (reserved != 0) return bad("header: reserved field not zero");
  const auto t = static_cast<MessageType>(type);
  if (!Header{t, length}.known(version)) {
    if (version < 3) return bad("header: unknown message type " + std::to_string(type));
    if (length > kMaxControlBytes)
      return bad("header: unknown message type " + std::to_string(type) + " of " + std::to_string(length) +
                 " bytes (a message this build skips may have at most " +
                 std::to_string(kMaxControlBytes) + ")");
    return Header{t, length};
  }
  if (length > max_body_bytes(t))
    return bad("header: " + std::string(to_string(t)) + " length " + std::to_string(length) +
               " over the limit of " + std::to_string(max_body_bytes(t)));
  return Header{t, length};
}

Result<Message, WireError> decode_body(MessageType type, std::span<const std::uint8_t> body, std::uint16_t version) {
  if (body.size() > max_body_bytes(type)) return bad("body over the limit");
  ByteReader r(body);
  Result<Message, WireError> p = [&]() -> Result<Message, WireError> {
    switch (type) {
      case MessageType::kHello: return decode_hello(r, version);
      case MessageType::kWelcome: return decode_welcome(r, version);
      case MessageType::kFrame: return decode_frame(r, version);
      case MessageType::kAck: return decode_ack(r);
      case MessageType::kStop: return decode_stop(r);
      case MessageType::kBye: return decode_bye(r);
      case MessageType::kError: return decode_error(r);
      case MessageType::kChallenge: return decode_challenge(r);
      case MessageType::kAuth: return decode_auth(r);
      case MessageType::kPing: return Message(Ping{});
      case MessageType::kMarker: return decode_marker(r);
      case MessageType::kPause: return decode_pause(r);
      case MessageType::kResume: return decode_tick_time<Resume>(r, "RESUME");
      case MessageType::kSkipped: return decode_skipped(r);
      case MessageType::kSaveBuffer: return decode_tick_time<SaveBuffer>(r, "SAVE_BUFFER");
      case MessageType::kWindows: return decode_windows(r);
    }
    return bad("unknown message type");
  }();
  if (p && r.remaining() != 0 && version < 3)
    return bad(std::string(to_string(type)) + ": " + std::to_string(r.remaining()) + " trailing bytes");
  return p;
}

std::vector<std::uint8_t> encode(const Hello& m) {
  auto out = start_message(MessageType::kHello);
  ByteWriter w(out);
  w.write(m.width);
  w.write(m.height);
  w.write(static_cast<std::uint32_t>(m.pixel_format));
  w.write(m.fps_milli);
  w.write(m.client_time_us);
  w.write(m.resume_session_id);
  w.write_bytes(m.resume_key);
  w.write_str16(m.name, kMaxText);
  w.write_str16(m.source, kMaxText);
  if (m.wire_pixels != 0) w.write(m.wire_pixels);  // protocol 5 only (the client sets it so)
  return finish_message(std::move(out));
}

std::vector<std::uint8_t> encode(const Welcome& m) {
  auto out = start_message(MessageType::kWelcome);
  ByteWriter w(out);
  w.write(m.session_id);
  w.write(m.max_in_flight);
  w.write(m.last_tick);
  w.write_bytes(m.resume_key);
  w.write_str16(m.folder, kMaxText);
  // Protocol 4 and 5 only (the receiver sets them so); wire_pixels needs jpeg_quality before it.
  if (m.jpeg_quality != 0 || m.wire_pixels != 0) w.write(m.jpeg_quality);
  if (m.wire_pixels != 0) w.write(m.wire_pixels);
  return finish_message(std::move(out));
}

std::vector<std::uint8_t> encode(const Ack& m) {
  auto out = start_message(MessageType::kAck);
  ByteWriter w(out);
  w.write(m.seq);
  w.write(m.frame_number);
  w.write(m.stored_tick);
  return finish_message(std::move(out));
}

std::vector<std::uint8_t> encode(const Stop& m) {
  auto out = start_message(MessageType::kStop);
  ByteWriter w(out);
  w.write(static_cast<std::uint32_t>(m.reason));
  w.write_str16(m.message, kMaxText);
  return finish_message(std::move(out));
}

std::vector<std::uint8_t> encode(const Bye& m) {
  auto out = start_message(MessageType::kBye);
  ByteWriter w(out);
  w.write(m.frames);
  w.write(m.dropped);
  return finish_message(std::move(out));
}

std::vector<std::uint8_t> encode(const Error& m) {
  auto out = start_message(MessageType::kError);
  ByteWriter w(out);
  w.write(static_cast<std::uint32_t>(m.code));
  w.write_str16(m.message, kMaxText);
  return finish_message(std::move(out));
}

std::vector<std::uint8_t> encode(const Challenge& m) {
  auto out = start_message(MessageType::kChallenge);
  ByteWriter w(out);
  w.write(static_cast<std::uint8_t>(m.auth_required ? 1 : 0));
  w.write(std::uint8_t{0});
  w.write(std::uint16_t{0});
  w.write_bytes(m.nonce);
  return finish_message(std::move(out));
}

std::vector<std::uint8_t> encode(const Auth& m) {
  auto out = start_message(MessageType::kAuth);
  ByteWriter w(out);
  w.write_bytes(m.mac);
  return finish_message(std::move(out));
}

std::vector<std::uint8_t> encode(const Ping&) { return finish_message(start_message(MessageType::kPing)); }

std::vector<std::uint8_t> encode(const Marker& m) {
  auto out = start_message(MessageType::kMarker);
  ByteWriter w(out);
  w.write(m.tick);
  w.write(m.time_us);
  w.write(static_cast<std::uint8_t>(m.source));
  w.write(std::uint8_t{0});
  w.write(std::uint16_t{0});
  w.write_str16(m.label, kMaxText);
  return finish_message(std::move(out));
}

std::vector<std::uint8_t> encode(const Pause& m) {
  auto out = start_message(MessageType::kPause);
  ByteWriter w(out);
  w.write(m.tick);
  w.write(m.time_us);
  w.write_str16(m.reason, kMaxText);
  return finish_message(std::move(out));
}

namespace {
std::vector<std::uint8_t> encode_tick_time(MessageType type, std::uint64_t tick, std::int64_t time_us) {
  auto out = start_message(type);
  ByteWriter w(out);
  w.write(tick);
  w.write(time_us);
  return finish_message(std::move(out));
}
}  // namespace

std::vector<std::uint8_t> encode(const Resume& m) { return encode_tick_time(MessageType::kResume, m.tick, m.time_us); }

std::vector<std::uint8_t> encode(const SaveBuffer& m) {
  return encode_tick_time(MessageType::kSaveBuffer, m.tick, m.time_us);
}

std::vector<std::uint8_t> encode(const Skipped& m) {
  auto out = start_message(MessageType::kSkipped);
  ByteWriter w(out);
  w.write(m.first_tick);
  w.write(m.last_tick);
  w.write(static_cast<std::uint8_t>(m.cause));
  w.write(std::uint8_t{0});
  w.write(std::uint16_t{0});
  return finish_message(std::move(out));
}

std::vector<std::uint8_t> encode(const Windows& m) {
  auto out = start_message(MessageType::kWindows);
  ByteWriter w(out);
  w.write(m.tick);
  w.write(m.time_us);
  const std::size_t skip = m.windows.size() > kMaxWindows ? m.windows.size() - kMaxWindows : 0;  // bottom ones
  w.write(static_cast<std::uint32_t>(m.windows.size() - skip));
  for (std::size_t i = skip; i < m.windows.size(); ++i) {
    const auto& win = m.windows[i];
    w.write(win.id);
    w.write(win.x);
    w.write(win.y);
    w.write(std::min<std::uint32_t>(win.width, kMaxDimension));
    w.write(std::min<std::uint32_t>(win.height, kMaxDimension));
    w.write(static_cast<std::uint8_t>(win.visible ? kWindowFlagVisible : 0));
    w.write(std::uint8_t{0});
    w.write(std::uint16_t{0});
    w.write_str16(utf8_prefix(win.title, kMaxText), kMaxText);
  }
  return finish_message(std::move(out));
}

// --- FrameMessageWriter -------------------------------------------------------------------
// Layout of the fixed part of a FRAME body, after the 8-byte header.
namespace {
constexpr std::size_t kFrameHashOffset = kHeaderBytes + 8 + 8 + 4 + 4 + 4;
constexpr std::size_t kFrameCountOffset = kFrameHashOffset + 8;
constexpr std::size_t kFrameFixedBytes = kFrameCountOffset + 4;
}  // namespace

FrameMessageWriter::FrameMessageWriter(std::vector<std::uint8_t>& out, std::uint64_t seq,
                                       std::int64_t capture_time_us, std::uint32_t width,
                                       std::uint32_t height, std::uint32_t flags, std::size_t reserve)
    : out_(out) {
  const auto head = start_message(MessageType::kFrame);
  out_.assign(head.begin(), head.end());
  out_.reserve(std::max(reserve, kFrameFixedBytes));
  ByteWriter w(out_);
  w.write(seq);
  w.write(capture_time_us);
  w.write(width);
  w.write(height);
  w.write(flags);
  w.write(std::uint64_t{0});  // hash, set by finish()
  w.write(std::uint32_t{0});  // rect count, set by finish()
}

void FrameMessageWriter::add_rect(std::uint32_t x, std::uint32_t y, std::uint32_t w, std::uint32_t h,
                                  RectEncoding encoding, std::span<const std::uint8_t> data) {
  std::uint8_t header[kRectHeaderBytes] = {};
  detail::put_le(header, x, 4);
  detail::put_le(header + 4, y, 4);
  detail::put_le(header + 8, w, 4);
  detail::put_le(header + 12, h, 4);
  header[16] = static_cast<std::uint8_t>(encoding);
  detail::put_le(header + 20, data.size(), 4);
  out_.insert(out_.end(), header, header + kRectHeaderBytes);
  out_.insert(out_.end(), data.begin(), data.end());
  ++rect_count_;
}

void FrameMessageWriter::add_copy(std::uint32_t x, std::uint32_t y, std::uint32_t w, std::uint32_t h,
                                  std::uint32_t src_x, std::uint32_t src_y) {
  std::uint8_t data[kCopyDataBytes];
  detail::put_le(data, src_x, 4);
  detail::put_le(data + 4, src_y, 4);
  add_rect(x, y, w, h, RectEncoding::kCopy, data);
}

void FrameMessageWriter::add_jpeg_strip(const JpegStripGrid& grid, std::uint32_t index, std::uint32_t quality,
                                        std::span<const std::uint8_t> bytes) {
  const PixelRect r = grid.strip(index);
  std::uint8_t header[kRectHeaderBytes + kJpegStripPrefixBytes] = {};
  detail::put_le(header, static_cast<std::uint32_t>(r.x), 4);
  detail::put_le(header + 4, static_cast<std::uint32_t>(r.y), 4);
  detail::put_le(header + 8, static_cast<std::uint32_t>(r.w), 4);
  detail::put_le(header + 12, static_cast<std::uint32_t>(r.h), 4);
  header[16] = static_cast<std::uint8_t>(RectEncoding::kJpegStrip);
  detail::put_le(header + 20, kJpegStripPrefixBytes + bytes.size(), 4);
  header[kRectHeaderBytes] = static_cast<std::uint8_t>(quality);
  out_.insert(out_.end(), header, header + sizeof header);
  out_.insert(out_.end(), bytes.begin(), bytes.end());
  ++rect_count_;
}

void FrameMessageWriter::finish(std::uint64_t pixel_hash) {
  detail::put_le(out_.data() + kFrameHashOffset, pixel_hash, 8);
  detail::put_le(out_.data() + kFrameCountOffset, rect_count_, 4);
  detail::put_le(out_.data() + 4, out_.size() - kHeaderBytes, 4);
  static_assert(kFrameFixedBytes == kHeaderBytes + 40);
}

std::string_view to_string(MessageType t) {
  switch (t) {
    case MessageType::kHello: return "HELLO";
    case MessageType::kWelcome: return "WELCOME";
    case MessageType::kFrame: return "FRAME";
    case MessageType::kAck: return "ACK";
    case MessageType::kStop: return "STOP";
    case MessageType::kBye: return "BYE";
    case MessageType::kError: return "ERROR";
    case MessageType::kChallenge: return "CHALLENGE";
    case MessageType::kAuth: return "AUTH";
    case MessageType::kPing: return "PING";
    case MessageType::kMarker: return "MARKER";
    case MessageType::kPause: return "PAUSE";
    case MessageType::kResume: return "RESUME";
    case MessageType::kSaveBuffer: return "SAVE_BUFFER";
    case MessageType::kSkipped: return "SKIPPED";
    case MessageType::kWindows: return "WINDOWS";
  }
  return "UNKNOWN";
}

std::string_view to_string(ErrorCode c) {
  switch (c) {
    case ErrorCode::kBadMessage: return "bad-message";
    case ErrorCode::kUnsupportedVersion: return "unsupported-version";
    case ErrorCode::kBadSequence: return "bad-sequence";
    case ErrorCode::kHashMismatch: return "hash-mismatch";
    case ErrorCode::kStorage: return "storage";
    case ErrorCode::kTimeout: return "timeout";
    case ErrorCode::kInternal: return "internal";
    case ErrorCode::kAuthFailed: return "auth-failed";
    case ErrorCode::kBlocked: return "blocked";
    case ErrorCode::kSessionBusy: return "session-busy";
    case ErrorCode::kBusy: return "busy";
  }
  return "unknown";
}

}  // namespace screenreel::wire

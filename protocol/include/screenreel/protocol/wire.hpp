// Wire protocol v6 (schemas/wire-protocol.md): message types, limits, version negotiation and
// pure encode/decode functions over bytes. No socket in here, so it can be unit-tested and fuzzed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "screenreel/common/jpeg_strips.hpp"
#include "screenreel/common/pixel_rect.hpp"
#include "screenreel/common/result.hpp"

namespace screenreel::wire {

// The newest version this build speaks, and the oldest it still accepts. Both peers announce
// their newest in the preamble; the connection speaks the lower of the two (negotiate()).
inline constexpr std::uint16_t kVersion = 6;
inline constexpr std::uint16_t kMinVersion = 2;
inline constexpr std::uint16_t negotiate(std::uint16_t peer) { return peer < kVersion ? peer : kVersion; }
inline constexpr std::size_t kPreambleBytes = 12;
inline constexpr std::size_t kHeaderBytes = 8;
inline constexpr char kMagic[8] = {'S', 'C', 'R', 'N', 'R', 'E', 'E', 'L'};

inline constexpr std::uint64_t kMaxMessageBytes = 96ull << 20;
inline constexpr std::uint64_t kMaxControlBytes = 4096;
inline constexpr std::uint64_t kMaxDimension = 8192;
inline constexpr std::uint64_t kMinDimension = 16;
inline constexpr std::uint64_t kMaxPixels = 16ull << 20;
inline constexpr std::uint64_t kMaxRects = 65536;
inline constexpr std::uint64_t kMaxText = 256;
inline constexpr std::uint64_t kMaxFps = 240;
// Ticks (FRAME seq) are below 2^63, so that they fit the catalog's signed 64-bit columns.
inline constexpr std::uint64_t kMaxTick = (std::uint64_t{1} << 63) - 1;
// A FRAME's capture time may be earlier than the previous FRAME's by at most this much (a wall
// clock stepped back by NTP); it is then stored as the previous one's. More is refused.
inline constexpr std::int64_t kMaxClockStepBackUs = 1'000'000;
inline constexpr std::uint32_t kBytesPerPixel = 4;
inline constexpr std::size_t kNonceBytes = 32;
inline constexpr std::size_t kMacBytes = 32;
inline constexpr std::size_t kResumeKeyBytes = 16;
// The most a peer may send before it has authenticated: preamble, AUTH and the largest HELLO
// (with protocol 5's wire_pixels).
inline constexpr std::uint64_t kMaxPreAuthBody = 24 + 8 + kResumeKeyBytes + 2 * (2 + kMaxText) + 4;
// WINDOWS (protocol 6): at most this many windows, each with a title of at most kMaxText bytes;
// its body limit is what the largest such message takes (tick, time, count; per window 24 bytes
// of id, geometry and flags, and the title's str16).
inline constexpr std::uint64_t kMaxWindows = 128;
inline constexpr std::uint64_t kWindowFixedBytes = 24;
inline constexpr std::uint64_t kMaxWindowsBytes = 20 + kMaxWindows * (kWindowFixedBytes + 2 + kMaxText);

enum class MessageType : std::uint16_t {
  kHello = 1,
  kWelcome = 2,
  kFrame = 3,
  kAck = 4,
  kStop = 5,
  kBye = 6,
  kError = 7,
  kChallenge = 8,
  kAuth = 9,
  kPing = 10,
  // Protocol 4: what the user did during the recording, and why ticks became no FRAME. A peer of
  // protocol 3 skips them by their length (growth rules); a client sends them only on a
  // connection that speaks 4.
  kMarker = 11,
  kPause = 12,
  kResume = 13,
  kSaveBuffer = 14,  // the receiver's replay buffer: keep what it holds (a receiver without one ignores it)
  kSkipped = 15,
  // Protocol 6: the top-level windows on screen and where (so that export can black one out). A
  // peer of protocol 5 or older skips it by its length; a client sends it only on a connection
  // that speaks 6.
  kWindows = 16,
};

enum class PixelFormat : std::uint32_t { kBgrx8888 = 1 };

enum class ErrorCode : std::uint32_t {
  kBadMessage = 1,
  kUnsupportedVersion = 2,
  kBadSequence = 3,
  kHashMismatch = 4,
  kStorage = 5,
  kTimeout = 6,
  kInternal = 7,
  kAuthFailed = 8,
  kBlocked = 9,
  kSessionBusy = 10,
  kBusy = 11,
};

enum class StopReason : std::uint32_t { kUserEnded = 1, kShutdown = 2, kStorageError = 3 };

// kCopy (protocol 3): the rectangle is the same-sized one at (src_x, src_y) of the frame as the
// rectangles before it left it: scrolled or moved content, sent as 8 bytes.
// kJpegStrip (protocol 4): the rectangle is exactly one strip of the frame's JpegStripGrid, as
// the entropy-coded bytes of its restart interval, coded at the quality WELCOME announced.
// kLz4Yuv420 (protocol 5): the rectangle's 4:2:0 planes (common/yuv420.hpp: Y, then Cb and Cr at
// half width and height) as one LZ4 block; x and y are even, so its chroma blocks are the
// frame's (and the archive JPEG's). Sent only when WELCOME's wire_pixels offered it.
enum class RectEncoding : std::uint8_t { kRaw = 0, kLz4 = 1, kCopy = 2, kJpegStrip = 3, kLz4Yuv420 = 4 };
inline constexpr std::uint32_t kCopyDataBytes = 8;
// A JPEG strip's data: quality (u8), 3 reserved zero bytes, then the strip's coded bytes.
inline constexpr std::uint32_t kJpegStripPrefixBytes = 4;
// A FRAME rectangle's header: x, y, w, h, encoding and reserved, data_length.
inline constexpr std::size_t kRectHeaderBytes = 24;
// A strip's coded bytes are at most this many per pixel (libjpeg's worst case at quality 100 on
// noise is under 4 bytes a pixel of 4:2:0 data): a bound checked before anything is decoded.
inline constexpr std::uint32_t kMaxJpegStripBytesPerPixel = 8;

inline constexpr std::uint32_t kFrameFlagKey = 1;

// HELLO's and WELCOME's wire_pixels (protocol 5): the pixel encodings besides BGRX that the
// client can send, and that the receiver takes of them. Unknown bits are ignored (a later
// version's formats).
inline constexpr std::uint32_t kWirePixelsYuv420 = 1;  // RectEncoding::kLz4Yuv420

// Why a peer's bytes were refused. `what` names the field and the violated limit, so it can be
// logged as is ("FRAME rect 3: x + w = 2000 exceeds width 1920").
struct WireError {
  ErrorCode code = ErrorCode::kBadMessage;
  std::string what;
};

struct Header {
  MessageType type{};
  std::uint32_t length = 0;
  // Whether a peer of protocol `version` knows the type (protocol 3 and later skip the others by
  // their length, see decode_header): the types of protocol 4 are unknown on a connection that
  // speaks 3, exactly as to a build of protocol 3.
  bool known(std::uint16_t version = kVersion) const;
};

using ResumeKey = std::array<std::uint8_t, kResumeKeyBytes>;

struct Hello {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  PixelFormat pixel_format = PixelFormat::kBgrx8888;
  std::uint32_t fps_milli = 0;
  std::int64_t client_time_us = 0;
  std::string name;
  std::string source;
  // Resuming a session after the connection was lost: its id and the key WELCOME gave for it.
  // 0 and zeros for a new session.
  std::uint64_t resume_session_id = 0;
  ResumeKey resume_key{};
  // Protocol 5 (appended; 0 and not sent on an older connection): kWirePixels* bits the client
  // can send.
  std::uint32_t wire_pixels = 0;
  bool operator==(const Hello&) const = default;
};

struct Welcome {
  std::uint64_t session_id = 0;
  std::uint32_t max_in_flight = 1;
  std::string folder;
  // The secret that lets this client resume the session on a later connection.
  ResumeKey resume_key{};
  // The newest client tick the session already holds (0 for a new session): frames up to it
  // that are sent again are decoded but not stored.
  std::uint64_t last_tick = 0;
  // Protocol 4: the quality (1..100) at which the receiver stores JPEGs, and so the one at which
  // the client may send JPEG strips; 0: the receiver takes none (and the field is not sent: a
  // protocol 2 or 3 connection never carries it).
  std::uint32_t jpeg_quality = 0;
  // Protocol 5: the kWirePixels* bits of HELLO's that the receiver takes; 0 (and not sent, nor
  // on an older connection): BGRX only.
  std::uint32_t wire_pixels = 0;
  bool operator==(const Welcome&) const = default;
};

// A rectangle of a FRAME; `data` points into the message body it was parsed from.
struct RectView {
  std::uint32_t x = 0, y = 0, w = 0, h = 0;
  RectEncoding encoding = RectEncoding::kRaw;
  std::span<const std::uint8_t> data;
  std::uint32_t src_x = 0, src_y = 0;  // kCopy: where it comes from (checked to lie inside the frame)
  // kJpegStrip: which strip of the frame's grid it is, the quality it was coded at, and its coded
  // bytes (`data` without the prefix; checked to hold no marker: every 0xFF is followed by 0x00).
  std::uint32_t strip = 0;
  std::uint32_t jpeg_quality = 0;
  std::span<const std::uint8_t> jpeg;

  // Where it is in the frame (decode_body has checked it lies inside: the values fit).
  PixelRect area() const {
    return {static_cast<std::int32_t>(x), static_cast<std::int32_t>(y), static_cast<std::int32_t>(w),
            static_cast<std::int32_t>(h)};
  }
};

struct FrameView {
  std::uint64_t seq = 0;
  std::int64_t capture_time_us = 0;
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::uint32_t flags = 0;
  std::uint64_t pixel_hash = 0;
  std::vector<RectView> rects;
  bool is_key() const { return (flags & kFrameFlagKey) != 0; }
};

struct Ack {
  std::uint64_t seq = 0;
  std::uint64_t frame_number = 0;  // 0: already held (a resent frame, tick <= last_tick)
  // Every frame of the session up to this client tick is written and in the catalog: the client
  // may forget it. 0 while none is.
  std::uint64_t stored_tick = 0;
  bool operator==(const Ack&) const = default;
};

struct Stop {
  StopReason reason = StopReason::kUserEnded;
  std::string message;
  bool operator==(const Stop&) const = default;
};

struct Bye {
  std::uint64_t frames = 0;
  std::uint64_t dropped = 0;
  bool operator==(const Bye&) const = default;
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  bool operator==(const Error&) const = default;
};

struct Challenge {
  bool auth_required = false;
  std::array<std::uint8_t, kNonceBytes> nonce{};
  bool operator==(const Challenge&) const = default;
};

struct Auth {
  std::array<std::uint8_t, kMacBytes> mac{};
  bool operator==(const Auth&) const = default;
};

struct Ping {
  bool operator==(const Ping&) const = default;
};

// Who set a marker (MARKER's `source`; the catalog's markers.source names them).
enum class MarkerSource : std::uint8_t { kKey = 1, kSignal = 2, kHotkey = 3, kApi = 4 };

// A moment the user marked. `tick`: the newest capture tick when it was set (its frame is the
// session's last with a tick at or before it).
struct Marker {
  std::uint64_t tick = 0;
  std::int64_t time_us = 0;
  MarkerSource source = MarkerSource::kKey;
  std::string label;
  bool operator==(const Marker&) const = default;
};

// Capture paused: from `tick` (the first tick not read) on, nothing is read, sent or stored.
struct Pause {
  std::uint64_t tick = 0;
  std::int64_t time_us = 0;
  std::string reason;
  bool operator==(const Pause&) const = default;
};

// Capture goes on from `tick` (the first tick read again).
struct Resume {
  std::uint64_t tick = 0;
  std::int64_t time_us = 0;
  bool operator==(const Resume&) const = default;
};

// Keep the receiver's replay buffer (its --buffer): the frames it holds are written, from the
// oldest, and the session records normally from then on. `tick`: the newest capture tick then.
struct SaveBuffer {
  std::uint64_t tick = 0;
  std::int64_t time_us = 0;
  bool operator==(const SaveBuffer&) const = default;
};

// Why ticks became no FRAME (SKIPPED's `cause`; the catalog's drop ledger names them). The
// client reports the first three; the receiver names the ticks nobody explained.
enum class SkipCause : std::uint8_t {
  kUnchanged = 1,    // nothing changed on screen
  kFlowControl = 2,  // capture fell behind its schedule and skipped them
  kPaused = 3,       // capture was paused
};
inline constexpr std::uint8_t kLastClientSkipCause = 3;

// Ticks first..last (inclusive) became no FRAME, for `cause`. Sent before the FRAME that follows
// them (or before BYE), so that the receiver accounts for every tick.
struct Skipped {
  std::uint64_t first_tick = 0;
  std::uint64_t last_tick = 0;
  SkipCause cause = SkipCause::kUnchanged;
  bool operator==(const Skipped&) const = default;
};

// A top-level window as the capture saw it: where it is in the recorded area (x and y may be
// negative, the rectangle may reach past the frame), whether it is mapped, and its title (UTF-8,
// at most kMaxText bytes).
inline constexpr std::uint8_t kWindowFlagVisible = 1;
struct WindowInfo {
  std::uint32_t id = 0;
  std::int32_t x = 0, y = 0;
  std::uint32_t width = 0, height = 0;
  bool visible = true;
  std::string title;
  bool operator==(const WindowInfo&) const = default;
};

// The client's top-level windows at `tick`, bottom of the stacking order first: sent at the start
// of every connection and whenever the set, a geometry or a title changed. Each message is the
// whole list (at most kMaxWindows: the topmost ones).
struct Windows {
  std::uint64_t tick = 0;
  std::int64_t time_us = 0;
  std::vector<WindowInfo> windows;
  bool operator==(const Windows&) const = default;
};

using Message = std::variant<Hello, Welcome, FrameView, Ack, Stop, Bye, Error, Challenge, Auth, Ping, Marker, Pause,
                             Resume, Skipped, SaveBuffer, Windows>;

// --- preamble ---------------------------------------------------------------------------
std::vector<std::uint8_t> encode_preamble(std::uint16_t version = kVersion);
// Returns the version the peer announces (any from kMinVersion up: a newer peer is answered with
// negotiate()), or an error naming what was wrong (magic, reserved, a version below kMinVersion).
Result<std::uint16_t, WireError> decode_preamble(std::span<const std::uint8_t> bytes);

// --- header -----------------------------------------------------------------------------
// Checks type, reserved and the per-type length limit; nothing is allocated. `version`: the
// connection's. From protocol 3 a type this build does not know is accepted with a body of at most
// kMaxControlBytes (the reader skips it); in protocol 2 it is an error.
Result<Header, WireError> decode_header(std::span<const std::uint8_t> bytes, std::uint16_t version = kVersion);
std::size_t max_body_bytes(MessageType type);

// --- bodies -----------------------------------------------------------------------------
// Parses a complete body of a message whose header was accepted by decode_header.
// For FRAME, the returned RectViews point into `body`, which must outlive them. From protocol 3,
// bytes after the last field this build knows are ignored (a later version appended fields); in
// protocol 2 they are an error.
Result<Message, WireError> decode_body(MessageType type, std::span<const std::uint8_t> body, std::uint16_t version = kVersion);

// Each returns a whole message: header followed by body.
std::vector<std::uint8_t> encode(const Hello& m);
std::vector<std::uint8_t> encode(const Welcome& m);
std::vector<std::uint8_t> encode(const Ack& m);
std::vector<std::uint8_t> encode(const Stop& m);
std::vector<std::uint8_t> encode(const Bye& m);
std::vector<std::uint8_t> encode(const Error& m);
std::vector<std::uint8_t> encode(const Challenge& m);
std::vector<std::uint8_t> encode(const Auth& m);
std::vector<std::uint8_t> encode(const Ping& m);
std::vector<std::uint8_t> encode(const Marker& m);
std::vector<std::uint8_t> encode(const Pause& m);
std::vector<std::uint8_t> encode(const Resume& m);
std::vector<std::uint8_t> encode(const Skipped& m);
std::vector<std::uint8_t> encode(const SaveBuffer& m);
// Keeps the topmost kMaxWindows windows; titles are cut to kMaxText bytes at a UTF-8 boundary.
std::vector<std::uint8_t> encode(const Windows& m);

// FRAME messages are large; they are assembled by FrameEncoder (frame_codec.hpp) with this
// writer so the rectangle data is compressed straight into the message buffer.
class FrameMessageWriter {
 public:
  // Starts the message in `out` (its old contents go, its capacity stays). `reserve`: the bytes
  // the whole message is expected to take, so that appending rectangles does not reallocate.
  FrameMessageWriter(std::vector<std::uint8_t>& out, std::uint64_t seq, std::int64_t capture_time_us,
                     std::uint32_t width, std::uint32_t height, std::uint32_t flags, std::size_t reserve = 0);
  // Appends a rectangle: its header, then `data` (LZ4 or raw pixels, as `encoding` says).
  void add_rect(std::uint32_t x, std::uint32_t y, std::uint32_t w, std::uint32_t h, RectEncoding encoding,
                std::span<const std::uint8_t> data);
  // Appends a copy (RectEncoding::kCopy) of the w x h rectangle at src_x, src_y to x, y.
  void add_copy(std::uint32_t x, std::uint32_t y, std::uint32_t w, std::uint32_t h, std::uint32_t src_x,
                std::uint32_t src_y);
  // Appends strip `index` of `grid` (the frame's) as a JPEG strip (RectEncoding::kJpegStrip):
  // `bytes` are its entropy-coded bytes, coded at `quality`.
  void add_jpeg_strip(const JpegStripGrid& grid, std::uint32_t index, std::uint32_t quality,
                      std::span<const std::uint8_t> bytes);
  // Fills in the hash, the rectangle count and the header's length.
  void finish(std::uint64_t pixel_hash);
  std::uint32_t rect_count() const { return rect_count_; }
  // The message's bytes so far.
  std::size_t bytes() const { return out_.size(); }

 private:
  std::vector<std::uint8_t>& out_;
  std::uint32_t rect_count_ = 0;
};

std::string_view to_string(MessageType t);
std::string_view to_string(ErrorCode c);

}  // namespace screenreel::wire

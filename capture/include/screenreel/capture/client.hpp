// screenreel-capture as a whole: grabs frames from a FrameSource on a steady clock, encodes the
// changed tiles (FrameEncoder) and streams them to a receiver, honouring its flow control and
// its STOP. main() parses the command line into a CaptureConfig and calls run().
#pragma once

#include <cstdint>
#include <string>

#include "screenreel/capture/exclusions.hpp"
#include "screenreel/capture/source.hpp"

namespace screenreel::capture {

// What the changed pixels travel as (--wire): lossless LZ4 tiles, JPEG strips coded as the
// receiver stores them (protocol 4), or a choice per frame by the link's measured rate.
enum class WireMode { kAuto, kLossless, kJpeg };

// What the changed tiles' pixels travel as (--wire-pixels): the screen's BGRX, or the 4:2:0
// planes the archive's JPEGs keep of them (protocol 5; an older receiver gets BGRX).
enum class WirePixels { kBgrx, kYuv420 };

struct CaptureConfig {
  std::string connect = "127.0.0.1:5000";
  SourceOptions source;
  Exclusions exclusions;  // black in every frame before it is compared, sent or spooled
  double fps = 30;
  std::string name;
  double duration_s = 0;        // 0: until stopped
  std::uint64_t max_frames = 0;  // 0: no limit
  double key_interval_s = 10;    // a changed frame after this long is sent whole
  bool every_frame = false;      // send a FRAME every tick even when nothing changed
  bool copies = true;            // scrolled and moved content as copies (protocol 3; --no-copies)
  // The top-level windows' places and titles to the receiver (protocol 6, an X display only), so
  // that an export can black a window out (--redact-window); --no-window-list turns it off.
  bool window_list = true;
  WireMode wire = WireMode::kAuto;  // --wire
  WirePixels wire_pixels = WirePixels::kBgrx;  // --wire-pixels
  bool quiet = false;
  bool stats = false;  // a live status line on stderr, once a second
  std::string token;  // from --token-file; empty: none
  bool tls = false;
  std::string tls_ca;           // PEM file of the CA (or the receiver's self-signed certificate)
  std::string tls_fingerprint;  // or: the receiver certificate's SHA-256
  bool reconnect = true;        // when the receiver goes away mid-session: reconnect and resume
  double retry_for_s = 0;       // give up reconnecting after this long away; 0: never
  std::size_t spool_mb = 256;   // frames kept while away (and until stored), at most this much
  // Global hotkeys on the X display (--hotkey-marker, --hotkey-pause, --hotkey-save): a key
  // combination such as "ctrl+alt+m", or "none".
  std::string hotkey_marker = "ctrl+alt+m", hotkey_pause = "ctrl+alt+p", hotkey_save = "ctrl+alt+s";
};

// An error message for the first --hotkey-* option that is neither a key combination nor
// "none" (naming the option and what it takes); empty when they are all good.
std::string check_hotkey_options(const CaptureConfig& config);

// What happened, for the one-line summary (and for tests that read it).
struct CaptureSummary {
  std::uint64_t ticks = 0;       // capture ticks that came due
  std::uint64_t captured = 0;    // ticks whose pixels were read
  std::uint64_t sent = 0;        // FRAMEs sent
  std::uint64_t unchanged = 0;   // ticks not sent because nothing changed
  std::uint64_t dropped = 0;     // ticks skipped: receiver window full, or capture ran late
  std::uint64_t paused = 0;      // ticks not read: capture was paused (p, SIGUSR2)
  std::uint64_t markers = 0;     // markers set (m, SIGUSR1)
  std::uint64_t markers_not_kept = 0;  // of them, those set while the receiver spoke protocol 3 or older
  std::uint16_t protocol = 0;    // the wire protocol version of the last connection; 0: none
  std::uint64_t lost = 0;        // frames dropped from a full spool while the receiver was away
  std::uint64_t undelivered = 0; // frames the receiver never confirmed storing (gave up, Ctrl-C)
  std::uint64_t reconnects = 0;  // connections made again after one broke
  std::uint64_t wire_bytes = 0;  // FRAME bytes written to the socket
  std::uint64_t copies = 0;        // copy rectangles sent (scrolled or moved content), and
  std::uint64_t copied_pixels = 0; // the pixels they covered (not resent as tiles)
  std::uint64_t raw_bytes = 0;   // what the sent frames would be as raw BGRX
  std::uint64_t jpeg_frames = 0; // frames whose changes went as JPEG strips (--wire)
  std::uint64_t skipped = 0;     // of the dropped ticks, those skipped because even JPEG did not fit
  double link_mbit = -1;         // the rate controller's estimate of the link at the end; -1: none
  std::int64_t stored = -1;      // frames the receiver says it stored; -1 if it did not say
  double seconds = 0;
  std::string ended_by;
  std::string source;            // what was recorded: FrameSource::describe() ("pipewire ...")
};

// Returns the exit code: 0 after a clean end (duration, max frames, Ctrl-C, receiver's STOP),
// 1 when the receiver could not be reached or the session failed.
int run(const CaptureConfig& config);

std::string format_summary(const CaptureSummary& s);

}  // namespace screenreel::capture

// The rows of the catalog as the program sees them, whatever the backend (catalog.hpp). Their
// meanings are specified with the tables in schemas/catalog.sql.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "screenreel/common/pixel_rect.hpp"

namespace screenreel {

// A SHA-256 (integrity.hpp).
using Digest = std::array<std::uint8_t, 32>;

struct NewSession {
  std::string name;
  std::string client_address;
  std::string source;
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  double fps = 0;
  std::int64_t started_us = 0;
};

struct SessionRecord {
  std::int64_t id = 0;
  std::string name, folder, client_address, source;
  std::uint32_t width = 0, height = 0;
  double fps = 0;
  std::int64_t started_us = 0;
  std::optional<std::int64_t> ended_us;
  std::string end_reason;  // empty while recording
  std::string error;
  std::int64_t frame_count = 0;
  std::int64_t bytes = 0;
  std::int64_t dropped = 0;
  // Tamper evidence (integrity.hpp), set when the session ended; empty before schema 3.
  std::optional<Digest> head;
  std::int64_t head_frames = 0;
  std::vector<std::uint8_t> signature, signer;
  bool keep = false;      // retention never deletes it
  bool deleting = false;  // its deletion began and did not finish (recover finishes it)
  // Which receiver recorded it, and the archive folder holding sessions/<folder>/ on its machine
  // (CatalogLocation::receiver, archive_root); empty in SQLite, whose archive is its own.
  std::string receiver, archive_root;
  bool recording() const { return !ended_us.has_value(); }
};

// How much of a frame changed since the frame before it (schema 4; activity.hpp).
struct FrameActivity {
  double changed_share = 0;       // 0 to 1
  std::int64_t changed_tiles = 0;  // 64x64 tiles
  bool operator==(const FrameActivity&) const = default;
};

struct FrameRecord {
  std::int64_t session_id = 0;
  std::int64_t seq = 0;
  std::int64_t tick = 0;
  std::int64_t capture_us = 0;
  std::int64_t receive_us = 0;
  std::int64_t written_us = 0;
  std::optional<std::int64_t> displayed_us;
  std::string file;
  std::uint32_t width = 0, height = 0;
  std::int64_t jpeg_bytes = 0;
  std::optional<std::int64_t> same_as;
  std::optional<Digest> sha256, chain;  // empty before schema 3
  std::optional<FrameActivity> activity;  // empty before schema 4, until recover or index fills it
};

// What the timeline reads of each frame (CatalogReader::for_each_frame_activity).
struct FrameActivityRow {
  std::int64_t seq = 0;
  std::int64_t tick = 0;
  std::int64_t capture_us = 0;
  std::optional<FrameActivity> activity;
};

// A row of deletions: a session that was deleted, and why.
struct DeletionRecord {
  std::int64_t session_id = 0;
  std::string name, folder;
  std::int64_t started_us = 0;
  std::optional<std::int64_t> ended_us;
  std::int64_t frames = 0, bytes = 0;
  std::int64_t deleted_us = 0;
  std::string reason;
};

// "Frame `seq` of session `session_id` was shown at `displayed_us`", recorded after its row.
struct DisplayedAt {
  std::int64_t session_id = 0;
  std::int64_t seq = 0;
  std::int64_t displayed_us = 0;
};

// A session's frames in time; each empty when it has no frames.
struct FrameTimes {
  std::optional<std::int64_t> first_capture_us, last_capture_us;
  std::optional<std::int64_t> last_written_us;  // of the frame with the highest seq
};

// What a session's frame rows add up to: frames.count, and the bytes of the files they name
// (a repeat shares its source's file and is counted once).
struct FrameTotals {
  std::int64_t frames = 0;
  std::int64_t bytes = 0;
  bool operator==(const FrameTotals&) const = default;
};

// ---- Markers, pauses and the drop ledger (schema 5) ----

// A row of markers: a moment the user marked. `source`: capture-key, signal, hotkey,
// receiver-key, api.
struct MarkerRecord {
  std::int64_t session_id = 0;
  std::int64_t time_us = 0;
  std::int64_t tick = 0;
  std::optional<std::int64_t> frame;  // frames.seq on screen at `tick`; empty before the first
  std::string label, source;
  bool operator==(const MarkerRecord&) const = default;
};

// A row of pauses: ticks from_tick up to (not including) to_tick were not read at all.
struct PauseRecord {
  std::int64_t session_id = 0;
  std::int64_t from_tick = 0, from_us = 0;
  std::optional<std::int64_t> to_tick, to_us;  // empty: paused until the session ended
  std::string reason;
  bool operator==(const PauseRecord&) const = default;
};

// A pause ended: the session's open pause gets its end.
struct PauseEnd {
  std::int64_t session_id = 0;
  std::int64_t to_tick = 0, to_us = 0;
};

// A row of the drop ledger: ticks first_tick..last_tick became no frame, for `cause`
// (unchanged, flow-control, paused, spool-full, disconnected, unknown; schema 6: not-saved).
struct LedgerRun {
  std::int64_t session_id = 0;
  std::int64_t first_tick = 0, last_tick = 0;
  std::string cause;
  std::int64_t ticks() const { return last_tick - first_tick + 1; }
  bool operator==(const LedgerRun&) const = default;
};

// A row of windows (schema 6): a top-level window on screen with one title and one geometry
// (in the recorded area's pixels) from from_tick up to (not including) to_tick.
struct WindowRecord {
  std::int64_t session_id = 0;
  std::int64_t from_tick = 0, from_us = 0;
  std::optional<std::int64_t> to_tick, to_us;  // empty: on screen until the session ended
  std::int64_t window_id = 0;
  std::string title;
  std::int64_t x = 0, y = 0, width = 0, height = 0;
  PixelRect area() const {
    return {static_cast<std::int32_t>(x), static_cast<std::int32_t>(y), static_cast<std::int32_t>(width),
            static_cast<std::int32_t>(height)};
  }
  bool operator==(const WindowRecord&) const = default;
};

// A window left the screen, or changed: the session's open row of `window_id` (every open row of
// the session when empty) that began before to_tick gets its end.
struct WindowEnd {
  std::int64_t session_id = 0;
  std::optional<std::int64_t> window_id;
  std::int64_t to_tick = 0, to_us = 0;
};

// What happened during recording, written together (CatalogWriter::add_events), in this order:
// pauses begun before pauses ended, windows begun before windows ended (an end closes only rows
// begun before its tick, so a window changed at tick T ends its old row and keeps the new one),
// so that one batch may hold both.
struct SessionEvents {
  std::vector<MarkerRecord> markers;
  std::vector<PauseRecord> pauses;
  std::vector<PauseEnd> pause_ends;
  std::vector<LedgerRun> ledger;
  std::vector<WindowRecord> windows;
  std::vector<WindowEnd> window_ends;
  bool empty() const {
    return markers.empty() && pauses.empty() && pause_ends.empty() && ledger.empty() && windows.empty() &&
           window_ends.empty();
  }
};

// ---- The text index (schema 2: text_spans, text_fts, ocr_sessions, ocr_passes) ----

// One line of text as OCR read it: its words (joined by single spaces in `text`) with boxes.
struct TextLine {
  std::string text;
  PixelRect box;
  double confidence = 0;         // mean word confidence, 0 to 100
  std::vector<PixelRect> words;  // one per word of text, in order
};

// A frame: its number (frames.seq) and capture time.
struct FrameMoment {
  std::int64_t seq = 0;
  std::int64_t capture_us = 0;
};

// A row of ocr_sessions.
struct OcrSessionState {
  std::string indexer;  // "receiver" or "replay"
  std::string lang;
  std::int64_t interval_us = 0;
  std::int64_t through_seq = 0;
  bool complete = false;
};

// A line still open (visible at the session's last pass), for widening a pass's regions.
struct OpenSpan {
  std::int64_t id = 0;
  std::string text;
  PixelRect box;
  std::int64_t last_seq = 0;
};

// A row of ocr_passes: one OCR pass of a session.
struct OcrPassRow {
  std::int64_t seq = 0, capture_us = 0, done_us = 0;
  std::int64_t frames = 1;  // frames whose changes it covers
  std::int64_t regions = 0, pixels = 0, ocr_us = 0, lines = 0, opened = 0, closed = 0;
};

// What one pass changes in the text index (TextIndex decides, the backend writes).
struct TextPassChanges {
  struct Close {
    std::int64_t span_id = 0;
    // Set when the span was on screen until later than its last pass: its new last frame.
    std::optional<FrameMoment> until;
  };
  std::vector<Close> close;
  std::vector<TextLine> open;  // new spans, first and last seen on the pass's frame
  OcrPassRow pass;             // its seq and capture_us also extend the spans left open
};

// A text search: every word must appear; a trailing * means words starting with. The range is
// in offsets from each session's first frame: spans on screen in [from, to].
struct TextSearch {
  std::string words;
  std::optional<std::int64_t> session_id;
  std::optional<std::int64_t> from_us, to_us;
  int limit = 20;
};

struct TextHit {
  std::int64_t session_id = 0;
  std::string session_name;
  std::int64_t origin_us = 0;  // the session's first capture time
  std::int64_t first_seq = 0, first_us = 0, last_seq = 0, last_us = 0;
  std::string text;
  // text with each matching word between kMarkOpen and kMarkClose
  std::string marked;
  PixelRect box;
  double confidence = 0;
  double rank = 0;  // lower is better
};
inline constexpr char kMarkOpen = '\x02', kMarkClose = '\x03';

// A span's text with the box of each word, and the line's box.
struct TextSpanWords {
  std::string text;
  std::vector<PixelRect> words;
  PixelRect box;
};

// A span with the frames it is known to have been on screen (first_seq..last_seq), and the
// session's OCR passes around it: the text may have appeared on any frame after pass_before and
// stayed until the frame before pass_after, which no pass saw (export --redact-text covers those
// too).
struct TextSpanRow {
  TextSpanWords line;
  std::int64_t first_seq = 0, last_seq = 0;
  std::int64_t pass_before = 0;  // the last pass before first_seq; 0: none (from the first frame)
  std::int64_t pass_after = 0;   // the first pass after last_seq; 0: none (to the last frame)
};

// A session's text index for `info`: who built it, how far, and how far behind live it ran.
struct TextIndexSummary {
  OcrSessionState state;
  std::int64_t spans = 0, passes = 0;
  std::int64_t lag_median_us = 0, lag_max_us = 0;  // ocr_passes: done_us - capture_us
  std::int64_t most_frames_merged = 0;
};

}  // namespace screenreel

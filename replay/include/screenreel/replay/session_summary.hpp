// What list and info say about a session, computed from the catalog: status, duration, rate,
// and (info only, it reads every row of the session) frame-interval and latency statistics.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "screenreel/archive/catalog.hpp"

namespace screenreel::replay {

// "recording", "interrupted" (left recording by a receiver that is gone: run recover),
// "ended by receiver", "ended by client", "disconnected", "error", "crashed".
std::string session_status(const SessionRecord& s, bool receiver_running);

struct SessionSummary {
  SessionRecord record;
  std::string status;
  // Receiver clock: from the session's start to its end; while recording, to now (or to the last
  // frame written, when the receiver is gone).
  std::int64_t duration_us = 0;
  std::optional<std::int64_t> first_capture_us, last_capture_us;  // empty without frames
  // Frames per second between the first and the last frame: (frames - 1) / their time apart.
  std::optional<double> average_fps;
};

// Reads a few index lookups (CatalogReader::frame_times), whatever the session's length.
SessionSummary summarize(CatalogReader& catalog, const SessionRecord& s, bool receiver_running);
// The same from the session's frame times already read (CatalogReader::frame_times_of, for many).
SessionSummary summarize(const SessionRecord& s, const FrameTimes& times, bool receiver_running);

struct Spread {
  std::int64_t min = 0, median = 0, max = 0;
  double mean = 0;
};

struct FrameStats {
  std::optional<Spread> interval_us;  // between consecutive capture times; needs 2 frames
  std::optional<Spread>
      capture_to_receive_us;  // client clock -> receiver clock: latency on one machine
  std::optional<Spread> capture_to_written_us;
  std::optional<Spread> capture_to_displayed_us;  // frames the receiver's live window showed
  std::int64_t displayed = 0;                     // how many it showed
  std::int64_t first_tick = 0, last_tick = 0;
  // Client ticks between two stored frames that were not sent: the screen did not change, or the
  // client dropped them under flow control (it reports those, see SessionRecord::dropped).
  std::int64_t ticks_not_sent = 0;
};

// Reads every frame row of the session (in seq order); no file is opened.
FrameStats frame_stats(CatalogReader& catalog, std::int64_t session_id);

// Frames per second of the median interval (export's default rate); the rate the client asked
// for when the session has fewer than two frames. Clamped to 1..240.
double median_fps(const FrameStats& stats, const SessionRecord& s);

}  // namespace screenreel::replay

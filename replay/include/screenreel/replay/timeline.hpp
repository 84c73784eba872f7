// The frames of a time range of a session, found through the catalog's time index
// (frames_by_time), and when each is shown during playback or export.
//
// Offsets are relative to the session's first frame (its capture_us). The range starts with the
// frame on screen at `from` (the last one captured at or before it, as Catalog::frame_at) and
// holds every frame captured after it up to `to`.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "screenreel/archive/catalog.hpp"

namespace screenreel::replay {

struct TimeRange {
  std::optional<std::int64_t> from_us;  // default: the first frame
  std::optional<std::int64_t> to_us;    // default: the last frame
};

class Timeline {
 public:
  // Throws Failure when the session has no frames, when from is after the last frame, or when
  // to is before from.
  static Timeline load(CatalogReader& catalog, const SessionRecord& session, const TimeRange& range);

  const std::vector<FrameRecord>& frames() const { return frames_; }
  std::int64_t origin_us() const { return origin_us_; }  // the session's first capture_us
  std::int64_t begin_us() const { return begin_us_; }    // absolute: origin + from
  std::int64_t end_us() const { return end_us_; }        // absolute: origin + to, or the last frame

  // The frame on screen at absolute time t: the last one captured at or before t (the first
  // frame of the range when t is earlier than all of them).
  std::size_t index_at(std::int64_t t_us) const;

 private:
  std::vector<FrameRecord> frames_;
  std::int64_t origin_us_ = 0, begin_us_ = 0, end_us_ = 0;
};

// The session's first capture time (the origin of offsets); empty when it has no frames.
std::optional<std::int64_t> first_capture_us(CatalogReader& catalog, std::int64_t session_id);

// When each frame of a timeline is shown, in microseconds from the start of playback at speed 1,
// with every pause longer than idle_limit shortened to it (asciinema's --idle-time-limit).
struct Schedule {
  std::vector<std::int64_t> at_us;  // one per frame; at_us[0] == 0
  std::int64_t end_us = 0;          // when the range ends (>= the last at_us)

  // The frame shown at playback time t (at_us[i] <= t < at_us[i + 1]).
  std::size_t index_at(std::int64_t t_us) const;
};
Schedule make_schedule(const Timeline& timeline, std::optional<std::int64_t> idle_limit_us);

}  // namespace screenreel::replay

// Time ranges of a session (see timeline.hpp).
#include "screenreel/replay/timeline.hpp"

#include <algorithm>

#include "screenreel/replay/archive_access.hpp"
#include "screenreel/replay/time_format.hpp"

namespace screenreel::replay {
namespace {

}  // namespace

std::optional<std::int64_t> first_capture_us(CatalogReader& catalog, std::int64_t session_id) {
  return catalog.frame_times(session_id).first_capture_us;
}

Timeline Timeline::load(CatalogReader& catalog, const SessionRecord& session, const TimeRange& range) {
  const FrameTimes times = catalog.frame_times(session.id);
  if (!times.first_capture_us) throw Failure("session " + std::to_string(session.id) + " has no frames");
  Timeline t;
  t.origin_us_ = *times.first_capture_us;
  const std::int64_t last = *times.last_capture_us;
  t.begin_us_ = t.origin_us_ + range.from_us.value_or(0);
  t.end_us_ = range.to_us ? t.origin_us_ + *range.to_us : last;
  if (t.begin_us_ > last)
    throw Failure("--from " + format_offset(t.begin_us_ - t.origin_us_) +
                  " is after the last frame of session " + std::to_string(session.id) + " (at " +
                  format_offset(last - t.origin_us_) + ")");
  if (t.end_us_ < t.begin_us_)
    throw Failure("--to " + format_offset(t.end_us_ - t.origin_us_) + " is before --from " +
                  format_offset(t.begin_us_ - t.origin_us_));

  // The frame on screen at `from`, then every frame captured after it up to `to`.
  t.frames_.push_back(*catalog.frame_at(session.id, t.begin_us_));
  for (auto& f : catalog.frames_captured_between(session.id, t.begin_us_, t.end_us_))
    t.frames_.push_back(std::move(f));
  return t;
}

std::size_t Timeline::index_at(std::int64_t t_us) const {
  const auto it =
      std::upper_bound(frames_.begin(), frames_.end(), t_us,
                       [](std::int64_t t, const FrameRecord& f) { return t < f.capture_us; });
  return it == frames_.begin() ? 0 : static_cast<std::size_t>(it - frames_.begin() - 1);
}

std::size_t Schedule::index_at(std::int64_t t_us) const {
  const auto it = std::upper_bound(at_us.begin(), at_us.end(), t_us);
  return it == at_us.begin() ? 0 : static_cast<std::size_t>(it - at_us.begin() - 1);
}

Schedule make_schedule(const Timeline& timeline, std::optional<std::int64_t> idle_limit_us) {
  const auto gap = [&](std::int64_t from, std::int64_t to) {
    const std::int64_t d = std::max<std::int64_t>(0, to - from);
    return idle_limit_us ? std::min(d, *idle_limit_us) : d;
  };
  Schedule s;
  const auto& frames = timeline.frames();
  std::int64_t prev =
      timeline.begin_us();  // the first frame is shown at `from`, whenever it was captured
  std::int64_t at = 0;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    if (i > 0) at += gap(prev, frames[i].capture_us);
    prev = std::max(prev, frames[i].capture_us);
    s.at_us.push_back(at);
  }
  s.end_us = at + gap(prev, timeline.end_us());
  return s;
}

}  // namespace screenreel::replay

// A session's activity in time (see activity_timeline.hpp).
#include "activity_timeline.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace screenreel::replay::serve {

ActivityTimeline activity_timeline(CatalogReader& catalog, std::int64_t session_id, std::int64_t bucket_us,
                                   std::int64_t gap_us, std::size_t max_buckets) {
  ActivityTimeline t;
  t.bucket_us = bucket_us;
  const auto times = catalog.frame_times(session_id);
  if (!times.first_capture_us) return t;
  t.origin_us = *times.first_capture_us;
  t.end_us = *times.last_capture_us - t.origin_us;
  const auto buckets = static_cast<std::size_t>(t.end_us / bucket_us) + 1;
  if (buckets > max_buckets)
    throw std::invalid_argument("the session is " + std::to_string(t.end_us / 1'000'000) + " s long: " +
                                std::to_string(buckets) + " buckets of " + std::to_string(bucket_us) +
                                " us are more than " + std::to_string(max_buckets) + "; ask for larger buckets");
  t.activity.assign(buckets, 0.0);
  t.tiles.assign(buckets, 0);
  t.frames.assign(buckets, 0);
  t.changed.assign(buckets, 0);
  t.skipped.assign(buckets, 0);
  std::optional<FrameActivityRow> prev;
  catalog.for_each_frame_activity(session_id, [&](const FrameActivityRow& f) {
    // Capture times may step back a little (schemas/wire-protocol.md): clamped into the range.
    const std::int64_t offset = std::clamp<std::int64_t>(f.capture_us - t.origin_us, 0, t.end_us);
    const auto b = static_cast<std::size_t>(offset / bucket_us);
    ++t.frames[b];
    if (f.activity) {
      t.activity[b] = std::max(t.activity[b], f.activity->changed_share);
      t.tiles[b] += f.activity->changed_tiles;
      if (f.activity->changed_tiles > 0) ++t.changed[b];
    } else {
      ++t.unmeasured;
    }
    if (prev) {
      t.skipped[b] += std::max<std::int64_t>(0, f.tick - prev->tick - 1);
      if (f.capture_us - prev->capture_us > gap_us)
        t.gaps.push_back({prev->capture_us - t.origin_us, f.capture_us - t.origin_us});
    }
    prev = f;
  });
  return t;
}

}  // namespace screenreel::replay::serve

// A session's activity in time, for the viewer's timeline strip (GET /api/sessions/ID/timeline,
// schemas/http-api.md): per bucket of time, how many frames, how much changed, how many capture
// ticks were not stored; and the gaps with no frame. One pass over the catalog's frame rows
// (CatalogReader::for_each_frame_activity): no file is read. `info` sums it per minute.
#pragma once

#include <cstdint>
#include <vector>

#include "screenreel/archive/catalog.hpp"

namespace screenreel::replay::serve {

struct ActivityTimeline {
  std::int64_t origin_us = 0;  // the first frame's capture_us
  std::int64_t end_us = 0;     // the last frame's offset
  std::int64_t bucket_us = 0;
  // One per bucket, from offset 0 to end_us.
  std::vector<double> activity;         // the largest changed_share of its frames (0: none)
  std::vector<std::int64_t> tiles;      // changed tiles, summed over its frames
  std::vector<std::int64_t> frames;     // frames captured in it
  std::vector<std::int64_t> changed;    // of them, the frames that changed the screen (changed_tiles > 0)
  std::vector<std::int64_t> skipped;    // ticks not stored before its frames (tick gaps)
  std::int64_t unmeasured = 0;          // frames without activity (catalog older than schema 4)
  struct Gap {
    std::int64_t from_us, to_us;  // offsets of the frames on either side
  };
  std::vector<Gap> gaps;  // frames further apart than gap_us
};

// Empty (no buckets) when the session has no frames. Throws std::invalid_argument when the
// session would need more than max_buckets buckets.
ActivityTimeline activity_timeline(CatalogReader& catalog, std::int64_t session_id, std::int64_t bucket_us,
                                   std::int64_t gap_us, std::size_t max_buckets);

}  // namespace screenreel::replay::serve

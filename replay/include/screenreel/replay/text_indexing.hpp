// `index`: builds the text index of sessions recorded without --ocr, from their JPEGs, with the
// same passes as the receiver: at most one frame per interval is read, and only where it
// differs from the frame read before it. Resumable (each pass is committed with how far it got:
// ocr_sessions.through_seq) and idempotent (a complete index is left alone).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/catalog.hpp"
#include "screenreel/ocr/engine.hpp"

namespace screenreel::replay {

struct IndexOptions {
  std::int64_t interval_us = 1'000'000;
  bool again = false;  // drop the session's index first and build it anew
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;  // frames
};

struct IndexResult {
  bool already_complete = false;
  std::int64_t resumed_after = 0;  // the frame an interrupted index had reached (0: from the start)
  std::int64_t passes = 0;
  std::int64_t lines = 0;
  std::int64_t unreadable = 0;  // frames whose JPEG could not be read (skipped)
};

// `catalog` must be open for writing. Throws Failure for a session still being recorded.
IndexResult index_session(const ArchivePaths& paths, CatalogWriter& catalog, const SessionRecord& session,
                          ocr::Engine& engine, const IndexOptions& options);

}  // namespace screenreel::replay

// A new catalog from the archive's files (rosbag2's reindex): every session folder's manifest
// (session_manifest.hpp) gives its session row, every frame file its frame row (its stamp, as
// recover indexes a file whose row was lost), and its events file (session_events.hpp) its
// markers and pauses. For a catalog that was deleted or damaged.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "screenreel/archive/archive.hpp"

namespace screenreel {

struct RebuildOptions {
  // The caller holds the archive's lock (a receiver whose catalog was deleted under it);
  // otherwise rebuild takes it, and refuses while a receiver runs.
  bool lock_held = false;
  // Sessions a receiver is recording: session id -> which frame numbers it has stored already.
  // Rows are made for those; the receiver adds the others. They stay recording.
  std::map<std::int64_t, std::function<bool(std::int64_t seq)>> live;
  // Called after each session folder, with the folders done and the folders in all.
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;
};

struct RebuildReport {
  int sessions = 0;
  std::int64_t frames = 0;
  int without_manifest = 0;  // sessions made from the folder's name and frames alone
  std::string kept_aside;    // where the old catalog went ("" when there was none)
  std::vector<std::string> warnings;
};

// Moves the old catalog.db (and its -wal and -shm) aside as catalog.db.lost-<UTC time>, makes a
// new one, and fills it from sessions/. Session ids stay what they were (a folder's name ends in
// its id). What a rebuilt row cannot know: displayed_us (when the live window showed a frame),
// and for a repeated frame (a hard link) and a file without a stamp, the times and tick recover
// estimates. written_us is the file's modification time. The text index is not rebuilt here
// (`screenreel-replay index` does that), nor the drop ledger. Throws when the archive has no sessions folder or the
// lock is held by a receiver.
RebuildReport rebuild_catalog(const ArchivePaths& paths, const RebuildOptions& options = {});

}  // namespace screenreel

// Repairs an archive after its receiver crashed or was killed (like `ros2 bag reindex`):
// sessions left recording are closed as 'crashed', frame files that no row names are indexed,
// leftover temporary files are removed, and each session's frame_count and bytes are set to
// what its rows hold. A second run changes nothing.
#pragma once

#include <string>
#include <vector>

#include "screenreel/archive.hpp"

namespace screenreel {

struct RecoverReport {
  std::vector<std::string> actions;   // one line per change made
  std::vector<std::string> warnings;  // what was left alone (verify keeps reporting it)
  int sessions_closed = 0;
  int frames_indexed = 0;
  int temp_files_removed = 0;
  bool changed() const { return !actions.empty(); }
};

// Takes the archive lock for the whole run, so it never races a receiver; throws, naming the
// receiver's pid, when one holds it. Throws too when the archive or its catalog is missing.
//
// An unindexed frame gets its size and byte count from the file, its number from its name, and
// its times from the file's modification time: that is when the receiver renamed it into place,
// so it becomes written_us, and capture_us / receive_us are written_us minus the session's median
// latencies over its indexed frames (0 when it has none), never earlier than the frame before.
// A file that is a hard link to an earlier frame's file is a repeat of it (frames.same_as); it
// shares that file's modification time, so its time is the frame before's plus the session's
// median interval. The client's tick is not in the file: it is the previous frame's tick + 1.
// A session left recording ends at its last frame's written_us (its start if it has none).
RecoverReport recover_archive(const ArchivePaths& paths);

}  // namespace screenreel

// Repairs an archive after its receiver crashed or was killed (like `ros2 bag reindex`):
// sessions left recording are closed as 'crashed', frame files that no row names are indexed,
// leftover temporary files are removed, and each session's frame_count and bytes are set to
// what its rows hold. A second run changes nothing.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/catalog.hpp"

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
// An unindexed frame gets its size and byte count from the file, its number from its name,
// written_us from the file's modification time (when the receiver renamed it into place), and
// its tick, capture_us and receive_us from the stamp in its JPEG comment. A file that is a hard
// link to an earlier frame's file is a repeat of it (frames.same_as): it shares that file's
// comment and modification time, so its tick is the frame before's + 1 and its times the frame
// before's plus the session's median interval. (So are a file without a stamp's, from before
// stamps, with capture_us / receive_us = written_us minus the session's median latencies.)
// Times never go backwards from one frame to the next.
// A session left recording ends at its last frame's written_us (its start if it has none).
RecoverReport recover_archive(const ArchivePaths& paths);
// The same on the catalog at `where`. On a catalog a fleet shares (PostgreSQL), `where.receiver`
// names the receiver whose archive `paths` is: only its sessions are looked at, and the rows its
// catalog journal still holds (catalog_journal.hpp: a receiver killed while the database did
// not answer) are written to the catalog first, as the receiver would when it starts again.
// Throws CatalogError (kUnreachable) when the database does not answer.
RecoverReport recover_archive(const ArchivePaths& paths, const CatalogLocation& where);

// The same repair, for a receiver that holds the archive's lock and has its catalog open: it
// runs this when it starts, so that sessions a killed receiver left open are closed (and can be
// resumed) before any client connects. It looks only at sessions left open: a session that was
// ended had all its frames written and indexed first.
RecoverReport recover_open_sessions(const ArchivePaths& paths, CatalogWriter& catalog);

// The archive's lock, for a repair named `action` ("recover"). Throws, naming the receiver's pid
// and what to do, when a receiver holds it.
ArchiveLock lock_archive_to(const ArchivePaths& paths, const std::string& action);

// How far one session's repair may go (rebuild_catalog, for a session a receiver is recording).
struct SessionRecoveryLimits {
  // Index only the frame files with these numbers: the receiver adds the rows of the others.
  std::function<bool(std::int64_t seq)> index_only;
  // Leave it recording: neither close it as crashed nor remove its temporary files.
  bool keep_open = false;
};
// The repair recover_archive makes, of one session, under a lock the caller holds.
void recover_session(const ArchivePaths& paths, CatalogWriter& catalog, const SessionRecord& session,
                     RecoverReport& report, const SessionRecoveryLimits& limits = {});

}  // namespace screenreel

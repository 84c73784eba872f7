// Deleting a session (see session_delete.hpp).
#include "screenreel/replay/session_delete.hpp"

#include <optional>

#include "screenreel/replay/archive_access.hpp"
#include "screenreel/archive/session_files.hpp"

namespace screenreel::replay {
namespace fs = std::filesystem;
namespace {

// Removes the session's rows in one write transaction that first reads its status again: the
// question before the deletion may have waited while a receiver resumed the session, and the
// transaction's write lock keeps a receiver from resuming it between this check and the delete.
void remove_rows(CatalogWriter& catalog, const SessionRecord& session, bool receiver_running) {
  catalog.delete_session(session.id, [&](const std::optional<SessionRecord>& now) {
  if (!now)
    throw Failure("session " + std::to_string(session.id) + " is no longer in the catalog");
  if (now->recording() && receiver_running)
    throw Failure(
        "session " + std::to_string(session.id) +
        " is marked recording and a screenreel-receiver is writing to this archive; nothing "
        "deleted. "
        "Stop the recording (or, if that receiver is not recording it, stop the receiver and run "
        "recover), then delete it");
  });
}

}  // namespace

void delete_session(const ArchivePaths& paths, CatalogWriter& catalog, const SessionRecord& session) {
  // Checked before anything is removed: remove_all on a doctored folder name could leave the
  // archive.
  if (!is_plain_file_name(session.folder))
    throw Failure(
        "session " + std::to_string(session.id) + " names folder \"" + session.folder +
        "\", which is not a plain folder name; nothing deleted (inspect the catalog with query)");
  // A receiver holds the lock for as long as it runs. Held here, no receiver can start (and
  // resume the session) while deleting; not held, the session's status decides, read again
  // under the catalog's write lock at the moment of deletion.
  std::optional<ArchiveLock> lock;
  try {
    lock.emplace(paths);
  } catch (const std::exception&) {
  }
  const fs::path folder = session_folder(paths, session);
  std::error_code ec;
  try {
    remove_rows(catalog, session, !lock);
  } catch (const CatalogError& e) {
    if (e.kind() != CatalogError::Kind::kFull) throw;
    // The disk is too full for SQLite's write-ahead log. The session was not live at the check:
    // its files go first to make room, then its rows. Crash-safe: a crash in between leaves rows
    // whose files are missing, which verify reports and a second delete finishes.
    fs::remove_all(folder, ec);
    if (ec)
      throw Failure("the disk is full and session " + std::to_string(session.id) + "'s folder " +
                    folder.string() + " could not be removed to make room: " + ec.message());
    remove_rows(catalog, session, !lock);
  }
  fs::remove_all(folder, ec);
  if (ec)
    throw Failure("session " + std::to_string(session.id) +
                  " was removed from the catalog, but its folder " + folder.string() +
                  " was not: " + ec.message() + "; remove it by hand");
}

}  // namespace screenreel::replay

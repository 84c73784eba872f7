// Deleting a session (see session_delete.hpp).
#include "screenreel/replay/session_delete.hpp"

#include <optional>

#include "screenreel/replay/archive_access.hpp"
#include "screenreel/archive/session_files.hpp"

namespace screenreel::replay {
namespace fs = std::filesystem;

void delete_session(const ArchivePaths& paths, Catalog& catalog, const SessionRecord& session) {
  // Checked before anything is removed: remove_all on a doctored folder name could leave the
  // archive.
  if (!is_plain_file_name(session.folder))
    throw Failure(
        "session " + std::to_string(session.id) + " names folder \"" + session.folder +
        "\", which is not a plain folder name; nothing deleted (inspect the catalog with query)");
  std::optional<ArchiveLock>
      lock;  // held while deleting, so no receiver starts writing the session meanwhile
  if (session.recording()) {
    try {
      lock.emplace(paths);
    } catch (const std::exception&) {
      throw Failure(
          "session " + std::to_string(session.id) +
          " is marked recording and a screenreel-receiver is writing to this archive; nothing "
          "deleted. "
          "Stop the recording (or, if that receiver is not recording it, stop the receiver and run "
          "recover), then delete it");
    }
  }
  {
    sqlite::Transaction tx(catalog.db());
    catalog.db().prepare("DELETE FROM sessions WHERE id = ?").bind(1, session.id).run();
    tx.commit();
  }
  std::error_code ec;
  fs::remove_all(paths.session(session.folder), ec);
  if (ec)
    throw Failure("session " + std::to_string(session.id) +
                  " was removed from the catalog, but its folder " +
                  paths.session(session.folder).string() + " was not: " + ec.message() +
                  "; remove it by hand");
}

}  // namespace screenreel::replay

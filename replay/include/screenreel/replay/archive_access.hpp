// Opening an archive for screenreel-replay, with errors that say what is wrong and what to do
// (no such folder, not an archive, unreadable or newer catalog), and telling whether a receiver
// is writing to it right now.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/catalog.hpp"

namespace screenreel::replay {

// Every failure screenreel-replay reports as "screenreel-replay: <what>" with exit status 1.
class Failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An option's value outside what the option takes (--speed 0, --fps 0): a bad command line, exit
// status 2, whichever layer finds it.
class BadOption : public Failure {
 public:
  using Failure::Failure;
};

// Opens the archive's catalog (never creates it), to read or to write; `catalog` (--catalog,
// $SCREENREEL_CATALOG) names a catalog a fleet shares instead (CatalogLocation::parse), whose
// sessions may lie in other archives (session_folder). Throws Failure naming the archive or
// catalog.
std::unique_ptr<CatalogReader> open_catalog(const ArchivePaths& paths, const std::string& catalog = {});
std::unique_ptr<CatalogWriter> open_catalog_for_writing(const ArchivePaths& paths, const std::string& catalog = {});

// The folder of a session's files: sessions/<folder>/ in the archive of the receiver that recorded
// it, as a shared catalog names it (SessionRecord::archive_root: a shared mount, or the same path on
// this machine), else in `paths`' archive.
std::filesystem::path session_folder(const ArchivePaths& paths, const SessionRecord& session);

// The pid of the screenreel-receiver writing to the archive, if one runs. Looks at the pid the
// receiver leaves in .receiver.lock and whether that process is still a screenreel-receiver; it
// never takes the lock, so it cannot get in the way of a receiver that is starting.
std::optional<int> running_receiver_pid(const ArchivePaths& paths);

}  // namespace screenreel::replay

// Where each receiver's archive is on this machine, for a catalog a fleet shares: the one place
// screenreel-replay resolves the folder that holds a session's files (session_folder in
// archive_access.hpp builds on it; play, export, frame, serve and verify all go through it).
#pragma once

#include <filesystem>
#include <string>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/catalog.hpp"

namespace screenreel::replay {

// --archive-root NAME=PATH (repeatable): receiver NAME's archive is at PATH on this machine (a
// shared mount mounted elsewhere, or a copy), whatever root its sessions' rows name. Throws
// BadOption for a value that is not NAME=PATH. Holds for the rest of the program.
void map_archive_root(const std::string& mapping);

// The archive that holds a session's folder, the one place replay resolves it: the receiver's
// --archive-root mapping if there is one, else the root a shared catalog names
// (SessionRecord::archive_root: a shared mount, or the same path on this machine), else `paths`'
// archive.
std::filesystem::path session_archive_root(const ArchivePaths& paths, const SessionRecord& session);
}  // namespace screenreel::replay

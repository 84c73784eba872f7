// Opening an archive (see archive_access.hpp).
#include "screenreel/replay/archive_access.hpp"

#include <fstream>

namespace screenreel::replay {
namespace fs = std::filesystem;

Catalog open_catalog(const ArchivePaths& paths, Catalog::Mode mode) {
  const std::string root = paths.root().string();
  std::error_code ec;
  if (!fs::exists(paths.root(), ec))
    throw Failure("no archive at " + root +
                  " (no such folder): give --archive DIR or set SCREENREEL_ARCHIVE (default ./recordings)");
  if (!fs::is_directory(paths.root(), ec)) throw Failure("archive " + root + " is not a folder");
  if (!fs::exists(paths.catalog(), ec))
    throw Failure(root + " is not a screenreel archive: it has no catalog.db (screenreel-receiver creates one)");
  try {
    return Catalog(paths.catalog(), mode);
  } catch (const std::exception& e) {
    throw Failure(std::string("cannot read the catalog of archive ") + root + ": " + e.what());
  }
}

std::optional<int> running_receiver_pid(const ArchivePaths& paths) {
  std::ifstream lock(paths.lock());
  int pid = 0;
  if (!(lock >> pid) || pid <= 0) return std::nullopt;
  // The receiver leaves its pid behind when it exits; a pid is only believed while it names a
  // live screenreel-receiver (the kernel truncates the name to 15 characters).
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  if (!std::getline(comm, name) || !std::string("screenreel-receiver").starts_with(name) || name.size() < 10)
    return std::nullopt;
  return pid;
}

}  // namespace screenreel::replay

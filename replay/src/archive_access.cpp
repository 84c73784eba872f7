// Opening an archive (see archive_access.hpp).
#include "screenreel/replay/archive_access.hpp"

#include "screenreel/replay/archive_roots.hpp"

#include <fstream>
#include <map>

#include "screenreel/common/log.hpp"

namespace screenreel::replay {
namespace fs = std::filesystem;

namespace {
// The catalog is read as a snapshot (CatalogReader::snapshot): say what that hides.
void warn_about_immutable_reads(const ArchivePaths& paths) {
  const std::string root = paths.root().string();
  if (const auto pid = running_receiver_pid(paths))
    log::warning("a receiver (pid " + std::to_string(*pid) + ") is still writing to archive " + root +
                 ", which this user may not write: what it writes now is not shown and may make this "
                 "read fail; read it as the archive's owner, or after the receiver stops");
  std::error_code ec;
  const auto wal = fs::file_size(paths.catalog().string() + "-wal", ec);
  if (!ec && wal > 0)
    log::warning("the catalog's last changes (in " + paths.catalog().string() +
                 "-wal) cannot be read without write access to " + root +
                 ": showing the catalog as of its last checkpoint");
}
}  // namespace

namespace {
// The checks before opening, with what to do; then the opening, its errors named.
template <typename Open>
auto open_archive_catalog(const ArchivePaths& paths, const std::string& catalog, Open open) {
  const std::string root = paths.root().string();
  if (!catalog.empty()) {
    std::string where = "--catalog";
    try {
      const auto location = CatalogLocation::parse(catalog, paths.catalog());
      where = location.describe();
      return open(location);
    } catch (const std::exception& e) {
      throw Failure("cannot read the catalog " + where + ": " + e.what());
    }
  }
  std::error_code ec;
  if (!fs::exists(paths.root(), ec))
    throw Failure(
        "no archive at " + root +
        " (no such folder): give --archive DIR or set SCREENREEL_ARCHIVE (default ./recordings)");
  if (!fs::is_directory(paths.root(), ec)) throw Failure("archive " + root + " is not a folder");
  if (!fs::exists(paths.catalog(), ec)) {
    if (fs::is_directory(paths.sessions(), ec) && !fs::is_empty(paths.sessions(), ec))
      throw Failure("archive " + root +
                    " has session folders but no catalog.db (deleted?): 'screenreel-replay rebuild' makes it "
                    "again from them");
    throw Failure(
        root +
        " is not a screenreel archive: it has no catalog.db (screenreel-receiver creates one)");
  }
  try {
    auto catalog = open(paths.catalog());
    if (catalog->snapshot()) warn_about_immutable_reads(paths);
    return catalog;
  } catch (const std::exception& e) {
    throw Failure(std::string("cannot read the catalog of archive ") + root + ": " + e.what());
  }
}
}  // namespace

std::unique_ptr<CatalogReader> open_catalog(const ArchivePaths& paths, const std::string& catalog) {
  return open_archive_catalog(paths, catalog, open_catalog_reader);
}

std::unique_ptr<CatalogWriter> open_catalog_for_writing(const ArchivePaths& paths, const std::string& catalog) {
  return open_archive_catalog(paths, catalog, open_catalog_writer);
}

namespace {
// Receiver name -> archive folder, from --archive-root.
std::map<std::string, fs::path>& archive_roots() {
  static std::map<std::string, fs::path> roots;
  return roots;
}
}  // namespace

void map_archive_root(const std::string& mapping) {
  const auto eq = mapping.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == mapping.size())
    throw BadOption("--archive-root takes NAME=PATH (a receiver's name, as 'list' shows it, and its archive folder "
                    "here), not \"" + mapping + "\"");
  archive_roots()[mapping.substr(0, eq)] = fs::absolute(mapping.substr(eq + 1));
}

fs::path session_archive_root(const ArchivePaths& paths, const SessionRecord& session) {
  if (!session.receiver.empty())
    if (const auto it = archive_roots().find(session.receiver); it != archive_roots().end()) return it->second;
  if (session.archive_root.empty()) return paths.root();
  return session.archive_root;
}

fs::path session_folder(const ArchivePaths& paths, const SessionRecord& session) {
  return ArchivePaths(session_archive_root(paths, session)).session(session.folder);
}

std::optional<int> running_receiver_pid(const ArchivePaths& paths) {
  std::ifstream lock(paths.lock());
  int pid = 0;
  if (!(lock >> pid) || pid <= 0) return std::nullopt;
  // The receiver leaves its pid behind when it exits (and recover leaves its own); a pid is
  // believed only while it names a live, not zombie, screenreel-receiver. /proc/PID/stat is
  // "PID (NAME) STATE ...", NAME cut to 15 characters by the kernel.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return std::nullopt;
  const auto open = line.find('('), close = line.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close + 2 >= line.size())
    return std::nullopt;
  const std::string name = line.substr(open + 1, close - open - 1);
  const char state = line[close + 2];
  if (name.size() < 10 || !std::string_view("screenreel-receiver").starts_with(name) ||
      state == 'Z' || state == 'X')
    return std::nullopt;
  return pid;
}

}  // namespace screenreel::replay

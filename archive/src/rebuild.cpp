// Rebuilding the catalog from the archive's files (see rebuild.hpp).
#include "screenreel/archive/rebuild.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <optional>

#include "screenreel/archive/catalog.hpp"
#include "screenreel/archive/jpeg.hpp"
#include "screenreel/archive/recover.hpp"
#include "screenreel/archive/session_events.hpp"
#include "screenreel/archive/session_files.hpp"
#include "screenreel/archive/session_manifest.hpp"
#include "screenreel/common/clock.hpp"

namespace screenreel {
namespace fs = std::filesystem;
namespace {

// catalog.db, catalog.db-wal and catalog.db-shm, each renamed to <name>.lost-<stamp> if there.
std::string move_old_catalog_aside(const ArchivePaths& paths) {
  const std::string stamp = session_folder_name(wall_clock_us(), 1);
  const std::string suffix = ".lost-" + stamp.substr(0, stamp.find('-'));
  std::string kept;
  for (const char* part : {"", "-wal", "-shm"}) {
    const fs::path from = paths.catalog().string() + part;
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(from, ec))) continue;
    fs::path to = from.string() + suffix;
    for (int n = 2; fs::exists(fs::symlink_status(to, ec)); ++n) to = from.string() + suffix + "." + std::to_string(n);
    fs::rename(from, to);  // throws, naming both
    if (*part == '\0') kept = to.string();
  }
  return kept;
}

// What the folder name and the first frame say, for a session folder without a manifest.
std::optional<SessionRecord> session_from_folder(const fs::path& dir, const SessionFolderName& name,
                                                 const SessionFiles& files) {
  SessionRecord s;
  s.id = name.id;
  s.folder = dir.filename().string();
  s.name = s.folder;
  s.source = "unknown";
  s.started_us = name.started_us;
  if (!files.frames.empty()) {
    std::ifstream in(dir / files.frames.begin()->second, std::ios::binary);
    const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (const auto info = read_jpeg_info(bytes)) {
      s.width = info->width;
      s.height = info->height;
    }
  }
  return s;  // recording: recovery closes it as crashed, at its last frame
}

}  // namespace

RebuildReport rebuild_catalog(const ArchivePaths& paths, const RebuildOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(paths.sessions(), ec))
    throw std::runtime_error(paths.root().string() + " has no sessions folder: it is not a screenreel archive");
  std::optional<ArchiveLock> lock;
  if (!options.lock_held) lock.emplace(lock_archive_to(paths, "rebuild"));

  // The session folders first, in id order, so that nothing is moved when there is nothing to read.
  std::vector<std::pair<SessionFolderName, fs::path>> folders;
  RebuildReport report;
  for (const auto& entry : fs::directory_iterator(paths.sessions())) {
    const std::string name = entry.path().filename().string();
    const auto parsed = parse_session_folder_name(name);
    if (!parsed || !entry.is_directory() || entry.is_symlink()) {
      report.warnings.push_back("sessions/" + name + " is not a session folder; left alone");
      continue;
    }
    folders.emplace_back(*parsed, entry.path());
  }
  std::sort(folders.begin(), folders.end(), [](const auto& a, const auto& b) { return a.first.id < b.first.id; });

  report.kept_aside = move_old_catalog_aside(paths);
  const auto catalog = open_catalog_writer(paths.catalog());
  RecoverReport recovered;
  std::uint64_t done = 0;
  for (const auto& [name, dir] : folders) {
    const SessionFiles files = list_session_files(dir);
    std::optional<SessionRecord> session;
    if (auto m = read_session_manifest(dir); m && m->id == name.id && m->folder == dir.filename().string()) {
      session = *m;
    } else {
      report.warnings.push_back("sessions/" + dir.filename().string() + ": " +
                                (m ? "its manifest names another session" : m.error().message) +
                                "; made from the folder's name and its frames (name, source and rate unknown)");
      ++report.without_manifest;
      session = session_from_folder(dir, name, files);
    }
    SessionRecoveryLimits limits;
    if (const auto live = options.live.find(session->id); live != options.live.end()) {
      session->ended_us.reset();  // its manifest may say it ended before a resume
      session->end_reason.clear();
      session->error.clear();
      limits.index_only = live->second;
      limits.keep_open = true;
    }
    catalog->restore_session(*session);
    recover_session(paths, *catalog, *session, recovered, limits);
    auto events = read_session_events(dir, session->id);
    for (auto& w : events.warnings) report.warnings.push_back("sessions/" + std::move(w));
    catalog->add_events(events.events);
    if (const auto now = catalog->session(session->id)) report.frames += now->frame_count;
    ++report.sessions;
    if (options.progress) options.progress(++done, folders.size());
  }
  for (const auto& w : recovered.warnings) report.warnings.push_back(w);
  return report;
}

}  // namespace screenreel

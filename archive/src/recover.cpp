// Archive recovery after a receiver crash (see recover.hpp).
#include "screenreel/archive/recover.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <system_error>

#include "screenreel/archive/activity.hpp"
#include "screenreel/archive/catalog.hpp"
#include "screenreel/archive/catalog_journal.hpp"
#include "screenreel/archive/integrity.hpp"
#include "screenreel/archive/jpeg.hpp"
#include "screenreel/archive/retention.hpp"
#include "screenreel/archive/session_files.hpp"

namespace screenreel {
namespace fs = std::filesystem;

namespace {

std::string read_lock_holder(const ArchivePaths& paths) {
  std::ifstream in(paths.lock());
  std::string pid;
  std::getline(in, pid);
  return pid;
}

struct FileIdentity {
  std::int64_t mtime_us = 0;
  std::pair<dev_t, ino_t> inode{};  // hard links share it
};

// stat(2) rather than fs::last_write_time: libstdc++'s file clock has its own epoch.
std::optional<FileIdentity> identify(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return std::nullopt;
  return FileIdentity{std::int64_t{st.st_mtim.tv_sec} * 1000000 + st.st_mtim.tv_nsec / 1000,
                      {st.st_dev, st.st_ino}};
}

std::int64_t median(std::vector<std::int64_t> v) {
  if (v.empty()) return 0;
  auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

struct KnownFrame {
  std::int64_t tick = 0;
  std::int64_t capture_us = 0;
  std::int64_t receive_us = 0;
  std::int64_t written_us = 0;
  std::optional<Digest> chain;  // empty: the row has none (recorded before chains)
};

class Recovery {
 public:
  Recovery(const ArchivePaths& paths, CatalogWriter& catalog, RecoverReport& report,
           const SessionRecoveryLimits& limits = {})
      : paths_(paths), catalog_(catalog), report_(report), limits_(limits) {}

  void recover(const SessionRecord& s) {
    const std::string label = "session " + std::to_string(s.id);
    if (!is_plain_file_name(s.folder)) {
      report_.warnings.push_back(
          label + ": the catalog names folder \"" + s.folder +
          "\", which is not a plain folder name; its files were not looked at");
    } else if (std::error_code ec; fs::is_directory(paths_.session(s.folder), ec)) {
      recover_files(s, label);
      fill_frame_activity(s, label);
    }
    fix_counts(s, label);
    if (s.recording() && !limits_.keep_open) close_crashed(s, label);
  }

 private:
  void recover_files(const SessionRecord& s, const std::string& label) {
    const fs::path dir = paths_.session(s.folder);
    const SessionFiles files = list_session_files(dir);
    // A session still being recorded is writing its temporary files right now.
    for (const auto& name : limits_.keep_open ? std::vector<std::string>{} : files.temporary) {
      std::error_code ec;
      if (fs::remove(dir / name, ec)) {
        ++report_.temp_files_removed;
        report_.actions.push_back(label + ": removed temporary file sessions/" + s.folder + "/" +
                                  name);
      } else {
        report_.warnings.push_back(label + ": cannot remove sessions/" + s.folder + "/" + name +
                                   ": " + ec.message());
      }
    }

    std::map<std::int64_t, KnownFrame> known;  // seq -> what the row says
    std::vector<std::int64_t> capture_lag, receive_lag, intervals;
    std::optional<std::int64_t> prev_written;
    catalog_.for_each_frame(s.id, [&](const FrameRecord& f) {
      known[f.seq] = {f.tick, f.capture_us, f.receive_us, f.written_us, f.chain};
      capture_lag.push_back(f.written_us - f.capture_us);
      receive_lag.push_back(f.written_us - f.receive_us);
      if (prev_written) intervals.push_back(f.written_us - *prev_written);
      prev_written = f.written_us;
    });
    const std::int64_t to_capture = median(capture_lag), to_receive = median(receive_lag);
    const std::int64_t interval = median(intervals);
    if (std::none_of(files.frames.begin(), files.frames.end(), [&](const auto& entry) {
          return !known.contains(static_cast<std::int64_t>(entry.first));
        }))
      return;

    // A repeated frame is a hard link to the file of the frame it repeats (frames.same_as): the
    // first frame file with an inode is the one that was encoded.
    std::map<std::pair<dev_t, ino_t>, std::int64_t> encoded;
    std::map<std::int64_t, FileIdentity> identity;
    for (const auto& [number, name] : files.frames) {
      if (auto id = identify(dir / name)) {
        identity[static_cast<std::int64_t>(number)] = *id;
        encoded.emplace(id->inode, static_cast<std::int64_t>(number));
      }
    }

    std::vector<FrameRecord> rows;
    std::size_t stamped = 0;
    for (const auto& [number, name] : files.frames) {
      const auto seq = static_cast<std::int64_t>(number);
      if (known.contains(seq)) continue;
      if (limits_.index_only && !limits_.index_only(seq)) continue;
      const fs::path file = dir / name;
      std::ifstream in(file, std::ios::binary);
      const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                            std::istreambuf_iterator<char>());
      const auto info = read_jpeg_info(bytes);
      if (!info) {
        report_.warnings.push_back(label + ": sessions/" + s.folder + "/" + name +
                                   " is not a readable JPEG (" + info.error().message +
                                   "); not indexed: delete it or move it out of the archive");
        continue;
      }
      FrameRecord f;
      f.session_id = s.id;
      f.seq = seq;
      f.file = name;
      f.width = info->width;
      f.height = info->height;
      f.jpeg_bytes = static_cast<std::int64_t>(bytes.size());
      const auto id = identity.find(seq);
      if (id == identity.end()) continue;  // gone since it was listed
      f.written_us = id->second.mtime_us;
      if (const auto source = encoded.at(id->second.inode); source != seq) f.same_as = source;
      auto prev = known.lower_bound(seq);
      const bool has_prev = prev != known.begin();
      if (has_prev) --prev;
      // The receiver writes the tick and times into each file's JPEG comment: exact. A repeat's
      // file is its source's, comment included, so a repeat (and a file without a stamp, from an
      // older receiver) is estimated instead.
      const auto stamp = f.same_as ? std::nullopt : parse_frame_stamp(read_jpeg_comment(bytes).value_or(""));
      if (stamp) {
        f.tick = stamp->tick;
        f.capture_us = stamp->capture_us;
        f.receive_us = stamp->receive_us;
        ++stamped;
      } else {
        // A repeat's modification time is its source's: its time is taken as the frame
        // before's plus the session's median interval instead.
        if (f.same_as && has_prev) f.written_us = prev->second.written_us + interval;
        f.capture_us = f.written_us - to_capture;
        f.receive_us = f.written_us - to_receive;
        f.tick = has_prev ? prev->second.tick + 1 : seq;
      }
      // Keep the time index ordered like the frame numbers: never before the frame before.
      if (has_prev) {
        f.tick = std::max(f.tick, prev->second.tick + 1);
        f.capture_us = std::max(f.capture_us, prev->second.capture_us);
        f.receive_us = std::max(f.receive_us, prev->second.receive_us);
        f.written_us = std::max(f.written_us, prev->second.written_us);
      }
      // Its file's hash, and the chain through it when the frame before has one (integrity.hpp).
      f.sha256 = sha256(bytes);
      if (!has_prev) f.chain = chain_link(chain_start(s.id), *f.sha256, f.seq, f.capture_us);
      else if (prev->second.chain) f.chain = chain_link(*prev->second.chain, *f.sha256, f.seq, f.capture_us);
      known[seq] = {f.tick, f.capture_us, f.receive_us, f.written_us, f.chain};
      rows.push_back(std::move(f));
    }
    if (rows.empty()) return;
    catalog_.add_frames(rows);
    report_.frames_indexed += static_cast<int>(rows.size());
    report_.actions.push_back(
        label + ": indexed " + std::to_string(rows.size()) + " frame file" +
        (rows.size() == 1 ? "" : "s") + " that had no catalog row (" + rows.front().file +
        (rows.size() > 1 ? " to " + rows.back().file : std::string()) +
        (stamped == rows.size()
             ? std::string("; ticks and times from the files' stamps)")
             : "; " + std::to_string(stamped) + " with ticks and times from the files' stamps, the others from their "
               "modification times less the session's median latency of " + std::to_string(to_capture / 1000) +
               " ms)"));
  }

  // Frames indexed above, and those recorded before schema 4, get their activity from their files.
  void fill_frame_activity(const SessionRecord& s, const std::string& label) {
    const ActivityFill fill = fill_activity(paths_, catalog_, s);
    if (fill.frames > 0)
      report_.actions.push_back(label + ": activity of " + std::to_string(fill.frames) + " frame" +
                                (fill.frames == 1 ? "" : "s") + " measured from their JPEG files");
    if (fill.unreadable > 0)
      report_.warnings.push_back(label + ": " + std::to_string(fill.unreadable) +
                                 " frame files could not be decoded to measure their activity (run verify)");
  }

  void fix_counts(const SessionRecord& s, const std::string& label) {
    const FrameTotals totals = catalog_.frame_totals(s.id);
    const std::int64_t rows = totals.frames, bytes = totals.bytes;
    const auto now = catalog_.session(s.id);
    if (now->frame_count == rows && now->bytes == bytes) return;
    catalog_.set_session_totals(s.id, totals);
    report_.actions.push_back(
        label + ": frame count and bytes set to what its rows hold: " + std::to_string(rows) +
        " frames, " + std::to_string(bytes) + " bytes (were " + std::to_string(now->frame_count) +
        ", " + std::to_string(now->bytes) + ")");
  }

  void close_crashed(const SessionRecord& s, const std::string& label) {
    // written_us is the receiver's clock, like started_us and ended_us; the last frame's is the
    // last moment the receiver is known to have been recording.
    const auto last = catalog_.latest_write_us(s.id);
    const std::int64_t ended = last ? std::max(s.started_us, *last) : s.started_us;
    catalog_.end_session(s.id, ended, "crashed", {}, s.dropped);
    ++report_.sessions_closed;
    const auto now = catalog_.session(s.id);
    report_.actions.push_back(label + " (\"" + s.name + "\"): closed as crashed with " +
                              std::to_string(now->frame_count) +
                              " frames, ended at its last frame");
  }

  const ArchivePaths& paths_;
  CatalogWriter& catalog_;
  RecoverReport& report_;
  SessionRecoveryLimits limits_;
};

}  // namespace

namespace {
// Deletions a crash interrupted (retention.hpp) are finished first: their sessions are gone.
void finish_deletions(const ArchivePaths& paths, CatalogWriter& catalog, RecoverReport& report) {
  for (const auto& s : catalog.sessions()) {
    if (!s.deleting) continue;
    delete_session_safely(paths, catalog, s, "");
    report.actions.push_back("session " + std::to_string(s.id) + " (\"" + s.name +
                             "\"): finished its interrupted deletion (folder and rows removed)");
  }
}
}  // namespace

ArchiveLock lock_archive_to(const ArchivePaths& paths, const std::string& action) {
  try {
    return ArchiveLock(paths);
  } catch (const std::system_error& e) {
    throw std::runtime_error("cannot take the archive lock to " + action + ": " + e.what());
  } catch (const std::runtime_error&) {
    const std::string pid = read_lock_holder(paths);
    throw std::runtime_error(
        "cannot " + action + " archive " + paths.root().string() + ": a screenreel-receiver" +
        (pid.empty() ? std::string() : " (pid " + pid + ")") +
        " is writing to it. Stop it first (q in its window or terminal, or Ctrl-C), then run " + action +
        " again; sessions it is recording are not crashed.");
  }
}

RecoverReport recover_archive(const ArchivePaths& paths) { return recover_archive(paths, paths.catalog()); }

RecoverReport recover_archive(const ArchivePaths& paths, const CatalogLocation& where) {
  std::error_code ec;
  if (!fs::is_directory(paths.root(), ec))
    throw std::runtime_error("no archive at " + paths.root().string() +
                             " (no such folder): give --archive DIR");
  if (!where.postgresql() && !fs::exists(paths.catalog(), ec))
    throw std::runtime_error(paths.root().string() +
                             " is not a screenreel archive (it has no catalog.db)");
  const ArchiveLock lock = lock_archive_to(paths, "recover");
  // Under the lock no receiver appends to the journal; it is read whole, so no bound applies.
  const auto catalog = where.postgresql() ? open_journaled_catalog_writer(where, catalog_journal_path(paths.root()),
                                                                          std::numeric_limits<std::uint64_t>::max())
                                          : open_catalog_writer(where);
  RecoverReport report;
  finish_deletions(paths, *catalog, report);
  Recovery recovery(paths, *catalog, report);
  for (const auto& s : catalog->sessions()) recovery.recover(s);
  return report;
}

void recover_session(const ArchivePaths& paths, CatalogWriter& catalog, const SessionRecord& session,
                     RecoverReport& report, const SessionRecoveryLimits& limits) {
  Recovery(paths, catalog, report, limits).recover(session);
}

RecoverReport recover_open_sessions(const ArchivePaths& paths, CatalogWriter& catalog) {
  RecoverReport report;
  finish_deletions(paths, catalog, report);
  Recovery recovery(paths, catalog, report);
  for (const auto& s : catalog.sessions())
    if (s.recording()) recovery.recover(s);
  return report;
}

}  // namespace screenreel

// Archive consistency check (see verify.hpp).
#include "screenreel/archive/verify.hpp"

#include <fstream>
#include <iterator>
#include <set>

#include "screenreel/archive/jpeg.hpp"
#include "screenreel/archive/session_files.hpp"
#include "verify_chain.hpp"

namespace screenreel {
namespace fs = std::filesystem;

namespace {

std::optional<std::vector<std::uint8_t>> read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in),
                                   std::istreambuf_iterator<char>());
}

class Checker {
 public:
  Checker(const ArchivePaths& paths, CatalogReader& catalog, const VerifyOptions& options,
          VerifyReport& report)
      : paths_(paths), catalog_(catalog), options_(options), report_(report) {}

  void check_session(const SessionRecord& s, std::uint64_t total) {
    ++report_.sessions;
    const std::string rel_dir = "sessions/" + s.folder;
    if (!is_plain_file_name(s.folder)) {
      problem(s.id, "sessions/",
              "the catalog names folder \"" + s.folder + "\", which is not a plain folder name");
      return;
    }
    // Only a session a live receiver may be writing gets the benefit of the doubt.
    const bool live = s.recording() && options_.receiver_running;
    if (live)
      report_.notes.push_back("session " + std::to_string(s.id) + " is being recorded");
    else if (s.recording())
      problem(s.id, rel_dir,
              "session is marked recording but no receiver is running (run recover to close it)");
    const fs::path dir = paths_.session(s.folder);
    std::error_code ec;
    SessionFiles files;
    const bool have_dir = fs::is_directory(dir, ec);
    if (have_dir) {
      try {
        files = list_session_files(dir);
      } catch (const fs::filesystem_error& e) {
        problem(s.id, rel_dir, std::string("cannot list the folder: ") + e.what());
        return;
      }
    } else {
      problem(s.id, rel_dir, "session folder is missing");
    }

    std::int64_t rows = 0, bytes = 0, last_seq = 0;
    std::optional<ChainCheck> chain;
    if (options_.integrity) chain.emplace(s, options_.trusted_key);
    catalog_.for_each_frame(s.id, [&](const FrameRecord& f) {
      ++rows;
      if (!f.same_as) bytes += f.jpeg_bytes;  // a repeat shares its source's file: counted once
      last_seq = f.seq;
      if (have_dir) {
        const auto bytes = check_frame(s.id, rel_dir, dir, f, files);
        // The file is read once: the bytes the check read (a repeat's are its source's file).
        if (chain && is_plain_file_name(f.file)) chain->frame(f, bytes ? bytes : read_bytes(dir / f.file));
      }
      ++report_.frames;
      if (options_.progress) options_.progress(++done_, total);
    });
    if (chain) {
      std::vector<std::string> found;
      chain->finish(found, report_.notes);
      for (auto& what : found) problem(s.id, rel_dir, std::move(what));
    }
    if (!have_dir && rows > 0)
      problem(s.id, rel_dir,
              std::to_string(rows) + " frame files named by the catalog are missing with it");
    if (rows != s.frame_count || bytes != s.bytes)
      problem(s.id, rel_dir,
              "the session row says " + std::to_string(s.frame_count) + " frames, " +
                  std::to_string(s.bytes) + " bytes; its frame rows add up to " +
                  std::to_string(rows) + " frames, " + std::to_string(bytes) +
                  " bytes (run recover)");

    // What is left in `files` has no row.
    for (const auto& [number, name] : files.frames) {
      if (live && static_cast<std::int64_t>(number) > last_seq)
        report_.notes.push_back(rel_dir + "/" + name +
                                ": not indexed yet (the session is being recorded)");
      else
        problem(s.id, rel_dir + "/" + name,
                "frame file has no catalog row (run recover to index it)");
    }
    for (const auto& name : files.temporary) {
      if (live)
        report_.notes.push_back(rel_dir + "/" + name +
                                ": a frame being written (the session is being recorded)");
      else
        problem(s.id, rel_dir + "/" + name, "leftover temporary file (run recover to remove it)");
    }
    for (const auto& name : files.other)
      problem(s.id, rel_dir + "/" + name, "unexpected file: not a frame file of this archive");
  }

  // Folders under sessions/ that no session names, and anything else there.
  void check_session_folders(const std::set<std::string>& known) {
    std::error_code ec;
    if (!fs::is_directory(paths_.sessions(), ec)) {
      if (!known.empty()) problem(0, "sessions", "the sessions folder is missing");
      return;
    }
    for (const auto& entry : fs::directory_iterator(paths_.sessions())) {
      const std::string name = entry.path().filename().string();
      if (known.contains(name)) continue;
      problem(0, "sessions/" + name,
              entry.is_directory() ? "folder belongs to no session in the catalog"
                                   : "unexpected file in sessions/");
    }
  }

 private:
  // Returns the file's bytes when it read them (not for a repeat, whose file is its source's).
  std::optional<std::vector<std::uint8_t>> check_frame(std::int64_t session, const std::string& rel_dir, const fs::path& dir,
                   const FrameRecord& f, SessionFiles& files) {
    const std::string& file = f.file;
    const std::string rel = rel_dir + "/" + file;
    const std::string row = "frame " + std::to_string(f.seq) + ": ";
    if (!is_plain_file_name(file)) {
      problem(session, rel_dir,
              row + "the catalog names file \"" + file + "\", which is not a plain file name");
      return std::nullopt;
    }
    const auto number = parse_frame_file_name(file);
    if (!number || static_cast<std::int64_t>(*number) != f.seq)
      problem(session, rel,
              row + "file name does not match the frame number (expected " +
                  frame_file_name(static_cast<std::uint64_t>(f.seq)) + ")");
    if (number) files.frames.erase(*number);
    std::error_code ec;
    if (!fs::is_regular_file(dir / file, ec)) {
      problem(session, rel, row + "file is missing");
      return std::nullopt;
    }
    if (f.same_as) {
      // A repeat is a hard link to the file of the frame it repeats, which its own row checks.
      const fs::path source = dir / frame_file_name(static_cast<std::uint64_t>(*f.same_as));
      if (!fs::equivalent(dir / file, source, ec))
        problem(
            session, rel,
            row + "repeats frame " + std::to_string(*f.same_as) + " but is not a link to its file");
      else if (static_cast<std::int64_t>(fs::file_size(source, ec)) != f.jpeg_bytes)
        problem(session, rel, row + "its size differs from the catalog's");
      return std::nullopt;
    }
    const auto bytes = read_bytes(dir / file);
    if (!bytes) {
      problem(session, rel, row + "file cannot be read");
      return std::nullopt;
    }
    if (static_cast<std::int64_t>(bytes->size()) != f.jpeg_bytes)
      problem(session, rel,
              row + "file has " + std::to_string(bytes->size()) + " bytes, the catalog says " +
                  std::to_string(f.jpeg_bytes));
    const auto image = decode_jpeg_bgr(*bytes);
    if (!image) {
      problem(session, rel, row + "not a decodable JPEG (" + image.error().message + ")");
      return bytes;
    }
    if (image->width != f.width || image->height != f.height)
      problem(session, rel,
              row + "image is " + std::to_string(image->width) + "x" +
                  std::to_string(image->height) + ", the catalog says " + std::to_string(f.width) +
                  "x" + std::to_string(f.height));
    return bytes;
  }

  void problem(std::int64_t session, std::string path, std::string what) {
    report_.problems.push_back({session, std::move(path), std::move(what)});
  }

  const ArchivePaths& paths_;
  CatalogReader& catalog_;
  const VerifyOptions& options_;
  VerifyReport& report_;
  std::uint64_t done_ = 0;
};

}  // namespace

VerifyReport verify_archive(const ArchivePaths& paths, CatalogReader& catalog,
                            const VerifyOptions& options) {
  VerifyReport report;
  std::string check;
  try {
    check = catalog.integrity_check(options.quick);
  } catch (const CatalogError& e) {
    check = e.what();
  }
  if (check != "ok") {
    report.problems.push_back({0, "catalog.db",
                               "the catalog is damaged (" + check +
                               "): 'rebuild' makes a new one from the session folders and keeps this one aside"});
    return report;  // its rows cannot be trusted to say what to check
  }
  Checker checker(paths, catalog, options, report);
  std::vector<SessionRecord> sessions;
  if (options.session) {
    if (auto s = catalog.session(*options.session))
      sessions.push_back(*s);
    else
      throw std::runtime_error("no session " + std::to_string(*options.session) +
                               " in the catalog");
  } else {
    sessions = catalog.sessions();
  }
  std::uint64_t total = 0;
  for (const auto& s : sessions)
    total += static_cast<std::uint64_t>(std::max<std::int64_t>(0, s.frame_count));
  std::set<std::string> folders;
  for (const auto& s : sessions) {
    folders.insert(s.folder);
    checker.check_session(s, total);
  }
  if (!options.session) checker.check_session_folders(folders);
  return report;
}

}  // namespace screenreel

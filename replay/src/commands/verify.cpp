// screenreel-replay verify: do the catalog's rows and the files on disk agree?
#include <iostream>
#include <map>

#include "commands.hpp"
#include "screenreel/archive/integrity.hpp"
#include "screenreel/archive/verify.hpp"
#include "screenreel/replay/archive_access.hpp"
#include "screenreel/replay/archive_roots.hpp"
#include "screenreel/replay/progress.hpp"
#include "screenreel/replay/text.hpp"

namespace screenreel::replay::commands {
namespace {
namespace fs = std::filesystem;

// Prints a report's notes and problems, each problem prefixed (with its receiver in a fleet).
void print(const VerifyReport& report, bool quiet, const std::string& prefix) {
  if (!quiet)
    for (const auto& n : report.notes) std::cout << prefix << "note: " << terminal_safe(n) << "\n";
  for (const auto& p : report.problems)
    std::cout << prefix << terminal_safe(p.path) << ": " << terminal_safe(p.what) << "\n";
}

int run(CommandLine& cli) {
  po::options_description o = options();
  o.add_options()("quiet,q", "print only problems and the summary line, not notes")(
      "quick", "check the catalog with SQLite's quick_check instead of its integrity_check")(
      "integrity", "also check tamper evidence: every JPEG against its SHA-256, each session's chain of frames and its signed head")(
      "key", po::value<std::string>()->value_name("FILE"),
      "with --integrity: the receiver's public key (PEM, from 'screenreel-receiver --print-key') that must have signed every session")(
      "receiver", po::value<std::string>()->value_name("NAME"),
      "a fleet's catalog: check only the sessions of this receiver (as 'list' names it)");
  const auto vm = cli.parse(
      o,
      {"verify [SESSION] [--integrity [--key FILE]]",
       "Checks the archive (or one session): first the catalog itself (SQLite's\n"
       "integrity_check; a damaged catalog is reported alone: 'rebuild' makes a new one from\n"
       "the session folders), then that every catalog row has its file, every file has its\n"
       "row, every JPEG decodes at the size the catalog records, each session's frame count\n"
       "and bytes match its rows, no leftover temporary files, no stray folders.\n"
       "Prints each problem; exit status 1 when there is any. A session being recorded may\n"
       "have files not yet indexed: those are notes, not problems. A session marked recording\n"
       "with no receiver running is a problem: 'recover' repairs what a crashed receiver\n"
       "leaves behind. With --integrity it also proves that no frame was changed, removed,\n"
       "inserted or reordered since it was recorded: each JPEG against the SHA-256 in its\n"
       "row, the session's chain of rows, and the chain's last link as the receiver signed\n"
       "it (Ed25519) when the session ended; it names the first bad frame.\n"
       "On a catalog a fleet shares (--catalog) each receiver's sessions are checked against\n"
       "that receiver's archive (its root in the catalog, or --archive-root NAME=PATH), and\n"
       "each problem names its receiver; --receiver NAME checks one receiver only.",
       "  screenreel-replay verify\n"
       "  screenreel-replay verify 3\n"
       "  screenreel-replay verify --integrity --key receiver.pub\n"
       "  screenreel-replay --catalog postgresql://rec@db/screenreel verify --receiver host-a\n"},
      {"session"});
  if (!vm) return 0;
  OpenArchive archive(cli);
  VerifyOptions options;
  options.receiver_running = running_receiver_pid(archive.paths).has_value();
  options.quick = vm->count("quick") > 0;
  options.integrity = vm->count("integrity") > 0 || vm->count("key") > 0;
  if (vm->count("key")) {
    try {
      options.trusted_key = read_public_key((*vm)["key"].as<std::string>());
    } catch (const std::exception& e) {
      throw Failure("--key: " + std::string(e.what()));
    }
  }
  std::optional<SessionRecord> one;
  if (vm->count("session")) {
    one = archive.session(*vm);
    options.session = one->id;
  }
  const bool quiet = vm->count("quiet") > 0;
  // The receivers whose sessions the catalog holds, each with the archive that holds them.
  std::map<std::string, fs::path> receivers;
  for (const auto& s : one ? std::vector<SessionRecord>{*one} : archive.catalog.sessions())
    if (!s.receiver.empty()) receivers.emplace(s.receiver, session_archive_root(archive.paths, s));
  if (vm->count("receiver")) {
    const std::string name = (*vm)["receiver"].as<std::string>();
    if (!receivers.count(name))
      throw Failure("no session of receiver \"" + terminal_safe(name) + "\" in the catalog" +
                    (one ? " is session " + std::to_string(one->id) : std::string()) + " ('list' names each one's)");
    receivers = {{name, receivers[name]}};
  }
  ProgressBar progress("verify");
  options.progress = progress.callback();
  if (receivers.empty()) {  // one archive's own catalog
    const VerifyReport report = verify_archive(archive.paths, archive.catalog, options);
    progress.finish();
    print(report, quiet, "");
    std::cout << (report.ok() ? "ok: " : "FAILED: ") << report.sessions << " sessions, " << report.frames
              << " frames checked, " << report.problems.size() << " problems\n";
    return report.ok() ? 0 : 1;
  }
  // A fleet: each receiver's sessions (a catalog reader scoped to it) against its archive.
  std::int64_t sessions = 0, frames = 0;
  std::size_t problems = 0;
  for (const auto& [name, root] : receivers) {
    std::unique_ptr<CatalogReader> scoped;
    try {
      CatalogLocation where = CatalogLocation::parse(cli.catalog(), archive.paths.catalog());
      where.receiver = name;
      scoped = open_catalog_reader(where);
    } catch (const std::exception& e) {
      throw Failure("cannot read the catalog " + terminal_safe(cli.catalog()) + ": " + e.what());
    }
    const ArchivePaths paths(root);
    options.receiver_running = running_receiver_pid(paths).has_value();
    const VerifyReport report = verify_archive(paths, *scoped, options);
    progress.finish();
    print(report, quiet, "receiver " + terminal_safe(name) + ": ");
    std::cout << "receiver " << terminal_safe(name) << " (" << terminal_safe(root.string()) << "): "
              << (report.ok() ? "ok: " : "FAILED: ") << report.sessions << " sessions, " << report.frames
              << " frames checked, " << report.problems.size() << " problems\n";
    sessions += static_cast<std::int64_t>(report.sessions);
    frames += static_cast<std::int64_t>(report.frames);
    problems += report.problems.size();
  }
  std::cout << (problems == 0 ? "ok: " : "FAILED: ") << receivers.size() << " receivers, " << sessions
            << " sessions, " << frames << " frames checked, " << problems << " problems\n";
  return problems == 0 ? 0 : 1;
}

}  // namespace

const Command kVerify{
    "verify",
    {{"verify [SESSION]", "check that rows and files agree and every JPEG decodes"}},
    run};

}  // namespace screenreel::replay::commands

// screenreel-replay keep / unkeep / prune: retention (archive/include/screenreel/archive/retention.hpp).
#include <iostream>

#include "commands.hpp"
#include "screenreel/archive/recover.hpp"
#include "screenreel/archive/retention.hpp"
#include "screenreel/archive/session_files.hpp"
#include "screenreel/archive/session_manifest.hpp"
#include "screenreel/common/clock.hpp"
#include "screenreel/common/log.hpp"
#include "screenreel/replay/archive_access.hpp"
#include "screenreel/replay/text.hpp"
#include "screenreel/replay/time_format.hpp"

namespace screenreel::replay::commands {
namespace {

int set_keep(CommandLine& cli, bool keep) {
  po::options_description o = options();
  const auto vm = cli.parse(
      o,
      {keep ? "keep SESSION" : "unkeep SESSION",
       keep ? "Marks the session kept: retention (the receiver's --keep-days and --max-archive-gb,\n"
              "and prune) never deletes it. 'delete' still does, after asking."
            : "Lets retention delete the session again (see keep).",
       keep ? "  screenreel-replay keep incident-42\n" : "  screenreel-replay unkeep incident-42\n"},
      {"session"});
  if (!vm) return 0;
  OpenArchive archive(cli, OpenArchive::Access::kWrite);
  SessionRecord s = archive.session(*vm);
  archive.writer().set_keep(s.id, keep);
  s.keep = keep;
  if (is_plain_file_name(s.folder)) {
    try {
      write_session_manifest(archive.paths.session(s.folder), s);  // a rebuilt catalog keeps it
    } catch (const std::exception& e) {
      log::warning("its manifest was not updated: " + std::string(e.what()));
    }
  }
  log::info("session " + std::to_string(s.id) + " \"" + s.name + "\" is " + (keep ? "kept" : "no longer kept"));
  return 0;
}

int run_keep(CommandLine& cli) { return set_keep(cli, true); }
int run_unkeep(CommandLine& cli) { return set_keep(cli, false); }

int run_prune(CommandLine& cli) {
  po::options_description o = options();
  RetentionLimits limits;
  double days = 0, gb = 0;
  o.add_options()("keep-days", po::value(&days)->value_name("DAYS"), "delete sessions that ended more than DAYS ago")(
      "max-archive-gb", po::value(&gb)->value_name("GB"),
      "delete the oldest sessions while the frames take more than GB (10^9 bytes)")(
      "dry-run,n", "only print what would be deleted");
  const auto vm = cli.parse(
      o,
      {"prune (--keep-days DAYS | --max-archive-gb GB) [--dry-run]",
       "Applies retention limits now, as a receiver started with them does while it records:\n"
       "whole ended sessions, oldest first, never one recording or kept. Each deletion is\n"
       "crash-safe (the catalog marks it, the files go, then the rows; recover finishes one a\n"
       "crash interrupted) and recorded ('list --deleted'). Refused while a receiver writes to\n"
       "the archive: give it the limits instead.",
       "  screenreel-replay prune --max-archive-gb 500 --dry-run\n"
       "  screenreel-replay prune --keep-days 30\n"});
  if (!vm) return 0;
  if (vm->count("keep-days")) limits.keep_days = days;
  if (vm->count("max-archive-gb")) limits.max_archive_gb = gb;
  if (!limits.any()) throw UsageError("give --keep-days or --max-archive-gb");
  if ((limits.keep_days && days <= 0) || (limits.max_archive_gb && gb <= 0))
    throw UsageError("--keep-days and --max-archive-gb must be more than 0");
  const bool dry = vm->count("dry-run") > 0;
  const ArchivePaths paths(cli.archive());
  std::optional<ArchiveLock> lock;
  if (!dry) {
    try {
      lock.emplace(lock_archive_to(paths, "prune"));
    } catch (const std::exception& e) {
      throw Failure(e.what());
    }
  }
  OpenArchive archive(cli, dry ? OpenArchive::Access::kRead : OpenArchive::Access::kWrite);
  const auto picks = sessions_to_prune(archive.catalog.sessions(), limits, wall_clock_us());
  std::int64_t bytes = 0;
  for (const auto& p : picks) {
    std::cout << (dry ? "would delete" : "deleting") << " session " << p.session.id << " \""
              << terminal_safe(p.session.name) << "\" (" << p.session.frame_count << " frames, "
              << format_bytes(p.session.bytes) << ", started " << format_local_time(p.session.started_us) << "): "
              << p.reason << "\n";
    if (!dry) delete_session_safely(archive.paths, archive.writer(), p.session, p.reason);
    bytes += p.session.bytes;
  }
  std::cout << (dry ? "would free " : "freed ") << format_bytes(bytes) << " in " << picks.size() << " sessions\n";
  return 0;
}

}  // namespace

const Command kKeep{"keep", {{"keep SESSION", "retention never deletes this session (unkeep undoes it)"}}, run_keep};
const Command kUnkeep{"unkeep", {}, run_unkeep};
const Command kPrune{
    "prune", {{"prune LIMITS [--dry-run]", "delete old sessions: --keep-days D, --max-archive-gb G"}},
    run_prune};

}  // namespace screenreel::replay::commands

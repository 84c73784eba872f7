// screenreel-replay catalog copy: an archive's catalog into a fleet's PostgreSQL database, or
// back (catalog_copy.hpp does the work).
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <iostream>

#include "commands.hpp"
#include "screenreel/archive/catalog_copy.hpp"
#include "screenreel/replay/archive_access.hpp"
#include "screenreel/replay/progress.hpp"
#include "screenreel/replay/text.hpp"

namespace screenreel::replay::commands {
namespace {
namespace fs = std::filesystem;

// --from / --to: a PostgreSQL address, or an SQLite catalog (a catalog.db, or an archive folder).
CatalogLocation location(const std::string& value) {
  if (value.starts_with("postgres") || value.find('=') != std::string::npos)
    return CatalogLocation::parse(value, {});
  const fs::path p = fs::absolute(value);
  std::error_code ec;
  return CatalogLocation(fs::is_directory(p, ec) ? ArchivePaths(p).catalog() : p);
}

std::string host_name() {
  char host[256] = {};
  return ::gethostname(host, sizeof host - 1) == 0 ? std::string(host) : std::string("localhost");
}

int run(CommandLine& cli) {
  po::options_description o = options();
  std::string from, to, receiver, archive_root;
  o.add_options()("from", po::value(&from)->value_name("SQLITE_OR_URL"),
                  "the catalog to copy: postgresql://..., a catalog.db or an archive folder")(
      "to", po::value(&to)->value_name("URL_OR_SQLITE"), "where to: postgresql://..., or a catalog.db or folder")(
      "receiver", po::value(&receiver)->value_name("NAME"),
      "from SQLite: the receiver name its sessions get (default the host name); from PostgreSQL: copy only "
      "that receiver's sessions")(
      "receiver-archive", po::value(&archive_root)->value_name("DIR"),
      "from SQLite: the archive folder its sessions' files are in, as receivers and replay see it (default "
      "the --from folder)")("verify-only", "copy nothing: only compare the two catalogs");
  const auto vm = cli.parse(
      o,
      {"catalog copy --from A --to B [--receiver NAME] [--verify-only]",
       "Copies a catalog between SQLite and PostgreSQL, both ways, so that a single-machine\n"
       "archive joins a fleet (or leaves it): every session with its frames, activity, chain\n"
       "and signature, markers, pauses, drop ledger and text index. Session ids are kept; a\n"
       "session whose id the target holds for another one is refused. Each session is copied\n"
       "in one transaction, so a copy stopped anywhere can be run again: it skips the\n"
       "sessions already equal at the target and copies the rest. At the end it compares\n"
       "every session at both (frame rows and a checksum of all its rows) and says so; exit\n"
       "status 1 when they differ. Sessions from SQLite get a receiver name and archive root\n"
       "(--receiver, --receiver-archive) so that replay finds their files. The JPEG folders are not\n"
       "copied: they stay where they are (or move with --archive-root NAME=PATH when read).\n"
       "The deletion history (the deletions table) goes too, but not with --receiver from\n"
       "PostgreSQL (its rows do not name their receiver). A and B are each an SQLite\n"
       "catalog (an archive folder or its catalog.db) or a PostgreSQL one (postgresql://...,\n"
       "or any libpq connection string).",
       "  screenreel-replay catalog copy --from /data/rec --to postgresql://rec@db/screenreel\n"
       "  screenreel-replay catalog copy --from postgresql://rec@db/fleet --receiver a --to /data/a\n"
       "  screenreel-replay catalog copy --from /data/rec --to postgresql://rec@db/screenreel "
       "--verify-only\n"},
      {"action"});
  if (!vm) return 0;
  const std::string action = required(*vm, "action", "what to do with the catalog (copy)");
  if (action != "copy") throw UsageError("unknown catalog action \"" + terminal_safe(action) + "\" (there is: copy)");
  if (from.empty()) throw UsageError("give --from (an archive folder, a catalog.db or postgresql://...)");
  if (to.empty()) throw UsageError("give --to (postgresql://..., or a catalog.db or archive folder)");

  CatalogCopyOptions options;
  std::unique_ptr<CatalogReader> source;
  std::unique_ptr<CatalogWriter> target;
  try {
    const CatalogLocation source_at = location(from);
    if (source_at.postgresql()) {
      options.only_receiver = receiver;
    } else {
      options.receiver = receiver.empty() ? host_name() : receiver;
      options.archive_root = archive_root.empty() ? source_at.file.parent_path() : fs::absolute(archive_root);
    }
    const CatalogLocation target_at = location(to);
    if (source_at.describe() == target_at.describe()) throw UsageError("--from and --to are the same catalog");
    source = open_catalog_reader(source_at);
    target = open_catalog_writer(target_at);
  } catch (const UsageError&) {
    throw;
  } catch (const std::exception& e) {
    throw Failure(std::string("catalog copy: ") + e.what());
  }
  if (!vm->count("verify-only")) {
    // A test stops the copy here with SIGKILL after this many sessions, to show that running it
    // again finishes it.
    const char* kill_after = std::getenv("SCREENREEL_TEST_COPY_KILL_AFTER");
    ProgressBar progress("copy");
    options.after_session = [&](const SessionRecord&, std::size_t done, std::size_t total) {
      progress.update(done, total);
      if (kill_after && done == static_cast<std::size_t>(std::atoi(kill_after))) std::raise(SIGKILL);
    };
    const auto report = copy_catalog(*source, *target, options);
    progress.finish();
    std::cout << "copied " << report.copied << " of " << report.sessions << " sessions (" << report.frames
              << " frame rows) to " << terminal_safe(target->location()) << "; " << report.skipped
              << " were already there; "
              << (report.deletions_left ? std::string("the deletion history was left (with --receiver its rows, which do "
                                                      "not name their receiver, cannot be told apart)")
                                        : std::to_string(report.deletions) + " deletion history rows added")
              << "\n";
  }
  const auto check = verify_catalog_copy(*source, *target, options);
  for (const auto& p : check.problems) std::cout << "differs: " << terminal_safe(p) << "\n";
  std::cout << (check.ok() ? "verified: " : "NOT the same: ") << check.sessions << " sessions, " << check.frames
            << " frame rows at the source, " << check.target_frames << " at the target"
            << (options.only_receiver.empty() ? ", " + std::to_string(check.deletions) + " deletion history rows"
                                              : std::string())
            << (check.ok() ? ", every session's rows equal (checksums)" : "") << "\n";
  return check.ok() ? 0 : 1;
}

}  // namespace

const Command kCatalog{"catalog",
                       {{"catalog copy --from A --to B", "copy a catalog between SQLite and PostgreSQL"}},
                       run};

}  // namespace screenreel::replay::commands

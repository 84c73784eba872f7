// screenreel-replay recover: repairs an archive after its receiver crashed or was killed.
#include <iostream>
#include <set>

#include "commands.hpp"
#include "screenreel/archive/recover.hpp"
#include "screenreel/replay/archive_access.hpp"
#include "screenreel/replay/text.hpp"

namespace screenreel::replay::commands {
namespace {
namespace fs = std::filesystem;

// On a catalog a fleet shares, whose sessions recover may touch: those of the receiver named
// by --receiver, else of the one receiver whose sessions the catalog says are in this archive.
CatalogLocation receiver_location(const CommandLine& cli, const ArchivePaths& paths, const po::variables_map& vm) {
  CatalogLocation where = CatalogLocation::parse(cli.catalog(), paths.catalog());
  where.archive_root = fs::absolute(paths.root());
  if (vm.count("receiver")) {
    where.receiver = vm["receiver"].as<std::string>();
    return where;
  }
  std::set<std::string> here;
  std::error_code ec;
  for (const auto& s : open_catalog(paths, cli.catalog())->sessions())
    if (!s.receiver.empty() && fs::equivalent(s.archive_root, paths.root(), ec)) here.insert(s.receiver);
  if (here.size() != 1)
    throw Failure("the catalog " + where.describe() + " has " +
                  (here.empty() ? std::string("no session") : "sessions of several receivers") + " in archive " +
                  paths.root().string() + ": say whose sessions to recover with --receiver NAME (as 'list' "
                  "names it; the one that records into this archive)");
  where.receiver = *here.begin();
  return where;
}

int run(CommandLine& cli) {
  po::options_description o = options();
  o.add_options()("receiver", po::value<std::string>()->value_name("NAME"),
                  "a fleet's catalog (--catalog): the receiver that records into this archive (default: the "
                  "one whose sessions the catalog places here)");
  const auto vm = cli.parse(
      o, {"recover",
          "Repairs an archive after its receiver crashed or was killed (like 'ros2 bag reindex'):\n"
          "- sessions left recording are closed as 'crashed', ending at their last frame's time;\n"
          "- JPEGs on disk that no row names are indexed: size from the JPEG header, number from\n"
          "  the file name, tick and times from the stamp in its JPEG comment, written time from\n"
          "  the file's modification time (a repeat, or a file without a stamp: estimated from\n"
          "  the frame before and the session's median interval and latency);\n"
          "- leftover temporary files (.frame_*.jpg.tmp) are removed;\n"
          "- each session's frame count and bytes are set to what its rows hold.\n"
          "Running it again changes nothing. It takes the archive's lock, so it refuses to run\n"
          "while a screenreel-receiver writes to the archive.\n"
          "On a catalog a fleet shares (--catalog) it repairs the sessions of the receiver that\n"
          "records into this archive, after writing the rows that wait in the archive's catalog\n"
          "journal (a receiver killed while the database did not answer) to the catalog.",
          "  screenreel-replay recover\n"
          "  screenreel-replay --archive /data/rec recover && screenreel-replay --archive "
          "/data/rec verify\n"
          "  screenreel-replay --archive /srv/recordings --catalog postgresql://rec@db/screenreel recover\n"});
  if (!vm) return 0;
  const ArchivePaths paths(cli.archive());  // recover opens the catalog itself, under the lock
  try {
    const RecoverReport report =
        cli.catalog().empty() ? recover_archive(paths) : recover_archive(paths, receiver_location(cli, paths, *vm));
    for (const auto& a : report.actions) std::cout << terminal_safe(a) << "\n";
    for (const auto& w : report.warnings) std::cout << "warning: " << terminal_safe(w) << "\n";
    if (!report.changed())
      std::cout << "nothing to recover\n";
    else
      std::cout << "recovered: " << report.sessions_closed << " sessions closed, "
                << report.frames_indexed << " frames indexed, " << report.temp_files_removed
                << " temporary files removed\n";
  } catch (const CatalogError& e) {
    throw Failure(std::string("cannot recover: ") + e.what());
  }
  return 0;
}

}  // namespace

const Command kRecover{
    "recover", {{"recover", "repair an archive after its receiver crashed or was killed"}}, run};

}  // namespace screenreel::replay::commands

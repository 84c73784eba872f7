// screenreel-replay recover: repairs an archive after its receiver crashed or was killed.
#include <iostream>

#include "commands.hpp"
#include "screenreel/archive/recover.hpp"
#include "screenreel/replay/archive_access.hpp"
#include "screenreel/replay/text.hpp"

namespace screenreel::replay::commands {
namespace {

int run(CommandLine& cli) {
  po::options_description o = options();
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
          "while a screenreel-receiver writes to the archive.",
          "  screenreel-replay recover\n"
          "  screenreel-replay --archive /data/rec recover && screenreel-replay --archive "
          "/data/rec verify\n"});
  if (!vm) return 0;
  const ArchivePaths paths(cli.archive());  // recover opens the catalog itself, under the lock
  try {
    const RecoverReport report = recover_archive(paths);
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

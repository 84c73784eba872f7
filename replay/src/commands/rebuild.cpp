// screenreel-replay rebuild: a new catalog from the archive's session folders.
#include <iostream>

#include "commands.hpp"
#include "screenreel/archive/rebuild.hpp"
#include "screenreel/replay/archive_access.hpp"
#include "screenreel/replay/progress.hpp"
#include "screenreel/replay/text.hpp"

namespace screenreel::replay::commands {
namespace {

int run(CommandLine& cli) {
  po::options_description o = options();
  const auto vm = cli.parse(
      o, {"rebuild",
          "Makes a new catalog from the archive's files (like 'ros2 bag reindex'), for a\n"
          "catalog.db that was deleted or that verify calls damaged. Each session comes from\n"
          "its folder's manifest (session.json: name, source, size, rate, start, end), each\n"
          "frame from its file (number from the name, size from the JPEG, tick and times from\n"
          "the stamp in its comment, written time from the file's modification time), its\n"
          "markers and pauses from the folder's events.jsonl. The old catalog, if any, is kept\n"
          "aside as catalog.db.lost-<time>. Not in the new catalog: when the live window showed\n"
          "each frame, the drop ledger, and the text index ('index --all' builds it again).\n"
          "It takes the archive's lock, so it refuses to run while a\n"
          "screenreel-receiver writes to the archive (a receiver whose catalog.db is deleted\n"
          "rebuilds it itself).",
          "  screenreel-replay rebuild\n"
          "  screenreel-replay --archive /data/rec rebuild && screenreel-replay --archive /data/rec verify\n"});
  if (!vm) return 0;
  const ArchivePaths paths(cli.archive());
  RebuildOptions options;
  ProgressBar progress("rebuild");
  options.progress = progress.callback();
  RebuildReport report;
  try {
    report = rebuild_catalog(paths, options);
  } catch (const std::exception& e) {
    throw Failure(std::string("cannot rebuild the catalog: ") + e.what());
  }
  progress.finish();
  for (const auto& w : report.warnings) std::cout << "warning: " << terminal_safe(w) << "\n";
  if (!report.kept_aside.empty())
    std::cout << "the old catalog is kept as " << terminal_safe(report.kept_aside) << "\n";
  std::cout << "rebuilt: " << report.sessions << " sessions (" << report.without_manifest
            << " without a manifest), " << report.frames << " frames\n";
  return 0;
}

}  // namespace

const Command kRebuild{
    "rebuild", {{"rebuild", "a new catalog from the session folders (the old one lost or damaged)"}}, run};

}  // namespace screenreel::replay::commands

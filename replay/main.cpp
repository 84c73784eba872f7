// screenreel-replay: reads an archive written by screenreel-receiver (list, info, play, export,
// frame, query, search, index, verify, recover, delete, serve, at). This file reads the options that come
// before the command and dispatches; each command is in src/commands/, the work in the
// screenreel_replay library.
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "src/commands/commands.hpp"
#include "screenreel/archive/catalog.hpp"
#include "screenreel/common/log.hpp"
#include "screenreel/common/options.hpp"
#include "screenreel/common/terminal_text.hpp"
#include "screenreel/replay/archive_access.hpp"
#include "screenreel/replay/archive_roots.hpp"

using namespace screenreel;
using namespace screenreel::replay::commands;

namespace {

const Command* const kCommands[] = {&kList,   &kInfo,   &kMarkers, &kAt,     &kPlay,   &kExport,
                                    &kFrame,  &kQuery,  &kSearch, &kIndex,
                                    &kVerify, &kRecover, &kRebuild, &kDelete, &kKeep, &kUnkeep, &kPrune, &kServe,
                                    &kCatalog};

constexpr const char* kUsageHead =
    "Usage: screenreel-replay [--archive DIR] COMMAND [ARGS...]\n"
    "\n"
    "Reads an archive written by screenreel-receiver: DIR/catalog.db (SQLite) and the JPEGs in\n"
    "DIR/sessions/<folder>/. Reading is safe while a receiver records into the same archive.\n"
    "\n"
    "Commands:\n";

constexpr const char* kUsageTail =
    "\n"
    "SESSION is a session id, a session's whole name, or the start of a name only one session has.\n"
    "T is a clock time or an offset from the session's first frame:\n"
    "  clock   14:05, 14:05:30.250, \"2026-12-05 14:05:30\", 2026-12-05T14:05:30+01:00, @1796438641\n"
    "          (local time, $TZ, unless the zone is given)\n"
    "  offset  +1:30, +90s, +1m30s, +500ms; and as before 90, 12.5, [HH:]MM:SS[.mmm]\n"
    "A bare H:MM or HH:MM:SS is the clock time of day on the session's date(s) or the offset,\n"
    "whichever lies inside the session (03:18:00 in a 9 s session is 3:18 am); when both do it\n"
    "is refused as ambiguous: write +1:30, or the date. A time outside the session is an error\n"
    "that states its range.\n"
    "\n"
    "Options:\n"
    "  --archive DIR   the archive; default $SCREENREEL_ARCHIVE, else ./recordings\n"
    "  --catalog URL   a catalog a fleet of receivers shares (postgresql://USER@HOST/DB); default\n"
    "                  $SCREENREEL_CATALOG, else the archive's catalog.db\n"
    "  --archive-root NAME=PATH  receiver NAME's session folders are under PATH on this machine, not\n"
    "                  under the root its sessions name (a shared mount mounted elsewhere; repeatable)\n"
    "  --version       print the version and exit\n"
    "  -h [ --help ]   print this help ('screenreel-replay COMMAND --help': a command's own)\n"
    "\n"
    "Exit status: 0 done, 1 failed (or verify found problems), 2 bad command line.\n"
    "\n"
    "Examples:\n"
    "  screenreel-replay list\n"
    "  screenreel-replay --archive /data/rec info standup\n"
    "  screenreel-replay at 14:05\n"
    "  screenreel-replay play 3 --from 14:05 --speed 2 --idle-limit 2\n"
    "  screenreel-replay export 3 -o standup.mp4 --scale 0.5\n"
    "  screenreel-replay query \"SELECT id, name, frame_count FROM sessions\" --csv\n"
    "  screenreel-replay index --all && screenreel-replay search \"permission denied\"\n"
    "  screenreel-replay recover && screenreel-replay verify\n"
    "  screenreel-replay catalog copy --from . --to postgresql://rec@db/screenreel\n";

void print_usage() {
  std::cout << kUsageHead;
  for (const Command* c : kCommands)
    for (const auto& s : c->synopses) {
      const std::string usage = s.usage;
      std::cout << "  " << usage << std::string(usage.size() < 30 ? 30 - usage.size() : 1, ' ')
                << s.summary << "\n";
    }
  std::cout << kUsageTail;
}

int run(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::filesystem::path archive = default_archive_dir();
  const char* env_catalog = std::getenv("SCREENREEL_CATALOG");
  std::string catalog = env_catalog ? env_catalog : "";
  // Global options come before the command; every command also takes --archive and --catalog
  // after it.
  std::size_t i = 0;
  for (; i < args.size() && args[i].starts_with("-"); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      print_usage();
      return 0;
    }
    if (a == "--version") {
      std::cout << kProgram << " " SCREENREEL_VERSION ", catalog schema " << kCatalogSchemaVersion
                << "\n";
      return 0;
    }
    if (a == "--archive" && i + 1 < args.size()) {
      archive = args[++i];
    } else if (a.starts_with("--archive=")) {
      archive = a.substr(10);
    } else if (a == "--catalog" && i + 1 < args.size()) {
      catalog = args[++i];
    } else if (a.starts_with("--catalog=")) {
      catalog = a.substr(10);
    } else if (a == "--archive-root" && i + 1 < args.size()) {
      replay::map_archive_root(args[++i]);
    } else if (a.starts_with("--archive-root=")) {
      replay::map_archive_root(a.substr(15));
    } else {
      throw UsageError("unknown option " + a + (a == "--archive"        ? " (needs DIR)"
                                           : a == "--catalog"      ? " (needs URL)"
                                           : a == "--archive-root" ? " (needs NAME=PATH)"
                                                                   : ""));
    }
  }
  if (i == args.size()) throw UsageError("no command given");
  const std::string name = args[i];
  for (const Command* c : kCommands) {
    if (name != c->name) continue;
    CommandLine cli({args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end()}, archive,
                    catalog, argv);
    try {
      return c->run(cli);
    } catch (const UsageError& e) {
      throw UsageError(name + ": " + e.what() + "\nTry 'screenreel-replay " + name + " --help'.");
    }
  }
  std::vector<std::string> names;
  for (const Command* c : kCommands) names.emplace_back(c->name);
  const auto near = options::nearest(name, names);
  throw UsageError("unknown command \"" + terminal_safe(name) + "\"" +
                   (near ? "; did you mean " + *near + "?" : ""));
}

// The first line of a message as a log line, the lines after it (a hint, candidates to pick
// from) as they are.
void report(const std::string& message) {
  std::istringstream lines(message);
  std::string line;
  std::getline(lines, line);
  log::info(line);
  while (std::getline(lines, line)) std::cerr << terminal_safe(line) << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  log::set_program(kProgram);
  try {
    return run(argc, argv);
  } catch (const UsageError& e) {
    const std::string message = e.what();
    report(message);
    if (message.find("--help") == std::string::npos) std::cerr << "Try 'screenreel-replay --help'.\n";
    return 2;
  } catch (const replay::BadOption& e) {
    report(e.what());
    return 2;
  } catch (const CatalogError& e) {
    report(std::string(e.what()) +
           (e.kind() == CatalogError::Kind::kCorrupt
                ? " (the catalog is damaged: 'screenreel-replay rebuild' makes a new one from the session folders)"
                : ""));
    return 1;
  } catch (const std::exception& e) {
    report(e.what());
    return 1;
  }
}

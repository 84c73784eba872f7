// screenreel-replay list: one row per session.
#include <iostream>

#include "commands.hpp"
#include "screenreel/replay/archive_access.hpp"
#include "screenreel/replay/listing.hpp"

namespace screenreel::replay::commands {
namespace {

int run(CommandLine& cli) {
  po::options_description o = options();
  o.add_options()("json", "print a JSON array, one object per session")(
      "deleted", "list the sessions deleted so far (by retention or delete): when, why, what they freed");
  const auto vm = cli.parse(
      o, {"list [--json] [--deleted]",
          "One row per session: id, name, start (local time), duration, frames, average\n"
          "fps (between the first and last frame), size of its JPEGs, and status: recording,\n"
          "interrupted (its receiver is gone: run recover), ended by receiver, ended by\n"
          "client, disconnected, error, crashed (closed by recover).",
          "  screenreel-replay list\n"
          "  screenreel-replay list --json | python3 -m json.tool\n"});
  if (!vm) return 0;
  OpenArchive archive(cli);
  if (vm->count("deleted")) {
    print_deletions(std::cout, archive.catalog.deletions(), vm->count("json") > 0);
    return 0;
  }
  const bool receiver = running_receiver_pid(archive.paths).has_value();
  std::vector<SessionSummary> sessions;
  for (const auto& s : archive.catalog.sessions())
    sessions.push_back(summarize(archive.catalog, s, receiver));
  print_list(std::cout, sessions, vm->count("json") > 0);
  return 0;
}

}  // namespace

const Command kList{
    "list",
    {{"list", "the sessions: id, name, start, duration, frames, fps, size, status"}},
    run};

}  // namespace screenreel::replay::commands

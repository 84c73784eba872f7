// screenreel-replay list: one row per session.
#include <iostream>

#include "commands.hpp"
#include "screenreel/archive/catalog_journal.hpp"
#include "screenreel/replay/archive_access.hpp"
#include "screenreel/replay/listing.hpp"

namespace screenreel::replay::commands {
namespace {

int run(CommandLine& cli) {
  po::options_description o = options();
  SessionFilter filter;
  o.add_options()("json", "print a JSON array, one object per session")(
      "since", po::value<std::string>()->value_name("T"),
      "only sessions still recording at clock time T or later (a time of day is today's)")(
      "until", po::value<std::string>()->value_name("T"), "only sessions started at clock time T or earlier")(
      "name", po::value(&filter.name)->value_name("TEXT"), "only sessions whose name contains TEXT (any case)")(
      "deleted", "list the sessions deleted so far (by retention or delete): when, why, what they freed");
  const auto vm = cli.parse(
      o, {"list [--since T] [--until T] [--name TEXT] [--json] [--deleted]",
          "One row per session: id, name, start (local time), duration, frames, average\n"
          "fps (between the first and last frame), size of its JPEGs, and status: recording,\n"
          "interrupted (its receiver is gone: run recover), ended by receiver, ended by\n"
          "client, disconnected, error, crashed (closed by recover).\n"
          "--since and --until take clock times (14:05, \"2026-12-05 14:05\", @EPOCH_SECONDS) and keep\n"
          "the sessions that were recording at some time between them.",
          "  screenreel-replay list\n"
          "  screenreel-replay list --since 2026-12-05 --until \"2026-12-05 18:00\" --name standup\n"
          "  screenreel-replay list --json | python3 -m json.tool\n"});
  if (!vm) return 0;
  if (const auto t = time_option(*vm, "since")) filter.since_us = moment_today(*t);
  if (const auto t = time_option(*vm, "until")) filter.until_us = moment_today(*t);
  OpenArchive archive(cli);
  if (vm->count("deleted")) {
    print_deletions(std::cout, archive.catalog.deletions(), vm->count("json") > 0);
    return 0;
  }
  const bool receiver = running_receiver_pid(archive.paths).has_value();
  std::vector<SessionSummary> sessions;
  const auto all = archive.catalog.sessions();
  std::vector<std::int64_t> ids;
  for (const auto& s : all) ids.push_back(s.id);
  const auto times = archive.catalog.frame_times_of(ids);
  for (std::size_t i = 0; i < all.size(); ++i)
    if (auto sum = summarize(all[i], times[i], receiver); filter.matches(sum)) sessions.push_back(std::move(sum));
  const bool filtered = filter.since_us || filter.until_us || !filter.name.empty();
  if (filtered && sessions.empty() && !vm->count("json")) {
    std::cout << "no session matches --since, --until and --name\n";
    return 0;
  }
  print_list(std::cout, sessions, vm->count("json") > 0);
  for (const auto& note : journaled_session_notes(all, archive.paths.root()))
    (vm->count("json") ? std::cerr : std::cout) << note << "\n";
  return 0;
}

}  // namespace

const Command kList{
    "list",
    {{"list", "the sessions: id, name, start, duration, frames, fps, size, status"}},
    run};

}  // namespace screenreel::replay::commands

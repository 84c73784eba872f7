// screenreel-replay info: everything about one session.
#include <iostream>

#include "commands.hpp"
#include "screenreel/archive/session_files.hpp"
#include "screenreel/replay/archive_access.hpp"
#include "screenreel/replay/ledger_output.hpp"
#include "screenreel/replay/listing.hpp"
#include "screenreel/replay/session_events.hpp"
#include "screenreel/replay/text_search.hpp"

namespace screenreel::replay::commands {
namespace {

int run(CommandLine& cli) {
  po::options_description o = options();
  o.add_options()("json", "print one JSON object")(
      "ledger", po::value<std::string>()->value_name("csv|json"),
      "print only the drop ledger: every run of ticks that became no frame (first and last tick, cause), the "
      "ticks of each cause, and the totals (frames + skipped = ticks)");
  const auto vm = cli.parse(
      o,
      {"info SESSION [--json | --ledger csv|json]",
       "Everything the catalog knows about one session: client, source, size, times, frames,\n"
       "frame-interval statistics (min, median, max time between capture times), dropped\n"
       "ticks (reported by the client, and ticks not sent between stored frames), latency,\n"
       "the size of its folder on disk, its text index (who built it, how far, and how far\n"
       "behind live it ran), its markers and pauses, and its drop ledger: its ticks, as frames\n"
       "and as ticks that became no frame for each cause (unchanged, flow-control, paused,\n"
       "spool-full, disconnected, unknown).",
       "  screenreel-replay info 3\n"
       "  screenreel-replay info standup --json\n"
       "  screenreel-replay info 3 --ledger csv > ledger.csv\n"},
      {"session"});
  if (!vm) return 0;
  OpenArchive archive(cli);
  const SessionRecord s = archive.session(*vm);
  if (vm->count("ledger")) {
    if (vm->count("json")) throw UsageError("--json and --ledger each choose the output: give one");
    print_ledger(std::cout, archive.catalog, s, (*vm)["ledger"].as<std::string>());
    return 0;
  }
  const auto summary =
      summarize(archive.catalog, s, running_receiver_pid(archive.paths).has_value());
  const FolderUsage usage = is_plain_file_name(s.folder)
                                ? folder_usage(session_folder(archive.paths, s))
                                : FolderUsage{};
  const bool json = vm->count("json") > 0;
  const SessionEventsSummary events = session_events(archive.catalog, s.id);
  print_info(std::cout, summary, frame_stats(archive.catalog, s.id), usage, json,
             archive.catalog.text_index_summary(s.id), json ? events_json(archive.catalog, s, events) : Json());
  if (!json) print_events(std::cout, archive.catalog, s, events);
  return 0;
}

}  // namespace

const Command kInfo{
    "info",
    {{"info SESSION", "everything about one session, with frame-interval statistics"}},
    run};

}  // namespace screenreel::replay::commands

// screenreel-replay info: everything about one session.
#include <iostream>

#include "commands.hpp"
#include "screenreel/archive/catalog_journal.hpp"
#include "screenreel/archive/session_files.hpp"
#include "screenreel/replay/archive_access.hpp"
#include "screenreel/replay/listing.hpp"
#include "screenreel/replay/session_events.hpp"
#include "screenreel/replay/text_search.hpp"

namespace screenreel::replay::commands {
namespace {

int run(CommandLine& cli) {
  po::options_description o = options();
  o.add_options()("json", "print one JSON object");
  const auto vm = cli.parse(
      o,
      {"info SESSION [--json]",
       "Everything the catalog knows about one session: client, source, size, times, frames,\n"
       "frame-interval statistics (min, median, max time between capture times), dropped\n"
       "ticks (reported by the client, and ticks not sent between stored frames), latency,\n"
       "the size of its folder on disk, its text index (who built it, how far, and how far\n"
       "behind live it ran), its markers and pauses, and its drop ledger: its ticks, as frames\n"
       "and as ticks that became no frame for each cause (unchanged, flow-control, paused,\n"
       "spool-full, disconnected, unknown).",
       "  screenreel-replay info 3\n"
       "  screenreel-replay info standup --json\n"},
      {"session"});
  if (!vm) return 0;
  OpenArchive archive(cli);
  const SessionRecord s = archive.session(*vm);
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
  for (const auto& note : journaled_session_notes(std::span(&s, 1), archive.paths.root()))
    (json ? std::cerr : std::cout) << note << "\n";
  return 0;
}

}  // namespace

const Command kInfo{
    "info",
    {{"info SESSION", "everything about one session, with frame-interval statistics"}},
    run};

}  // namespace screenreel::replay::commands

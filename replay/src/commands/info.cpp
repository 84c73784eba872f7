// screenreel-replay info: everything about one session.
#include <iostream>

#include "../serve/activity_timeline.hpp"
#include "commands.hpp"
#include "screenreel/common/format.hpp"
#include "screenreel/archive/catalog_journal.hpp"
#include "screenreel/archive/session_files.hpp"
#include "screenreel/replay/archive_access.hpp"
#include "screenreel/replay/ledger_output.hpp"
#include "screenreel/replay/listing.hpp"
#include "screenreel/replay/session_events.hpp"
#include "screenreel/replay/text_search.hpp"
#include "screenreel/replay/time_format.hpp"

namespace screenreel::replay::commands {
namespace {

// How much of the session changed the screen, from the catalog's activity per frame (the
// timeline serve draws, in minutes): frames that changed something, and the busiest minute.
struct ActivitySummary {
  std::int64_t frames = 0, changed = 0, unmeasured = 0;
  std::int64_t busiest_offset_us = 0, busiest_tiles = 0, busiest_changed = 0;
};

ActivitySummary activity_summary(CatalogReader& catalog, std::int64_t session_id) {
  constexpr std::int64_t kMinute = 60'000'000;
  const auto t = serve::activity_timeline(catalog, session_id, kMinute, kMinute, SIZE_MAX);
  ActivitySummary a;
  a.unmeasured = t.unmeasured;
  for (std::size_t m = 0; m < t.frames.size(); ++m) {
    a.frames += t.frames[m];
    a.changed += t.changed[m];
    if (t.tiles[m] > a.busiest_tiles)
      a.busiest_offset_us = static_cast<std::int64_t>(m) * kMinute, a.busiest_tiles = t.tiles[m],
      a.busiest_changed = t.changed[m];
  }
  return a;
}

Json activity_json(const ActivitySummary& a) {
  return {{"frames", a.frames},
          {"changed_frames", a.changed},
          {"unmeasured_frames", a.unmeasured},
          {"busiest_minute", a.busiest_tiles > 0 ? Json{{"offset_us", a.busiest_offset_us},
                                                        {"changed_tiles", a.busiest_tiles},
                                                        {"changed_frames", a.busiest_changed}}
                                                 : Json()}};
}

std::string activity_text(const ActivitySummary& a) {
  if (a.frames == 0) return "-";
  std::string text = std::to_string(a.changed) + " of " + std::to_string(a.frames) + " frames changed the screen (" +
                     format_fixed(100.0 * static_cast<double>(a.changed) / static_cast<double>(a.frames), 1) + "%)";
  if (a.busiest_tiles > 0)
    text += "; busiest minute from " + format_offset(a.busiest_offset_us) + ": " + std::to_string(a.busiest_changed) +
            " frames, " + std::to_string(a.busiest_tiles) + " tiles changed";
  if (a.unmeasured > 0) text += "; " + std::to_string(a.unmeasured) + " frames not measured (run index)";
  return text;
}

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
       "spool-full, disconnected, unknown), and its activity (how many frames changed the\n"
       "screen, and the busiest minute).",
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
  const ActivitySummary activity = activity_summary(archive.catalog, s.id);
  Json more;
  if (json) {
    more = events_json(archive.catalog, s, events);
    more["activity"] = activity_json(activity);
  }
  print_info(std::cout, summary, frame_stats(archive.catalog, s.id), usage, json,
             archive.catalog.text_index_summary(s.id), more);
  for (const auto& note : journaled_session_notes(std::span(&s, 1), archive.paths.root()))
    (json ? std::cerr : std::cout) << note << "\n";
  if (json) return 0;
  std::cout << "activity      " << activity_text(activity) << '\n';
  print_events(std::cout, archive.catalog, s, events);
  return 0;
}

}  // namespace

const Command kInfo{
    "info",
    {{"info SESSION", "everything about one session, with frame-interval statistics"}},
    run};

}  // namespace screenreel::replay::commands

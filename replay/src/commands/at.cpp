// screenreel-replay at: which sessions were recording at a moment, and the frame each had on
// screen then.
#include <iostream>

#include "commands.hpp"
#include "screenreel/replay/archive_access.hpp"
#include "screenreel/replay/table.hpp"
#include "screenreel/replay/time_format.hpp"

namespace screenreel::replay::commands {
namespace {

int run(CommandLine& cli) {
  po::options_description o = options();
  o.add_options()("json", "print a JSON array, one object per session");
  const auto vm = cli.parse(
      o,
      {"at TIME [--json]",
       "Lists the sessions that were recording at TIME, a clock time (14:05, 14:05:30,\n"
       "\"2026-12-05 14:05:30\", 2026-12-05T14:05:30+01:00, @EPOCH_SECONDS; local time unless\n"
       "an offset is given), and in each the frame on screen then: its number, its offset from the\n"
       "session's first frame (for frame/play --at) and when it was captured. A time of day\n"
       "without a date is looked for on every day a session ran. Exit status 1 when none was.",
       "  screenreel-replay at 14:05\n"
       "  screenreel-replay at \"2026-12-05 14:05:30\"\n"
       "  screenreel-replay frame 3 --at 14:05:30 -o then.png\n"},
      {"time"});
  if (!vm) return 0;
  TimeArgument t = time_argument(required(*vm, "time", "TIME (a clock time: 14:05)"), "TIME");
  if (!t.clock())
    throw UsageError("TIME " + t.text + " is an offset: give a clock time (14:05, \"2026-12-05 14:05\", @EPOCH)");
  t.offset_us.reset();  // a bare 14:05 is a time of day here: there is no session to count from
  OpenArchive archive(cli);
  Table table;
  table.columns = {"session", "name", "frame", "offset", "captured"};
  for (const auto& s : archive.catalog.sessions()) {
    const auto span = session_span(archive.catalog, s);
    const auto offset = span ? moment_in(t, *span) : std::nullopt;
    if (!offset) continue;
    const auto frame = archive.catalog.frame_at(s.id, span->first_us + *offset);
    table.rows.push_back({s.id, s.name, frame->seq, format_offset(frame->capture_us - span->first_us),
                          format_local_time_ms(frame->capture_us)});
  }
  if (table.rows.empty())
    throw Failure("no session was recording at " + t.text +
                  (t.moment_us ? " (" + format_local_time(*t.moment_us) + ")" : " on any day") +
                  " ('screenreel-replay list' shows when each ran)");
  table.write(std::cout, vm->count("json") ? TableFormat::kJson : TableFormat::kAligned);
  return 0;
}

}  // namespace

const Command kAt{"at", {{"at TIME", "the sessions recording at a clock time, and the frame of each"}}, run};

}  // namespace screenreel::replay::commands

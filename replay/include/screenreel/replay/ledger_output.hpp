// `info SESSION --ledger csv|json`: a session's drop ledger, every run of ticks that became no
// frame with its cause, and the totals (ticks = frames + the ledger's ticks), for a spreadsheet
// or a script.
#pragma once

#include <ostream>
#include <string_view>

#include "screenreel/archive/catalog.hpp"

namespace screenreel::replay {

// "csv" or "json" (anything else: BadOption). Failure when the catalog predates the ledger.
//
// CSV, one header line, then rows by kind:
//   kind,first_tick,last_tick,ticks,cause
//   run,12,15,4,unchanged       one per ledger run, in tick order
//   total,,,130,unchanged       one per cause: its ticks
//   skipped,,,142,              all the ledger's ticks
//   frames,,,58,                the session's frames
//   ticks,,,200,                its ticks (the highest tick a frame or a run names)
// JSON: info --json's "ledger" object with "session" and "runs" ([{first_tick, last_tick, ticks,
// cause}]).
void print_ledger(std::ostream& out, CatalogReader& catalog, const SessionRecord& session, std::string_view format);

}  // namespace screenreel::replay

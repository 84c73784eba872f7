// What happened during a recording besides its frames (schema 4): markers, pauses and the drop
// ledger, as `markers` and `info` show them and as play --marker and export --from-marker find
// them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "screenreel/archive/catalog.hpp"
#include "screenreel/replay/json.hpp"

namespace screenreel::replay {

// A session's ticks: frames + the ticks of its ledger runs (each cause), and whether they add up
// to its ticks (the highest tick a frame or a run names), as schemas/catalog.sql promises.
struct LedgerTotals {
  bool recorded = false;  // the catalog has a ledger (schema 4)
  std::int64_t ticks = 0, frames = 0, ledger_ticks = 0;
  std::map<std::string, std::int64_t> by_cause;
  bool adds_up() const { return frames + ledger_ticks == ticks; }
};
LedgerTotals ledger_totals(CatalogReader& catalog, std::int64_t session_id);

struct SessionEventsSummary {
  std::vector<MarkerRecord> markers;
  std::vector<PauseRecord> pauses;
  LedgerTotals ledger;
};
SessionEventsSummary session_events(CatalogReader& catalog, std::int64_t session_id);

// The marker labelled `label` (exactly); a failure naming the session's labels when there is
// none, or when several have it.
MarkerRecord find_marker(CatalogReader& catalog, const SessionRecord& session, const std::string& label);
// Where a marker is, as an offset from the session's first frame: its frame's capture time
// (the first frame's when it was set before any).
std::int64_t marker_offset_us(CatalogReader& catalog, const SessionRecord& session, const MarkerRecord& marker);

Json markers_json(CatalogReader& catalog, const SessionRecord& session, const std::vector<MarkerRecord>& markers);
Json events_json(CatalogReader& catalog, const SessionRecord& session, const SessionEventsSummary& events);
// `markers SESSION`'s table: one line per marker.
void print_markers(std::ostream& out, CatalogReader& catalog, const SessionRecord& session,
                   const std::vector<MarkerRecord>& markers);
// info's lines: markers, pauses, ledger.
void print_events(std::ostream& out, CatalogReader& catalog, const SessionRecord& session,
                  const SessionEventsSummary& events);

}  // namespace screenreel::replay

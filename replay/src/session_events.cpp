// Markers, pauses and the drop ledger of a session (see session_events.hpp).
#include "screenreel/replay/session_events.hpp"

#include <algorithm>
#include <iterator>

#include "screenreel/common/terminal_text.hpp"
#include "screenreel/replay/archive_access.hpp"
#include "screenreel/replay/table.hpp"
#include "screenreel/replay/time_format.hpp"

namespace screenreel::replay {
namespace {

std::int64_t first_capture_us(CatalogReader& catalog, const SessionRecord& session) {
  return catalog.frame_times(session.id).first_capture_us.value_or(session.started_us);
}

std::string ticks_text(const std::optional<std::int64_t>& to_tick, std::int64_t from_tick) {
  return to_tick ? std::to_string(*to_tick - from_tick) + " ticks" : std::string("until the end");
}

}  // namespace

LedgerTotals ledger_totals(CatalogReader& catalog, std::int64_t session_id) {
  LedgerTotals t;
  t.recorded = catalog.has_ledger();
  std::int64_t last_frame_tick = 0;
  catalog.for_each_frame(session_id, [&](const FrameRecord& f) {
    ++t.frames;
    last_frame_tick = std::max(last_frame_tick, f.tick);
  });
  t.ticks = last_frame_tick;
  for (const auto& run : catalog.ledger(session_id)) {
    t.ledger_ticks += run.ticks();
    t.by_cause[run.cause] += run.ticks();
    t.ticks = std::max(t.ticks, run.last_tick);
  }
  return t;
}

SessionEventsSummary session_events(CatalogReader& catalog, std::int64_t session_id) {
  return {catalog.markers(session_id), catalog.pauses(session_id), ledger_totals(catalog, session_id)};
}

MarkerRecord find_marker(CatalogReader& catalog, const SessionRecord& session, const std::string& label) {
  const auto markers = catalog.markers(session.id);
  std::vector<MarkerRecord> found;
  std::copy_if(markers.begin(), markers.end(), std::back_inserter(found),
               [&](const MarkerRecord& m) { return m.label == label; });
  if (found.size() == 1) return found[0];
  std::string labels;
  for (const auto& m : markers) labels += (labels.empty() ? "" : ", ") + ("'" + m.label + "'");
  const std::string where = "session " + std::to_string(session.id);
  if (found.empty())
    throw Failure("no marker '" + label + "' in " + where +
                  (markers.empty() ? " (it has none)" : "; its markers: " + labels));
  throw Failure(std::to_string(found.size()) + " markers of " + where + " are labelled '" + label +
                "' (screenreel-replay markers " + std::to_string(session.id) + " lists them)");
}

std::int64_t marker_offset_us(CatalogReader& catalog, const SessionRecord& session, const MarkerRecord& marker) {
  if (!marker.frame) return 0;
  const auto frame = catalog.frame(session.id, *marker.frame);
  if (!frame) return 0;
  return frame->capture_us - first_capture_us(catalog, session);
}

Json markers_json(CatalogReader& catalog, const SessionRecord& session, const std::vector<MarkerRecord>& markers) {
  Json out = Json::array();
  for (const auto& m : markers)
    out.push_back({{"label", m.label},
                   {"time_us", m.time_us},
                   {"offset_us", marker_offset_us(catalog, session, m)},
                   {"tick", m.tick},
                   {"frame", json_or_null(m.frame)},
                   {"source", m.source}});
  return out;
}

Json events_json(CatalogReader& catalog, const SessionRecord& session, const SessionEventsSummary& events) {
  Json pauses = Json::array();
  for (const auto& p : events.pauses)
    pauses.push_back({{"from_tick", p.from_tick},
                      {"from_us", p.from_us},
                      {"to_tick", json_or_null(p.to_tick)},
                      {"to_us", json_or_null(p.to_us)},
                      {"reason", p.reason}});
  Json ledger = nullptr;
  if (events.ledger.recorded) {
    Json causes = Json::object();
    for (const auto& [cause, ticks] : events.ledger.by_cause) causes[cause] = ticks;
    ledger = {{"ticks", events.ledger.ticks},
              {"frames", events.ledger.frames},
              {"skipped", events.ledger.ledger_ticks},
              {"causes", causes},
              {"adds_up", events.ledger.adds_up()}};
  }
  return {{"markers", markers_json(catalog, session, events.markers)}, {"pauses", pauses}, {"ledger", ledger}};
}

void print_markers(std::ostream& out, CatalogReader& catalog, const SessionRecord& session,
                   const std::vector<MarkerRecord>& markers) {
  Table table;
  table.columns = {"time", "offset", "tick", "frame", "source", "label"};
  table.right_aligned = {false, true, true, true, false, false};
  for (const auto& m : markers)
    table.rows.push_back({format_local_time_ms(m.time_us), format_offset(marker_offset_us(catalog, session, m)),
                          m.tick, m.frame ? Cell(*m.frame) : Cell(std::string("-")), m.source, m.label});
  table.write(out, TableFormat::kAligned);
}

void print_events(std::ostream& out, CatalogReader& catalog, const SessionRecord& session,
                  const SessionEventsSummary& events) {
  const auto line = [&](const char* label, const std::string& value) {
    out << label << std::string(14 - std::string_view(label).size(), ' ') << terminal_safe(value) << '\n';
  };
  if (!events.ledger.recorded) {
    line("markers", "- (the catalog predates markers: schema 5)");
    return;
  }
  if (events.markers.empty()) line("markers", "none");
  for (std::size_t i = 0; i < events.markers.size(); ++i) {
    const auto& m = events.markers[i];
    line(i == 0 ? "markers" : "", format_offset(marker_offset_us(catalog, session, m)) + "  frame " +
                                      (m.frame ? std::to_string(*m.frame) : std::string("-")) + "  " + m.source +
                                      "  " + m.label);
  }
  if (events.pauses.empty()) line("pauses", "none");
  for (std::size_t i = 0; i < events.pauses.size(); ++i) {
    const auto& p = events.pauses[i];
    line(i == 0 ? "pauses" : "", format_local_time_ms(p.from_us) + " from tick " + std::to_string(p.from_tick) +
                                     ", " + ticks_text(p.to_tick, p.from_tick) + " (" + p.reason + ")");
  }
  const auto& l = events.ledger;
  std::string causes;
  for (const auto& [cause, ticks] : l.by_cause) causes += ", " + std::to_string(ticks) + " " + cause;
  line("ticks", std::to_string(l.ticks) + ": " + std::to_string(l.frames) + " frames" + causes +
                    (l.adds_up() ? "" : " (they do not add up: " + std::to_string(l.ticks - l.frames - l.ledger_ticks) +
                                            " ticks unaccounted for)"));
}

}  // namespace screenreel::replay

// A session's drop ledger as CSV or JSON (see ledger_output.hpp).
#include "screenreel/replay/ledger_output.hpp"

#include "screenreel/replay/archive_access.hpp"
#include "screenreel/replay/json.hpp"
#include "screenreel/replay/session_events.hpp"

namespace screenreel::replay {

void print_ledger(std::ostream& out, CatalogReader& catalog, const SessionRecord& session, std::string_view format) {
  if (format != "csv" && format != "json") throw BadOption("--ledger " + std::string(format) + ": give csv or json");
  if (!catalog.has_ledger())
    throw Failure("this archive's catalog (schema " + std::to_string(catalog.schema_version()) +
                  ") predates the drop ledger (schema 5): its sessions have none");
  const auto runs = catalog.ledger(session.id);
  const SessionEventsSummary events = session_events(catalog, session.id);
  if (format == "json") {
    Json j = events_json(catalog, session, events)["ledger"];  // the totals, as info --json has them
    j["session"] = session.id;
    Json rows = Json::array();
    for (const auto& r : runs)
      rows.push_back({{"first_tick", r.first_tick}, {"last_tick", r.last_tick}, {"ticks", r.ticks()}, {"cause", r.cause}});
    j["runs"] = std::move(rows);
    out << j.dump(2, ' ', false, Json::error_handler_t::replace) << '\n';
    return;
  }
  // Causes are the catalog's own words (schemas/catalog.sql): no comma or quote to escape.
  out << "kind,first_tick,last_tick,ticks,cause\n";
  for (const auto& r : runs)
    out << "run," << r.first_tick << ',' << r.last_tick << ',' << r.ticks() << ',' << r.cause << '\n';
  const LedgerTotals& t = events.ledger;
  for (const auto& [cause, ticks] : t.by_cause) out << "total,,," << ticks << ',' << cause << '\n';
  out << "skipped,,," << t.ledger_ticks << ",\nframes,,," << t.frames << ",\nticks,,," << t.ticks << ",\n";
}

}  // namespace screenreel::replay

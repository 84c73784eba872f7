// The SQLite catalog backend's markers, pauses and drop ledger (schema 5: schemas/catalog.sql),
// and the windows the capture saw (schema 6).
// The receiver decides what they hold (its connection accounts for every tick); this file only
// reads and writes the rows. A catalog older than schema 5 has none of them: empty answers.
#include "screenreel/archive/sqlite_catalog.hpp"

namespace screenreel {

std::vector<MarkerRecord> SqliteCatalog::markers(std::int64_t session_id) {
  std::vector<MarkerRecord> out;
  if (version_ < 5) return out;
  auto q = db_.prepare(
      "SELECT session_id, time_us, tick, frame, label, source FROM markers WHERE session_id = ? ORDER BY tick, id");
  q.bind(1, session_id);
  while (q.step()) out.push_back({q.int64(0), q.int64(1), q.int64(2), q.opt_int64(3), q.text(4), q.text(5)});
  return out;
}

std::vector<PauseRecord> SqliteCatalog::pauses(std::int64_t session_id) {
  std::vector<PauseRecord> out;
  if (version_ < 5) return out;
  auto q = db_.prepare(
      "SELECT session_id, from_tick, from_us, to_tick, to_us, reason FROM pauses WHERE session_id = ? "
      "ORDER BY from_tick, id");
  q.bind(1, session_id);
  while (q.step()) out.push_back({q.int64(0), q.int64(1), q.int64(2), q.opt_int64(3), q.opt_int64(4), q.text(5)});
  return out;
}

std::vector<LedgerRun> SqliteCatalog::ledger(std::int64_t session_id) {
  std::vector<LedgerRun> out;
  if (version_ < 5) return out;
  auto q = db_.prepare("SELECT session_id, first_tick, last_tick, cause FROM ledger WHERE session_id = ? ORDER BY first_tick");
  q.bind(1, session_id);
  while (q.step()) out.push_back({q.int64(0), q.int64(1), q.int64(2), q.text(3)});
  return out;
}

std::vector<WindowRecord> SqliteCatalog::windows(std::int64_t session_id) {
  std::vector<WindowRecord> out;
  if (version_ < 6) return out;
  auto q = db_.prepare(
      "SELECT session_id, from_tick, from_us, to_tick, to_us, window_id, title, x, y, width, height FROM windows "
      "WHERE session_id = ? ORDER BY from_tick, id");
  q.bind(1, session_id);
  while (q.step())
    out.push_back({q.int64(0), q.int64(1), q.int64(2), q.opt_int64(3), q.opt_int64(4), q.int64(5), q.text(6), q.int64(7),
                   q.int64(8), q.int64(9), q.int64(10)});
  return out;
}

void SqliteCatalog::add_events(const SessionEvents& events) {
  if (events.empty()) return;
  sqlite::Transaction tx(db_);
  // One statement each, bound and run per row (run() resets it for the next).
  auto marker = db_.prepare("INSERT INTO markers (session_id, time_us, tick, frame, label, source) VALUES (?, ?, ?, ?, ?, ?)");
  for (const auto& m : events.markers)
    marker.bind(1, m.session_id).bind(2, m.time_us).bind(3, m.tick).bind(4, m.frame).bind(5, m.label).bind(6, m.source).run();
  auto pause = db_.prepare("INSERT INTO pauses (session_id, from_tick, from_us, to_tick, to_us, reason) VALUES (?, ?, ?, ?, ?, ?)");
  for (const auto& p : events.pauses)
    pause.bind(1, p.session_id).bind(2, p.from_tick).bind(3, p.from_us).bind(4, p.to_tick).bind(5, p.to_us).bind(6, p.reason).run();
  auto pause_end = db_.prepare("UPDATE pauses SET to_tick = ?1, to_us = ?2 WHERE session_id = ?3 AND to_tick IS NULL AND from_tick <= ?1");
  for (const auto& e : events.pause_ends) pause_end.bind(1, e.to_tick).bind(2, e.to_us).bind(3, e.session_id).run();
  auto ledger = db_.prepare("INSERT INTO ledger (session_id, first_tick, last_tick, cause) VALUES (?, ?, ?, ?)");
  for (const auto& r : events.ledger) ledger.bind(1, r.session_id).bind(2, r.first_tick).bind(3, r.last_tick).bind(4, r.cause).run();
  if (!events.windows.empty() || !events.window_ends.empty()) {
    auto window = db_.prepare(
        "INSERT INTO windows (session_id, from_tick, from_us, to_tick, to_us, window_id, title, x, y, width, height) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    for (const auto& w : events.windows)
      window.bind(1, w.session_id).bind(2, w.from_tick).bind(3, w.from_us).bind(4, w.to_tick).bind(5, w.to_us)
          .bind(6, w.window_id).bind(7, w.title).bind(8, w.x).bind(9, w.y).bind(10, w.width).bind(11, w.height).run();
    auto window_end = db_.prepare(
        "UPDATE windows SET to_tick = ?1, to_us = ?2 WHERE session_id = ?3 AND to_tick IS NULL AND from_tick < ?1 "
        "AND (?4 IS NULL OR window_id = ?4)");
    for (const auto& e : events.window_ends)
      window_end.bind(1, e.to_tick).bind(2, e.to_us).bind(3, e.session_id).bind(4, e.window_id).run();
  }
  tx.commit();
}

}  // namespace screenreel

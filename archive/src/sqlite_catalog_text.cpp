// The SQLite catalog backend's text index (schema 2: text_spans, the FTS5 table text_fts over
// them, ocr_sessions, ocr_passes). The rules that decide what a pass changes are TextIndex's
// (text_index.cpp); this file only reads and writes the rows.
#include <algorithm>
#include <stdexcept>

#include "screenreel/archive/sqlite_catalog.hpp"
#include "screenreel/archive/text_index.hpp"
#include "text_span_words.hpp"

namespace screenreel {
namespace {

PixelRect rect_at(const sqlite::Statement& s, int col) {
  return {static_cast<std::int32_t>(s.int64(col)), static_cast<std::int32_t>(s.int64(col + 1)),
          static_cast<std::int32_t>(s.int64(col + 2)), static_cast<std::int32_t>(s.int64(col + 3))};
}

}  // namespace

std::string fts5_query(std::string_view words) {
  std::string q;
  for (auto w : split_words(words)) {
    const bool prefix = w.size() > 1 && w.back() == '*';
    if (prefix) w.pop_back();
    std::string quoted = "\"";
    for (const char c : w) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    quoted += "\"";
    if (!q.empty()) q += ' ';
    q += quoted + (prefix ? "*" : "");
  }
  if (q.empty()) throw std::invalid_argument("no words to search for");
  return q;
}

std::optional<OcrSessionState> SqliteCatalog::text_state(std::int64_t session_id) {
  auto s = db_.prepare(
      "SELECT indexer, lang, interval_us, through_seq, complete FROM ocr_sessions WHERE session_id = ?");
  s.bind(1, session_id);
  if (!s.step()) return std::nullopt;
  return OcrSessionState{s.text(0), s.text(1), s.int64(2), s.int64(3), s.int64(4) != 0};
}

std::vector<OpenSpan> SqliteCatalog::open_spans(std::int64_t session_id) {
  auto s = db_.prepare("SELECT id, text, x, y, w, h, last_seq FROM text_spans WHERE session_id = ? AND open");
  s.bind(1, session_id);
  std::vector<OpenSpan> out;
  while (s.step()) out.push_back({s.int64(0), s.text(1), rect_at(s, 2), s.int64(6)});
  return out;
}

std::vector<TextHit> SqliteCatalog::find_text(const TextSearch& search) {
  const std::string match = fts5_query(search.words);
  auto s = db_.prepare(
      "SELECT t.session_id, s.name, o.origin_us, t.first_seq, t.first_us, t.last_seq, t.last_us, t.text, "
      "highlight(text_fts, 0, char(2), char(3)), t.x, t.y, t.w, t.h, t.confidence, bm25(text_fts) "
      "FROM text_fts JOIN text_spans t ON t.id = text_fts.rowid JOIN sessions s ON s.id = t.session_id "
      "JOIN (SELECT id AS session_id, (SELECT min(capture_us) FROM frames f WHERE f.session_id = sessions.id) "
      "AS origin_us FROM sessions) o ON o.session_id = t.session_id "
      "WHERE text_fts MATCH ?1 AND (?2 IS NULL OR t.session_id = ?2) "
      "AND (?3 IS NULL OR t.last_us >= o.origin_us + ?3) AND (?4 IS NULL OR t.first_us <= o.origin_us + ?4) "
      "ORDER BY bm25(text_fts), t.first_us LIMIT ?5");
  s.bind(1, match).bind(2, search.session_id).bind(3, search.from_us).bind(4, search.to_us);
  s.bind(5, std::int64_t{search.limit});
  std::vector<TextHit> out;
  while (s.step()) {
    TextHit h;
    h.session_id = s.int64(0);
    h.session_name = s.text(1);
    h.origin_us = s.int64(2);
    h.first_seq = s.int64(3);
    h.first_us = s.int64(4);
    h.last_seq = s.int64(5);
    h.last_us = s.int64(6);
    h.text = s.text(7);
    h.marked = s.text(8);
    h.box = rect_at(s, 9);
    h.confidence = s.real(13);
    h.rank = s.real(14);
    out.push_back(std::move(h));
  }
  return out;
}

std::vector<TextSpanWords> SqliteCatalog::text_on_frame(std::int64_t session_id, std::int64_t seq,
                                                        const std::string& words) {
  auto s = db_.prepare(
      "SELECT t.text, t.words, t.x, t.y, t.w, t.h FROM text_fts JOIN text_spans t ON t.id = text_fts.rowid "
      "WHERE text_fts MATCH ? AND t.session_id = ? AND t.first_seq <= ? AND t.last_seq >= ?");
  s.bind(1, fts5_query(words)).bind(2, session_id).bind(3, seq).bind(4, seq);
  std::vector<TextSpanWords> out;
  while (s.step()) out.push_back({s.text(0), parse_word_boxes(s.text(1)), rect_at(s, 2)});
  return out;
}

void SqliteCatalog::for_each_text_span(std::int64_t session_id, const std::function<void(const TextSpanRow&)>& visit) {
  auto s = db_.prepare(kTextSpanRows);
  s.bind(1, session_id);
  while (s.step())
    visit({{s.text(0), parse_word_boxes(s.text(1)), rect_at(s, 2)}, s.int64(6), s.int64(7), s.int64(8), s.int64(9)});
}

std::optional<TextIndexSummary> SqliteCatalog::text_index_summary(std::int64_t session_id) {
  if (!has_text_index()) return std::nullopt;
  auto st = db_.prepare(
      "SELECT indexer, lang, interval_us, through_seq, complete, "
      "(SELECT count(*) FROM text_spans WHERE session_id = ?1), "
      "(SELECT count(*) FROM ocr_passes WHERE session_id = ?1), "
      "(SELECT coalesce(max(done_us - capture_us), 0) FROM ocr_passes WHERE session_id = ?1), "
      "(SELECT coalesce(max(frames), 0) FROM ocr_passes WHERE session_id = ?1) "
      "FROM ocr_sessions WHERE session_id = ?1");
  st.bind(1, session_id);
  if (!st.step()) return std::nullopt;
  TextIndexSummary t;
  t.state = {st.text(0), st.text(1), st.int64(2), st.int64(3), st.int64(4) != 0};
  t.spans = st.int64(5);
  t.passes = st.int64(6);
  t.lag_max_us = st.int64(7);
  t.most_frames_merged = st.int64(8);
  auto median = db_.prepare("SELECT done_us - capture_us FROM ocr_passes WHERE session_id = ? ORDER BY 1 LIMIT 1 OFFSET ?");
  median.bind(1, session_id).bind(2, t.passes / 2);
  if (median.step()) t.lag_median_us = median.int64(0);
  return t;
}

std::vector<std::int64_t> SqliteCatalog::sessions_without_text_index() {
  std::vector<std::int64_t> out;
  const char* sql = has_text_index() ? "SELECT id FROM sessions WHERE frame_count > 0 AND id NOT IN "
                                       "(SELECT session_id FROM ocr_sessions WHERE complete) ORDER BY id"
                                     : "SELECT id FROM sessions WHERE frame_count > 0 ORDER BY id";
  auto s = db_.prepare(sql);
  while (s.step()) out.push_back(s.int64(0));
  return out;
}

void SqliteCatalog::begin_text_index(std::int64_t session_id, const std::string& indexer, const std::string& lang,
                                     std::int64_t interval_us) {
  db_.prepare(
         "INSERT INTO ocr_sessions (session_id, indexer, lang, interval_us) VALUES (?, ?, ?, ?) "
         "ON CONFLICT (session_id) DO UPDATE SET indexer = excluded.indexer, lang = excluded.lang, "
         "interval_us = excluded.interval_us, complete = 0")
      .bind(1, session_id)
      .bind(2, indexer)
      .bind(3, lang)
      .bind(4, interval_us)
      .run();
}

std::int64_t SqliteCatalog::apply_text_pass(
    std::int64_t session_id, const std::function<TextPassChanges(const std::vector<OpenSpan>&)>& decide) {
  sqlite::Transaction tx(db_);
  const TextPassChanges changes = decide(open_spans(session_id));
  const OcrPassRow& pass = changes.pass;
  auto close = db_.prepare("UPDATE text_spans SET open = 0 WHERE id = ?");
  auto close_later = db_.prepare("UPDATE text_spans SET open = 0, last_seq = ?, last_us = ? WHERE id = ?");
  for (const auto& c : changes.close) {
    if (c.until)
      close_later.bind(1, c.until->seq).bind(2, c.until->capture_us).bind(3, c.span_id).run();
    else
      close.bind(1, c.span_id).run();
  }
  db_.prepare("UPDATE text_spans SET last_seq = ?, last_us = ? WHERE session_id = ? AND open")
      .bind(1, pass.seq)
      .bind(2, pass.capture_us)
      .bind(3, session_id)
      .run();
  const std::int64_t extended = db_.changes();
  auto insert = db_.prepare(
      "INSERT INTO text_spans (session_id, text, x, y, w, h, words, confidence, first_seq, first_us, last_seq, "
      "last_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  for (const auto& l : changes.open) {
    insert.bind(1, session_id).bind(2, l.text);
    insert.bind(3, std::int64_t{l.box.x}).bind(4, std::int64_t{l.box.y});
    insert.bind(5, std::int64_t{l.box.w}).bind(6, std::int64_t{l.box.h});
    insert.bind(7, words_json(l.words)).bind(8, l.confidence);
    insert.bind(9, pass.seq).bind(10, pass.capture_us).bind(11, pass.seq).bind(12, pass.capture_us);
    insert.run();
  }
  db_.prepare(
         "INSERT OR REPLACE INTO ocr_passes (session_id, seq, capture_us, done_us, frames, regions, pixels, "
         "ocr_us, lines, opened, closed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .bind(1, session_id)
      .bind(2, pass.seq)
      .bind(3, pass.capture_us)
      .bind(4, pass.done_us)
      .bind(5, pass.frames)
      .bind(6, pass.regions)
      .bind(7, pass.pixels)
      .bind(8, pass.ocr_us)
      .bind(9, pass.lines)
      .bind(10, pass.opened)
      .bind(11, pass.closed)
      .run();
  db_.prepare("UPDATE ocr_sessions SET through_seq = max(through_seq, ?) WHERE session_id = ?")
      .bind(1, pass.seq)
      .bind(2, session_id)
      .run();
  tx.commit();
  return extended;
}

void SqliteCatalog::finish_text_index(std::int64_t session_id, std::int64_t last_seq, std::int64_t until_us) {
  sqlite::Transaction tx(db_);
  db_.prepare(
         "UPDATE text_spans SET last_seq = max(last_seq, ?), last_us = max(last_us, ?), open = 0 "
         "WHERE session_id = ? AND open")
      .bind(1, last_seq)
      .bind(2, until_us)
      .bind(3, session_id)
      .run();
  db_.prepare("UPDATE ocr_sessions SET through_seq = max(through_seq, ?), complete = 1 WHERE session_id = ?")
      .bind(1, last_seq)
      .bind(2, session_id)
      .run();
  tx.commit();
}

void SqliteCatalog::erase_text_index(std::int64_t session_id) {
  sqlite::Transaction tx(db_);
  for (const char* table : {"text_spans", "ocr_passes", "ocr_sessions"})
    db_.prepare(std::string("DELETE FROM ") + table + " WHERE session_id = ?").bind(1, session_id).run();
  tx.commit();
}

}  // namespace screenreel

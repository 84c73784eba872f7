// The PostgreSQL catalog backend's text index (text_spans with its tsvector and GIN index,
// ocr_sessions, ocr_passes). The rules that decide what a pass changes are TextIndex's
// (text_index.cpp); this file only reads and writes the rows, with the meanings of
// sqlite_catalog_text.cpp. How search ranking differs from SQLite's FTS5 is stated in
// schemas/catalog-postgresql.sql.
#include <stdexcept>

#include "pg.hpp"
#include "screenreel/archive/pg_catalog.hpp"
#include "screenreel/archive/text_index.hpp"
#include "text_span_words.hpp"

namespace screenreel {
namespace {

PixelRect rect_at(const pg::Rows& r, int row, int col) {
  return {static_cast<std::int32_t>(r.int64(row, col)), static_cast<std::int32_t>(r.int64(row, col + 1)),
          static_cast<std::int32_t>(r.int64(row, col + 2)), static_cast<std::int32_t>(r.int64(row, col + 3))};
}

OcrSessionState read_state(const pg::Rows& r, int row) {
  return {r.text(row, 0), r.text(row, 1), r.int64(row, 2), r.int64(row, 3), r.boolean(row, 4)};
}

// The 'simple' configuration: lower case, no stemming, no stop words (as FTS5's unicode61).
constexpr const char* kQuery = "to_tsquery('simple', $1)";

}  // namespace

std::string tsquery_text(std::string_view words) {
  std::string q;
  for (auto w : split_words(words)) {
    const bool prefix = w.size() > 1 && w.back() == '*';
    if (prefix) w.pop_back();
    // Inside quotes, tsquery takes '' and \ as escapes; the quoted text is parsed into its
    // tokens, which must follow each other (a phrase), as FTS5 does with a quoted string.
    std::string quoted = "'";
    for (const char c : w) {
      if (c == '\'' || c == '\\') quoted += c;
      quoted += c;
    }
    quoted += "'";
    if (!q.empty()) q += " & ";
    q += quoted + (prefix ? ":*" : "");
  }
  if (q.empty()) throw std::invalid_argument("no words to search for");
  return q;
}

std::optional<OcrSessionState> PgCatalog::text_state(std::int64_t session_id) {
  const auto r = db_->exec(
      "SELECT indexer, lang, interval_us, through_seq, complete FROM ocr_sessions WHERE session_id = $1",
      {session_id});
  if (r.empty()) return std::nullopt;
  return read_state(r, 0);
}

std::vector<OpenSpan> PgCatalog::open_spans(std::int64_t session_id) {
  const auto r = db_->exec("SELECT id, text, x, y, w, h, last_seq FROM text_spans WHERE session_id = $1 AND open",
                           {session_id});
  std::vector<OpenSpan> out;
  for (int i = 0; i < r.size(); ++i) out.push_back({r.int64(i, 0), r.text(i, 1), rect_at(r, i, 2), r.int64(i, 6)});
  return out;
}

std::vector<TextHit> PgCatalog::find_text(const TextSearch& search) {
  const std::string query = tsquery_text(search.words);
  // ts_rank's normalisation 1 divides by 1 + log(the line's length): a shorter line with the
  // words ranks first, as with bm25. Negated: lower is better, as bm25's.
  const auto r = db_->exec(
      std::string("SELECT t.session_id, s.name, o.origin_us, t.first_seq, t.first_us, t.last_seq, t.last_us, "
                  "t.text, ts_headline('simple', t.text, q, 'HighlightAll=true, StartSel=' || chr(2) || "
                  "', StopSel=' || chr(3)), t.x, t.y, t.w, t.h, t.confidence, -ts_rank(t.tsv, q, 1) AS rank "
                  "FROM ") +
          kQuery +
          " q, text_spans t JOIN sessions s ON s.id = t.session_id "
          "CROSS JOIN LATERAL (SELECT min(capture_us) AS origin_us FROM frames f WHERE f.session_id = s.id) o "
          "WHERE t.tsv @@ q AND ($2::bigint IS NULL OR t.session_id = $2) "
          "AND ($3::bigint IS NULL OR t.last_us >= o.origin_us + $3) "
          "AND ($4::bigint IS NULL OR t.first_us <= o.origin_us + $4) "
          "ORDER BY rank, t.first_us LIMIT $5",
      {query, search.session_id, search.from_us, search.to_us, search.limit});
  std::vector<TextHit> out;
  for (int i = 0; i < r.size(); ++i) {
    TextHit h;
    h.session_id = r.int64(i, 0);
    h.session_name = r.text(i, 1);
    h.origin_us = r.int64(i, 2);
    h.first_seq = r.int64(i, 3);
    h.first_us = r.int64(i, 4);
    h.last_seq = r.int64(i, 5);
    h.last_us = r.int64(i, 6);
    h.text = r.text(i, 7);
    h.marked = r.text(i, 8);
    h.box = rect_at(r, i, 9);
    h.confidence = r.real(i, 13);
    h.rank = r.real(i, 14);
    out.push_back(std::move(h));
  }
  return out;
}

std::vector<TextSpanWords> PgCatalog::text_on_frame(std::int64_t session_id, std::int64_t seq,
                                                    const std::string& words) {
  const auto r = db_->exec(std::string("SELECT t.text, t.words, t.x, t.y, t.w, t.h FROM text_spans t, ") + kQuery +
                               " q WHERE t.tsv @@ q AND t.session_id = $2 AND t.first_seq <= $3 AND t.last_seq >= $3",
                           {tsquery_text(words), session_id, seq});
  std::vector<TextSpanWords> out;
  for (int i = 0; i < r.size(); ++i) out.push_back({r.text(i, 0), parse_word_boxes(r.text(i, 1)), rect_at(r, i, 2)});
  return out;
}

void PgCatalog::for_each_text_span(std::int64_t session_id, const std::function<void(const TextSpanRow&)>& visit) {
  const auto r = db_->exec(std::string(kTextSpanRows), {session_id});
  for (int i = 0; i < r.size(); ++i)
    visit({{r.text(i, 0), parse_word_boxes(r.text(i, 1)), rect_at(r, i, 2)}, r.int64(i, 6), r.int64(i, 7),
           r.int64(i, 8), r.int64(i, 9)});
}

std::optional<TextIndexSummary> PgCatalog::text_index_summary(std::int64_t session_id) {
  const auto r = db_->exec(
      "SELECT indexer, lang, interval_us, through_seq, complete, "
      "(SELECT count(*) FROM text_spans WHERE session_id = $1), "
      "(SELECT count(*) FROM ocr_passes WHERE session_id = $1), "
      "(SELECT coalesce(max(done_us - capture_us), 0) FROM ocr_passes WHERE session_id = $1), "
      "(SELECT coalesce(max(frames), 0) FROM ocr_passes WHERE session_id = $1) "
      "FROM ocr_sessions WHERE session_id = $1",
      {session_id});
  if (r.empty()) return std::nullopt;
  TextIndexSummary t;
  t.state = read_state(r, 0);
  t.spans = r.int64(0, 5);
  t.passes = r.int64(0, 6);
  t.lag_max_us = r.int64(0, 7);
  t.most_frames_merged = r.int64(0, 8);
  // The same median as SQLite's: the lag at position passes / 2 in ascending order.
  const auto median = db_->exec(
      "SELECT done_us - capture_us AS lag FROM ocr_passes WHERE session_id = $1 ORDER BY lag LIMIT 1 OFFSET $2",
      {session_id, t.passes / 2});
  if (!median.empty()) t.lag_median_us = median.int64(0, 0);
  return t;
}

std::vector<std::int64_t> PgCatalog::sessions_without_text_index() {
  const auto r = db_->exec(
      "SELECT id FROM sessions WHERE frame_count > 0 AND id NOT IN "
      "(SELECT session_id FROM ocr_sessions WHERE complete)" + scope_ + " ORDER BY id");
  std::vector<std::int64_t> out;
  for (int i = 0; i < r.size(); ++i) out.push_back(r.int64(i, 0));
  return out;
}

void PgCatalog::begin_text_index(std::int64_t session_id, const std::string& indexer, const std::string& lang,
                                 std::int64_t interval_us) {
  db_->exec(
      "INSERT INTO ocr_sessions (session_id, indexer, lang, interval_us) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (session_id) DO UPDATE SET indexer = excluded.indexer, lang = excluded.lang, "
      "interval_us = excluded.interval_us, complete = false",
      {session_id, indexer, lang, interval_us});
}

std::int64_t PgCatalog::apply_text_pass(
    std::int64_t session_id, const std::function<TextPassChanges(const std::vector<OpenSpan>&)>& decide) {
  pg::Transaction tx(*db_);
  // One pass of a session at a time (SQLite: its write lock): the open spans stay as read.
  db_->exec("SELECT 1 FROM ocr_sessions WHERE session_id = $1 FOR UPDATE", {session_id});
  const TextPassChanges changes = decide(open_spans(session_id));
  const OcrPassRow& pass = changes.pass;
  for (const auto& c : changes.close) {
    if (c.until)
      db_->exec("UPDATE text_spans SET open = false, last_seq = $1, last_us = $2 WHERE id = $3",
                {c.until->seq, c.until->capture_us, c.span_id});
    else
      db_->exec("UPDATE text_spans SET open = false WHERE id = $1", {c.span_id});
  }
  const std::int64_t extended =
      db_->exec("UPDATE text_spans SET last_seq = $1, last_us = $2 WHERE session_id = $3 AND open",
                {pass.seq, pass.capture_us, session_id})
          .affected();
  for (const auto& l : changes.open)
    db_->exec(
        "INSERT INTO text_spans (session_id, text, x, y, w, h, words, confidence, first_seq, first_us, last_seq, "
        "last_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $9, $10)",
        {session_id, l.text, l.box.x, l.box.y, l.box.w, l.box.h, words_json(l.words), l.confidence, pass.seq,
         pass.capture_us});
  db_->exec(
      "INSERT INTO ocr_passes (session_id, seq, capture_us, done_us, frames, regions, pixels, ocr_us, lines, opened, "
      "closed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
      "ON CONFLICT (session_id, seq) DO UPDATE SET capture_us = excluded.capture_us, done_us = excluded.done_us, "
      "frames = excluded.frames, regions = excluded.regions, pixels = excluded.pixels, ocr_us = excluded.ocr_us, "
      "lines = excluded.lines, opened = excluded.opened, closed = excluded.closed",
      {session_id, pass.seq, pass.capture_us, pass.done_us, pass.frames, pass.regions, pass.pixels, pass.ocr_us,
       pass.lines, pass.opened, pass.closed});
  db_->exec("UPDATE ocr_sessions SET through_seq = greatest(through_seq, $1) WHERE session_id = $2",
            {pass.seq, session_id});
  tx.commit();
  return extended;
}

void PgCatalog::finish_text_index(std::int64_t session_id, std::int64_t last_seq, std::int64_t until_us) {
  pg::Transaction tx(*db_);
  db_->exec(
      "UPDATE text_spans SET last_seq = greatest(last_seq, $1), last_us = greatest(last_us, $2), open = false "
      "WHERE session_id = $3 AND open",
      {last_seq, until_us, session_id});
  db_->exec("UPDATE ocr_sessions SET through_seq = greatest(through_seq, $1), complete = true WHERE session_id = $2",
            {last_seq, session_id});
  tx.commit();
}

void PgCatalog::erase_text_index(std::int64_t session_id) {
  pg::Transaction tx(*db_);
  for (const char* table : {"text_spans", "ocr_passes", "ocr_sessions"})
    db_->exec(std::string("DELETE FROM ") + table + " WHERE session_id = $1", {session_id});
  tx.commit();
}

}  // namespace screenreel

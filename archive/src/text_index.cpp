// The catalog's text index: spans of visible text, opened, extended and closed pass by pass.
#include "screenreel/archive/text_index.hpp"

namespace screenreel {
namespace {

// A word's box as the JSON array text_spans.words holds.
std::string words_json(const std::vector<PixelRect>& words) {
  std::string out = "[";
  for (const auto& w : words) {
    if (out.size() > 1) out += ",";
    out += "[" + std::to_string(w.x) + "," + std::to_string(w.y) + "," + std::to_string(w.w) + "," +
           std::to_string(w.h) + "]";
  }
  return out + "]";
}

// Lines of the same text in boxes overlapping this much are the same line seen again.
constexpr double kSameBox = 0.5;

}  // namespace

double overlap_ratio(const PixelRect& a, const PixelRect& b) {
  const auto both = a.intersected(b).area();
  const auto either = a.area() + b.area() - both;
  return either > 0 ? static_cast<double>(both) / static_cast<double>(either) : 0.0;
}

std::optional<OcrSessionState> TextIndex::state(std::int64_t session_id) {
  auto s = catalog_.db().prepare(
      "SELECT indexer, lang, interval_us, through_seq, complete FROM ocr_sessions WHERE session_id "
      "= ?");
  s.bind(1, session_id);
  if (!s.step()) return std::nullopt;
  return OcrSessionState{s.text(0), s.text(1), s.int64(2), s.int64(3), s.int64(4) != 0};
}

void TextIndex::begin(std::int64_t session_id, const std::string& indexer, const std::string& lang,
                      std::int64_t interval_us) {
  catalog_.db()
      .prepare(
          "INSERT INTO ocr_sessions (session_id, indexer, lang, interval_us) VALUES (?, ?, ?, ?) "
          "ON CONFLICT (session_id) DO UPDATE SET indexer = excluded.indexer, lang = "
          "excluded.lang, "
          "interval_us = excluded.interval_us, complete = 0")
      .bind(1, session_id)
      .bind(2, indexer)
      .bind(3, lang)
      .bind(4, interval_us)
      .run();
}

std::vector<OpenSpan> TextIndex::open_spans(std::int64_t session_id) {
  auto s = catalog_.db().prepare(
      "SELECT id, text, x, y, w, h, last_seq FROM text_spans WHERE session_id = ? AND open");
  s.bind(1, session_id);
  std::vector<OpenSpan> out;
  while (s.step())
    out.push_back(
        {s.int64(0), s.text(1),
         PixelRect{static_cast<std::int32_t>(s.int64(2)), static_cast<std::int32_t>(s.int64(3)),
                   static_cast<std::int32_t>(s.int64(4)), static_cast<std::int32_t>(s.int64(5))},
         s.int64(6)});
  return out;
}

PassResult TextIndex::apply(std::int64_t session_id, const OcrPass& pass, std::int64_t done_us) {
  auto& db = catalog_.db();
  sqlite::Transaction tx(db);
  PassResult r;
  const auto open = open_spans(session_id);
  std::vector<bool> line_matched(pass.lines.size(), false);
  auto close = db.prepare("UPDATE text_spans SET open = 0 WHERE id = ?");
  auto close_later =
      db.prepare("UPDATE text_spans SET open = 0, last_seq = ?, last_us = ? WHERE id = ?");
  for (const auto& span : open) {
    const bool touched =
        std::any_of(pass.regions.begin(), pass.regions.end(),
                    [&](const PixelRect& region) { return region.intersects(span.box); });
    if (!touched) continue;
    bool found = false;
    for (std::size_t i = 0; i < pass.lines.size() && !found; ++i) {
      if (line_matched[i] || pass.lines[i].text != span.text) continue;
      if (overlap_ratio(pass.lines[i].box, span.box) > kSameBox) line_matched[i] = found = true;
    }
    if (!found) {
      std::optional<FrameMoment> until;
      if (pass.unchanged_until) until = pass.unchanged_until(span.box);
      if (until && until->seq > span.last_seq)
        close_later.bind(1, until->seq).bind(2, until->capture_us).bind(3, span.id).run();
      else
        close.bind(1, span.id).run();
      ++r.closed;
    }
  }
  auto extend =
      db.prepare("UPDATE text_spans SET last_seq = ?, last_us = ? WHERE session_id = ? AND open");
  extend.bind(1, pass.seq).bind(2, pass.capture_us).bind(3, session_id).run();
  r.extended = db.changes();
  auto insert = db.prepare(
      "INSERT INTO text_spans (session_id, text, x, y, w, h, words, confidence, first_seq, "
      "first_us, last_seq, "
      "last_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  for (std::size_t i = 0; i < pass.lines.size(); ++i) {
    if (line_matched[i]) continue;
    const auto& l = pass.lines[i];
    insert.bind(1, session_id).bind(2, l.text);
    insert.bind(3, std::int64_t{l.box.x}).bind(4, std::int64_t{l.box.y});
    insert.bind(5, std::int64_t{l.box.w}).bind(6, std::int64_t{l.box.h});
    insert.bind(7, words_json(l.words)).bind(8, l.confidence);
    insert.bind(9, pass.seq).bind(10, pass.capture_us).bind(11, pass.seq).bind(12, pass.capture_us);
    insert.run();
    ++r.opened;
  }
  std::int64_t pixels = 0;
  for (const auto& region : pass.regions) pixels += region.area();
  db.prepare(
        "INSERT OR REPLACE INTO ocr_passes (session_id, seq, capture_us, done_us, frames, regions, "
        "pixels, ocr_us, "
        "lines, opened, closed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .bind(1, session_id)
      .bind(2, pass.seq)
      .bind(3, pass.capture_us)
      .bind(4, done_us)
      .bind(5, pass.frames)
      .bind(6, static_cast<std::int64_t>(pass.regions.size()))
      .bind(7, pixels)
      .bind(8, pass.ocr_us)
      .bind(9, static_cast<std::int64_t>(pass.lines.size()))
      .bind(10, r.opened)
      .bind(11, r.closed)
      .run();
  db.prepare("UPDATE ocr_sessions SET through_seq = max(through_seq, ?) WHERE session_id = ?")
      .bind(1, pass.seq)
      .bind(2, session_id)
      .run();
  tx.commit();
  return r;
}

void TextIndex::finish(std::int64_t session_id, std::int64_t last_seq, std::int64_t until_us) {
  auto& db = catalog_.db();
  sqlite::Transaction tx(db);
  db.prepare(
        "UPDATE text_spans SET last_seq = max(last_seq, ?), last_us = max(last_us, ?), open = 0 "
        "WHERE session_id = ? AND open")
      .bind(1, last_seq)
      .bind(2, until_us)
      .bind(3, session_id)
      .run();
  db.prepare(
        "UPDATE ocr_sessions SET through_seq = max(through_seq, ?), complete = 1 WHERE session_id "
        "= ?")
      .bind(1, last_seq)
      .bind(2, session_id)
      .run();
  tx.commit();
}

void TextIndex::erase(std::int64_t session_id) {
  auto& db = catalog_.db();
  sqlite::Transaction tx(db);
  for (const char* table : {"text_spans", "ocr_passes", "ocr_sessions"})
    db.prepare(std::string("DELETE FROM ") + table + " WHERE session_id = ?")
        .bind(1, session_id)
        .run();
  tx.commit();
}

}  // namespace screenreel

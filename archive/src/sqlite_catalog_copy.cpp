// The SQLite catalog backend's part of catalog copy (catalog_copy.hpp): reading a session's text
// index rows as stored, and writing every row of a session in one transaction.
#include "screenreel/archive/catalog_copy.hpp"
#include "screenreel/archive/sqlite_catalog.hpp"

namespace screenreel {

std::vector<StoredTextSpan> SqliteCatalog::text_spans(std::int64_t session_id) {
  std::vector<StoredTextSpan> out;
  if (!has_text_index()) return out;
  auto q = db_.prepare(
      "SELECT text, x, y, w, h, words, confidence, first_seq, first_us, last_seq, last_us, open FROM text_spans "
      "WHERE session_id = ? ORDER BY id");
  q.bind(1, session_id);
  while (q.step()) {
    StoredTextSpan r;
    r.text = q.text(0);
    r.box = {static_cast<std::int32_t>(q.int64(1)), static_cast<std::int32_t>(q.int64(2)),
             static_cast<std::int32_t>(q.int64(3)), static_cast<std::int32_t>(q.int64(4))};
    r.words = q.text(5);
    r.confidence = q.real(6);
    r.first_seq = q.int64(7);
    r.first_us = q.int64(8);
    r.last_seq = q.int64(9);
    r.last_us = q.int64(10);
    r.open = q.int64(11) != 0;
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<OcrPassRow> SqliteCatalog::text_passes(std::int64_t session_id) {
  std::vector<OcrPassRow> out;
  if (!has_text_index()) return out;
  auto q = db_.prepare(
      "SELECT seq, capture_us, done_us, frames, regions, pixels, ocr_us, lines, opened, closed FROM ocr_passes "
      "WHERE session_id = ? ORDER BY seq");
  q.bind(1, session_id);
  while (q.step())
    out.push_back({q.int64(0), q.int64(1), q.int64(2), q.int64(3), q.int64(4), q.int64(5), q.int64(6), q.int64(7),
                   q.int64(8), q.int64(9)});
  return out;
}

void SqliteCatalog::replace_session(const SessionRows& rows) {
  const SessionRecord& s = rows.session;
  sqlite::Transaction tx(db_);
  // The frames, text index, markers, pauses, ledger and windows go with it (ON DELETE CASCADE).
  db_.prepare("DELETE FROM sessions WHERE id = ?").bind(1, s.id).run();
  auto ins = db_.prepare(
      "INSERT INTO sessions (id, name, folder, client_address, source, width, height, fps, started_us, ended_us, "
      "end_reason, error, frame_count, bytes, dropped, head, head_frames, signature, signer, keep, deleting) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  ins.bind(1, s.id).bind(2, s.name).bind(3, s.folder).bind(4, s.client_address).bind(5, s.source);
  ins.bind(6, std::int64_t{s.width}).bind(7, std::int64_t{s.height}).bind(8, s.fps).bind(9, s.started_us);
  ins.bind(10, s.ended_us);
  if (s.end_reason.empty()) ins.bind_null(11); else ins.bind(11, s.end_reason);
  if (s.error.empty()) ins.bind_null(12); else ins.bind(12, s.error);
  ins.bind(13, s.frame_count).bind(14, s.bytes).bind(15, s.dropped);
  if (s.head) ins.bind_blob(16, *s.head).bind(17, s.head_frames); else ins.bind_null(16).bind_null(17);
  if (s.signature.empty()) ins.bind_null(18); else ins.bind_blob(18, s.signature);
  if (s.signer.empty()) ins.bind_null(19); else ins.bind_blob(19, s.signer);
  ins.bind(20, std::int64_t{s.keep}).bind(21, std::int64_t{s.deleting}).run();

  auto frame = db_.prepare(
      "INSERT INTO frames (session_id, seq, tick, capture_us, receive_us, written_us, displayed_us, file, width, "
      "height, jpeg_bytes, same_as, sha256, chain, changed_share, changed_tiles) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  for (const auto& f : rows.frames) {
    frame.bind(1, s.id).bind(2, f.seq).bind(3, f.tick).bind(4, f.capture_us).bind(5, f.receive_us);
    frame.bind(6, f.written_us).bind(7, f.displayed_us).bind(8, f.file).bind(9, std::int64_t{f.width});
    frame.bind(10, std::int64_t{f.height}).bind(11, f.jpeg_bytes).bind(12, f.same_as);
    if (f.sha256) frame.bind_blob(13, *f.sha256); else frame.bind_null(13);
    if (f.chain) frame.bind_blob(14, *f.chain); else frame.bind_null(14);
    if (f.activity) frame.bind(15, f.activity->changed_share).bind(16, f.activity->changed_tiles);
    else frame.bind_null(15).bind_null(16);
    frame.run();
  }
  auto marker = db_.prepare(
      "INSERT INTO markers (session_id, time_us, tick, frame, label, source) VALUES (?, ?, ?, ?, ?, ?)");
  for (const auto& m : rows.markers)
    marker.bind(1, s.id).bind(2, m.time_us).bind(3, m.tick).bind(4, m.frame).bind(5, m.label).bind(6, m.source).run();
  auto pause = db_.prepare(
      "INSERT INTO pauses (session_id, from_tick, from_us, to_tick, to_us, reason) VALUES (?, ?, ?, ?, ?, ?)");
  for (const auto& p : rows.pauses)
    pause.bind(1, s.id).bind(2, p.from_tick).bind(3, p.from_us).bind(4, p.to_tick).bind(5, p.to_us).bind(6, p.reason).run();
  auto run = db_.prepare("INSERT INTO ledger (session_id, first_tick, last_tick, cause) VALUES (?, ?, ?, ?)");
  for (const auto& l : rows.ledger) run.bind(1, s.id).bind(2, l.first_tick).bind(3, l.last_tick).bind(4, l.cause).run();
  auto window = db_.prepare(
      "INSERT INTO windows (session_id, from_tick, from_us, to_tick, to_us, window_id, title, x, y, width, height) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  for (const auto& w : rows.windows)
    window.bind(1, s.id).bind(2, w.from_tick).bind(3, w.from_us).bind(4, w.to_tick).bind(5, w.to_us).bind(6, w.window_id)
        .bind(7, w.title).bind(8, w.x).bind(9, w.y).bind(10, w.width).bind(11, w.height).run();
  if (rows.ocr)
    db_.prepare(
           "INSERT INTO ocr_sessions (session_id, indexer, lang, interval_us, through_seq, complete) "
           "VALUES (?, ?, ?, ?, ?, ?)")
        .bind(1, s.id)
        .bind(2, rows.ocr->indexer)
        .bind(3, rows.ocr->lang)
        .bind(4, rows.ocr->interval_us)
        .bind(5, rows.ocr->through_seq)
        .bind(6, std::int64_t{rows.ocr->complete})
        .run();
  auto pass = db_.prepare(
      "INSERT INTO ocr_passes (session_id, seq, capture_us, done_us, frames, regions, pixels, ocr_us, lines, "
      "opened, closed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  for (const auto& p : rows.passes)
    pass.bind(1, s.id).bind(2, p.seq).bind(3, p.capture_us).bind(4, p.done_us).bind(5, p.frames).bind(6, p.regions)
        .bind(7, p.pixels).bind(8, p.ocr_us).bind(9, p.lines).bind(10, p.opened).bind(11, p.closed).run();
  auto span = db_.prepare(
      "INSERT INTO text_spans (session_id, text, x, y, w, h, words, confidence, first_seq, first_us, last_seq, "
      "last_us, open) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  for (const auto& t : rows.spans)
    span.bind(1, s.id).bind(2, t.text).bind(3, std::int64_t{t.box.x}).bind(4, std::int64_t{t.box.y})
        .bind(5, std::int64_t{t.box.w}).bind(6, std::int64_t{t.box.h}).bind(7, t.words).bind(8, t.confidence)
        .bind(9, t.first_seq).bind(10, t.first_us).bind(11, t.last_seq).bind(12, t.last_us)
        .bind(13, std::int64_t{t.open}).run();
  tx.commit();
}

void SqliteCatalog::add_deletions(std::span<const DeletionRecord> rows) {
  sqlite::Transaction tx(db_);
  auto ins = db_.prepare(
      "INSERT INTO deletions (session_id, name, folder, started_us, ended_us, frames, bytes, deleted_us, reason) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  for (const auto& d : rows)
    ins.bind(1, d.session_id).bind(2, d.name).bind(3, d.folder).bind(4, d.started_us).bind(5, d.ended_us)
        .bind(6, d.frames).bind(7, d.bytes).bind(8, d.deleted_us).bind(9, d.reason).run();
  tx.commit();
}

}  // namespace screenreel

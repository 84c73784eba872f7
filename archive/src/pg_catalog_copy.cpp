// The PostgreSQL catalog backend's part of catalog copy (catalog_copy.hpp): reading a session's
// text index rows as stored, and writing every row of a session in one transaction.
#include <algorithm>

#include "pg.hpp"
#include "screenreel/archive/catalog_copy.hpp"
#include "screenreel/archive/pg_catalog.hpp"

namespace screenreel {
namespace {

pg::Param digest_or_null(const std::optional<Digest>& d) {
  return d ? pg::Param::bytes(*d) : pg::Param(std::nullopt);
}
pg::Param bytes_or_null(const std::vector<std::uint8_t>& b) {
  return b.empty() ? pg::Param(std::nullopt) : pg::Param::bytes(b);
}

}  // namespace

std::vector<StoredTextSpan> PgCatalog::text_spans(std::int64_t session_id) {
  const auto r = db_->exec(
      "SELECT text, x, y, w, h, words, confidence, first_seq, first_us, last_seq, last_us, open FROM text_spans "
      "WHERE session_id = $1 ORDER BY id",
      {session_id});
  std::vector<StoredTextSpan> out;
  for (int i = 0; i < r.size(); ++i) {
    StoredTextSpan t;
    t.text = r.text(i, 0);
    t.box = {static_cast<std::int32_t>(r.int64(i, 1)), static_cast<std::int32_t>(r.int64(i, 2)),
             static_cast<std::int32_t>(r.int64(i, 3)), static_cast<std::int32_t>(r.int64(i, 4))};
    t.words = r.text(i, 5);
    t.confidence = r.real(i, 6);
    t.first_seq = r.int64(i, 7);
    t.first_us = r.int64(i, 8);
    t.last_seq = r.int64(i, 9);
    t.last_us = r.int64(i, 10);
    t.open = r.boolean(i, 11);
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<OcrPassRow> PgCatalog::text_passes(std::int64_t session_id) {
  const auto r = db_->exec(
      "SELECT seq, capture_us, done_us, frames, regions, pixels, ocr_us, lines, opened, closed FROM ocr_passes "
      "WHERE session_id = $1 ORDER BY seq",
      {session_id});
  std::vector<OcrPassRow> out;
  for (int i = 0; i < r.size(); ++i)
    out.push_back({r.int64(i, 0), r.int64(i, 1), r.int64(i, 2), r.int64(i, 3), r.int64(i, 4), r.int64(i, 5),
                   r.int64(i, 6), r.int64(i, 7), r.int64(i, 8), r.int64(i, 9)});
  return out;
}

void PgCatalog::replace_session(const SessionRows& rows) {
  const SessionRecord& s = rows.session;
  pg::Transaction tx(*db_);
  // The frames, text index, markers, pauses, ledger and windows go with it (ON DELETE CASCADE).
  db_->exec("DELETE FROM sessions WHERE id = $1", {s.id});
  db_->exec(
      "INSERT INTO sessions (id, name, folder, client_address, source, width, height, fps, started_us, ended_us, "
      "end_reason, error, frame_count, bytes, dropped, head, head_frames, signature, signer, keep, deleting, "
      "receiver, archive_root) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, "
      "$18, $19, $20, $21, $22, $23)",
      {s.id, s.name, s.folder, s.client_address, s.source, s.width, s.height, s.fps, s.started_us, s.ended_us,
       pg::Param::text_or_null(s.end_reason), pg::Param::text_or_null(s.error), s.frame_count, s.bytes, s.dropped,
       digest_or_null(s.head), s.head ? pg::Param(s.head_frames) : pg::Param(std::nullopt),
       bytes_or_null(s.signature), bytes_or_null(s.signer), s.keep, s.deleting, s.receiver, s.archive_root});
  // The sequence moves past the id, so that no later session takes it.
  db_->exec("SELECT setval('session_ids', greatest($1, (SELECT last_value FROM session_ids)))", {s.id});
  // Frames in multi-row INSERTs of kBatch rows: one round trip per row made a copy of 100,000
  // frames take 52 s.
  constexpr std::size_t kBatch = 1000;
  constexpr int kColumns = 16;
  for (std::size_t first = 0; first < rows.frames.size(); first += kBatch) {
    const std::size_t n = std::min(kBatch, rows.frames.size() - first);
    std::string sql =
        "INSERT INTO frames (session_id, seq, tick, capture_us, receive_us, written_us, displayed_us, file, width, "
        "height, jpeg_bytes, same_as, sha256, chain, changed_share, changed_tiles) VALUES ";
    std::vector<pg::Param> params;
    params.reserve(n * kColumns);
    for (std::size_t i = 0; i < n; ++i) {
      const FrameRecord& f = rows.frames[first + i];
      sql += i ? ", (" : "(";
      for (int c = 1; c <= kColumns; ++c)
        sql += "$" + std::to_string(static_cast<int>(i) * kColumns + c) + (c < kColumns ? ", " : ")");
      for (auto&& p : {pg::Param(s.id), pg::Param(f.seq), pg::Param(f.tick), pg::Param(f.capture_us),
                       pg::Param(f.receive_us), pg::Param(f.written_us), pg::Param(f.displayed_us), pg::Param(f.file),
                       pg::Param(f.width), pg::Param(f.height), pg::Param(f.jpeg_bytes), pg::Param(f.same_as),
                       digest_or_null(f.sha256), digest_or_null(f.chain),
                       f.activity ? pg::Param(f.activity->changed_share) : pg::Param(std::nullopt),
                       f.activity ? pg::Param(f.activity->changed_tiles) : pg::Param(std::nullopt)})
        params.push_back(p);
    }
    db_->exec(sql, params);
  }
  for (const auto& m : rows.markers)
    db_->exec("INSERT INTO markers (session_id, time_us, tick, frame, label, source) VALUES ($1, $2, $3, $4, $5, $6)",
              {s.id, m.time_us, m.tick, m.frame, m.label, m.source});
  for (const auto& p : rows.pauses)
    db_->exec(
        "INSERT INTO pauses (session_id, from_tick, from_us, to_tick, to_us, reason) VALUES ($1, $2, $3, $4, $5, $6)",
        {s.id, p.from_tick, p.from_us, p.to_tick, p.to_us, p.reason});
  for (const auto& l : rows.ledger)
    db_->exec("INSERT INTO ledger (session_id, first_tick, last_tick, cause) VALUES ($1, $2, $3, $4)",
              {s.id, l.first_tick, l.last_tick, l.cause});
  for (const auto& w : rows.windows)
    db_->exec(
        "INSERT INTO windows (session_id, from_tick, from_us, to_tick, to_us, window_id, title, x, y, width, height) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        {s.id, w.from_tick, w.from_us, w.to_tick, w.to_us, w.window_id, w.title, w.x, w.y, w.width, w.height});
  if (rows.ocr)
    db_->exec(
        "INSERT INTO ocr_sessions (session_id, indexer, lang, interval_us, through_seq, complete) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        {s.id, rows.ocr->indexer, rows.ocr->lang, rows.ocr->interval_us, rows.ocr->through_seq, rows.ocr->complete});
  for (const auto& p : rows.passes)
    db_->exec(
        "INSERT INTO ocr_passes (session_id, seq, capture_us, done_us, frames, regions, pixels, ocr_us, lines, "
        "opened, closed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        {s.id, p.seq, p.capture_us, p.done_us, p.frames, p.regions, p.pixels, p.ocr_us, p.lines, p.opened,
         p.closed});
  for (const auto& t : rows.spans)
    db_->exec(
        "INSERT INTO text_spans (session_id, text, x, y, w, h, words, confidence, first_seq, first_us, last_seq, "
        "last_us, open) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        {s.id, t.text, t.box.x, t.box.y, t.box.w, t.box.h, t.words, t.confidence, t.first_seq, t.first_us,
         t.last_seq, t.last_us, t.open});
  tx.commit();
}

void PgCatalog::add_deletions(std::span<const DeletionRecord> rows) {
  pg::Transaction tx(*db_);
  for (const auto& d : rows)
    db_->exec(
        "INSERT INTO deletions (session_id, name, folder, started_us, ended_us, frames, bytes, deleted_us, reason) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        {d.session_id, d.name, d.folder, d.started_us, d.ended_us, d.frames, d.bytes, d.deleted_us, d.reason});
  tx.commit();
}

}  // namespace screenreel

// The SQLite catalog backend (see sqlite_catalog.hpp): opening, schema setup and migration,
// session and frame rows. The text index's SQL is in sqlite_catalog_text.cpp.
#include "screenreel/archive/sqlite_catalog.hpp"

#include "screenreel/archive/session_files.hpp"
#include "screenreel/common/clock.hpp"

namespace screenreel {
namespace {

// The columns read_session() and read_frame() read; a catalog older than schema 3 gives NULL for
// the tamper-evidence ones.
std::string session_columns(int version) {
  return std::string(
             "id, name, folder, client_address, source, width, height, fps, started_us, ended_us, "
             "coalesce(end_reason, ''), coalesce(error, ''), frame_count, bytes, dropped, ") +
         (version >= 3 ? "head, head_frames, signature, signer, keep, deleting" : "NULL, NULL, NULL, NULL, 0, 0");
}

std::optional<Digest> digest_at(const sqlite::Statement& s, int col) {
  const auto bytes = s.blob(col);
  if (bytes.size() != Digest{}.size()) return std::nullopt;
  Digest d;
  std::copy(bytes.begin(), bytes.end(), d.begin());
  return d;
}

SessionRecord read_session(const sqlite::Statement& s) {
  SessionRecord r;
  r.id = s.int64(0);
  r.name = s.text(1);
  r.folder = s.text(2);
  r.client_address = s.text(3);
  r.source = s.text(4);
  r.width = static_cast<std::uint32_t>(s.int64(5));
  r.height = static_cast<std::uint32_t>(s.int64(6));
  r.fps = s.real(7);
  r.started_us = s.int64(8);
  r.ended_us = s.opt_int64(9);
  r.end_reason = s.text(10);
  r.error = s.text(11);
  r.frame_count = s.int64(12);
  r.bytes = s.int64(13);
  r.dropped = s.int64(14);
  r.head = digest_at(s, 15);
  r.head_frames = s.int64(16);
  r.signature = s.blob(17);
  r.signer = s.blob(18);
  r.keep = s.int64(19) != 0;
  r.deleting = s.int64(20) != 0;
  return r;
}

// Columns col (changed_share) and col + 1 (changed_tiles); empty when NULL.
std::optional<FrameActivity> activity_at(const sqlite::Statement& s, int col) {
  const auto tiles = s.opt_int64(col + 1);
  if (!tiles) return std::nullopt;
  return FrameActivity{s.real(col), *tiles};
}

std::string frame_columns(int version) {
  return std::string(
             "session_id, seq, tick, capture_us, receive_us, written_us, file, width, height, jpeg_bytes, "
             "displayed_us, same_as, ") +
         (version >= 3 ? "sha256, chain, " : "NULL, NULL, ") +
         (version >= 4 ? "changed_share, changed_tiles" : "NULL, NULL");
}

FrameRecord read_frame(const sqlite::Statement& s) {
  FrameRecord f;
  f.session_id = s.int64(0);
  f.seq = s.int64(1);
  f.tick = s.int64(2);
  f.capture_us = s.int64(3);
  f.receive_us = s.int64(4);
  f.written_us = s.int64(5);
  f.file = s.text(6);
  f.width = static_cast<std::uint32_t>(s.int64(7));
  f.height = static_cast<std::uint32_t>(s.int64(8));
  f.jpeg_bytes = s.int64(9);
  f.displayed_us = s.opt_int64(10);
  f.same_as = s.opt_int64(11);
  f.sha256 = digest_at(s, 12);
  f.chain = digest_at(s, 13);
  f.activity = activity_at(s, 14);
  return f;
}


// The one row of a query of aggregates (min, max, count ...).
std::optional<std::int64_t> one_value(sqlite::Database& db, const char* sql, std::int64_t session_id) {
  auto q = db.prepare(sql);
  q.bind(1, session_id);
  if (!q.step()) return std::nullopt;
  return q.opt_int64(0);
}

std::string select_frames(int version, const char* where) {
  return "SELECT " + frame_columns(version) + " FROM frames " + where;
}

}  // namespace

std::vector<FrameTimes> CatalogReader::frame_times_of(std::span<const std::int64_t> session_ids) {
  std::vector<FrameTimes> out;
  out.reserve(session_ids.size());
  for (const auto id : session_ids) out.push_back(frame_times(id));
  return out;
}

std::vector<FrameRecord> CatalogReader::frames(std::int64_t session_id) {
  std::vector<FrameRecord> out;
  for_each_frame(session_id, [&](const FrameRecord& f) { out.push_back(f); });
  return out;
}

SqliteCatalog::SqliteCatalog(const std::filesystem::path& path, Mode mode) : db_(path, mode) {
  if (mode == Mode::kReadWrite) {
    db_.exec("PRAGMA journal_mode = WAL");
    db_.exec("PRAGMA synchronous = NORMAL");
  }
  db_.exec("PRAGMA foreign_keys = ON");
  try {
    migrate();
    version_ = schema_version();
  } catch (const sqlite::Error& e) {
    if ((e.code() & 0xff) == SQLITE_NOTADB)
      throw sqlite::Error(path.string() + " is not a screenreel catalog (not an SQLite database)", e.code());
    throw;
  }
  if (mode == Mode::kReadWrite) {
    insert_frame_.emplace(db_.prepare(
        "INSERT INTO frames (session_id, seq, tick, capture_us, receive_us, written_us, file, width, height, "
        "jpeg_bytes, same_as, sha256, chain, changed_share, changed_tiles) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    bump_session_.emplace(db_.prepare(
        "UPDATE sessions SET frame_count = frame_count + 1, bytes = bytes + ? WHERE id = ?"));
    set_displayed_.emplace(db_.prepare("UPDATE frames SET displayed_us = ? WHERE session_id = ? AND seq = ?"));
  }
}

int SqliteCatalog::schema_version() {
  auto s = db_.prepare("PRAGMA user_version");
  s.step();
  return static_cast<int>(s.int64(0));
}

void SqliteCatalog::migrate() {
  const int version = schema_version();
  if (version > kCatalogSchemaVersion)
    throw CatalogError("catalog " + db_.path().string() + " has schema version " + std::to_string(version) +
                             ", written by a newer screenreel; this build reads up to version " +
                             std::to_string(kCatalogSchemaVersion) + ": upgrade screenreel",
                       CatalogError::Kind::kOther);
  if (version == kCatalogSchemaVersion) return;
  const bool read_only = sqlite3_db_readonly(db_.handle(), "main") == 1;
  if (version == 0) {
    auto tables = db_.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table'");
    tables.step();
    if (tables.int64(0) != 0)
      throw CatalogError(db_.path().string() + " is an SQLite database but not a screenreel catalog",
                         CatalogError::Kind::kCorrupt);
    if (read_only)
      throw CatalogError(db_.path().string() + " is empty: no receiver has written to this archive yet",
                         CatalogError::Kind::kOther);
    sqlite::Transaction tx(db_);
    db_.exec(kCatalogSql);
    tx.commit();
    return;
  }
  if (read_only) return;  // a reader reads an older catalog as it is; the next writer migrates it
  for (const auto& step : catalog_migrations()) {
    if (step.version <= version) continue;
    // BEGIN IMMEDIATE, then look again: another writer may have migrated it in the meantime.
    sqlite::Transaction tx(db_);
    if (schema_version() >= step.version) continue;
    try {
      db_.exec(step.sql);
      db_.exec("PRAGMA user_version = " + std::to_string(step.version));
    } catch (const sqlite::Error& e) {
      throw sqlite::Error("cannot upgrade catalog " + db_.path().string() + " to schema version " +
                              std::to_string(step.version) + " (nothing was changed): " + e.what(),
                          e.code());
    }
    tx.commit();
  }
}

SessionRecord SqliteCatalog::create_session(const NewSession& s) {
  sqlite::Transaction tx(db_);
  auto ins = db_.prepare(
      "INSERT INTO sessions (name, folder, client_address, source, width, height, fps, started_us) "
      "VALUES (?, '', ?, ?, ?, ?, ?, ?)");
  ins.bind(1, s.name).bind(2, s.client_address).bind(3, s.source);
  ins.bind(4, std::int64_t{s.width}).bind(5, std::int64_t{s.height}).bind(6, s.fps).bind(7, s.started_us);
  // The folder can only be named after the insert: the id is part of it.
  ins.run();
  const auto id = db_.last_insert_rowid();
  const std::string folder = session_folder_name(s.started_us, id);
  db_.prepare("UPDATE sessions SET folder = ? WHERE id = ?").bind(1, folder).bind(2, id).run();
  tx.commit();
  return *session(id);
}

void SqliteCatalog::restore_session(const SessionRecord& s) {
  auto ins = db_.prepare(
      "INSERT INTO sessions (id, name, folder, client_address, source, width, height, fps, started_us, ended_us, "
      "end_reason, error, dropped) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  ins.bind(1, s.id).bind(2, s.name).bind(3, s.folder).bind(4, s.client_address).bind(5, s.source);
  ins.bind(6, std::int64_t{s.width}).bind(7, std::int64_t{s.height}).bind(8, s.fps).bind(9, s.started_us);
  ins.bind(10, s.ended_us);
  if (s.end_reason.empty()) ins.bind_null(11); else ins.bind(11, s.end_reason);
  if (s.error.empty()) ins.bind_null(12); else ins.bind(12, s.error);
  ins.bind(13, s.dropped).run();
  if (s.head) seal_session(s.id, *s.head, s.head_frames, s.signature, s.signer);
  if (s.keep) set_keep(s.id, true);
}

void SqliteCatalog::seal_session(std::int64_t id, const Digest& head, std::int64_t frames,
                                 std::span<const std::uint8_t> signature, std::span<const std::uint8_t> signer) {
  db_.prepare("UPDATE sessions SET head = ?, head_frames = ?, signature = ?, signer = ? WHERE id = ?")
      .bind_blob(1, head)
      .bind(2, frames)
      .bind_blob(3, signature)
      .bind_blob(4, signer)
      .bind(5, id)
      .run();
}

bool SqliteCatalog::storage_lost() {
  int moved = 0;
  return sqlite3_file_control(db_.handle(), "main", SQLITE_FCNTL_HAS_MOVED, &moved) == SQLITE_OK && moved != 0;
}

std::vector<DisplayedAt> SqliteCatalog::add_frames(std::span<const FrameRecord> frames,
                                             std::span<const DisplayedAt> displayed) {
  std::vector<DisplayedAt> later;
  if (frames.empty() && displayed.empty()) return later;
  sqlite::Transaction tx(db_);
  for (const auto& f : frames) {
    auto& s = *insert_frame_;
    s.bind(1, f.session_id).bind(2, f.seq).bind(3, f.tick).bind(4, f.capture_us).bind(5, f.receive_us);
    s.bind(6, f.written_us).bind(7, f.file).bind(8, std::int64_t{f.width}).bind(9, std::int64_t{f.height});
    s.bind(10, f.jpeg_bytes).bind(11, f.same_as);
    if (f.sha256) s.bind_blob(12, *f.sha256); else s.bind_null(12);
    if (f.chain) s.bind_blob(13, *f.chain); else s.bind_null(13);
    if (f.activity) {
      s.bind(14, f.activity->changed_share).bind(15, f.activity->changed_tiles);
    } else {
      s.bind_null(14).bind_null(15);
    }
    s.run();
    // A hard-linked repeat takes no more disk space.
    bump_session_->bind(1, f.same_as ? std::int64_t{0} : f.jpeg_bytes).bind(2, f.session_id).run();
  }
  for (const auto& d : displayed) {
    set_displayed_->bind(1, d.displayed_us).bind(2, d.session_id).bind(3, d.seq).run();
    if (db_.changes() == 0) later.push_back(d);
  }
  tx.commit();
  return later;
}

void SqliteCatalog::end_session(std::int64_t id, std::int64_t ended_us, const std::string& reason, const std::string& error,
                          std::int64_t dropped) {
  auto s = db_.prepare("UPDATE sessions SET ended_us = ?, end_reason = ?, error = ?, dropped = ? WHERE id = ?");
  s.bind(1, ended_us).bind(2, reason);
  if (error.empty())
    s.bind_null(3);
  else
    s.bind(3, error);
  s.bind(4, dropped).bind(5, id).run();
}

std::string SqliteCatalog::integrity_check(bool quick) {
  auto s = db_.prepare(quick ? "PRAGMA quick_check(1)" : "PRAGMA integrity_check(1)");
  return s.step() ? s.text(0) : std::string("no answer");
}

void SqliteCatalog::forget_empty_session(std::int64_t id) {
  db_.prepare("DELETE FROM sessions WHERE id = ? AND frame_count = 0 AND NOT EXISTS (SELECT 1 FROM frames WHERE session_id = ?)")
      .bind(1, id)
      .bind(2, id)
      .run();
}

CatalogWriter::Reopened SqliteCatalog::reopen_session(std::int64_t id) {
  sqlite::Transaction tx(db_);
  Reopened r;
  auto q = db_.prepare("SELECT seq, tick, file, chain FROM frames WHERE session_id = ? ORDER BY seq");
  q.bind(1, id);
  bool hole = false;
  while (q.step()) {
    if (!hole && q.int64(0) == r.last_seq + 1) {
      r.last_seq = q.int64(0);
      r.last_tick = q.int64(1);
      r.last_chain = digest_at(q, 3);
    } else {
      hole = true;
      r.removed_files.push_back(q.text(2));
    }
  }
  if (hole) db_.prepare("DELETE FROM frames WHERE session_id = ? AND seq > ?").bind(1, id).bind(2, r.last_seq).run();
  r.last_ledger_tick = one_value(db_, "SELECT max(last_tick) FROM ledger WHERE session_id = ?", id).value_or(0);
  db_.prepare(
         "UPDATE sessions SET ended_us = NULL, end_reason = NULL, error = NULL, head = NULL, head_frames = NULL, "
         "signature = NULL, signer = NULL, "
         "frame_count = (SELECT count(*) FROM frames WHERE session_id = ?1), "
         "bytes = (SELECT coalesce(sum(jpeg_bytes) FILTER (WHERE same_as IS NULL), 0) FROM frames "
         "WHERE session_id = ?1) WHERE id = ?1")
      .bind(1, id)
      .run();
  tx.commit();
  return r;
}

std::vector<SessionRecord> SqliteCatalog::sessions() {
  auto s = db_.prepare("SELECT " + session_columns(version_) + " FROM sessions ORDER BY id");
  std::vector<SessionRecord> out;
  while (s.step()) out.push_back(read_session(s));
  return out;
}

SessionPage SqliteCatalog::session_page(std::int64_t offset, std::int64_t limit, const std::string& name_contains) {
  // instr() of lower() on both sides: "contains, ignoring ASCII case" (SQLite's lower() folds
  // ASCII only), with no LIKE pattern characters to escape. Before schema 3 nothing is deleting.
  const std::string where = std::string(version_ >= 3 ? "deleting = 0" : "1") +
                            " AND (?1 = '' OR instr(lower(name), lower(?1)) > 0)";
  SessionPage page;
  auto count = db_.prepare("SELECT count(*) FROM sessions WHERE " + where);
  count.bind(1, name_contains);
  count.step();
  page.total = count.int64(0);
  // ORDER BY id DESC walks the table backwards with no sort; OFFSET steps over the rows before the
  // page (cheap for thousands: only their name is looked at), and only the page's rows are read.
  auto q = db_.prepare("SELECT " + session_columns(version_) + " FROM sessions WHERE " + where +
                       " ORDER BY id DESC LIMIT ?2 OFFSET ?3");
  q.bind(1, name_contains).bind(2, limit).bind(3, offset);
  while (q.step()) page.sessions.push_back(read_session(q));
  return page;
}

// session() and frame() are what serve asks for every frame it sends: prepared once (cached).
std::optional<SessionRecord> SqliteCatalog::session(std::int64_t id) {
  auto& s = db_.cached("SELECT " + session_columns(version_) + " FROM sessions WHERE id = ?");
  s.bind(1, id);
  std::optional<SessionRecord> r;
  if (s.step()) r = read_session(s);
  s.reset();
  return r;
}

void SqliteCatalog::for_each_frame(std::int64_t session_id,
                                   const std::function<void(const FrameRecord&)>& visit) {
  auto s = db_.prepare(select_frames(version_, "WHERE session_id = ? ORDER BY seq"));
  s.bind(1, session_id);
  while (s.step()) visit(read_frame(s));
}

std::optional<FrameRecord> SqliteCatalog::frame(std::int64_t session_id, std::int64_t seq) {
  auto& s = db_.cached(select_frames(version_, "WHERE session_id = ? AND seq = ?"));
  s.bind(1, session_id).bind(2, seq);
  std::optional<FrameRecord> r;
  if (s.step()) r = read_frame(s);
  s.reset();
  return r;
}

std::optional<FrameRecord> SqliteCatalog::frame_at(std::int64_t session_id, std::int64_t t_us) {
  auto s = db_.prepare(
      select_frames(version_, "WHERE session_id = ? AND capture_us <= ? ORDER BY capture_us DESC, seq DESC LIMIT 1"));
  s.bind(1, session_id).bind(2, t_us);
  if (!s.step()) return std::nullopt;
  return read_frame(s);
}

// The frames_by_time index makes this a range scan; no file is looked at.
std::vector<FrameRecord> SqliteCatalog::frames_captured_between(std::int64_t session_id, std::int64_t after_us,
                                                                std::int64_t until_us) {
  auto q = db_.prepare(
      select_frames(version_, "WHERE session_id = ? AND capture_us > ? AND capture_us <= ? ORDER BY capture_us, seq"));
  q.bind(1, session_id).bind(2, after_us).bind(3, until_us);
  std::vector<FrameRecord> out;
  while (q.step()) out.push_back(read_frame(q));
  return out;
}

std::vector<DeletionRecord> SqliteCatalog::deletions() {
  std::vector<DeletionRecord> out;
  if (version_ < 3) return out;
  auto q = db_.prepare(
      "SELECT session_id, name, folder, started_us, ended_us, frames, bytes, deleted_us, reason FROM deletions "
      "ORDER BY id");
  while (q.step())
    out.push_back({q.int64(0), q.text(1), q.text(2), q.int64(3), q.opt_int64(4), q.int64(5), q.int64(6), q.int64(7),
                   q.text(8)});
  return out;
}

void SqliteCatalog::set_keep(std::int64_t id, bool keep) {
  db_.prepare("UPDATE sessions SET keep = ? WHERE id = ?").bind(1, std::int64_t{keep}).bind(2, id).run();
}

void SqliteCatalog::mark_deleting(std::int64_t id, const std::string& reason, std::int64_t deleted_us) {
  sqlite::Transaction tx(db_);
  db_.prepare("UPDATE sessions SET deleting = 1 WHERE id = ?").bind(1, id).run();
  record_deletion(id, reason, deleted_us);
  tx.commit();
}

void SqliteCatalog::record_deletion(std::int64_t id, const std::string& reason, std::int64_t deleted_us) {
  db_.prepare(
         "INSERT INTO deletions (session_id, name, folder, started_us, ended_us, frames, bytes, deleted_us, reason) "
         "SELECT id, name, folder, started_us, ended_us, frame_count, bytes, ?, ? FROM sessions WHERE id = ?")
      .bind(1, deleted_us)
      .bind(2, reason)
      .bind(3, id)
      .run();
}

void SqliteCatalog::for_each_frame_activity(std::int64_t session_id,
                                            const std::function<void(const FrameActivityRow&)>& visit) {
  auto q = db_.prepare(std::string("SELECT seq, tick, capture_us, ") +
                       (version_ >= 4 ? "changed_share, changed_tiles" : "NULL, NULL") +
                       " FROM frames WHERE session_id = ? ORDER BY seq");
  q.bind(1, session_id);
  while (q.step()) visit({q.int64(0), q.int64(1), q.int64(2), activity_at(q, 3)});
}

std::optional<FrameRecord> SqliteCatalog::next_change(std::int64_t session_id, std::int64_t seq, bool forward) {
  if (version_ < 4) return std::nullopt;
  // The primary key (session_id, seq) is walked from seq on, in the asked direction.
  auto q = db_.prepare(select_frames(version_, forward ? "WHERE session_id = ? AND seq > ? AND changed_tiles > 0 "
                                                         "ORDER BY seq LIMIT 1"
                                                       : "WHERE session_id = ? AND seq < ? AND changed_tiles > 0 "
                                                         "ORDER BY seq DESC LIMIT 1"));
  q.bind(1, session_id).bind(2, seq);
  if (!q.step()) return std::nullopt;
  return read_frame(q);
}

std::optional<std::int64_t> SqliteCatalog::first_frame_without_activity(std::int64_t session_id) {
  if (version_ < 4) return one_value(db_, "SELECT min(seq) FROM frames WHERE session_id = ?", session_id);
  return one_value(db_, "SELECT min(seq) FROM frames WHERE session_id = ? AND changed_tiles IS NULL", session_id);
}

void SqliteCatalog::set_frame_activity(std::int64_t session_id,
                                       std::span<const std::pair<std::int64_t, FrameActivity>> rows) {
  sqlite::Transaction tx(db_);
  auto u = db_.prepare("UPDATE frames SET changed_share = ?, changed_tiles = ? WHERE session_id = ? AND seq = ?");
  for (const auto& [seq, a] : rows) u.bind(1, a.changed_share).bind(2, a.changed_tiles).bind(3, session_id).bind(4, seq).run();
  tx.commit();
}

FrameTimes SqliteCatalog::frame_times(std::int64_t session_id) {
  // min() and max() of an indexed column are single index lookups in SQLite.
  FrameTimes t;
  t.first_capture_us = one_value(db_, "SELECT min(capture_us) FROM frames WHERE session_id = ?", session_id);
  t.last_capture_us = one_value(db_, "SELECT max(capture_us) FROM frames WHERE session_id = ?", session_id);
  t.last_written_us =
      one_value(db_, "SELECT written_us FROM frames WHERE session_id = ? ORDER BY seq DESC LIMIT 1", session_id);
  return t;
}

std::optional<std::int64_t> SqliteCatalog::latest_write_us(std::int64_t session_id) {
  return one_value(db_, "SELECT max(written_us) FROM frames WHERE session_id = ?", session_id);
}

FrameTotals SqliteCatalog::frame_totals(std::int64_t session_id) {
  auto q = db_.prepare(
      "SELECT count(*), coalesce(sum(jpeg_bytes) FILTER (WHERE same_as IS NULL), 0) FROM frames "
      "WHERE session_id = ?");  // a repeat's file is its source's: counted once
  q.bind(1, session_id);
  q.step();
  return {q.int64(0), q.int64(1)};
}

void SqliteCatalog::set_session_totals(std::int64_t id, const FrameTotals& totals) {
  db_.prepare("UPDATE sessions SET frame_count = ?, bytes = ? WHERE id = ?")
      .bind(1, totals.frames)
      .bind(2, totals.bytes)
      .bind(3, id)
      .run();
}

void SqliteCatalog::delete_session(std::int64_t id,
                                   const std::function<void(const std::optional<SessionRecord>&)>& check,
                                   const std::string& reason) {
  // BEGIN IMMEDIATE: the write lock is held from the check to the delete.
  sqlite::Transaction tx(db_);
  const auto now = session(id);
  check(now);
  if (now && !now->deleting) record_deletion(id, reason, wall_clock_us());
  // frames, text spans, OCR passes and state go with it (ON DELETE CASCADE).
  db_.prepare("DELETE FROM sessions WHERE id = ?").bind(1, id).run();
  tx.commit();
}

}  // namespace screenreel

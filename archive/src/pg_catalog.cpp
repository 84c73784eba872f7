// The PostgreSQL catalog backend (see pg_catalog.hpp): connecting, schema setup and versions,
// session and frame rows. The text index's SQL is in pg_catalog_text.cpp. Every method means what
// SqliteCatalog's does; where SQLite takes its database-wide write lock (BEGIN IMMEDIATE), this
// one locks the rows concerned (SELECT ... FOR UPDATE), so receivers of a fleet do not wait for
// each other.
#include "screenreel/archive/pg_catalog.hpp"

#include <map>

#include "pg.hpp"
#include "screenreel/archive/session_files.hpp"
#include "screenreel/common/clock.hpp"

namespace screenreel {
namespace {

// Held (pg_advisory_xact_lock) while the schema is created or migrated: by one process at a time.
constexpr std::int64_t kSchemaLock = 7436819;

const char* const kSessionColumns =
    "id, name, folder, client_address, source, width, height, fps, started_us, ended_us, "
    "coalesce(end_reason, ''), coalesce(error, ''), frame_count, bytes, dropped, head, coalesce(head_frames, 0), "
    "signature, signer, keep, deleting, receiver, archive_root";

SessionRecord read_session(const pg::Rows& r, int row) {
  SessionRecord s;
  s.id = r.int64(row, 0);
  s.name = r.text(row, 1);
  s.folder = r.text(row, 2);
  s.client_address = r.text(row, 3);
  s.source = r.text(row, 4);
  s.width = static_cast<std::uint32_t>(r.int64(row, 5));
  s.height = static_cast<std::uint32_t>(r.int64(row, 6));
  s.fps = r.real(row, 7);
  s.started_us = r.int64(row, 8);
  s.ended_us = r.opt_int64(row, 9);
  s.end_reason = r.text(row, 10);
  s.error = r.text(row, 11);
  s.frame_count = r.int64(row, 12);
  s.bytes = r.int64(row, 13);
  s.dropped = r.int64(row, 14);
  s.head = r.digest(row, 15);
  s.head_frames = r.int64(row, 16);
  s.signature = r.bytes(row, 17);
  s.signer = r.bytes(row, 18);
  s.keep = r.boolean(row, 19);
  s.deleting = r.boolean(row, 20);
  s.receiver = r.text(row, 21);
  s.archive_root = r.text(row, 22);
  return s;
}

std::vector<SessionRecord> read_sessions(const pg::Rows& r) {
  std::vector<SessionRecord> out;
  for (int i = 0; i < r.size(); ++i) out.push_back(read_session(r, i));
  return out;
}

// Columns col (changed_share) and col + 1 (changed_tiles); empty when NULL (not measured yet).
std::optional<FrameActivity> activity_at(const pg::Rows& r, int row, int col) {
  const auto tiles = r.opt_int64(row, col + 1);
  if (!tiles) return std::nullopt;
  return FrameActivity{r.real(row, col), *tiles};
}

std::string select_frames(const char* where) {
  return std::string(
             "SELECT session_id, seq, tick, capture_us, receive_us, written_us, file, width, height, jpeg_bytes, "
             "displayed_us, same_as, sha256, chain, changed_share, changed_tiles FROM frames ") +
         where;
}

FrameRecord read_frame(const pg::Rows& r, int row) {
  FrameRecord f;
  f.session_id = r.int64(row, 0);
  f.seq = r.int64(row, 1);
  f.tick = r.int64(row, 2);
  f.capture_us = r.int64(row, 3);
  f.receive_us = r.int64(row, 4);
  f.written_us = r.int64(row, 5);
  f.file = r.text(row, 6);
  f.width = static_cast<std::uint32_t>(r.int64(row, 7));
  f.height = static_cast<std::uint32_t>(r.int64(row, 8));
  f.jpeg_bytes = r.int64(row, 9);
  f.displayed_us = r.opt_int64(row, 10);
  f.same_as = r.opt_int64(row, 11);
  f.sha256 = r.digest(row, 12);
  f.chain = r.digest(row, 13);
  f.activity = activity_at(r, row, 14);
  return f;
}

std::vector<FrameRecord> read_frames(const pg::Rows& r) {
  std::vector<FrameRecord> out;
  out.reserve(static_cast<std::size_t>(r.size()));
  for (int i = 0; i < r.size(); ++i) out.push_back(read_frame(r, i));
  return out;
}

std::optional<FrameRecord> first_frame(const pg::Rows& r) {
  if (r.empty()) return std::nullopt;
  return read_frame(r, 0);
}

}  // namespace

PgCatalog::PgCatalog(const CatalogLocation& where, Mode mode)
    : db_(std::make_unique<pg::Connection>(where.conninfo, mode == Mode::kReadOnly)),
      receiver_(where.receiver),
      archive_root_(where.archive_root.string()) {
  if (!receiver_.empty()) scope_ = " AND receiver = " + db_->literal(receiver_);
  migrate(mode);
}

PgCatalog::~PgCatalog() = default;

std::string PgCatalog::location() const { return db_->location(); }

int PgCatalog::schema_version() {
  const auto r = db_->exec("SELECT max(version) FROM schema_version");
  return static_cast<int>(r.int64(0, 0));
}

void PgCatalog::migrate(Mode mode) {
  pg::Transaction tx(*db_);
  if (mode == Mode::kReadWrite) db_->exec("SELECT pg_advisory_xact_lock($1)", {kSchemaLock});
  const auto found = db_->exec(
      "SELECT to_regclass('schema_version') IS NOT NULL, to_regclass('sessions') IS NOT NULL");
  if (!found.boolean(0, 0)) {
    if (found.boolean(0, 1))
      throw CatalogError(location() + " has a sessions table but no schema_version: not a screenreel catalog",
                         CatalogError::Kind::kCorrupt);
    if (mode == Mode::kReadOnly)
      throw CatalogError(location() + " holds no screenreel catalog yet: no receiver has written to it",
                         CatalogError::Kind::kOther);
    db_->exec_script(kPgCatalogSql);
    tx.commit();
    return;
  }
  const int version = schema_version();
  if (version > kCatalogSchemaVersion)
    throw CatalogError("catalog " + location() + " has schema version " + std::to_string(version) +
                           ", written by a newer screenreel; this build reads up to version " +
                           std::to_string(kCatalogSchemaVersion) + ": upgrade screenreel",
                       CatalogError::Kind::kOther);
  // Version 3 is the first PostgreSQL schema; each later step is one statement batch, in this
  // transaction (schemas/migrations-postgresql/).
  if (version < kCatalogSchemaVersion && mode == Mode::kReadOnly)
    throw CatalogError("catalog " + location() + " has schema version " + std::to_string(version) +
                           ", older than this build's " + std::to_string(kCatalogSchemaVersion) +
                           ": start a receiver of this version on it once to bring it forward",
                       CatalogError::Kind::kOther);
  for (const auto& step : pg_catalog_migrations())
    if (step.version > version) db_->exec_script(step.sql);
  tx.commit();
}

std::string PgCatalog::integrity_check(bool) {
  // PostgreSQL keeps its own storage consistent (there is no integrity_check); what can be
  // checked here is that the catalog answers and has the expected schema.
  const int version = schema_version();
  return version == kCatalogSchemaVersion ? "ok" : "schema version " + std::to_string(version);
}

SessionRecord PgCatalog::create_session(const NewSession& s) {
  // The id first: the folder is named after it. An id taken by a failed insert is a gap only.
  const std::int64_t id = db_->exec("SELECT nextval('session_ids')").int64(0, 0);
  db_->exec(
      "INSERT INTO sessions (id, name, folder, client_address, source, width, height, fps, started_us, receiver, "
      "archive_root) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
      {id, s.name, session_folder_name(s.started_us, id), s.client_address, s.source, s.width, s.height, s.fps,
       s.started_us, receiver_, archive_root_});
  return *session(id);
}

void PgCatalog::restore_session(const SessionRecord& s) {
  pg::Transaction tx(*db_);
  db_->exec(
      "INSERT INTO sessions (id, name, folder, client_address, source, width, height, fps, started_us, ended_us, "
      "end_reason, error, dropped, receiver, archive_root) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
      {s.id, s.name, s.folder, s.client_address, s.source, s.width, s.height, s.fps, s.started_us, s.ended_us,
       pg::Param::text_or_null(s.end_reason), pg::Param::text_or_null(s.error), s.dropped,
       receiver_.empty() ? s.receiver : receiver_, receiver_.empty() ? s.archive_root : archive_root_});
  // The sequence moves past the id, so that no later session takes it.
  db_->exec(
      "SELECT setval('session_ids', greatest($1, (SELECT last_value FROM session_ids)))", {s.id});
  if (s.head) seal_session(s.id, *s.head, s.head_frames, s.signature, s.signer);
  if (s.keep) set_keep(s.id, true);
  tx.commit();
}

void PgCatalog::seal_session(std::int64_t id, const Digest& head, std::int64_t frames,
                             std::span<const std::uint8_t> signature, std::span<const std::uint8_t> signer) {
  db_->exec("UPDATE sessions SET head = $1, head_frames = $2, signature = $3, signer = $4 WHERE id = $5",
            {pg::Param::bytes(head), frames, pg::Param::bytes(signature), pg::Param::bytes(signer), id});
}

bool PgCatalog::storage_lost() { return false; }  // the server keeps its storage; a lost connection throws

std::vector<DisplayedAt> PgCatalog::add_frames(std::span<const FrameRecord> frames,
                                               std::span<const DisplayedAt> displayed) {
  std::vector<DisplayedAt> later;
  if (frames.empty() && displayed.empty()) return later;
  pg::Transaction tx(*db_);
  // The batch in one INSERT (of at most kRowsPerInsert rows) and one UPDATE of sessions, not a
  // statement per row: each statement is a round trip to the server, and a round trip waits for
  // the server's process to be scheduled. A receiver of 25 clients at 10 fps on a loaded 2-core
  // machine took 163 ms (p50) to 5.2 s (max) a commit with a statement per row, and its clients
  // dropped ticks they did not drop with SQLite (docs/benchmarks.md, "A fleet").
  constexpr std::size_t kColumns = 15, kRowsPerInsert = 1000;  // 15,000 of libpq's 65,535 parameters
  std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> added;  // session -> frames, bytes
  for (std::size_t first = 0; first < frames.size(); first += kRowsPerInsert) {
    const auto chunk = frames.subspan(first, std::min(kRowsPerInsert, frames.size() - first));
    std::string sql =
        "INSERT INTO frames (session_id, seq, tick, capture_us, receive_us, written_us, file, width, height, "
        "jpeg_bytes, same_as, sha256, chain, changed_share, changed_tiles) VALUES ";
    std::vector<pg::Param> params;
    params.reserve(chunk.size() * kColumns);
    for (const auto& f : chunk) {
      sql += params.empty() ? "(" : ", (";
      for (std::size_t c = 1; c <= kColumns; ++c)
        sql += "$" + std::to_string(params.size() + c) + (c < kColumns ? ", " : ")");
      for (auto&& p : {pg::Param(f.session_id), pg::Param(f.seq), pg::Param(f.tick), pg::Param(f.capture_us),
                       pg::Param(f.receive_us), pg::Param(f.written_us), pg::Param(f.file), pg::Param(f.width),
                       pg::Param(f.height), pg::Param(f.jpeg_bytes), pg::Param(f.same_as),
                       f.sha256 ? pg::Param::bytes(*f.sha256) : pg::Param(std::nullopt),
                       f.chain ? pg::Param::bytes(*f.chain) : pg::Param(std::nullopt),
                       f.activity ? pg::Param(f.activity->changed_share) : pg::Param(std::nullopt),
                       f.activity ? pg::Param(f.activity->changed_tiles) : pg::Param(std::nullopt)})
        params.push_back(p);
      auto& [count, bytes] = added[f.session_id];
      ++count;
      bytes += f.same_as ? 0 : f.jpeg_bytes;  // a hard-linked repeat takes no more disk space
    }
    db_->exec(sql, params);
  }
  // The SQLite backend updates sessions per row; the sums are the same.
  if (!added.empty()) {
    std::string sql = "UPDATE sessions s SET frame_count = s.frame_count + v.n, bytes = s.bytes + v.b FROM (VALUES ";
    std::vector<pg::Param> params;
    for (const auto& [id, sum] : added) {
      const auto n = params.size();
      sql += std::string(n ? ", " : "") + "($" + std::to_string(n + 1) + "::bigint, $" + std::to_string(n + 2) +
             "::bigint, $" + std::to_string(n + 3) + "::bigint)";
      params.insert(params.end(), {pg::Param(id), pg::Param(sum.first), pg::Param(sum.second)});
    }
    db_->exec(sql + ") v(id, n, b) WHERE s.id = v.id", params);
  }
  for (const auto& d : displayed) {
    const auto r = db_->exec("UPDATE frames SET displayed_us = $1 WHERE session_id = $2 AND seq = $3",
                             {d.displayed_us, d.session_id, d.seq});
    if (r.affected() == 0) later.push_back(d);
  }
  tx.commit();
  return later;
}

void PgCatalog::end_session(std::int64_t id, std::int64_t ended_us, const std::string& reason,
                            const std::string& error, std::int64_t dropped) {
  db_->exec("UPDATE sessions SET ended_us = $1, end_reason = $2, error = $3, dropped = $4 WHERE id = $5",
            {ended_us, reason, pg::Param::text_or_null(error), dropped, id});
}

void PgCatalog::forget_empty_session(std::int64_t id) {
  db_->exec(
      "DELETE FROM sessions WHERE id = $1 AND frame_count = 0 AND NOT EXISTS "
      "(SELECT 1 FROM frames WHERE session_id = $1)",
      {id});
}

CatalogWriter::Reopened PgCatalog::reopen_session(std::int64_t id) {
  pg::Transaction tx(*db_);
  db_->exec("SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE", {id});
  Reopened r;
  const auto q = db_->exec("SELECT seq, tick, file, chain FROM frames WHERE session_id = $1 ORDER BY seq", {id});
  bool hole = false;
  for (int i = 0; i < q.size(); ++i) {
    if (!hole && q.int64(i, 0) == r.last_seq + 1) {
      r.last_seq = q.int64(i, 0);
      r.last_tick = q.int64(i, 1);
      r.last_chain = q.digest(i, 3);
    } else {
      hole = true;
      r.removed_files.push_back(q.text(i, 2));
    }
  }
  if (hole) db_->exec("DELETE FROM frames WHERE session_id = $1 AND seq > $2", {id, r.last_seq});
  r.last_ledger_tick =
      db_->exec("SELECT coalesce(max(last_tick), 0) FROM ledger WHERE session_id = $1", {id}).int64(0, 0);
  db_->exec(
      "UPDATE sessions SET ended_us = NULL, end_reason = NULL, error = NULL, head = NULL, head_frames = NULL, "
      "signature = NULL, signer = NULL, "
      "frame_count = (SELECT count(*) FROM frames WHERE session_id = $1), "
      "bytes = (SELECT coalesce(sum(jpeg_bytes) FILTER (WHERE same_as IS NULL), 0) FROM frames "
      "WHERE session_id = $1) WHERE id = $1",
      {id});
  tx.commit();
  return r;
}

std::vector<SessionRecord> PgCatalog::sessions() {
  return read_sessions(
      db_->exec(std::string("SELECT ") + kSessionColumns + " FROM sessions WHERE true" + scope_ + " ORDER BY id"));
}

SessionPage PgCatalog::session_page(std::int64_t offset, std::int64_t limit, const std::string& name_contains) {
  // lower() in the "C" collation folds ASCII only: "contains, ignoring ASCII case", as in SQLite.
  const std::string where =
      " WHERE NOT deleting AND ($1::text = '' OR strpos(lower(name COLLATE \"C\"), lower($1::text COLLATE \"C\")) > 0)" + scope_;
  SessionPage page;
  page.total = db_->exec("SELECT count(*) FROM sessions" + where, {name_contains}).int64(0, 0);
  page.sessions = read_sessions(db_->exec(std::string("SELECT ") + kSessionColumns + " FROM sessions" + where +
                                              " ORDER BY id DESC LIMIT $2 OFFSET $3",
                                          {name_contains, limit, offset}));
  return page;
}

std::optional<SessionRecord> PgCatalog::session(std::int64_t id) {
  const auto r = db_->exec(std::string("SELECT ") + kSessionColumns + " FROM sessions WHERE id = $1" + scope_, {id});
  if (r.empty()) return std::nullopt;
  return read_session(r, 0);
}

void PgCatalog::for_each_frame(std::int64_t session_id, const std::function<void(const FrameRecord&)>& visit) {
  // Pages by seq, so that a session of millions of frames is never one result in memory.
  constexpr std::int64_t kPage = 10000;
  std::int64_t after = std::numeric_limits<std::int64_t>::min();
  for (;;) {
    const auto r = db_->exec(select_frames("WHERE session_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"),
                             {session_id, after, kPage});
    for (int i = 0; i < r.size(); ++i) {
      const auto f = read_frame(r, i);
      after = f.seq;
      visit(f);
    }
    if (r.size() < kPage) return;
  }
}

std::optional<FrameRecord> PgCatalog::frame(std::int64_t session_id, std::int64_t seq) {
  return first_frame(db_->exec(select_frames("WHERE session_id = $1 AND seq = $2"), {session_id, seq}));
}

std::optional<FrameRecord> PgCatalog::frame_at(std::int64_t session_id, std::int64_t t_us) {
  return first_frame(db_->exec(
      select_frames("WHERE session_id = $1 AND capture_us <= $2 ORDER BY capture_us DESC, seq DESC LIMIT 1"),
      {session_id, t_us}));
}

std::vector<FrameRecord> PgCatalog::frames_captured_between(std::int64_t session_id, std::int64_t after_us,
                                                            std::int64_t until_us) {
  return read_frames(db_->exec(
      select_frames("WHERE session_id = $1 AND capture_us > $2 AND capture_us <= $3 ORDER BY capture_us, seq"),
      {session_id, after_us, until_us}));
}

std::vector<DeletionRecord> PgCatalog::deletions() {
  const auto q = db_->exec(
      "SELECT session_id, name, folder, started_us, ended_us, frames, bytes, deleted_us, reason FROM deletions "
      "ORDER BY id");
  std::vector<DeletionRecord> out;
  for (int i = 0; i < q.size(); ++i)
    out.push_back({q.int64(i, 0), q.text(i, 1), q.text(i, 2), q.int64(i, 3), q.opt_int64(i, 4), q.int64(i, 5),
                   q.int64(i, 6), q.int64(i, 7), q.text(i, 8)});
  return out;
}

void PgCatalog::set_keep(std::int64_t id, bool keep) {
  db_->exec("UPDATE sessions SET keep = $1 WHERE id = $2", {keep, id});
}

void PgCatalog::mark_deleting(std::int64_t id, const std::string& reason, std::int64_t deleted_us) {
  pg::Transaction tx(*db_);
  db_->exec("UPDATE sessions SET deleting = true WHERE id = $1", {id});
  record_deletion(id, reason, deleted_us);
  tx.commit();
}

void PgCatalog::record_deletion(std::int64_t id, const std::string& reason, std::int64_t deleted_us) {
  db_->exec(
      "INSERT INTO deletions (session_id, name, folder, started_us, ended_us, frames, bytes, deleted_us, reason) "
      "SELECT id, name, folder, started_us, ended_us, frame_count, bytes, $1, $2 FROM sessions WHERE id = $3",
      {deleted_us, reason, id});
}

FrameTimes PgCatalog::frame_times(std::int64_t session_id) {
  // min() and max() of the indexed columns are index lookups in PostgreSQL too, when each is a
  // query of its own: one aggregate beside another that is not (max(written_us) was, once) makes
  // PostgreSQL read every row of the session for all of them.
  const auto r = db_->exec(
      "SELECT (SELECT min(capture_us) FROM frames WHERE session_id = $1), "
      "(SELECT max(capture_us) FROM frames WHERE session_id = $1), "
      "(SELECT written_us FROM frames WHERE session_id = $1 ORDER BY seq DESC LIMIT 1)",
      {session_id});
  return {r.opt_int64(0, 0), r.opt_int64(0, 1), r.opt_int64(0, 2)};
}

std::vector<FrameTimes> PgCatalog::frame_times_of(std::span<const std::int64_t> session_ids) {
  // The same three lookups per session, for all of them in one statement: a list of a thousand
  // sessions is one round trip, not a thousand.
  std::string ids = "{";
  for (const auto id : session_ids) ids += (ids.size() > 1 ? "," : "") + std::to_string(id);
  ids += "}";
  const auto r = db_->exec(
      "SELECT (SELECT min(capture_us) FROM frames WHERE session_id = s.id), "
      "(SELECT max(capture_us) FROM frames WHERE session_id = s.id), "
      "(SELECT written_us FROM frames WHERE session_id = s.id ORDER BY seq DESC LIMIT 1) "
      "FROM unnest($1::bigint[]) WITH ORDINALITY AS s(id, n) ORDER BY s.n",
      {ids});
  std::vector<FrameTimes> out;
  out.reserve(session_ids.size());
  for (int i = 0; i < r.size(); ++i) out.push_back({r.opt_int64(i, 0), r.opt_int64(i, 1), r.opt_int64(i, 2)});
  return out;
}

std::optional<std::int64_t> PgCatalog::latest_write_us(std::int64_t session_id) {
  return db_->exec("SELECT max(written_us) FROM frames WHERE session_id = $1", {session_id}).opt_int64(0, 0);
}

FrameTotals PgCatalog::frame_totals(std::int64_t session_id) {
  const auto r = db_->exec(
      "SELECT count(*), coalesce(sum(jpeg_bytes) FILTER (WHERE same_as IS NULL), 0) FROM frames "
      "WHERE session_id = $1",  // a repeat's file is its source's: counted once
      {session_id});
  return {r.int64(0, 0), r.int64(0, 1)};
}

void PgCatalog::set_session_totals(std::int64_t id, const FrameTotals& totals) {
  db_->exec("UPDATE sessions SET frame_count = $1, bytes = $2 WHERE id = $3", {totals.frames, totals.bytes, id});
}

void PgCatalog::delete_session(std::int64_t id,
                               const std::function<void(const std::optional<SessionRecord>&)>& check,
                               const std::string& reason) {
  // The session's row is locked from the check to the delete: a receiver resuming it waits.
  pg::Transaction tx(*db_);
  const auto r =
      db_->exec(std::string("SELECT ") + kSessionColumns + " FROM sessions WHERE id = $1 FOR UPDATE", {id});
  const auto now = r.empty() ? std::nullopt : std::optional<SessionRecord>(read_session(r, 0));
  check(now);
  if (now && !now->deleting) record_deletion(id, reason, wall_clock_us());
  // frames, text spans, OCR passes and state go with it (ON DELETE CASCADE).
  db_->exec("DELETE FROM sessions WHERE id = $1", {id});
  tx.commit();
}

// ---- Activity per frame (schema 4) ----

void PgCatalog::for_each_frame_activity(std::int64_t session_id,
                                        const std::function<void(const FrameActivityRow&)>& visit) {
  constexpr std::int64_t kPage = 50000;  // pages by seq, as for_each_frame
  std::int64_t after = std::numeric_limits<std::int64_t>::min();
  for (;;) {
    const auto r = db_->exec(
        "SELECT seq, tick, capture_us, changed_share, changed_tiles FROM frames WHERE session_id = $1 AND seq > $2 "
        "ORDER BY seq LIMIT $3",
        {session_id, after, kPage});
    for (int i = 0; i < r.size(); ++i) {
      after = r.int64(i, 0);
      visit({after, r.int64(i, 1), r.int64(i, 2), activity_at(r, i, 3)});
    }
    if (r.size() < kPage) return;
  }
}

std::optional<FrameRecord> PgCatalog::next_change(std::int64_t session_id, std::int64_t seq, bool forward) {
  return first_frame(db_->exec(select_frames(forward ? "WHERE session_id = $1 AND seq > $2 AND changed_tiles > 0 "
                                                       "ORDER BY seq LIMIT 1"
                                                     : "WHERE session_id = $1 AND seq < $2 AND changed_tiles > 0 "
                                                       "ORDER BY seq DESC LIMIT 1"),
                               {session_id, seq}));
}

std::optional<std::int64_t> PgCatalog::first_frame_without_activity(std::int64_t session_id) {
  return db_->exec("SELECT min(seq) FROM frames WHERE session_id = $1 AND changed_tiles IS NULL", {session_id})
      .opt_int64(0, 0);
}

void PgCatalog::set_frame_activity(std::int64_t session_id,
                                   std::span<const std::pair<std::int64_t, FrameActivity>> rows) {
  pg::Transaction tx(*db_);
  for (const auto& [seq, a] : rows)
    db_->exec("UPDATE frames SET changed_share = $1, changed_tiles = $2 WHERE session_id = $3 AND seq = $4",
              {a.changed_share, a.changed_tiles, session_id, seq});
  tx.commit();
}

// ---- Markers, pauses and the drop ledger (schema 5) ----

std::vector<MarkerRecord> PgCatalog::markers(std::int64_t session_id) {
  const auto q = db_->exec(
      "SELECT session_id, time_us, tick, frame, label, source FROM markers WHERE session_id = $1 ORDER BY tick, id",
      {session_id});
  std::vector<MarkerRecord> out;
  for (int i = 0; i < q.size(); ++i)
    out.push_back({q.int64(i, 0), q.int64(i, 1), q.int64(i, 2), q.opt_int64(i, 3), q.text(i, 4), q.text(i, 5)});
  return out;
}

std::vector<PauseRecord> PgCatalog::pauses(std::int64_t session_id) {
  const auto q = db_->exec(
      "SELECT session_id, from_tick, from_us, to_tick, to_us, reason FROM pauses WHERE session_id = $1 "
      "ORDER BY from_tick, id",
      {session_id});
  std::vector<PauseRecord> out;
  for (int i = 0; i < q.size(); ++i)
    out.push_back({q.int64(i, 0), q.int64(i, 1), q.int64(i, 2), q.opt_int64(i, 3), q.opt_int64(i, 4), q.text(i, 5)});
  return out;
}

std::vector<LedgerRun> PgCatalog::ledger(std::int64_t session_id) {
  const auto q = db_->exec(
      "SELECT session_id, first_tick, last_tick, cause FROM ledger WHERE session_id = $1 ORDER BY first_tick",
      {session_id});
  std::vector<LedgerRun> out;
  for (int i = 0; i < q.size(); ++i) out.push_back({q.int64(i, 0), q.int64(i, 1), q.int64(i, 2), q.text(i, 3)});
  return out;
}

std::vector<WindowRecord> PgCatalog::windows(std::int64_t session_id) {
  const auto q = db_->exec(
      "SELECT session_id, from_tick, from_us, to_tick, to_us, window_id, title, x, y, width, height FROM windows "
      "WHERE session_id = $1 ORDER BY from_tick, id",
      {session_id});
  std::vector<WindowRecord> out;
  for (int i = 0; i < q.size(); ++i)
    out.push_back({q.int64(i, 0), q.int64(i, 1), q.int64(i, 2), q.opt_int64(i, 3), q.opt_int64(i, 4), q.int64(i, 5),
                   q.text(i, 6), q.int64(i, 7), q.int64(i, 8), q.int64(i, 9), q.int64(i, 10)});
  return out;
}

void PgCatalog::add_events(const SessionEvents& events) {
  if (events.empty()) return;
  pg::Transaction tx(*db_);
  // Written again from a catalog journal, the same marker (session, tick, time, label, source) or
  // pause (session, start tick) or ledger run (its key) is not added twice.
  for (const auto& m : events.markers)
    db_->exec("INSERT INTO markers (session_id, time_us, tick, frame, label, source) "
              "SELECT $1::bigint, $2::bigint, $3::bigint, $4::bigint, $5::text, $6::text WHERE NOT EXISTS "
              "(SELECT 1 FROM markers WHERE session_id = $1 AND time_us = $2 AND tick = $3 AND label = $5 "
              "AND source = $6)",
              {m.session_id, m.time_us, m.tick, m.frame, m.label, m.source});
  for (const auto& p : events.pauses)
    db_->exec(
        "INSERT INTO pauses (session_id, from_tick, from_us, to_tick, to_us, reason) "
        "SELECT $1::bigint, $2::bigint, $3::bigint, $4::bigint, $5::bigint, $6::text WHERE NOT EXISTS "
        "(SELECT 1 FROM pauses WHERE session_id = $1 AND from_tick = $2)",
        {p.session_id, p.from_tick, p.from_us, p.to_tick, p.to_us, p.reason});
  for (const auto& e : events.pause_ends)
    db_->exec("UPDATE pauses SET to_tick = $1, to_us = $2 WHERE session_id = $3 AND to_tick IS NULL AND from_tick <= $1",
              {e.to_tick, e.to_us, e.session_id});
  for (const auto& r : events.ledger)
    db_->exec("INSERT INTO ledger (session_id, first_tick, last_tick, cause) VALUES ($1, $2, $3, $4) "
              "ON CONFLICT (session_id, first_tick) DO NOTHING",
              {r.session_id, r.first_tick, r.last_tick, r.cause});
  // A window row (session, window, start tick) written again from a journal is not added twice.
  for (const auto& w : events.windows)
    db_->exec(
        "INSERT INTO windows (session_id, from_tick, from_us, to_tick, to_us, window_id, title, x, y, width, height) "
        "SELECT $1::bigint, $2::bigint, $3::bigint, $4::bigint, $5::bigint, $6::bigint, $7::text, $8::bigint, "
        "$9::bigint, $10::bigint, $11::bigint WHERE NOT EXISTS "
        "(SELECT 1 FROM windows WHERE session_id = $1 AND window_id = $6 AND from_tick = $2)",
        {w.session_id, w.from_tick, w.from_us, w.to_tick, w.to_us, w.window_id, w.title, w.x, w.y, w.width, w.height});
  for (const auto& e : events.window_ends)
    db_->exec("UPDATE windows SET to_tick = $1, to_us = $2 WHERE session_id = $3 AND to_tick IS NULL AND from_tick < $1 "
              "AND ($4::bigint IS NULL OR window_id = $4)",
              {e.to_tick, e.to_us, e.session_id, e.window_id});
  tx.commit();
}

}  // namespace screenreel

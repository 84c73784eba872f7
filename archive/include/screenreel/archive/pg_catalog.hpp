// The PostgreSQL catalog backend: one database that a fleet of receivers and screenreel-replay
// share (--catalog postgresql://...), specified by schemas/catalog-postgresql.sql. The same
// meanings as SqliteCatalog (catalog.hpp); it holds all of its SQL, with libpq (pg.hpp, private).
// The text index uses PostgreSQL's full-text search (a tsvector with a GIN index).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "screenreel/archive/catalog.hpp"

namespace screenreel {

struct SessionRows;
struct StoredTextSpan;

namespace pg {
class Connection;
}

// `screenreel-replay query` on a PostgreSQL catalog (PgCatalog::run_user_query): the columns of
// the user's statement, each cell as text (NULL: none; bytea: its bytes), and how it ended.
struct UserQueryColumn {
  enum class Kind { kInteger, kReal, kBoolean, kBytes, kText };
  std::string name;
  Kind kind;
};
using UserQueryRow = std::vector<std::optional<std::string>>;
enum class UserQueryEnd {
  kDone,        // every row was handed over
  kStopped,     // the row callback stopped it
  kTimedOut,    // statement_timeout ended it
  kWouldWrite,  // it tried to write (refused by the READ ONLY transaction)
  kMoreThanOne, // more than one statement
};

class PgCatalog final : public CatalogWriter {
 public:
  enum class Mode { kReadOnly, kReadWrite };

  // Connects (where.conninfo: any connection string libpq takes) and, in kReadWrite mode, creates
  // the schema in an empty database or brings an older one to kCatalogSchemaVersion. A reader's
  // transactions are READ ONLY. where.receiver scopes it to that receiver's sessions (catalog.hpp).
  PgCatalog(const CatalogLocation& where, Mode mode);
  ~PgCatalog() override;

  std::string location() const override;

  // Runs the user's `sql`, one statement, in a READ ONLY transaction that is always rolled back,
  // with statement_timeout = `timeout`: `columns` gets the result's columns, then `row` each row
  // (returning false stops it). PostgreSQL itself refuses what writes. SQL errors throw
  // CatalogError with the server's message.
  UserQueryEnd run_user_query(const std::string& sql, std::chrono::milliseconds timeout,
                              const std::function<void(const std::vector<UserQueryColumn>&)>& columns,
                              const std::function<bool(UserQueryRow&&)>& row);
  int schema_version() override;
  std::string integrity_check(bool quick) override;
  bool snapshot() const override { return false; }

  std::vector<SessionRecord> sessions() override;
  std::optional<SessionRecord> session(std::int64_t id) override;
  SessionPage session_page(std::int64_t offset, std::int64_t limit, const std::string& name_contains) override;
  std::vector<DeletionRecord> deletions() override;
  void set_keep(std::int64_t id, bool keep) override;
  void mark_deleting(std::int64_t id, const std::string& reason, std::int64_t deleted_us) override;
  void for_each_frame(std::int64_t session_id,
                      const std::function<void(const FrameRecord&)>& visit) override;
  std::optional<FrameRecord> frame(std::int64_t session_id, std::int64_t seq) override;
  std::optional<FrameRecord> frame_at(std::int64_t session_id, std::int64_t t_us) override;
  std::vector<FrameRecord> frames_captured_between(std::int64_t session_id, std::int64_t after_us,
                                                   std::int64_t until_us) override;
  FrameTimes frame_times(std::int64_t session_id) override;
  std::vector<FrameTimes> frame_times_of(std::span<const std::int64_t> session_ids) override;
  std::optional<std::int64_t> latest_write_us(std::int64_t session_id) override;
  FrameTotals frame_totals(std::int64_t session_id) override;
  void for_each_frame_activity(std::int64_t session_id,
                               const std::function<void(const FrameActivityRow&)>& visit) override;
  std::optional<FrameRecord> next_change(std::int64_t session_id, std::int64_t seq, bool forward) override;
  std::optional<std::int64_t> first_frame_without_activity(std::int64_t session_id) override;
  std::vector<MarkerRecord> markers(std::int64_t session_id) override;
  std::vector<PauseRecord> pauses(std::int64_t session_id) override;
  std::vector<LedgerRun> ledger(std::int64_t session_id) override;
  std::vector<WindowRecord> windows(std::int64_t session_id) override;

  std::optional<OcrSessionState> text_state(std::int64_t session_id) override;
  std::vector<OpenSpan> open_spans(std::int64_t session_id) override;
  std::vector<TextHit> find_text(const TextSearch& search) override;
  std::vector<TextSpanWords> text_on_frame(std::int64_t session_id, std::int64_t seq,
                                           const std::string& words) override;
  void for_each_text_span(std::int64_t session_id, const std::function<void(const TextSpanRow&)>& visit) override;
  std::optional<TextIndexSummary> text_index_summary(std::int64_t session_id) override;
  std::vector<std::int64_t> sessions_without_text_index() override;
  // Catalog copy (catalog_copy.hpp): the session's text index rows as stored, in the order
  // they were made; and, in one transaction, the session's rows replaced by `rows` (its receiver
  // and archive root included; no deletion is recorded); and, in one transaction, `rows` added to
  // the deletion history.
  std::vector<StoredTextSpan> text_spans(std::int64_t session_id);
  std::vector<OcrPassRow> text_passes(std::int64_t session_id);
  void replace_session(const SessionRows& rows);
  void add_deletions(std::span<const DeletionRecord> rows);

  SessionRecord create_session(const NewSession& s) override;
  void restore_session(const SessionRecord& s) override;
  bool storage_lost() override;
  void seal_session(std::int64_t id, const Digest& head, std::int64_t frames, std::span<const std::uint8_t> signature,
                    std::span<const std::uint8_t> signer) override;
  std::vector<DisplayedAt> add_frames(std::span<const FrameRecord> frames,
                                      std::span<const DisplayedAt> displayed = {}) override;
  void set_frame_activity(std::int64_t session_id,
                          std::span<const std::pair<std::int64_t, FrameActivity>> rows) override;
  void add_events(const SessionEvents& events) override;
  void forget_empty_session(std::int64_t id) override;
  void end_session(std::int64_t id, std::int64_t ended_us, const std::string& reason,
                   const std::string& error = {}, std::int64_t dropped = 0) override;
  Reopened reopen_session(std::int64_t id) override;
  void set_session_totals(std::int64_t id, const FrameTotals& totals) override;
  void delete_session(std::int64_t id, const std::function<void(const std::optional<SessionRecord>&)>& check,
                      const std::string& reason = "delete") override;

  void begin_text_index(std::int64_t session_id, const std::string& indexer, const std::string& lang,
                        std::int64_t interval_us) override;
  std::int64_t apply_text_pass(
      std::int64_t session_id,
      const std::function<TextPassChanges(const std::vector<OpenSpan>&)>& decide) override;
  void finish_text_index(std::int64_t session_id, std::int64_t last_seq,
                         std::int64_t until_us) override;
  void erase_text_index(std::int64_t session_id) override;

 private:
  void migrate(Mode mode);
  void record_deletion(std::int64_t id, const std::string& reason, std::int64_t deleted_us);
  std::unique_ptr<pg::Connection> db_;
  std::string receiver_, archive_root_;
  std::string scope_;  // " AND receiver = '<name>'" for a receiver's writer, else empty
};

// Words as typed ("disk full", "ERR*") as the text of a tsquery: every word must appear (&),
// each quoted so that punctuation and tsquery's operators are taken literally; a trailing * keeps
// its meaning (:*, words starting with). Throws std::invalid_argument when there is no word.
std::string tsquery_text(std::string_view words);

// The schema text of schemas/catalog-postgresql.sql, and the steps of
// schemas/migrations-postgresql/ in ascending version order, embedded at build time.
extern const char* const kPgCatalogSql;
std::span<const CatalogMigration> pg_catalog_migrations();

}  // namespace screenreel

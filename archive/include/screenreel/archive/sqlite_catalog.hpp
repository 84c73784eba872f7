// The SQLite catalog backend: the archive's catalog.db, specified by schemas/catalog.sql and
// brought forward by schemas/migrations/. It holds all the catalog's SQL. The receiver writes it
// (WAL mode); readers, screenreel-replay and sqlite3 among them, read it while it records.
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "screenreel/archive/catalog.hpp"
#include "screenreel/archive/sqlite.hpp"

namespace screenreel {

struct SessionRows;
struct StoredTextSpan;

class SqliteCatalog final : public CatalogWriter {
 public:
  using Mode = sqlite::Database::Mode;

  // Opens (creating it in kReadWrite mode) and, in kReadWrite mode, brings the schema to
  // kCatalogSchemaVersion. See open_catalog_reader / open_catalog_writer.
  SqliteCatalog(const std::filesystem::path& path, Mode mode);

  // The connection itself: for `screenreel-replay query`'s guarded user SQL and for tests that
  // look at the file as sqlite3 would. Nothing else prepares statements on it.
  sqlite::Database& db() { return db_; }

  std::string location() const override { return db_.path().string(); }
  int schema_version() override;
  std::string integrity_check(bool quick) override;
  bool snapshot() const override { return db_.immutable(); }

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
  void for_each_frame_activity(std::int64_t session_id,
                               const std::function<void(const FrameActivityRow&)>& visit) override;
  std::optional<FrameRecord> next_change(std::int64_t session_id, std::int64_t seq, bool forward) override;
  std::optional<std::int64_t> first_frame_without_activity(std::int64_t session_id) override;
  FrameTimes frame_times(std::int64_t session_id) override;
  std::optional<std::int64_t> latest_write_us(std::int64_t session_id) override;
  FrameTotals frame_totals(std::int64_t session_id) override;

  std::vector<MarkerRecord> markers(std::int64_t session_id) override;
  std::vector<PauseRecord> pauses(std::int64_t session_id) override;
  std::vector<LedgerRun> ledger(std::int64_t session_id) override;
  std::vector<WindowRecord> windows(std::int64_t session_id) override;
  void add_events(const SessionEvents& events) override;

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
  void migrate();
  void record_deletion(std::int64_t id, const std::string& reason, std::int64_t deleted_us);
  sqlite::Database db_;
  int version_ = 0;  // the schema version, once open
  std::optional<sqlite::Statement> insert_frame_;
  std::optional<sqlite::Statement> bump_session_;
  std::optional<sqlite::Statement> set_displayed_;
};

// Words as typed ("disk full", "ERR*") as an FTS5 query: every word must appear, each one
// quoted so that punctuation and FTS5's operators are taken literally; a trailing * keeps its
// meaning (words starting with). Throws std::invalid_argument when there is no word.
std::string fts5_query(std::string_view words);

// The schema text of schemas/catalog.sql, embedded at build time.
extern const char* const kCatalogSql;

// Every step of schemas/migrations/, in ascending version order (embedded at build time; the last is the current schema).
std::span<const CatalogMigration> catalog_migrations();

}  // namespace screenreel

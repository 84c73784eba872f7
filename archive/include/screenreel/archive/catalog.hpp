// The catalog of an archive: its sessions, the frames they hold and the text OCR read on them.
//
// Two interfaces, after rosbag2's storage plugins: a CatalogReader answers every question
// replay, verify and the OCR index ask; a CatalogWriter (the receiver, recover, `index`,
// `delete`) also changes it. Backends implement both and hold all their SQL; nothing outside a
// backend prepares a statement, except `screenreel-replay query`'s guarded user SQL, which asks
// for the SQLite backend by name (sqlite_catalog.hpp). SQLite (the archive's catalog.db,
// schemas/catalog.sql) is the embedded default; a second backend implements the same meanings.
//
// Errors are CatalogError (catalog_error.hpp), with a kind that callers act on (a full disk) and
// a message that says what to do.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "screenreel/archive/catalog_error.hpp"
#include "screenreel/archive/catalog_records.hpp"

namespace screenreel {

inline constexpr int kCatalogSchemaVersion = 6;

// One step of a backend's migrations (schemas/migrations/, schemas/migrations-postgresql/): `sql`
// brings a catalog of version `version - 1` to `version`.
struct CatalogMigration {
  int version;
  const char* sql;
};

// One page of sessions (CatalogReader::session_page) and how many there are in all.
struct SessionPage {
  std::vector<SessionRecord> sessions;
  std::int64_t total = 0;  // every session matching the filter, on this page or not
};

class CatalogReader {
 public:
  virtual ~CatalogReader() = default;

  // Where the catalog is (a file path, or a database's address without its password), for
  // messages.
  virtual std::string location() const = 0;
  virtual int schema_version() = 0;
  // Whether the catalog has the text tables (schema 2): false for an older one opened read-only.
  bool has_text_index() { return schema_version() >= 2; }
  // The backend's own consistency check: "ok", or the first problem it reports. `quick` skips
  // the slower parts (SQLite: quick_check instead of integrity_check).
  virtual std::string integrity_check(bool quick) = 0;
  // True when this reader sees the catalog as it was when opened and not what a writer adds
  // meanwhile (SQLite read as immutable: a folder this user may not write).
  virtual bool snapshot() const = 0;

  virtual std::vector<SessionRecord> sessions() = 0;
  virtual std::optional<SessionRecord> session(std::int64_t id) = 0;
  // Sessions newest (highest id) first, those being deleted left out: at most `limit` from the
  // `offset`th on, only those whose name contains `name_contains` ignoring ASCII case (empty:
  // all). Reads only the page's rows, so a viewer pages through thousands of sessions.
  virtual SessionPage session_page(std::int64_t offset, std::int64_t limit, const std::string& name_contains) = 0;
  // Sessions deleted so far, oldest deletion first (empty before schema 3).
  virtual std::vector<DeletionRecord> deletions() = 0;

  // The session's frames in seq order, one at a time (a session may hold millions).
  virtual void for_each_frame(std::int64_t session_id,
                              const std::function<void(const FrameRecord&)>& visit) = 0;
  std::vector<FrameRecord> frames(std::int64_t session_id);
  // Frame number `seq` of the session (frames.seq); none when it has no such row.
  virtual std::optional<FrameRecord> frame(std::int64_t session_id, std::int64_t seq) = 0;
  // The last frame whose capture time is <= t_us; none when t_us is before the first frame.
  virtual std::optional<FrameRecord> frame_at(std::int64_t session_id, std::int64_t t_us) = 0;
  // The frames captured in (after_us, until_us], by capture time (then seq).
  virtual std::vector<FrameRecord> frames_captured_between(std::int64_t session_id,
                                                           std::int64_t after_us,
                                                           std::int64_t until_us) = 0;
  // Each frame's number, tick, capture time and activity, in seq order (the timeline's reading of
  // a session: no file names or hashes).
  virtual void for_each_frame_activity(std::int64_t session_id,
                                       const std::function<void(const FrameActivityRow&)>& visit) = 0;
  // The first frame after frame `seq` (forward) or the last one before it whose activity is above
  // zero; none when there is none (or the catalog is older than schema 4).
  virtual std::optional<FrameRecord> next_change(std::int64_t session_id, std::int64_t seq, bool forward) = 0;
  // The lowest seq of the session's frames without activity; none when every frame has it.
  virtual std::optional<std::int64_t> first_frame_without_activity(std::int64_t session_id) = 0;
  // First and last capture time, and the last write time, each one index lookup.
  virtual FrameTimes frame_times(std::int64_t session_id) = 0;
  // frame_times of many sessions, in their order (what `list` asks for every session): one round
  // trip to a database server, a loop over frame_times for the file.
  virtual std::vector<FrameTimes> frame_times_of(std::span<const std::int64_t> session_ids);
  // The latest write of any of the session's frames (none when it has none). written_us has no
  // index: this reads every row of the session, so it is for recover, not for listing.
  virtual std::optional<std::int64_t> latest_write_us(std::int64_t session_id) = 0;
  // What the frame rows add up to (a repeat's shared file counted once).
  virtual FrameTotals frame_totals(std::int64_t session_id) = 0;

  // Markers, pauses and the drop ledger (schema 5; empty before), in tick order.
  bool has_ledger() { return schema_version() >= 5; }
  virtual std::vector<MarkerRecord> markers(std::int64_t session_id) = 0;
  virtual std::vector<PauseRecord> pauses(std::int64_t session_id) = 0;
  virtual std::vector<LedgerRun> ledger(std::int64_t session_id) = 0;
  // The windows the capture saw on screen (schema 6; empty before), by from_tick.
  bool has_windows() { return schema_version() >= 6; }
  virtual std::vector<WindowRecord> windows(std::int64_t session_id) = 0;

  // The text index. All of these need has_text_index().
  virtual std::optional<OcrSessionState> text_state(std::int64_t session_id) = 0;
  virtual std::vector<OpenSpan> open_spans(std::int64_t session_id) = 0;
  // Spans holding every word (a trailing * keeps its meaning: words starting with), best
  // match first, then earliest. Throws std::invalid_argument when there is no word.
  virtual std::vector<TextHit> find_text(const TextSearch& search) = 0;
  // The spans of a session visible on frame seq (first_seq <= seq <= last_seq) that match words.
  virtual std::vector<TextSpanWords> text_on_frame(std::int64_t session_id, std::int64_t seq,
                                                   const std::string& words) = 0;
  // Every span of a session, in first_seq order, one at a time.
  virtual void for_each_text_span(std::int64_t session_id, const std::function<void(const TextSpanRow&)>& visit) = 0;
  // Empty when the session has no text index (or the catalog none at all).
  virtual std::optional<TextIndexSummary> text_index_summary(std::int64_t session_id) = 0;
  // The sessions that have frames but no complete text index ("index" would build it).
  virtual std::vector<std::int64_t> sessions_without_text_index() = 0;
};

class CatalogWriter : public CatalogReader {
 public:
  // Inserts the session and names its folder "<UTC start time>-<id>"; returns the record.
  virtual SessionRecord create_session(const NewSession& s) = 0;
  // Inserts a session as it was (rebuild, from its manifest): its id, folder, times and end as
  // given, with no frames yet.
  virtual void restore_session(const SessionRecord& s) = 0;
  // One transaction for all rows and display times; also advances the sessions' frame_count and
  // bytes. Returns the display times whose rows do not exist yet (to be given again later).
  virtual std::vector<DisplayedAt> add_frames(std::span<const FrameRecord> frames,
                                              std::span<const DisplayedAt> displayed = {}) = 0;
  // Sets the activity of frames of a session (seq, activity), in one transaction.
  virtual void set_frame_activity(std::int64_t session_id,
                                  std::span<const std::pair<std::int64_t, FrameActivity>> rows) = 0;
  // Markers, pauses, ledger runs and windows, in one transaction.
  virtual void add_events(const SessionEvents& events) = 0;
  // Removes a session that never held a frame (its folder could not be made): no empty rows.
  virtual void forget_empty_session(std::int64_t id) = 0;
  virtual void end_session(std::int64_t id, std::int64_t ended_us, const std::string& reason,
                           const std::string& error = {}, std::int64_t dropped = 0) = 0;

  // Opens an ended session again to continue recording it (a client resuming after a lost
  // connection). Its frame numbering must stay contiguous: rows after a missing number (a file a
  // killed receiver never finished, while later ones were indexed by recovery) are deleted, and
  // their files are returned for the caller to remove; the client sends those frames again.
  // frame_count and bytes are set to what the remaining rows hold.
  struct Reopened {
    std::int64_t last_seq = 0;   // frames kept: 1..last_seq
    std::int64_t last_tick = 0;  // the client tick of frame last_seq (0 when none)
    std::int64_t last_ledger_tick = 0;  // the newest tick of its drop ledger (0 when none)
    std::optional<Digest> last_chain;  // the chain through frame last_seq (empty: none, or no chain)
    std::vector<std::string> removed_files;
  };
  virtual Reopened reopen_session(std::int64_t id) = 0;

  // Records the session's chain head, how many frames it covers, and the receiver's signature
  // of it (integrity.hpp), when the session ends.
  virtual void seal_session(std::int64_t id, const Digest& head, std::int64_t frames,
                            std::span<const std::uint8_t> signature, std::span<const std::uint8_t> signer) = 0;

  // True when the catalog's storage went away under this writer (SQLite: catalog.db was deleted
  // or replaced since it was opened); what is written from then on is lost with it.
  virtual bool storage_lost() = 0;

  // Marks a session kept (retention never deletes it) or not.
  virtual void set_keep(std::int64_t id, bool keep) = 0;
  // The first step of a crash-safe deletion (retention.hpp): in one transaction, the session is
  // marked deleting and its deletion recorded with `reason`. Then its files go, then
  // delete_session removes its rows.
  virtual void mark_deleting(std::int64_t id, const std::string& reason, std::int64_t deleted_us) = 0;

  // Sets a session's frame_count and bytes (recover: to what its rows hold).
  virtual void set_session_totals(std::int64_t id, const FrameTotals& totals) = 0;
  // Deletes a session and every row that belongs to it, in one write transaction that first
  // hands `check` the session as it is now (empty: gone); `check` throws to keep it. The write
  // lock is held from the check to the delete, so a receiver cannot resume it in between. A
  // session not marked deleting (mark_deleting) has its deletion recorded with `reason`.
  virtual void delete_session(std::int64_t id, const std::function<void(const std::optional<SessionRecord>&)>& check,
                              const std::string& reason = "delete") = 0;

  // The text index's writes (the span rules are TextIndex's, text_index.hpp).
  virtual void begin_text_index(std::int64_t session_id, const std::string& indexer,
                                const std::string& lang, std::int64_t interval_us) = 0;
  // In one transaction: hands `decide` the session's open spans and applies what it returns.
  // Returns how many open spans were extended to the pass.
  virtual std::int64_t apply_text_pass(
      std::int64_t session_id,
      const std::function<TextPassChanges(const std::vector<OpenSpan>&)>& decide) = 0;
  // Extends the session's open spans to last_seq / until_us, closes them and marks the index
  // complete.
  virtual void finish_text_index(std::int64_t session_id, std::int64_t last_seq,
                                 std::int64_t until_us) = 0;
  // Removes a session's text index (spans, passes, state), to build it again.
  virtual void erase_text_index(std::int64_t session_id) = 0;
};

// Where a catalog is: the archive's catalog.db (SQLite, the default), or a PostgreSQL database
// that a fleet of receivers shares (a libpq connection string).
struct CatalogLocation {
  CatalogLocation(const std::filesystem::path& catalog_file) : file(catalog_file) {}
  // `value` as --catalog or $SCREENREEL_CATALOG gives it: empty for `catalog_file` (the
  // archive's catalog.db); "postgresql://..." or "postgres://..." (a URI) or "key=value ..."
  // (libpq's keyword form) for PostgreSQL. Throws CatalogError for anything else.
  static CatalogLocation parse(const std::string& value, const std::filesystem::path& catalog_file);

  bool postgresql() const { return !conninfo.empty(); }
  // For messages: the file, or the connection string's parts without the password.
  std::string describe() const;

  std::filesystem::path file;  // the SQLite file, when conninfo is empty
  std::string conninfo;        // the PostgreSQL connection string, as libpq takes it
  // A receiver of a fleet, in a catalog several share: its name and archive folder. A writer
  // opened with a name stamps both on the sessions it creates or restores, and sees only its own
  // sessions (sessions, session, session_page, sessions_without_text_index): its recovery,
  // retention and resumes never touch another receiver's. Empty: every session (replay). The
  // SQLite catalog is one archive's own and ignores both.
  std::string receiver;
  std::filesystem::path archive_root;
};

// Opens the catalog at `where` (a catalog.db path converts to its location).
// A writer creates it when missing and brings an older schema to kCatalogSchemaVersion (one
// transaction per step); a reader reads an older catalog as it is. Both throw CatalogError with
// a message that says what to do: newer schema, not a catalog, locked, unreadable, unreachable.
std::unique_ptr<CatalogReader> open_catalog_reader(const CatalogLocation& where);
std::unique_ptr<CatalogWriter> open_catalog_writer(const CatalogLocation& where);

}  // namespace screenreel

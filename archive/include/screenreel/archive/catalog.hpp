// The SQLite catalog of an archive (schemas/catalog.sql): sessions and the frames they hold.
// The receiver writes it; screenreel-replay and sqlite3 read it, also while a recording runs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "screenreel/archive/sqlite.hpp"

namespace screenreel {

inline constexpr int kCatalogSchemaVersion = 2;

struct NewSession {
  std::string name;
  std::string client_address;
  std::string source;
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  double fps = 0;
  std::int64_t started_us = 0;
};

struct SessionRecord {
  std::int64_t id = 0;
  std::string name, folder, client_address, source;
  std::uint32_t width = 0, height = 0;
  double fps = 0;
  std::int64_t started_us = 0;
  std::optional<std::int64_t> ended_us;
  std::string end_reason;  // empty while recording
  std::string error;
  std::int64_t frame_count = 0;
  std::int64_t bytes = 0;
  std::int64_t dropped = 0;
  bool recording() const { return !ended_us.has_value(); }
};

struct FrameRecord {
  std::int64_t session_id = 0;
  std::int64_t seq = 0;
  std::int64_t tick = 0;
  std::int64_t capture_us = 0;
  std::int64_t receive_us = 0;
  std::int64_t written_us = 0;
  std::optional<std::int64_t> displayed_us;
  std::string file;
  std::uint32_t width = 0, height = 0;
  std::int64_t jpeg_bytes = 0;
  std::optional<std::int64_t> same_as;
};

// "Frame `seq` of session `session_id` was shown at `displayed_us`", recorded after its row.
struct DisplayedAt {
  std::int64_t session_id = 0;
  std::int64_t seq = 0;
  std::int64_t displayed_us = 0;
};

// The frames columns in the order read_frame() expects, for readers' own SELECTs.
extern const char* const kFrameColumns;
FrameRecord read_frame(const sqlite::Statement& row);

class Catalog {
 public:
  using Mode = sqlite::Database::Mode;

  // Opens (creating it in kReadWrite mode) and, in kReadWrite mode, brings the schema to
  // kCatalogSchemaVersion (catalog_migrations(), one transaction each). A reader reads an older
  // catalog as it is. Throws with a message that says what to do: newer schema, not a catalog,
  // locked.
  Catalog(const std::filesystem::path& path, Mode mode);

  int schema_version();
  // Whether the catalog has the text tables (schema 2): false for an older one opened read-only.
  bool has_text_index() { return schema_version() >= 2; }
  // SQLite's PRAGMA quick_check: "ok", or the first problem it reports.
  std::string quick_check();

  // Inserts the session and names its folder "<UTC start time>-<id>"; returns the record.
  SessionRecord create_session(const NewSession& s);
  // One transaction for all rows and display times; also advances the sessions' frame_count and
  // bytes. Returns the display times whose rows do not exist yet (to be given again later).
  std::vector<DisplayedAt> add_frames(std::span<const FrameRecord> frames, std::span<const DisplayedAt> displayed = {});
  // Removes a session that never held a frame (its folder could not be made): no empty rows.
  void forget_empty_session(std::int64_t id);
  void end_session(std::int64_t id, std::int64_t ended_us, const std::string& reason,
                   const std::string& error = {}, std::int64_t dropped = 0);

  // Opens an ended session again to continue recording it (a client resuming after a lost
  // connection). Its frame numbering must stay contiguous: rows after a missing number (a file a
  // killed receiver never finished, while later ones were indexed by recovery) are deleted, and
  // their files are returned for the caller to remove; the client sends those frames again.
  // frame_count and bytes are set to what the remaining rows hold.
  struct Reopened {
    std::int64_t last_seq = 0;   // frames kept: 1..last_seq
    std::int64_t last_tick = 0;  // the client tick of frame last_seq (0 when none)
    std::vector<std::string> removed_files;
  };
  Reopened reopen_session(std::int64_t id);

  std::vector<SessionRecord> sessions();
  std::optional<SessionRecord> session(std::int64_t id);
  std::vector<FrameRecord> frames(std::int64_t session_id);
  // The last frame whose capture time is <= t_us; none when t_us is before the first frame.
  std::optional<FrameRecord> frame_at(std::int64_t session_id, std::int64_t t_us);

  sqlite::Database& db() { return db_; }

 private:
  void migrate();
  sqlite::Database db_;
  std::optional<sqlite::Statement> insert_frame_;
  std::optional<sqlite::Statement> bump_session_;
  std::optional<sqlite::Statement> set_displayed_;
};

// The schema text of schemas/catalog.sql, embedded at build time.
extern const char* const kCatalogSql;

// One step of schemas/migrations/: `sql` brings a catalog of version `version - 1` to `version`.
struct CatalogMigration {
  int version;
  const char* sql;
};
// Every step, in ascending version order (embedded at build time; the last is the current schema).
std::span<const CatalogMigration> catalog_migrations();

}  // namespace screenreel

// Copying a catalog between backends (`screenreel-replay catalog copy`): an archive's SQLite
// catalog into a fleet's PostgreSQL database, and back. Backend-neutral: it reads through
// CatalogReader and writes each session with CatalogWriter::replace_session, one transaction per
// session, so a copy stopped anywhere (SIGKILL, a lost connection) leaves every session at the
// target either whole or as it was. Run again, it skips the sessions whose rows at the target
// already equal the source's (the same checksum) and copies the rest: the result is the same as
// one uninterrupted copy. Session ids are kept; an id the target holds for another session (a
// different folder: another archive's) is refused rather than overwritten.
//
// The deletion history (the deletions table: sessions deleted by retention or `delete`) goes
// too: the source's rows that the target does not hold yet (equal in every column) are added in
// one transaction after the sessions, so a copy run again adds none twice; the verification
// checks that each is there. Its rows do not name a receiver, so a copy of one receiver's
// sessions from PostgreSQL (`only_receiver`) leaves them, and says so (deletions_left).
//
// Each backend adds what the interface does not need elsewhere (SqliteCatalog and PgCatalog:
// text_spans, text_passes, replace_session); the copy asks for them by the backend's name, as
// `replay query` does.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "screenreel/archive/catalog.hpp"

namespace screenreel {

// A row of text_spans as stored (catalog copy): words is the JSON array text of the column.
struct StoredTextSpan {
  std::string text;
  PixelRect box;
  std::string words;
  double confidence = 0;
  std::int64_t first_seq = 0, first_us = 0, last_seq = 0, last_us = 0;
  bool open = true;
};

// Every row of one session, in every table: what a backend's replace_session writes in one
// transaction.
struct SessionRows {
  SessionRecord session;
  std::vector<FrameRecord> frames;  // seq order
  std::vector<MarkerRecord> markers;
  std::vector<PauseRecord> pauses;
  std::vector<LedgerRun> ledger;
  std::vector<WindowRecord> windows;  // schema 6
  std::optional<OcrSessionState> ocr;
  std::vector<OcrPassRow> passes;  // seq order
  std::vector<StoredTextSpan> spans;  // in the order they were made
};

struct CatalogCopyOptions {
  // Only this receiver's sessions (a PostgreSQL source); empty: all.
  std::string only_receiver;
  // Stamped on sessions that name no receiver (an SQLite source): who recorded them, and the
  // archive folder that holds their sessions/<folder>/. Sessions that name one keep theirs.
  std::string receiver;
  std::filesystem::path archive_root;
  // Called after each session, copied or skipped (progress; tests stop the copy from here).
  std::function<void(const SessionRecord&, std::size_t done, std::size_t total)> after_session;
};

struct CatalogCopyReport {
  std::size_t sessions = 0;  // at the source (after --receiver)
  std::size_t copied = 0;    // written to the target now
  std::size_t skipped = 0;   // already equal at the target
  std::int64_t frames = 0;   // frame rows of the copied sessions
  std::size_t deletions = 0;  // deletion history rows added to the target now
  bool deletions_left = false;  // the history was not copied (only_receiver)
};

struct CatalogVerifyReport {
  std::size_t sessions = 0;    // source sessions compared
  std::int64_t frames = 0;     // their frame rows
  std::int64_t target_frames = 0;  // the frame rows of the same sessions at the target
  std::size_t deletions = 0;       // the source's deletion history rows, each looked for at the target
  std::vector<std::string> problems;  // one line per session that differs or is missing
  bool ok() const { return problems.empty() && frames == target_frames; }
};

// Every row of a session at `reader` (the record as `session` gives it).
SessionRows read_session_rows(CatalogReader& reader, const SessionRecord& session);
// SHA-256 over every row of the session but its receiver and archive root (which an SQLite
// catalog does not keep), in a fixed order and encoding: equal on both backends for equal rows.
Digest session_rows_checksum(const SessionRows& rows);

CatalogCopyReport copy_catalog(CatalogReader& from, CatalogWriter& to, const CatalogCopyOptions& options);
// Compares each source session with the target's (the frame row counts and the checksums), and
// looks for each row of the source's deletion history at the target.
CatalogVerifyReport verify_catalog_copy(CatalogReader& from, CatalogReader& to, const CatalogCopyOptions& options);

}  // namespace screenreel

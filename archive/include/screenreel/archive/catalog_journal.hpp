// The catalog journal (schemas/archive-layout.md "catalog-journal"): where a receiver whose
// catalog is a PostgreSQL database keeps the rows it could not write while the database was
// unreachable, in the archive, until they are written in order when it returns.
//
// CatalogJournal is the file: append-only records framed by length and CRC-32, each appended
// record made durable (fdatasync) before append() returns, as a catalog commit would be. Its
// reader stops at a torn tail (a record a crash cut short: never acknowledged, ignored) or at a
// record whose checksum does not match (reported; the records after it are not trusted).
//
// open_journaled_catalog_writer puts it behind the catalog interface: the receiver's writer
// writes through to the database while it answers and into the journal when it does not (and
// while the journal holds rows, so that the order stays), and writes the journal out again when
// the database returns. Replaying a record twice leaves the catalog as replaying it once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "screenreel/archive/catalog.hpp"

namespace screenreel {

// The records (one per catalog write the receiver makes).
struct JournalFrames {
  std::vector<FrameRecord> frames;
  std::vector<DisplayedAt> displayed;
};
struct JournalSessionEnd {
  std::int64_t id = 0, ended_us = 0;
  std::string reason, error;
  std::int64_t dropped = 0;
};
struct JournalSeal {
  std::int64_t id = 0;
  Digest head{};
  std::int64_t frames = 0;
  std::vector<std::uint8_t> signature, signer;
};
struct JournalActivity {
  std::int64_t session_id = 0;
  std::vector<std::pair<std::int64_t, FrameActivity>> rows;
};
using JournalRecord = std::variant<JournalFrames, SessionEvents, JournalSessionEnd, JournalSeal, JournalActivity>;

// The record's bytes (its body, without the length and checksum) and back; decode throws
// CatalogError naming what does not fit.
std::vector<std::uint8_t> encode_journal_record(const JournalRecord& record);
JournalRecord decode_journal_record(std::span<const std::uint8_t> body);
// Writes one record into a catalog (ON CONFLICT / natural keys make a second time a no-op).
void apply_journal_record(CatalogWriter& catalog, const JournalRecord& record);

// What a journal file holds, as far as it can be trusted.
struct JournalContents {
  std::vector<JournalRecord> records;
  std::uint64_t good_bytes = 0;   // the header and every record read (where the next one goes)
  std::uint64_t torn_bytes = 0;   // a cut-short last record, ignored
  std::string problem;            // a checksum mismatch or an unreadable record: where, and what
};
// Reads the journal at `path` without changing it (screenreel-replay info and list); an absent
// file is an empty journal. Throws CatalogError when the file is not a catalog journal.
JournalContents read_catalog_journal(const std::filesystem::path& path);

// Rows per session that a journal still holds (frames, and whether its end is journaled).
struct JournaledSession {
  std::int64_t frames = 0;
  bool ended = false;
};
std::map<std::int64_t, JournaledSession> journaled_sessions(const JournalContents& contents);
// For screenreel-replay info and list: a line for each of `sessions` whose rows still wait in
// its receiver's journal (in its archive_root, else `archive_root`), read-only.
std::vector<std::string> journaled_session_notes(std::span<const SessionRecord> sessions,
                                                 const std::filesystem::path& archive_root);

class CatalogJournal {
 public:
  static constexpr std::uint64_t kHeaderBytes = 8;
  // Opens (creating it when missing) the journal at `path`, holding at most `max_bytes`; a torn
  // tail is cut off here, so that appends follow the last whole record.
  CatalogJournal(std::filesystem::path path, std::uint64_t max_bytes);
  ~CatalogJournal();
  CatalogJournal(const CatalogJournal&) = delete;
  CatalogJournal& operator=(const CatalogJournal&) = delete;

  // Appends the record and makes it durable. Throws CatalogError (kFull) when it would take the
  // journal past its limit or the disk is full, with nothing appended.
  void append(const JournalRecord& record);
  // Empties the journal (after every record was written to the catalog), durably.
  void clear();
  // The records, as read_catalog_journal reads them.
  JournalContents read() const;
  bool empty() const { return size_ <= kHeaderBytes; }
  std::uint64_t size() const { return size_; }
  std::uint64_t max_bytes() const { return max_bytes_; }
  const std::filesystem::path& path() const { return path_; }
  // Moves a damaged journal aside (path + ".damaged-<time>") and starts an empty one; returns
  // where it went.
  std::filesystem::path set_aside();

 private:
  void open_file();
  std::filesystem::path path_;
  std::uint64_t max_bytes_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

// The archive's journal file.
std::filesystem::path catalog_journal_path(const std::filesystem::path& archive_root);

// The receiver's catalog writer for a PostgreSQL catalog: `where` as open_catalog_writer takes
// it, the journal at `journal` bounded by `journal_bytes`. Writes what the journal holds first
// (and says so), so that a database that is down when this opens is an error, as without a
// journal. Only add_frames, add_events, end_session, seal_session and set_frame_activity are
// journaled; every other call needs the database.
std::unique_ptr<CatalogWriter> open_journaled_catalog_writer(const CatalogLocation& where,
                                                             const std::filesystem::path& journal,
                                                             std::uint64_t journal_bytes);

}  // namespace screenreel

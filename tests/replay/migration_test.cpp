// An archive whose catalog has schema version 1 (before the text index): read as it is by every
// command, upgraded by the first writer (`index`) keeping every row, and `verify` passes before
// and after; `verify --integrity` says its sessions have no chain, and passes.
#include <gtest/gtest.h>

#include "archive_fixture.hpp"

namespace screenreel {
namespace {
using test::FixtureArchive;

TEST(ReplayMigration, AVersion1ArchiveIsUpgradedByIndexKeepingEveryRowAndVerifies) {
  FixtureArchive archive;
  archive.record("first", test::evenly(6, 100'000));
  archive.record("second", test::evenly(4, 250'000), "receiver", 3);
  // Schema 2 and 4 only added tables and schema 3 columns: without them (and at user_version 1)
  // this is the catalog a version-1 receiver wrote, with the same rows.
  archive.catalog().db().exec(
      "DROP TABLE markers; DROP TABLE pauses; DROP TABLE ledger; "
      "DROP TABLE text_fts; DROP TABLE text_spans; DROP TABLE ocr_sessions; DROP TABLE ocr_passes; "
      "ALTER TABLE frames DROP COLUMN sha256; ALTER TABLE frames DROP COLUMN chain; "
      "ALTER TABLE sessions DROP COLUMN head; ALTER TABLE sessions DROP COLUMN head_frames; "
      "ALTER TABLE sessions DROP COLUMN signature; ALTER TABLE sessions DROP COLUMN signer; "
      "ALTER TABLE sessions DROP COLUMN keep; ALTER TABLE sessions DROP COLUMN deleting; DROP TABLE deletions; "
      "PRAGMA user_version = 1");
  const std::string rows_sql =
      "SELECT (SELECT group_concat(id || name || folder || frame_count || bytes || dropped || "
      "end_reason, ',') "
      "FROM sessions), (SELECT group_concat(session_id || '.' || seq || '.' || tick || '.' || "
      "capture_us || '.' || "
      "file || '.' || jpeg_bytes, ',') FROM frames)";
  const auto before = test::replay(archive.root(), {"query", rows_sql, "--csv"});
  ASSERT_EQ(before.status, 0) << before.err;

  auto verify = test::replay(archive.root(), {"verify"});
  EXPECT_EQ(verify.status, 0) << verify.out << verify.err;
  EXPECT_EQ(test::replay(archive.root(), {"list"}).status, 0);
  const auto search = test::replay(archive.root(), {"search", "anything"});
  EXPECT_EQ(search.status, 1);
  EXPECT_NE(search.err.find("screenreel-replay index --all"), std::string::npos) << search.err;

  const auto index = test::replay(archive.root(), {"index", "--all"});
  ASSERT_EQ(index.status, 0) << index.err;
  const auto version = test::replay(archive.root(), {"query", "PRAGMA user_version", "--csv"});
  EXPECT_EQ(version.out, "user_version\r\n" + std::to_string(kCatalogSchemaVersion) + "\r\n");
  EXPECT_EQ(test::replay(archive.root(), {"query", rows_sql, "--csv"}).out, before.out);
  // Schema 4's tables are there, empty: info says the sessions have no markers.
  const auto events = test::replay(
      archive.root(), {"query", "SELECT (SELECT count(*) FROM markers) + (SELECT count(*) FROM pauses) + "
                                "(SELECT count(*) FROM ledger) AS n", "--csv"});
  EXPECT_EQ(events.out, "n\r\n0\r\n") << events.err;
  const auto info = test::replay(archive.root(), {"info", "1"});
  EXPECT_NE(info.out.find("markers       none"), std::string::npos) << info.out;
  const auto indexed = test::replay(
      archive.root(), {"query", "SELECT count(*) FROM ocr_sessions WHERE complete", "--csv"});
  EXPECT_NE(indexed.out.find("\n2"), std::string::npos) << indexed.out;
  verify = test::replay(archive.root(), {"verify"});
  EXPECT_EQ(verify.status, 0) << verify.out << verify.err;
  // Its sessions were recorded before tamper evidence: verify --integrity says so for each, and
  // passes rather than failing.
  const auto integrity = test::replay(archive.root(), {"verify", "--integrity"});
  EXPECT_EQ(integrity.status, 0) << integrity.out << integrity.err;
  for (const char* session : {"session 1: ", "session 2: "})
    EXPECT_NE(integrity.out.find(std::string(session) + "recorded before tamper evidence"), std::string::npos)
        << integrity.out;
}

}  // namespace
}  // namespace screenreel

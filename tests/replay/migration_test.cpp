// Archives whose catalog has an older schema: version 1 (before the text index) and version 3
// (before activity per frame): read as they are by every command, upgraded by the first writer
// (`index`, `recover`) keeping every row, the activity filled from the JPEG files, and `verify`
// passes before and after; `verify --integrity` says a version-1 archive's sessions have no
// chain, and passes.
#include <gtest/gtest.h>

#include "archive_fixture.hpp"

namespace screenreel {
namespace {
using test::FixtureArchive;

TEST(ReplayMigration, AVersion1ArchiveIsUpgradedByIndexKeepingEveryRowAndVerifies) {
  FixtureArchive archive;
  archive.record("first", test::evenly(6, 100'000));
  archive.record("second", test::evenly(4, 250'000), "receiver", 3);
  // Schemas 2, 5 and 6 only added tables and schemas 3 and 4 columns: without them (and at
  // user_version 1) this is the catalog a version-1 receiver wrote, with the same rows.
  archive.catalog().db().exec(
      "DROP TABLE markers; DROP TABLE pauses; DROP TABLE ledger; DROP TABLE windows; "
      "ALTER TABLE frames DROP COLUMN changed_share; ALTER TABLE frames DROP COLUMN changed_tiles; "
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
  // Schema 5's tables are there, empty: info says the sessions have no markers.
  const auto events = test::replay(
      archive.root(), {"query", "SELECT (SELECT count(*) FROM markers) + (SELECT count(*) FROM pauses) + "
                                "(SELECT count(*) FROM ledger) AS n", "--csv"});
  EXPECT_EQ(events.out, "n\r\n0\r\n") << events.err;
  const auto info = test::replay(archive.root(), {"info", "1"});
  EXPECT_NE(info.out.find("markers       none"), std::string::npos) << info.out;
  const auto indexed = test::replay(
      archive.root(), {"query", "SELECT count(*) FROM ocr_sessions WHERE complete", "--csv"});
  EXPECT_NE(indexed.out.find("\n2"), std::string::npos) << indexed.out;
  const auto without = test::replay(
      archive.root(), {"query", "SELECT count(*) FROM frames WHERE changed_tiles IS NULL", "--csv"});
  EXPECT_EQ(without.out, "count(*)\r\n0\r\n") << "index measures the activity of every frame";
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

TEST(ReplayMigration, AVersion3ArchiveIsUpgradedByRecoverKeepingEveryRowAndFillingActivity) {
  FixtureArchive archive;
  archive.record("first", test::evenly(6, 100'000));
  // Frames 3 and 4 repeat frame 2 (hard links, nothing changed).
  archive.record("still", {{0, 1}, {100'000, 2}, {200'000, 3, 2}, {300'000, 4, 2}, {400'000, 5}});
  const std::string activity_sql =
      "SELECT session_id, seq, changed_share, changed_tiles FROM frames ORDER BY session_id, seq";
  const auto measured = test::replay(archive.root(), {"query", activity_sql, "--csv"});
  ASSERT_EQ(measured.status, 0) << measured.err;
  // The fixture measured it with the library (kWidth x kHeight = 160x120: 3 x 2 tiles).
  EXPECT_NE(measured.out.find("\r\n1,1,1,6\r\n"), std::string::npos) << "a first frame changed entirely\n"
                                                                       << measured.out;
  EXPECT_NE(measured.out.find("\r\n2,3,0,0\r\n2,4,0,0\r\n"), std::string::npos)
      << "a repeat changed nothing\n" << measured.out;
  EXPECT_NE(measured.out.find("\r\n2,5,"), std::string::npos);
  EXPECT_EQ(measured.out.find("\r\n2,5,0,0"), std::string::npos) << "a new picture changed\n" << measured.out;

  // Without schema 4's columns and schema 5's tables, at user_version 3: what a version-3
  // receiver wrote.
  archive.catalog().db().exec(
      "DROP TABLE markers; DROP TABLE pauses; DROP TABLE ledger; DROP TABLE windows; "
      "ALTER TABLE frames DROP COLUMN changed_share; ALTER TABLE frames DROP COLUMN changed_tiles; "
      "PRAGMA user_version = 3");
  const std::string rows_sql =
      "SELECT (SELECT group_concat(id || name || folder || frame_count || bytes || dropped || end_reason, ',') "
      "FROM sessions), (SELECT group_concat(session_id || '.' || seq || '.' || tick || '.' || capture_us || '.' || "
      "file || '.' || jpeg_bytes || '.' || hex(sha256) || '.' || hex(chain), ',') FROM frames)";
  const auto before = test::replay(archive.root(), {"query", rows_sql, "--csv"});
  ASSERT_EQ(before.status, 0) << before.err;
  // A reader reads it as it is: the player and the viewer see no activity, and nothing fails.
  EXPECT_EQ(test::replay(archive.root(), {"list"}).status, 0);

  const auto recover = test::replay(archive.root(), {"recover"});
  ASSERT_EQ(recover.status, 0) << recover.err;
  EXPECT_NE((recover.out + recover.err).find("activity of 6 frames measured"), std::string::npos)
      << recover.out << recover.err;
  const auto version = test::replay(archive.root(), {"query", "PRAGMA user_version", "--csv"});
  EXPECT_EQ(version.out, "user_version\r\n" + std::to_string(kCatalogSchemaVersion) + "\r\n");
  EXPECT_EQ(test::replay(archive.root(), {"query", rows_sql, "--csv"}).out, before.out) << "every row kept";
  EXPECT_EQ(test::replay(archive.root(), {"query", activity_sql, "--csv"}).out, measured.out)
      << "the activity is filled";
  const auto again = test::replay(archive.root(), {"recover"});
  EXPECT_EQ((again.out + again.err).find("activity"), std::string::npos) << "a second run measures nothing";
  const auto verify = test::replay(archive.root(), {"verify"});
  EXPECT_EQ(verify.status, 0) << verify.out << verify.err;
}

}  // namespace
}  // namespace screenreel

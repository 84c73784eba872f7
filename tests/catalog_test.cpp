// The SQLite catalog: created from schemas/catalog.sql, versioned, filled and queried, read
// while written, and refused when it is not ours or too new.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/sqlite_catalog.hpp"

namespace screenreel {
namespace {
namespace fs = std::filesystem;

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("screenreel-catalog-" + std::to_string(::getpid()) + "-" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  fs::path db() const { return dir / "catalog.db"; }

  static NewSession new_session(const std::string& name) {
    NewSession s;
    s.name = name;
    s.client_address = "127.0.0.1:1234";
    s.source = "test";
    s.width = 640;
    s.height = 480;
    s.fps = 30;
    s.started_us = 1'764'000'000'000'000;  // 2025-11-24T16:00:00Z
    return s;
  }
  static FrameRecord frame(std::int64_t session, std::int64_t seq, std::int64_t t) {
    FrameRecord f;
    f.session_id = session;
    f.seq = seq;
    f.tick = seq * 2;
    f.capture_us = t;
    f.receive_us = t + 100;
    f.written_us = t + 5000;
    f.file = frame_file_name(static_cast<std::uint64_t>(seq));
    f.width = 640;
    f.height = 480;
    f.jpeg_bytes = 1000 + seq;
    return f;
  }
  fs::path dir;
};

TEST_F(CatalogTest, CreatesTheSchemaAtTheCurrentVersionInWalMode) {
  SqliteCatalog c(db(), SqliteCatalog::Mode::kReadWrite);
  EXPECT_EQ(c.schema_version(), kCatalogSchemaVersion);
  auto s = c.db().prepare("PRAGMA journal_mode");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.text(0), "wal");
  auto t = c.db().prepare("SELECT count(*) FROM sqlite_schema WHERE name IN ('sessions', 'frames', 'frames_by_time')");
  ASSERT_TRUE(t.step());
  EXPECT_EQ(t.int64(0), 3);
}

TEST_F(CatalogTest, ReopeningKeepsEverything) {
  {
    SqliteCatalog c(db(), SqliteCatalog::Mode::kReadWrite);
    auto s = c.create_session(new_session("one"));
    std::vector<FrameRecord> frames = {frame(s.id, 1, 10), frame(s.id, 2, 20)};
    c.add_frames(frames);
  }
  SqliteCatalog again(db(), SqliteCatalog::Mode::kReadWrite);
  ASSERT_EQ(again.sessions().size(), 1u);
  EXPECT_EQ(again.sessions()[0].frame_count, 2);
}

TEST_F(CatalogTest, SessionLifecycle) {
  SqliteCatalog c(db(), SqliteCatalog::Mode::kReadWrite);
  auto s = c.create_session(new_session("demo"));
  EXPECT_EQ(s.folder, "20251124T160000Z-" + std::to_string(s.id));
  EXPECT_TRUE(s.recording());
  std::vector<FrameRecord> frames;
  for (int i = 1; i <= 100; ++i) frames.push_back(frame(s.id, i, 1000 * i));
  c.add_frames(frames);
  c.end_session(s.id, 999, "client", "", 4);
  auto after = *c.session(s.id);
  EXPECT_FALSE(after.recording());
  EXPECT_EQ(after.end_reason, "client");
  EXPECT_EQ(after.frame_count, 100);
  EXPECT_EQ(after.bytes, 100 * 1000 + 5050);
  EXPECT_EQ(after.dropped, 4);
  auto rows = c.frames(s.id);
  ASSERT_EQ(rows.size(), 100u);
  EXPECT_EQ(rows[41].file, "frame_000042.jpg");
  EXPECT_EQ(rows[41].tick, 84);
}

// A client resuming its session: the numbering must stay contiguous, so frames indexed after a
// missing number (a killed receiver finished frame 6 but not frame 5) are removed, to be sent again.
TEST_F(CatalogTest, ReopeningASessionTrimsEverythingAfterAMissingNumber) {
  SqliteCatalog c(db(), SqliteCatalog::Mode::kReadWrite);
  auto s = c.create_session(new_session("resumed"));
  std::vector<FrameRecord> frames;
  for (int i : {1, 2, 3, 4, 6, 7}) frames.push_back(frame(s.id, i, 1000 * i));
  c.add_frames(frames);
  c.end_session(s.id, 9999, "crashed");
  const auto reopened = c.reopen_session(s.id);
  EXPECT_EQ(reopened.last_seq, 4);
  EXPECT_EQ(reopened.last_tick, 8);
  EXPECT_EQ(reopened.removed_files, (std::vector<std::string>{"frame_000006.jpg", "frame_000007.jpg"}));
  const auto after = *c.session(s.id);
  EXPECT_TRUE(after.recording());
  EXPECT_EQ(after.frame_count, 4);
  EXPECT_EQ(after.bytes, 4 * 1000 + 10);
  EXPECT_EQ(c.frames(s.id).size(), 4u);

  // Without a gap nothing is removed; an empty session starts at frame 1.
  c.end_session(s.id, 9999, "disconnected");
  EXPECT_TRUE(c.reopen_session(s.id).removed_files.empty());
  auto empty = c.create_session(new_session("empty"));
  c.end_session(empty.id, 1, "disconnected");
  EXPECT_EQ(c.reopen_session(empty.id).last_seq, 0);
}

TEST_F(CatalogTest, FrameAtTimeIsTheLastFrameCapturedByThen) {
  SqliteCatalog c(db(), SqliteCatalog::Mode::kReadWrite);
  auto s = c.create_session(new_session("t"));
  std::vector<FrameRecord> frames = {frame(s.id, 1, 100), frame(s.id, 2, 200), frame(s.id, 3, 900)};
  c.add_frames(frames);
  EXPECT_FALSE(c.frame_at(s.id, 99));
  EXPECT_EQ(c.frame_at(s.id, 100)->seq, 1);
  EXPECT_EQ(c.frame_at(s.id, 899)->seq, 2);  // across a gap
  EXPECT_EQ(c.frame_at(s.id, 900)->seq, 3);
  EXPECT_EQ(c.frame_at(s.id, 1'000'000)->seq, 3);
  auto plan = c.db().prepare("EXPLAIN QUERY PLAN SELECT seq FROM frames WHERE session_id = 1 AND capture_us <= 5 "
                             "ORDER BY capture_us DESC LIMIT 1");
  ASSERT_TRUE(plan.step());
  EXPECT_NE(plan.text(3).find("frames_by_time"), std::string::npos) << plan.text(3);
}

TEST_F(CatalogTest, AReaderSeesCommittedRowsWhileTheWriterIsOpen) {
  SqliteCatalog writer(db(), SqliteCatalog::Mode::kReadWrite);
  auto s = writer.create_session(new_session("live"));
  std::vector<FrameRecord> frames = {frame(s.id, 1, 1)};
  writer.add_frames(frames);
  SqliteCatalog reader(db(), SqliteCatalog::Mode::kReadOnly);
  EXPECT_EQ(reader.frames(s.id).size(), 1u);
  EXPECT_THROW(reader.db().exec("DELETE FROM frames"), sqlite::Error);
}

TEST_F(CatalogTest, DuplicateFrameNumbersAreRefused) {
  SqliteCatalog c(db(), SqliteCatalog::Mode::kReadWrite);
  auto s = c.create_session(new_session("dup"));
  std::vector<FrameRecord> one = {frame(s.id, 1, 1)};
  c.add_frames(one);
  EXPECT_THROW(c.add_frames(one), sqlite::Error);
  EXPECT_EQ(c.session(s.id)->frame_count, 1);  // the failed batch was rolled back whole
}

TEST_F(CatalogTest, RefusesANewerSchema) {
  {
    SqliteCatalog c(db(), SqliteCatalog::Mode::kReadWrite);
    c.db().exec("PRAGMA user_version = 99");
  }
  try {
    SqliteCatalog c(db(), SqliteCatalog::Mode::kReadOnly);
    FAIL() << "opened a catalog of schema 99";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("newer screenreel"), std::string::npos) << e.what();
  }
}

TEST_F(CatalogTest, RefusesAFileThatIsNotACatalog) {
  std::ofstream(db()) << "this is not sqlite, it is long enough to have a header of sorts..............";
  EXPECT_THROW(SqliteCatalog(db(), SqliteCatalog::Mode::kReadWrite), std::exception);
  fs::remove(db());
  {
    sqlite::Database other(db(), sqlite::Database::Mode::kReadWrite);
    other.exec("CREATE TABLE unrelated (x)");
  }
  try {
    SqliteCatalog c(db(), SqliteCatalog::Mode::kReadWrite);
    FAIL();
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("not a screenreel catalog"), std::string::npos) << e.what();
  }
}

TEST_F(CatalogTest, TheEmbeddedSchemaIsTheSpecFile) {
  std::ifstream in(fs::path(SCREENREEL_SOURCE_DIR) / "schemas" / "catalog.sql");
  const std::string spec((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(spec, std::string(kCatalogSql));
}

}  // namespace
}  // namespace screenreel

namespace screenreel {
namespace {

// Schema 4: markers, pauses and ledger runs are written in one go and read back in tick order; a
// pause's end finds the open pause; a resumed session knows how far its ledger went; the rows go
// with their session.
TEST_F(CatalogTest, MarkersPausesAndLedgerRunsAreStoredAndGoWithTheirSession) {
  SqliteCatalog c(db(), SqliteCatalog::Mode::kReadWrite);
  const auto s = c.create_session(new_session("marked"));
  std::vector<FrameRecord> frames = {frame(s.id, 1, 10), frame(s.id, 2, 20)};  // ticks 2 and 4
  c.add_frames(frames);
  SessionEvents first;
  first.markers.push_back({s.id, 15, 3, 1, "later", "signal"});
  first.markers.push_back({s.id, 11, 2, 1, "earlier", "capture-key"});
  first.pauses.push_back({s.id, 5, 25, std::nullopt, std::nullopt, "key p"});
  first.ledger = {{s.id, 1, 1, "unchanged"}, {s.id, 3, 3, "flow-control"}, {s.id, 5, 9, "paused"}};
  c.add_events(first);
  SessionEvents second;
  second.pause_ends.push_back({s.id, 10, 60});
  c.add_events(second);

  const auto markers = c.markers(s.id);
  ASSERT_EQ(markers.size(), 2u);
  EXPECT_EQ(markers[0].label, "earlier");
  EXPECT_EQ(markers[1], (MarkerRecord{s.id, 15, 3, 1, "later", "signal"}));
  EXPECT_EQ(c.pauses(s.id), (std::vector<PauseRecord>{{s.id, 5, 25, 10, 60, "key p"}}));
  const auto ledger = c.ledger(s.id);
  ASSERT_EQ(ledger.size(), 3u);
  EXPECT_EQ(ledger[2], (LedgerRun{s.id, 5, 9, "paused"}));
  EXPECT_EQ(ledger[2].ticks(), 5);

  SessionEvents bad;
  bad.ledger.push_back({s.id, 7, 6, "unchanged"});
  EXPECT_THROW(c.add_events(bad), CatalogError) << "a run that ends before it begins";
  bad.ledger = {{s.id, 20, 20, "eaten by a grue"}};
  EXPECT_THROW(c.add_events(bad), CatalogError) << "a cause the schema does not know";

  c.end_session(s.id, 100, "disconnected");
  const auto reopened = c.reopen_session(s.id);
  EXPECT_EQ(reopened.last_tick, 4);
  EXPECT_EQ(reopened.last_ledger_tick, 9);

  c.delete_session(s.id, [](const std::optional<SessionRecord>&) {});
  EXPECT_TRUE(c.markers(s.id).empty());
  EXPECT_TRUE(c.pauses(s.id).empty());
  EXPECT_TRUE(c.ledger(s.id).empty());
}

}  // namespace
}  // namespace screenreel

// The catalog journal (catalog_journal.hpp, schemas/archive-layout.md "catalog-journal"): its
// framing (a torn tail ignored, a checksum mismatch stopping replay with a message), replay
// twice being replay once, and the journaled writer keeping rows through a real PostgreSQL
// stopped with pg_ctl stop -m immediate and started again.
#include <gtest/gtest.h>

#include <fstream>

#include "screenreel/archive/catalog_journal.hpp"
#include "support/postgres_server.hpp"
#include "support/process.hpp"

namespace screenreel {
namespace {
namespace fs = std::filesystem;

FrameRecord frame(std::int64_t session, std::int64_t seq) {
  FrameRecord f;
  f.session_id = session;
  f.seq = seq;
  f.tick = seq * 2;
  f.capture_us = 1'000'000 + seq;
  f.receive_us = f.capture_us + 5;
  f.written_us = f.capture_us + 9;
  f.file = "frame_" + std::to_string(seq) + ".jpg";
  f.width = 96;
  f.height = 64;
  f.jpeg_bytes = 1000 + seq;
  f.sha256 = Digest{};
  f.sha256->fill(static_cast<std::uint8_t>(seq));
  f.activity = FrameActivity{0.25, 3};
  return f;
}

JournalFrames frames(std::int64_t session, std::int64_t from, std::int64_t to) {
  JournalFrames r;
  for (auto seq = from; seq <= to; ++seq) r.frames.push_back(frame(session, seq));
  return r;
}

std::vector<std::uint8_t> file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& p, const std::vector<std::uint8_t>& b) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

TEST(CatalogJournal, EveryRecordKindReadsBackAsWritten) {
  const auto dir = test::fresh_temp_dir("screenreel-journal");
  const auto path = catalog_journal_path(dir);
  SessionEvents events;
  events.markers.push_back({7, 123, 4, 2, "here", "api"});
  events.pauses.push_back({7, 5, 500, std::nullopt, std::nullopt, "user"});
  events.pause_ends.push_back({7, 9, 900});
  events.ledger.push_back({7, 10, 12, "unchanged"});
  {
    CatalogJournal j(path, 1 << 20);
    EXPECT_TRUE(j.empty());
    j.append(frames(7, 1, 3));
    j.append(events);
    j.append(JournalActivity{7, {{1, FrameActivity{0.5, 8}}}});
    j.append(JournalSeal{7, Digest{}, 3, {1, 2, 3}, {4, 5}});
    j.append(JournalSessionEnd{7, 2'000'000, "client", "", 4});
    EXPECT_FALSE(j.empty());
  }
  const auto c = read_catalog_journal(path);
  EXPECT_TRUE(c.problem.empty()) << c.problem;
  EXPECT_EQ(c.torn_bytes, 0u);
  ASSERT_EQ(c.records.size(), 5u);
  const auto& f = std::get<JournalFrames>(c.records[0]);
  ASSERT_EQ(f.frames.size(), 3u);
  EXPECT_EQ(f.frames[2].file, "frame_3.jpg");
  EXPECT_EQ(f.frames[2].sha256, frame(7, 3).sha256);
  EXPECT_EQ(f.frames[2].activity, frame(7, 3).activity);
  EXPECT_EQ(f.frames[2].jpeg_bytes, 1003);
  const auto& e = std::get<SessionEvents>(c.records[1]);
  EXPECT_EQ(e.markers, events.markers);
  EXPECT_EQ(e.pauses, events.pauses);
  EXPECT_EQ(e.ledger, events.ledger);
  EXPECT_EQ(std::get<JournalSeal>(c.records[3]).signature, (std::vector<std::uint8_t>{1, 2, 3}));
  EXPECT_EQ(std::get<JournalSessionEnd>(c.records[4]).dropped, 4);
  const auto sessions = journaled_sessions(c);
  ASSERT_EQ(sessions.count(7), 1u);
  EXPECT_EQ(sessions.at(7).frames, 3);
  EXPECT_TRUE(sessions.at(7).ended);
  fs::remove_all(dir);
}

TEST(CatalogJournal, ATornTailIsIgnoredAndCutOffBeforeTheNextAppend) {
  const auto dir = test::fresh_temp_dir("screenreel-journal");
  const auto path = catalog_journal_path(dir);
  {
    CatalogJournal j(path, 1 << 20);
    j.append(frames(1, 1, 2));
    j.append(frames(1, 3, 4));
  }
  auto bytes = file_bytes(path);
  bytes.resize(bytes.size() - 5);  // the second append, cut short by a crash
  write_bytes(path, bytes);
  auto c = read_catalog_journal(path);
  EXPECT_TRUE(c.problem.empty()) << c.problem;
  EXPECT_GT(c.torn_bytes, 0u);
  ASSERT_EQ(c.records.size(), 1u);
  {
    CatalogJournal j(path, 1 << 20);
    j.append(frames(1, 3, 4));
  }
  c = read_catalog_journal(path);
  EXPECT_EQ(c.torn_bytes, 0u);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(std::get<JournalFrames>(c.records[1]).frames.front().seq, 3);
  fs::remove_all(dir);
}

TEST(CatalogJournal, AChecksumMismatchStopsReplayAtThatRecordWithAMessage) {
  const auto dir = test::fresh_temp_dir("screenreel-journal");
  const auto path = catalog_journal_path(dir);
  std::size_t second = 0;
  {
    CatalogJournal j(path, 1 << 20);
    j.append(frames(1, 1, 1));
    second = j.size();
    j.append(frames(1, 2, 2));
    j.append(frames(1, 3, 3));
  }
  auto bytes = file_bytes(path);
  bytes[second + 8 + 20] ^= 0x01;  // a bit of the second record's body
  write_bytes(path, bytes);
  const auto c = read_catalog_journal(path);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_NE(c.problem.find("record 2 at byte " + std::to_string(second)), std::string::npos) << c.problem;
  EXPECT_NE(c.problem.find("checksum mismatch"), std::string::npos) << c.problem;
  fs::remove_all(dir);
}

TEST(CatalogJournal, AFullJournalRefusesTheRecordAndKeepsTheOthers) {
  const auto dir = test::fresh_temp_dir("screenreel-journal");
  const auto path = catalog_journal_path(dir);
  CatalogJournal j(path, 1024);
  j.append(frames(1, 1, 2));
  try {
    j.append(frames(1, 3, 20));
    FAIL() << "a record past the limit was appended";
  } catch (const CatalogError& e) {
    EXPECT_EQ(e.kind(), CatalogError::Kind::kFull);
    EXPECT_NE(std::string(e.what()).find("--catalog-journal-mb"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read_catalog_journal(path).records.size(), 1u);
  fs::remove_all(dir);
}

class JournalOnPostgres : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const auto why = test::PostgresServer::unavailable(); !why.empty()) GTEST_SKIP() << why;
    server_ = std::make_unique<test::PostgresServer>();
    dir_ = test::fresh_temp_dir("screenreel-journal-pg");
    where_.conninfo = server_->create_database("journal");
    where_.receiver = "host-j";
    where_.archive_root = dir_;
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  std::unique_ptr<test::PostgresServer> server_;
  fs::path dir_;
  CatalogLocation where_{fs::path("unused")};
};

TEST_F(JournalOnPostgres, ReplayingARecordTwiceLeavesOneRow) {
  const auto catalog = open_catalog_writer(where_);
  const auto s = catalog->create_session({"twice", "127.0.0.1", "test-pattern", 96, 64, 10, 1'000'000});
  SessionEvents events;
  events.markers.push_back({s.id, 123, 4, 2, "here", "api"});
  events.pauses.push_back({s.id, 5, 500, std::nullopt, std::nullopt, "user"});
  events.ledger.push_back({s.id, 10, 12, "unchanged"});
  const std::vector<JournalRecord> records = {frames(s.id, 1, 5), events,
                                              JournalSessionEnd{s.id, 3'000'000, "client", "", 0}};
  for (int pass = 0; pass < 2; ++pass)
    for (const auto& r : records) apply_journal_record(*catalog, r);
  const auto after = catalog->session(s.id);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->frame_count, 5);
  EXPECT_EQ(catalog->frames(s.id).size(), 5u);
  EXPECT_EQ(after->bytes, 1001 + 1002 + 1003 + 1004 + 1005);
  EXPECT_EQ(catalog->markers(s.id).size(), 1u);
  EXPECT_EQ(catalog->pauses(s.id).size(), 1u);
  EXPECT_EQ(catalog->ledger(s.id).size(), 1u);
  EXPECT_FALSE(after->recording());
}

TEST_F(JournalOnPostgres, RowsWrittenWhileTheDatabaseIsDownWaitInTheJournalAndGoInWhenItReturns) {
  const auto journal = catalog_journal_path(dir_);
  const auto catalog = open_journaled_catalog_writer(where_, journal, 1 << 20);
  const auto s = catalog->create_session({"outage", "127.0.0.1", "test-pattern", 96, 64, 10, 1'000'000});
  catalog->add_frames(frames(s.id, 1, 3).frames);
  server_->stop_immediately();
  // Neither write throws: both wait in the journal, which info and list can read.
  catalog->add_frames(frames(s.id, 4, 6).frames);
  catalog->end_session(s.id, 3'000'000, "client");
  const auto waiting = journaled_sessions(read_catalog_journal(journal));
  ASSERT_EQ(waiting.count(s.id), 1u);
  EXPECT_EQ(waiting.at(s.id).frames, 3);
  EXPECT_TRUE(waiting.at(s.id).ended);
  // New sessions need the database.
  EXPECT_THROW(catalog->create_session({"new", "127.0.0.1", "test-pattern", 96, 64, 10, 2'000'000}), CatalogError);
  server_->start();
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // past the retry interval
  catalog->add_frames({});  // the catalog thread's idle turn writes the journal out
  EXPECT_TRUE(read_catalog_journal(journal).records.empty());
  const auto reader = open_catalog_reader(where_);
  const auto after = reader->session(s.id);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->frame_count, 6);
  EXPECT_EQ(reader->frames(s.id).size(), 6u);
  EXPECT_FALSE(after->recording());
}

TEST_F(JournalOnPostgres, AJournalLeftByAKilledReceiverIsWrittenWhenTheWriterOpens) {
  const auto journal = catalog_journal_path(dir_);
  std::int64_t id = 0;
  {
    const auto catalog = open_catalog_writer(where_);
    id = catalog->create_session({"killed", "127.0.0.1", "test-pattern", 96, 64, 10, 1'000'000}).id;
    catalog->add_frames(frames(id, 1, 2).frames);
    // What a receiver killed during an outage leaves: rows journaled, some of them already in.
    CatalogJournal j(journal, 1 << 20);
    j.append(frames(id, 2, 4));
  }
  const auto catalog = open_journaled_catalog_writer(where_, journal, 1 << 20);
  EXPECT_TRUE(read_catalog_journal(journal).records.empty());
  EXPECT_EQ(catalog->session(id)->frame_count, 4);
  EXPECT_EQ(catalog->frames(id).size(), 4u);
}

}  // namespace
}  // namespace screenreel

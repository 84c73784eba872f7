// screenreel-replay against a fleet's catalog, on both backends where the behaviour is shared
// (SQLite: an archive's catalog.db; PostgreSQL: a real server this program starts,
// tests/support/postgres_server.hpp): `query`'s limits; `catalog copy` of a recorded archive
// into PostgreSQL and back, also when interrupted; and, on two receivers' archives recorded into
// one PostgreSQL catalog and then moved, --archive-root and `verify` per receiver.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <map>
#include <memory>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/catalog.hpp"
#include "screenreel/archive/catalog_copy.hpp"
#include "support/postgres_server.hpp"
#include "support/scoped_env.hpp"
#include "support/process.hpp"
#include "support/programs.hpp"

namespace screenreel {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string fresh_database(const std::string& prefix) {
  static std::atomic<int> databases{0};
  return test::shared_postgres_server().create_database(prefix + "_" + std::to_string(::getpid()) + "_" +
                                                       std::to_string(++databases));
}

NewSession new_session(const std::string& name) {
  NewSession s;
  s.name = name;
  s.client_address = "10.0.0.7:40000";
  s.source = "test-pattern 64x48";
  s.width = 64;
  s.height = 48;
  s.fps = 10;
  s.started_us = 1'764'000'000'000'000;
  return s;
}

// An archive folder with a catalog of one session of three frame rows, on the test's backend;
// replay's arguments to read it (--catalog for PostgreSQL).
class FleetReplay : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = test::fresh_temp_dir("fleet-replay");
    where_ = CatalogLocation(ArchivePaths(dir_).catalog());
    if (GetParam() == "postgresql") {
      if (const auto why = test::PostgresServer::unavailable(); !why.empty()) GTEST_SKIP() << why;
      conninfo_ = fresh_database("replay");
      where_ = CatalogLocation::parse(conninfo_, "unused");
      where_.receiver = "host-a";
      where_.archive_root = dir_;
    }
    const auto writer = open_catalog_writer(where_);
    const auto s = writer->create_session(new_session("alpha"));
    std::vector<FrameRecord> frames;
    for (std::int64_t seq = 1; seq <= 3; ++seq) {
      FrameRecord f;
      f.session_id = s.id;
      f.seq = seq;
      f.tick = seq;
      f.capture_us = s.started_us + seq * 100'000;
      f.receive_us = f.capture_us + 10;
      f.written_us = f.capture_us + 20;
      f.file = frame_file_name(static_cast<std::uint64_t>(seq));
      f.width = 64;
      f.height = 48;
      f.jpeg_bytes = 1000;
      frames.push_back(f);
    }
    writer->add_frames(frames);
  }
  void TearDown() override { fs::remove_all(dir_); }

  test::RunResult replay(std::vector<std::string> args) const {
    if (!conninfo_.empty()) args.insert(args.begin(), {"--catalog", conninfo_});
    return test::replay(dir_, args);
  }
  std::int64_t frame_rows() const {
    const auto reader = open_catalog_reader(where_);
    std::int64_t n = 0;
    for (const auto& s : reader->sessions()) n += static_cast<std::int64_t>(reader->frames(s.id).size());
    return n;
  }

  fs::path dir_;
  std::string conninfo_;
  CatalogLocation where_{fs::path()};
};

INSTANTIATE_TEST_SUITE_P(Backends, FleetReplay, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

TEST_P(FleetReplay, QueryPrintsRowsInEveryFormat) {
  const auto table = replay({"query", "SELECT seq, file FROM frames ORDER BY seq"});
  ASSERT_EQ(table.status, 0) << table.err;
  EXPECT_NE(table.out.find(frame_file_name(3)), std::string::npos) << table.out;
  const auto csv = replay({"query", "SELECT count(*) AS n, max(seq) AS last FROM frames", "--csv"});
  ASSERT_EQ(csv.status, 0) << csv.err;
  EXPECT_EQ(csv.out, "n,last\r\n3,3\r\n");
  const auto json = replay({"query", "SELECT name FROM sessions", "--json"});
  ASSERT_EQ(json.status, 0) << json.err;
  EXPECT_NE(json.out.find("{\"name\":\"alpha\"}"), std::string::npos) << json.out;
  // An empty result still names its columns.
  const auto none = replay({"query", "SELECT seq FROM frames WHERE seq > 99", "--csv"});
  ASSERT_EQ(none.status, 0) << none.err;
  EXPECT_EQ(none.out, "seq\r\n");
}

// Before, an endless recursive CTE on a PostgreSQL catalog was refused outright ("query runs SQL
// on an archive's SQLite catalog"); now both backends run it and stop it at --timeout.
TEST_P(FleetReplay, AnEndlessRecursiveQueryStopsAtTheTimeLimitWithTheSameMessage) {
  const std::string endless =
      "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r";
  const auto start = std::chrono::steady_clock::now();
  const auto timed = replay({"query", endless, "--timeout", "1"});
  EXPECT_EQ(timed.status, 1) << timed.out;
  EXPECT_NE(timed.err.find("query: stopped after 1.00 s (--timeout); narrow it (WHERE, LIMIT)"), std::string::npos)
      << timed.err;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);

  const auto rows =
      replay({"query", "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r",
              "--max-rows", "50"});
  EXPECT_EQ(rows.status, 1);
  EXPECT_NE(rows.err.find("more than 50 rows (--max-rows)"), std::string::npos) << rows.err;
  EXPECT_TRUE(rows.out.empty());
}

TEST_P(FleetReplay, AStatementThatWritesOrASecondStatementIsRefusedAndNothingChanges) {
  std::vector<std::string> writes = {"DELETE FROM frames", "UPDATE sessions SET name = 'x'",
                                     "CREATE TABLE x (a integer)"};
  // PostgreSQL takes a write inside a WITH (SQLite has none); SET TRANSACTION READ WRITE comes
  // too late after the snapshot.
  if (GetParam() == "postgresql")
    writes.insert(writes.end(), {"WITH d AS (DELETE FROM frames RETURNING seq) SELECT count(*) FROM d",
                                 "SELECT set_config('transaction_read_only', 'off', true)"});
  for (const auto& sql : writes) {
    const auto r = replay({"query", sql});
    EXPECT_EQ(r.status, 1) << sql;
    EXPECT_NE(r.err.find("query is read-only"), std::string::npos) << sql << ": " << r.err;
  }
  const auto none = replay({"query", " ; "});
  EXPECT_EQ(none.status, 1);
  EXPECT_NE(none.err.find("no SQL statement given"), std::string::npos) << none.err;
  const auto two = replay({"query", "SELECT 1; DELETE FROM frames"});
  EXPECT_EQ(two.status, 1);
  EXPECT_NE(two.err.find("query runs one statement"), std::string::npos) << two.err;
  EXPECT_EQ(frame_rows(), 3);
  const auto check = replay({"query", "SELECT name FROM sessions", "--csv"});
  EXPECT_EQ(check.out, "name\r\nalpha\r\n") << check.err;
}

// --- catalog copy and a recorded fleet ------------------------------------------------------

bool postgres_missing() {
  if (const auto why = test::PostgresServer::unavailable(); !why.empty()) {
    std::cerr << why << "\n";
    return true;
  }
  return false;
}

// `clients` test-pattern clients recording `frames` frames each, at once, into a receiver with
// `receiver_args`; the receiver is stopped before it returns.
void record(const fs::path& archive, const std::vector<std::string>& receiver_args, int clients, int frames,
            const std::string& prefix) {
  auto receiver = test::start_receiver(archive, receiver_args);
  ASSERT_NE(receiver.port, 0);
  std::vector<std::unique_ptr<test::Process>> running;
  for (int i = 0; i < clients; ++i)
    running.push_back(std::make_unique<test::Process>(std::vector<std::string>{
        SCREENREEL_CAPTURE_BIN, "--connect", "127.0.0.1:" + std::to_string(receiver.port), "--source",
        "test-pattern", "--size", "96x64", "--fps", "10", "--max-frames", std::to_string(frames), "--name",
        prefix + std::to_string(i + 1)}));
  for (auto& c : running) {
    const auto rc = c->wait_for(60s);
    EXPECT_TRUE(rc && *rc == 0) << c->err();
  }
  receiver.process->signal(SIGTERM);
  EXPECT_TRUE(receiver.process->wait_for(30s));
}

// What the catalog copy must carry that a recording alone does not make: markers, a pause, a
// ledger run and a text index, on the archive's first session; and a deletion history of two
// rows, of sessions deleted (as retention and `delete` do) before.
void add_events_and_text(const fs::path& archive) {
  const auto c = open_catalog_writer(CatalogLocation(ArchivePaths(archive).catalog()));
  for (const char* reason : {"keep-days 30", "delete"}) {
    const auto gone = c->create_session(new_session(std::string("gone after ") + reason));
    c->mark_deleting(gone.id, reason, gone.started_us + 3'600'000'000);
    c->delete_session(gone.id, [](const std::optional<SessionRecord>&) {}, reason);
  }
  const auto first = c->sessions().front();
  SessionEvents e;
  e.markers.push_back({first.id, first.started_us + 5, 2, 1, "a marker with ünïcode", "api"});
  e.pauses.push_back({first.id, 3, first.started_us + 9, 4, first.started_us + 12, "key p"});
  e.ledger.push_back({first.id, 3, 3, "paused"});
  c->add_events(e);
  c->begin_text_index(first.id, "replay", "eng", 500'000);
  c->apply_text_pass(first.id, [&](const std::vector<OpenSpan>&) {
    TextPassChanges t;
    t.open.push_back({"permission denied", PixelRect{4, 5, 60, 10}, 91.5, {{4, 5, 30, 10}, {36, 5, 28, 10}}});
    t.pass.seq = 1;
    t.pass.capture_us = first.started_us;
    t.pass.done_us = first.started_us + 1000;
    t.pass.lines = t.pass.opened = 1;
    return t;
  });
  c->finish_text_index(first.id, 2, first.started_us + 300'000);
}

// Every row of two catalogs' sessions, and their deletion histories, compared field by field (not
// through the copy's checksum).
void expect_same_rows(CatalogReader& a, CatalogReader& b) {
  const auto da = a.deletions(), db = b.deletions();
  ASSERT_EQ(da.size(), db.size());
  for (std::size_t i = 0; i < da.size(); ++i)
    EXPECT_EQ(std::tie(da[i].session_id, da[i].name, da[i].folder, da[i].started_us, da[i].ended_us, da[i].frames,
                       da[i].bytes, da[i].deleted_us, da[i].reason),
              std::tie(db[i].session_id, db[i].name, db[i].folder, db[i].started_us, db[i].ended_us, db[i].frames,
                       db[i].bytes, db[i].deleted_us, db[i].reason));
  const auto sa = a.sessions(), sb = b.sessions();
  ASSERT_EQ(sa.size(), sb.size());
  for (std::size_t i = 0; i < sa.size(); ++i) {
    const SessionRows x = read_session_rows(a, sa[i]), y = read_session_rows(b, sb[i]);
    const auto& s = x.session;
    const auto& t = y.session;
    EXPECT_EQ(std::tie(s.id, s.name, s.folder, s.client_address, s.source, s.width, s.height, s.started_us, s.ended_us,
                       s.end_reason, s.error, s.frame_count, s.bytes, s.dropped, s.head, s.head_frames, s.signature,
                       s.signer, s.keep, s.deleting),
              std::tie(t.id, t.name, t.folder, t.client_address, t.source, t.width, t.height, t.started_us, t.ended_us,
                       t.end_reason, t.error, t.frame_count, t.bytes, t.dropped, t.head, t.head_frames, t.signature,
                       t.signer, t.keep, t.deleting));
    EXPECT_DOUBLE_EQ(s.fps, t.fps);
    ASSERT_EQ(x.frames.size(), y.frames.size()) << s.name;
    for (std::size_t f = 0; f < x.frames.size(); ++f) {
      const auto& p = x.frames[f];
      const auto& q = y.frames[f];
      EXPECT_EQ(std::tie(p.seq, p.tick, p.capture_us, p.receive_us, p.written_us, p.displayed_us, p.file, p.width,
                         p.height, p.jpeg_bytes, p.same_as, p.sha256, p.chain, p.activity),
                std::tie(q.seq, q.tick, q.capture_us, q.receive_us, q.written_us, q.displayed_us, q.file, q.width,
                         q.height, q.jpeg_bytes, q.same_as, q.sha256, q.chain, q.activity))
          << s.name << " frame " << p.seq;
    }
    auto no_ids = [](auto rows) {
      for (auto& r : rows) r.session_id = 0;
      return rows;
    };
    EXPECT_EQ(no_ids(x.markers), no_ids(y.markers));
    EXPECT_EQ(no_ids(x.pauses), no_ids(y.pauses));
    EXPECT_EQ(no_ids(x.ledger), no_ids(y.ledger));
    ASSERT_EQ(x.ocr.has_value(), y.ocr.has_value());
    if (x.ocr) {
      EXPECT_EQ(std::tie(x.ocr->indexer, x.ocr->lang, x.ocr->interval_us, x.ocr->through_seq, x.ocr->complete),
                std::tie(y.ocr->indexer, y.ocr->lang, y.ocr->interval_us, y.ocr->through_seq, y.ocr->complete));
    }
    ASSERT_EQ(x.passes.size(), y.passes.size());
    for (std::size_t k = 0; k < x.passes.size(); ++k)
      EXPECT_EQ(std::tie(x.passes[k].seq, x.passes[k].done_us, x.passes[k].lines),
                std::tie(y.passes[k].seq, y.passes[k].done_us, y.passes[k].lines));
    ASSERT_EQ(x.spans.size(), y.spans.size());
    for (std::size_t k = 0; k < x.spans.size(); ++k)
      EXPECT_EQ(std::tie(x.spans[k].text, x.spans[k].words, x.spans[k].first_seq, x.spans[k].last_us, x.spans[k].open),
                std::tie(y.spans[k].text, y.spans[k].words, y.spans[k].first_seq, y.spans[k].last_us, y.spans[k].open));
  }
}

TEST(CatalogCopy, ARecordedArchiveGoesIntoPostgresqlAndBackWithTheSameRows) {
  if (postgres_missing()) GTEST_SKIP();
  const fs::path dir = test::fresh_temp_dir("catalog-copy");
  const fs::path archive = dir / "rec";
  record(archive, {"--no-display"}, 2, 6, "client-");
  add_events_and_text(archive);
  const std::string pg = fresh_database("copy");

  const auto there = test::replay(dir, {"catalog", "copy", "--from", archive.string(), "--to", pg, "--receiver",
                                        "host-a"});
  ASSERT_EQ(there.status, 0) << there.err << there.out;
  EXPECT_NE(there.out.find("copied 2 of 2 sessions (12 frame rows)"), std::string::npos) << there.out;
  EXPECT_NE(there.out.find("2 deletion history rows added"), std::string::npos) << there.out;
  EXPECT_NE(there.out.find("verified: 2 sessions, 12 frame rows at the source, 12 at the target, 2 deletion history "
                           "rows"),
            std::string::npos)
      << there.out;
  const auto sqlite = open_catalog_reader(CatalogLocation(ArchivePaths(archive).catalog()));
  ASSERT_EQ(sqlite->deletions().size(), 2u);
  const auto postgres = open_catalog_reader(CatalogLocation::parse(pg, "unused"));
  expect_same_rows(*sqlite, *postgres);
  for (const auto& s : postgres->sessions()) {
    EXPECT_EQ(s.receiver, "host-a");
    EXPECT_EQ(fs::path(s.archive_root), fs::absolute(archive));
  }
  // The text index is searchable at the target.
  TextSearch search;
  search.words = "permission";
  EXPECT_EQ(postgres->find_text(search).size(), 1u);
  // replay reads the copied sessions' frames from the archive through the catalog.
  const auto frame = test::replay(dir, {"--catalog", pg, "frame", "1", "--at", "+0.2s", "-o", (dir / "f.png").string()});
  EXPECT_EQ(frame.status, 0) << frame.err;

  // And back, into a new SQLite catalog: the same rows as the recording's.
  const fs::path back = dir / "back";
  fs::create_directories(back);
  const auto home = test::replay(dir, {"catalog", "copy", "--from", pg, "--to", back.string()});
  ASSERT_EQ(home.status, 0) << home.err << home.out;
  EXPECT_NE(home.out.find("verified: 2 sessions"), std::string::npos) << home.out;
  const auto returned = open_catalog_reader(CatalogLocation(ArchivePaths(back).catalog()));
  expect_same_rows(*sqlite, *returned);

  // Run again: nothing to do, and it says so.
  const auto again = test::replay(dir, {"catalog", "copy", "--from", archive.string(), "--to", pg, "--receiver",
                                        "host-a"});
  EXPECT_EQ(again.status, 0) << again.err;
  EXPECT_NE(again.out.find("copied 0 of 2 sessions (0 frame rows)"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("2 were already there; 0 deletion history rows added"), std::string::npos) << again.out;
  EXPECT_EQ(postgres->deletions().size(), 2u);
  // A deletion history row missing at the target is found by --verify-only.
  const std::string database = pg.substr(pg.rfind('=') + 1);
  test::shared_postgres_server().psql(database, "DELETE FROM deletions WHERE reason = 'delete'");
  const auto lost = test::replay(dir, {"catalog", "copy", "--from", archive.string(), "--to", pg, "--verify-only"});
  EXPECT_EQ(lost.status, 1) << lost.out;
  EXPECT_NE(lost.out.find("1 of the source's 2 deletion history rows are missing at the target"), std::string::npos)
      << lost.out;
  // Copied again, the missing row alone goes in.
  const auto refill = test::replay(dir, {"catalog", "copy", "--from", archive.string(), "--to", pg, "--receiver",
                                         "host-a"});
  EXPECT_EQ(refill.status, 0) << refill.out << refill.err;
  EXPECT_NE(refill.out.find("1 deletion history rows added"), std::string::npos) << refill.out;
  expect_same_rows(*sqlite, *postgres);
  // A changed row at the target is found by --verify-only.
  test::shared_postgres_server().psql(database, "UPDATE frames SET tick = tick + 1 WHERE seq = 2");
  const auto check = test::replay(dir, {"catalog", "copy", "--from", archive.string(), "--to", pg, "--verify-only"});
  EXPECT_EQ(check.status, 1) << check.out;
  EXPECT_NE(check.out.find("NOT the same"), std::string::npos) << check.out;
  EXPECT_NE(check.out.find("the rows differ"), std::string::npos) << check.out;
  fs::remove_all(dir);
}

TEST(CatalogCopy, ACopyKilledHalfWayAndRunAgainGivesTheSameResult) {
  if (postgres_missing()) GTEST_SKIP();
  const fs::path dir = test::fresh_temp_dir("catalog-copy-kill");
  const fs::path archive = dir / "rec";
  record(archive, {"--no-display"}, 3, 5, "client-");
  const std::string pg = fresh_database("killed");
  {
    // SIGKILL after the second session is committed.
    test::ScopedEnv kill("SCREENREEL_TEST_COPY_KILL_AFTER", "2");
    const auto killed = test::replay(dir, {"catalog", "copy", "--from", archive.string(), "--to", pg});
    EXPECT_EQ(killed.status, 128 + SIGKILL) << killed.err;
  }
  EXPECT_EQ(open_catalog_reader(CatalogLocation::parse(pg, "unused"))->sessions().size(), 2u);
  const auto resumed = test::replay(dir, {"catalog", "copy", "--from", archive.string(), "--to", pg});
  ASSERT_EQ(resumed.status, 0) << resumed.err << resumed.out;
  EXPECT_NE(resumed.out.find("copied 1 of 3 sessions (5 frame rows)"), std::string::npos) << resumed.out;
  EXPECT_NE(resumed.out.find("2 were already there"), std::string::npos) << resumed.out;
  EXPECT_NE(resumed.out.find("verified: 3 sessions, 15 frame rows"), std::string::npos) << resumed.out;

  // The same rows as one uninterrupted copy.
  const std::string whole = fresh_database("whole");
  ASSERT_EQ(test::replay(dir, {"catalog", "copy", "--from", archive.string(), "--to", whole}).status, 0);
  const auto a = open_catalog_reader(CatalogLocation::parse(pg, "unused"));
  const auto b = open_catalog_reader(CatalogLocation::parse(whole, "unused"));
  expect_same_rows(*a, *b);
  const auto sqlite = open_catalog_reader(CatalogLocation(ArchivePaths(archive).catalog()));
  expect_same_rows(*sqlite, *a);
  fs::remove_all(dir);
}

TEST(CatalogCopy, ASessionIdHeldByAnotherArchivesSessionIsRefused) {
  if (postgres_missing()) GTEST_SKIP();
  const fs::path dir = test::fresh_temp_dir("catalog-copy-clash");
  record(dir / "one", {"--no-display"}, 1, 2, "one-");
  record(dir / "two", {"--no-display"}, 1, 2, "two-");
  const std::string pg = fresh_database("clash");
  ASSERT_EQ(test::replay(dir, {"catalog", "copy", "--from", (dir / "one").string(), "--to", pg}).status, 0);
  const auto clash = test::replay(dir, {"catalog", "copy", "--from", (dir / "two").string(), "--to", pg});
  EXPECT_EQ(clash.status, 1);
  EXPECT_NE(clash.err.find("holds another session with that id"), std::string::npos) << clash.err;
  fs::remove_all(dir);
}

// Two receivers record into one PostgreSQL catalog; then both archives move to another folder.
class MovedFleet : public ::testing::Test {
 protected:
  void SetUp() override {
    if (postgres_missing()) GTEST_SKIP();
    dir_ = test::fresh_temp_dir("moved-fleet");
    catalog_ = fresh_database("moved");
    record(dir_ / "a", {"--no-display", "--catalog", catalog_, "--receiver-name", "host-a"}, 1, 4, "client-a");
    record(dir_ / "b", {"--no-display", "--catalog", catalog_, "--receiver-name", "host-b"}, 1, 4, "client-b");
    fs::create_directories(dir_ / "moved");
    fs::rename(dir_ / "a", dir_ / "moved" / "a");
    fs::rename(dir_ / "b", dir_ / "moved" / "b");
    const auto reader = open_catalog_reader(CatalogLocation::parse(catalog_, "unused"));
    for (const auto& s : reader->sessions()) sessions_[s.receiver] = s;
    ASSERT_EQ(sessions_.size(), 2u);
  }
  void TearDown() override { fs::remove_all(dir_); }

  test::RunResult replay(std::vector<std::string> args, bool mapped = true) const {
    std::vector<std::string> all = {"--catalog", catalog_};
    if (mapped)
      all.insert(all.end(), {"--archive-root", "host-a=" + (dir_ / "moved" / "a").string(), "--archive-root",
                             "host-b=" + (dir_ / "moved" / "b").string()});
    all.insert(all.end(), args.begin(), args.end());
    return test::replay(dir_, all);
  }

  fs::path dir_;
  std::string catalog_;
  std::map<std::string, SessionRecord> sessions_;
};

TEST_F(MovedFleet, ArchiveRootsFindEachReceiversMovedFolderForFrameAndExport) {
  for (const auto& [receiver, s] : sessions_) {
    const fs::path png = dir_ / (receiver + ".png");
    const auto lost = replay({"frame", std::to_string(s.id), "--at", "+0.1s", "-o", png.string()}, false);
    EXPECT_NE(lost.status, 0) << receiver << ": the folder the catalog names is gone";
    const auto found = replay({"frame", std::to_string(s.id), "--at", "+0.1s", "-o", png.string()});
    EXPECT_EQ(found.status, 0) << receiver << ": " << found.err;
    EXPECT_GT(fs::exists(png) ? fs::file_size(png) : 0, 100u) << receiver;
    const fs::path frames = dir_ / (receiver + "-frames");
    const auto exported = replay({"export", std::to_string(s.id), "--frames", frames.string()});
    EXPECT_EQ(exported.status, 0) << receiver << ": " << exported.err;
    EXPECT_FALSE(fs::is_empty(frames)) << receiver;
    // The option also comes after the command.
    const auto after = test::replay(dir_, {"--catalog", catalog_, "frame", std::to_string(s.id), "--at", "+0.1s",
                                           "-o", (dir_ / (receiver + "-after.png")).string(), "--archive-root",
                                           receiver + "=" + (dir_ / "moved" / receiver.substr(5)).string()});
    EXPECT_EQ(after.status, 0) << receiver << ": " << after.err;
  }
  const auto bad = replay({"list", "--archive-root", "no-equals-sign"});
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("NAME=PATH"), std::string::npos) << bad.err;
}

TEST_F(MovedFleet, VerifyChecksEveryReceiversRowsAgainstItsFilesAndNamesTheReceiver) {
  const auto ok = replay({"verify"});
  EXPECT_EQ(ok.status, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("receiver host-a (" + (dir_ / "moved" / "a").string() + "): ok: 1 sessions, 4 frames"),
            std::string::npos)
      << ok.out;
  EXPECT_NE(ok.out.find("receiver host-b (" + (dir_ / "moved" / "b").string() + "): ok: 1 sessions, 4 frames"),
            std::string::npos)
      << ok.out;
  EXPECT_NE(ok.out.find("ok: 2 receivers, 2 sessions, 8 frames checked, 0 problems"), std::string::npos) << ok.out;

  // A frame of host-b's session lost: a problem of host-b, and host-a alone is still fine.
  const auto& b = sessions_.at("host-b");
  fs::remove(ArchivePaths(dir_ / "moved" / "b").session(b.folder) / frame_file_name(2));
  const auto failed = replay({"verify"});
  EXPECT_EQ(failed.status, 1) << failed.out;
  EXPECT_NE(failed.out.find("receiver host-b: "), std::string::npos) << failed.out;
  EXPECT_EQ(failed.out.find("receiver host-a: "), std::string::npos) << failed.out;
  EXPECT_NE(failed.out.find("receiver host-b (" + (dir_ / "moved" / "b").string() + "): FAILED"), std::string::npos)
      << failed.out;
  const auto only_a = replay({"verify", "--receiver", "host-a"});
  EXPECT_EQ(only_a.status, 0) << only_a.out;
  EXPECT_EQ(only_a.out.find("host-b"), std::string::npos) << only_a.out;
  const auto unknown = replay({"verify", "--receiver", "host-z"});
  EXPECT_EQ(unknown.status, 1);
  EXPECT_NE(unknown.err.find("no session of receiver"), std::string::npos) << unknown.err;
}

}  // namespace
}  // namespace screenreel

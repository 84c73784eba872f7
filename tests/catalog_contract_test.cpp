// The catalog interface's meanings (catalog.hpp), checked on every backend: each test runs once
// on SQLite (a catalog.db in a temporary folder) and once on PostgreSQL (a fresh database of a
// real server this program starts, tests/support/postgres_server.hpp), through
// open_catalog_writer / open_catalog_reader, so that both backends provably answer alike.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <memory>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/pg_catalog.hpp"
#include "screenreel/archive/sqlite_catalog.hpp"
#include "support/postgres_server.hpp"
#include "support/process.hpp"

namespace screenreel {
namespace {
namespace fs = std::filesystem;


// A fresh catalog of the backend named by the test's parameter.
class CatalogContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = test::fresh_temp_dir("catalog-contract");
    where_ = CatalogLocation(dir_ / "catalog.db");
    if (GetParam() == "postgresql") {
      if (const auto why = test::PostgresServer::unavailable(); !why.empty()) GTEST_SKIP() << why;
      static std::atomic<int> databases{0};
      database_ = "contract_" + std::to_string(::getpid()) + "_" + std::to_string(++databases);
      where_ = CatalogLocation::parse(test::shared_postgres_server().create_database(database_), dir_ / "catalog.db");
    }
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<CatalogWriter> writer() const { return open_catalog_writer(where_); }
  std::unique_ptr<CatalogReader> reader() const { return open_catalog_reader(where_); }

  static NewSession new_session(const std::string& name, std::int64_t started_us = 1'764'000'000'000'000) {
    NewSession s;
    s.name = name;
    s.client_address = "10.0.0.7:40000";
    s.source = "test-pattern 640x480";
    s.width = 640;
    s.height = 480;
    s.fps = 29.97;
    s.started_us = started_us;
    return s;
  }
  static FrameRecord frame(std::int64_t session, std::int64_t seq, std::int64_t t) {
    FrameRecord f;
    f.session_id = session;
    f.seq = seq;
    f.tick = seq * 3;
    f.capture_us = t;
    f.receive_us = t + 7;
    f.written_us = t + 900;
    f.file = frame_file_name(static_cast<std::uint64_t>(seq));
    f.width = 640;
    f.height = 480;
    f.jpeg_bytes = 2000 + seq;
    Digest d{};
    d.fill(static_cast<std::uint8_t>(seq));
    d[0] = 0;  // a zero byte in the middle of a digest survives the round trip
    f.sha256 = d;
    d[1] = 0xff;
    f.chain = d;
    return f;
  }
  static TextLine line(const std::string& text, std::int32_t y) {
    const PixelRect box{10, y, 200, 20};
    std::vector<PixelRect> words;
    for (std::int32_t i = 0; i < static_cast<std::int32_t>(std::count(text.begin(), text.end(), ' ')) + 1; ++i)
      words.push_back({10 + 40 * i, y, 35, 20});
    return TextLine{text, box, 88.5, words};
  }
  static TextSearch search(const std::string& words, std::optional<std::int64_t> session = std::nullopt,
                           std::optional<std::int64_t> from_us = std::nullopt,
                           std::optional<std::int64_t> to_us = std::nullopt, int limit = 20) {
    TextSearch t;
    t.words = words;
    t.session_id = session;
    t.from_us = from_us;
    t.to_us = to_us;
    t.limit = limit;
    return t;
  }
  // One OCR pass on frame `seq` that opens `open` and closes the spans `close`.
  static std::function<TextPassChanges(const std::vector<OpenSpan>&)> pass(std::int64_t seq, std::int64_t t,
                                                                          std::vector<TextLine> open,
                                                                          std::vector<std::int64_t> close = {}) {
    return [=](const std::vector<OpenSpan>&) {
      TextPassChanges c;
      for (const auto id : close) c.close.push_back({id, std::nullopt});
      c.open = open;
      c.pass.seq = seq;
      c.pass.capture_us = t;
      c.pass.done_us = t + 1000 * seq;
      c.pass.lines = static_cast<std::int64_t>(open.size());
      c.pass.opened = static_cast<std::int64_t>(open.size());
      return c;
    };
  }

  fs::path dir_;
  std::string database_;
  CatalogLocation where_{fs::path()};
};

INSTANTIATE_TEST_SUITE_P(Backends, CatalogContract, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

TEST_P(CatalogContract, ASessionIsCreatedFilledAndEndedWithItsTotals) {
  auto c = writer();
  EXPECT_EQ(c->schema_version(), kCatalogSchemaVersion);
  EXPECT_EQ(c->integrity_check(true), "ok");
  const auto s = c->create_session(new_session("demo"));
  EXPECT_EQ(s.folder, "20251124T160000Z-" + std::to_string(s.id));
  EXPECT_TRUE(s.recording());
  EXPECT_DOUBLE_EQ(s.fps, 29.97);
  EXPECT_EQ(s.frame_count, 0);

  std::vector<FrameRecord> frames;
  for (int i = 1; i <= 5; ++i) frames.push_back(frame(s.id, i, 1000 * i));
  frames[4].same_as = 4;  // frame 5 repeats frame 4: its file is counted once
  const std::vector<DisplayedAt> shown = {{s.id, 2, 2222}, {s.id, 9, 9999}};
  const auto later = c->add_frames(frames, shown);
  ASSERT_EQ(later.size(), 1u);  // frame 9 has no row yet
  EXPECT_EQ(later[0].seq, 9);

  const FrameTotals totals{5, 2001 + 2002 + 2003 + 2004};
  EXPECT_EQ(c->frame_totals(s.id), totals);
  EXPECT_EQ(c->session(s.id)->frame_count, 5);
  EXPECT_EQ(c->session(s.id)->bytes, totals.bytes);

  const auto third = c->frame(s.id, 3);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->tick, 9);
  EXPECT_EQ(third->file, "frame_000003.jpg");
  EXPECT_EQ(third->sha256, frames[2].sha256);
  EXPECT_EQ(third->chain, frames[2].chain);
  EXPECT_FALSE(third->displayed_us);
  EXPECT_EQ(c->frame(s.id, 2)->displayed_us, 2222);
  EXPECT_EQ(c->frame(s.id, 5)->same_as, 4);
  EXPECT_FALSE(c->frame(s.id, 6));

  EXPECT_FALSE(c->frame_at(s.id, 999));
  EXPECT_EQ(c->frame_at(s.id, 1000)->seq, 1);
  EXPECT_EQ(c->frame_at(s.id, 2999)->seq, 2);
  EXPECT_EQ(c->frame_at(s.id, 1'000'000)->seq, 5);
  const auto between = c->frames_captured_between(s.id, 2000, 4000);
  ASSERT_EQ(between.size(), 2u);
  EXPECT_EQ(between[0].seq, 3);
  EXPECT_EQ(between[1].seq, 4);

  const auto times = c->frame_times(s.id);
  EXPECT_EQ(times.first_capture_us, 1000);
  EXPECT_EQ(times.last_capture_us, 5000);
  EXPECT_EQ(times.last_written_us, 5900);
  EXPECT_EQ(c->latest_write_us(s.id), 5900);
  EXPECT_FALSE(c->frame_times(s.id + 1000).first_capture_us);
  EXPECT_FALSE(c->latest_write_us(s.id + 1000));
  // Many at once (list): the same, in the order asked, a session without frames included.
  const auto empty = c->create_session(new_session("empty"));
  const std::vector<std::int64_t> ids = {empty.id, s.id, s.id + 1000, s.id};
  const auto many = c->frame_times_of(ids);
  ASSERT_EQ(many.size(), ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto one = c->frame_times(ids[i]);
    EXPECT_EQ(many[i].first_capture_us, one.first_capture_us) << i;
    EXPECT_EQ(many[i].last_capture_us, one.last_capture_us) << i;
    EXPECT_EQ(many[i].last_written_us, one.last_written_us) << i;
  }
  EXPECT_EQ(many[1].last_written_us, 5900);
  EXPECT_FALSE(many[0].first_capture_us);
  EXPECT_TRUE(c->frame_times_of({}).empty());
  c->forget_empty_session(empty.id);

  std::vector<std::int64_t> order;
  c->for_each_frame(s.id, [&](const FrameRecord& f) { order.push_back(f.seq); });
  EXPECT_EQ(order, (std::vector<std::int64_t>{1, 2, 3, 4, 5}));

  c->end_session(s.id, 7777, "error", "disk full", 3);
  const auto ended = *c->session(s.id);
  EXPECT_FALSE(ended.recording());
  EXPECT_EQ(ended.ended_us, 7777);
  EXPECT_EQ(ended.end_reason, "error");
  EXPECT_EQ(ended.error, "disk full");
  EXPECT_EQ(ended.dropped, 3);

  // A writer closed and a reader opened later: everything is still there.
  c.reset();
  auto r = reader();
  ASSERT_EQ(r->sessions().size(), 1u);
  EXPECT_EQ(r->sessions()[0].frame_count, 5);
  EXPECT_EQ(r->frames(s.id).size(), 5u);
  EXPECT_FALSE(r->snapshot());
}

// A receiver commits the frames of all its sessions in one batch, interleaved, and a batch can be
// longer than one statement takes (PostgreSQL: 1000 rows an INSERT): every row arrives, each
// session counts its own, and a repeat's bytes are counted once.
TEST_P(CatalogContract, ALongBatchOfSeveralSessionsFramesCountsEachSessionsOwn) {
  auto c = writer();
  const auto a = c->create_session(new_session("a")), b = c->create_session(new_session("b"));
  std::vector<FrameRecord> frames;
  for (int i = 1; i <= 1200; ++i) {
    frames.push_back(frame(a.id, i, 1000 * i));
    if (i <= 1100) frames.push_back(frame(b.id, i, 1000 * i));
  }
  auto& b_last = *std::find_if(frames.begin(), frames.end(),
                               [&](const FrameRecord& f) { return f.session_id == b.id && f.seq == 1100; });
  b_last.same_as = 1099;  // b's last frame repeats the one before
  EXPECT_TRUE(c->add_frames(frames, {}).empty());
  std::int64_t bytes_a = 0, bytes_b = 0;
  for (int i = 1; i <= 1200; ++i) bytes_a += 2000 + i;
  for (int i = 1; i < 1100; ++i) bytes_b += 2000 + i;
  EXPECT_EQ(c->session(a.id)->frame_count, 1200);
  EXPECT_EQ(c->session(a.id)->bytes, bytes_a);
  EXPECT_EQ(c->session(b.id)->frame_count, 1100);
  EXPECT_EQ(c->session(b.id)->bytes, bytes_b);
  EXPECT_EQ(c->frame_totals(a.id), (FrameTotals{1200, bytes_a}));
  EXPECT_EQ(c->frame_totals(b.id), (FrameTotals{1100, bytes_b}));
  const auto last = c->frame(b.id, 1100);
  ASSERT_TRUE(last);
  EXPECT_EQ(last->same_as, 1099);
  EXPECT_EQ(last->chain, b_last.chain);
  EXPECT_EQ(c->frame(a.id, 1200)->sha256, frame(a.id, 1200, 0).sha256);
}

TEST_P(CatalogContract, PagesOfSessionsAreNewestFirstFilteredByNameIgnoringAsciiCase) {
  auto c = writer();
  std::vector<std::int64_t> ids;
  for (const auto* name : {"Build-1", "deploy", "BUILD-2", "Écran", "build-3"})
    ids.push_back(c->create_session(new_session(name, 1'764'000'000'000'000 + 1'000'000 * std::ssize(ids))).id);
  const auto all = c->session_page(0, 2, "");
  EXPECT_EQ(all.total, 5);
  ASSERT_EQ(all.sessions.size(), 2u);
  EXPECT_EQ(all.sessions[0].id, ids[4]);
  EXPECT_EQ(all.sessions[1].id, ids[3]);
  const auto builds = c->session_page(1, 10, "bUiLd");
  EXPECT_EQ(builds.total, 3);
  ASSERT_EQ(builds.sessions.size(), 2u);
  EXPECT_EQ(builds.sessions[0].id, ids[2]);
  EXPECT_EQ(builds.sessions[1].id, ids[0]);
  EXPECT_EQ(c->session_page(0, 10, "écran").total, 0);  // ASCII case only
  EXPECT_EQ(c->session_page(0, 10, "Écran").total, 1);
  // A session being deleted is left out.
  c->mark_deleting(ids[4], "keep-days 30", 123);
  EXPECT_EQ(c->session_page(0, 10, "").total, 4);
  EXPECT_EQ(c->sessions().size(), 5u);
}

TEST_P(CatalogContract, ReopeningASessionTrimsAfterAMissingNumberAndGivesTheLastChain) {
  auto c = writer();
  const auto s = c->create_session(new_session("resumed"));
  std::vector<FrameRecord> frames;
  for (int i : {1, 2, 3, 6, 7}) frames.push_back(frame(s.id, i, 1000 * i));
  c->add_frames(frames);
  const Digest head{};
  c->seal_session(s.id, head, 3, std::vector<std::uint8_t>{1, 2}, std::vector<std::uint8_t>{3});
  c->end_session(s.id, 9999, "crashed");
  const auto r = c->reopen_session(s.id);
  EXPECT_EQ(r.last_seq, 3);
  EXPECT_EQ(r.last_tick, 9);
  EXPECT_EQ(r.last_chain, frames[2].chain);
  EXPECT_EQ(r.removed_files, (std::vector<std::string>{"frame_000006.jpg", "frame_000007.jpg"}));
  const auto after = *c->session(s.id);
  EXPECT_TRUE(after.recording());
  EXPECT_FALSE(after.head);
  EXPECT_TRUE(after.signature.empty());
  EXPECT_EQ(after.frame_count, 3);
  EXPECT_EQ(after.bytes, 2001 + 2002 + 2003);
  const auto empty = c->create_session(new_session("empty"));
  c->end_session(empty.id, 1, "disconnected");
  EXPECT_EQ(c->reopen_session(empty.id).last_seq, 0);
}

TEST_P(CatalogContract, ActivityIsStoredMeasuredLaterAndWalkedToTheNextChange) {
  auto c = writer();
  const auto s = c->create_session(new_session("activity"));
  std::vector<FrameRecord> frames;
  for (int i = 1; i <= 6; ++i) frames.push_back(frame(s.id, i, 1000 * i));
  frames[0].activity = FrameActivity{1.0, 80};
  frames[1].activity = FrameActivity{0.0, 0};
  frames[2].activity = FrameActivity{0.25, 12};
  c->add_frames(frames);  // frames 4 to 6: not measured yet
  EXPECT_EQ(c->first_frame_without_activity(s.id), 4);
  const std::vector<std::pair<std::int64_t, FrameActivity>> later{{4, {0.0, 0}}, {5, {0.5, 3}}, {6, {0.0, 0}}};
  c->set_frame_activity(s.id, later);
  EXPECT_FALSE(c->first_frame_without_activity(s.id));
  std::vector<FrameActivityRow> rows;
  c->for_each_frame_activity(s.id, [&](const FrameActivityRow& r) { rows.push_back(r); });
  ASSERT_EQ(rows.size(), 6u);
  EXPECT_EQ(rows[2].seq, 3);
  EXPECT_EQ(rows[2].tick, 9);
  EXPECT_EQ(rows[2].capture_us, 3000);
  ASSERT_TRUE(rows[2].activity);
  EXPECT_DOUBLE_EQ(rows[2].activity->changed_share, 0.25);
  EXPECT_EQ(rows[2].activity->changed_tiles, 12);
  EXPECT_EQ(c->frame(s.id, 5)->activity->changed_tiles, 3);
  EXPECT_EQ(c->next_change(s.id, 1, true)->seq, 3);
  EXPECT_EQ(c->next_change(s.id, 3, true)->seq, 5);
  EXPECT_FALSE(c->next_change(s.id, 5, true));
  EXPECT_EQ(c->next_change(s.id, 5, false)->seq, 3);
  EXPECT_EQ(c->next_change(s.id, 3, false)->seq, 1);
  EXPECT_FALSE(c->next_change(s.id, 1, false));
}

TEST_P(CatalogContract, MarkersPausesAndTheLedgerAreKeptInTickOrderAndReopenGivesTheLedgersEnd) {
  auto c = writer();
  const auto s = c->create_session(new_session("events"));
  c->add_frames(std::vector<FrameRecord>{frame(s.id, 1, 1000), frame(s.id, 2, 2000)});
  SessionEvents first;
  first.markers.push_back({s.id, 5000, 40, std::int64_t{2}, "second", "signal"});
  first.markers.push_back({s.id, 4000, 10, std::nullopt, "first", "capture-key"});
  first.pauses.push_back({s.id, 20, 4500, std::nullopt, std::nullopt, "key p"});
  first.ledger.push_back({s.id, 20, 29, "paused"});
  first.ledger.push_back({s.id, 1, 2, "unchanged"});
  c->add_events(first);
  SessionEvents second;
  second.pause_ends.push_back({s.id, 30, 4800});
  c->add_events(second);
  const auto m = reader()->markers(s.id);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].label, "first");
  EXPECT_FALSE(m[0].frame);
  EXPECT_EQ(m[1].frame, 2);
  EXPECT_EQ(m[1].source, "signal");
  const auto p = c->pauses(s.id);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].to_tick, 30);
  EXPECT_EQ(p[0].to_us, 4800);
  const auto l = c->ledger(s.id);
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0].first_tick, 1);
  EXPECT_EQ(l[1].cause, "paused");
  c->end_session(s.id, 9000, "disconnected");
  EXPECT_EQ(c->reopen_session(s.id).last_ledger_tick, 29);
  EXPECT_NO_THROW(c->delete_session(s.id, [](const auto&) {}));
  EXPECT_TRUE(c->markers(s.id).empty()) << "a session's markers go with it";
  EXPECT_TRUE(c->ledger(s.id).empty());
}

TEST_P(CatalogContract, WindowRowsOpenEndPerWindowOrAllAtOnceAndGoWithTheSession) {
  auto c = writer();
  const auto s = c->create_session(new_session("windows"));
  // A connection's first list: two windows, and every row an earlier connection left open ends
  // (none: a row that begins at the tick of the end is not ended by it).
  SessionEvents first;
  first.windows.push_back({s.id, 10, 1000, std::nullopt, std::nullopt, 0xa00007, "vault", -5, 20, 320, 200});
  first.windows.push_back({s.id, 10, 1000, std::nullopt, std::nullopt, 0xc00003, "notes \xc3\xa9", 400, 0, 240, 180});
  first.window_ends.push_back({s.id, std::nullopt, 10, 1000});
  c->add_events(first);
  // vault moved at tick 20: its row ends and a new one begins in the same batch; notes went.
  SessionEvents moved;
  moved.windows.push_back({s.id, 20, 2000, std::nullopt, std::nullopt, 0xa00007, "vault", 50, 60, 320, 200});
  moved.window_ends.push_back({s.id, std::int64_t{0xa00007}, 20, 2000});
  moved.window_ends.push_back({s.id, std::int64_t{0xc00003}, 20, 2000});
  c->add_events(moved);
  auto w = reader()->windows(s.id);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0].title, "vault");
  EXPECT_EQ(w[0].x, -5);
  EXPECT_EQ(w[0].to_tick, 20);
  EXPECT_EQ(w[0].to_us, 2000);
  EXPECT_EQ(w[1].title, "notes \xc3\xa9");
  EXPECT_EQ(w[1].to_tick, 20);
  EXPECT_EQ(w[2].area(), (PixelRect{50, 60, 320, 200}));
  EXPECT_FALSE(w[2].to_tick) << "still on screen";
  // A later connection's first list ends every row still open.
  SessionEvents again;
  again.window_ends.push_back({s.id, std::nullopt, 30, 3000});
  c->add_events(again);
  w = c->windows(s.id);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[2].to_tick, 30);
  // Schema 6's ledger cause: ticks a replay buffer never saved.
  SessionEvents ledger;
  ledger.ledger.push_back({s.id, 1, 9, "not-saved"});
  c->add_events(ledger);
  ASSERT_EQ(c->ledger(s.id).size(), 1u);
  EXPECT_EQ(c->ledger(s.id)[0].cause, "not-saved");
  EXPECT_NO_THROW(c->delete_session(s.id, [](const auto&) {}));
  EXPECT_TRUE(c->windows(s.id).empty()) << "a session's windows go with it";
}

TEST_P(CatalogContract, AVersion5CatalogGainsWindowsAndNotSavedKeepingItsLedger) {
  std::int64_t id = 0;
  {
    auto c = writer();
    id = c->create_session(new_session("old")).id;
    SessionEvents e;
    e.ledger.push_back({id, 1, 4, "unknown"});
    e.ledger.push_back({id, 6, 8, "unchanged"});
    c->add_events(e);
  }
  // Back to what a version-5 receiver made: no windows, and the ledger's causes without not-saved.
  const std::string v5_causes = "('unchanged', 'flow-control', 'paused', 'spool-full', 'disconnected', 'unknown')";
  if (GetParam() == "postgresql") {
    test::shared_postgres_server().psql(
        database_, "DROP TABLE windows; ALTER TABLE ledger DROP CONSTRAINT ledger_cause_check; "
                   "ALTER TABLE ledger ADD CONSTRAINT ledger_cause_check CHECK (cause IN " + v5_causes + "); "
                   "UPDATE schema_version SET version = 5");
  } else {
    SqliteCatalog db(where_.file, SqliteCatalog::Mode::kReadWrite);
    db.db().exec(
        "DROP TABLE windows; CREATE TABLE ledger_v5 (session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE "
        "CASCADE, first_tick INTEGER NOT NULL, last_tick INTEGER NOT NULL CHECK (last_tick >= first_tick), cause TEXT "
        "NOT NULL CHECK (cause IN " + v5_causes + "), PRIMARY KEY (session_id, first_tick)) WITHOUT ROWID; "
        "INSERT INTO ledger_v5 SELECT * FROM ledger; DROP TABLE ledger; ALTER TABLE ledger_v5 RENAME TO ledger; "
        "PRAGMA user_version = 5");
  }
  auto c = writer();
  EXPECT_EQ(c->schema_version(), kCatalogSchemaVersion);
  const auto l = c->ledger(id);
  ASSERT_EQ(l.size(), 2u) << "every ledger row kept";
  EXPECT_EQ(l[0], (LedgerRun{id, 1, 4, "unknown"}));
  EXPECT_EQ(l[1], (LedgerRun{id, 6, 8, "unchanged"}));
  EXPECT_TRUE(c->windows(id).empty());
  SessionEvents e;
  e.ledger.push_back({id, 9, 9, "not-saved"});
  e.windows.push_back({id, 9, 900, std::nullopt, std::nullopt, 7, "t", 0, 0, 16, 16});
  c->add_events(e);
  EXPECT_EQ(c->ledger(id).back().cause, "not-saved");
  EXPECT_EQ(c->windows(id).size(), 1u);
}

TEST_P(CatalogContract, SealKeepDeleteAndTheDeletionsTable) {
  auto c = writer();
  const auto a = c->create_session(new_session("a"));
  const auto b = c->create_session(new_session("b"));
  std::vector<FrameRecord> frames = {frame(a.id, 1, 10), frame(b.id, 1, 10)};
  c->add_frames(frames);
  Digest head{};
  head[31] = 0x80;
  const std::vector<std::uint8_t> signature(64, 0x5a), signer(32, 0);
  c->seal_session(a.id, head, 1, signature, signer);
  c->set_keep(a.id, true);
  const auto sealed = *c->session(a.id);
  EXPECT_EQ(sealed.head, head);
  EXPECT_EQ(sealed.head_frames, 1);
  EXPECT_EQ(sealed.signature, signature);
  EXPECT_EQ(sealed.signer, signer);
  EXPECT_TRUE(sealed.keep);
  c->set_keep(a.id, false);
  EXPECT_FALSE(c->session(a.id)->keep);

  // A check that throws keeps the session and all of its rows.
  EXPECT_THROW(c->delete_session(a.id, [](const auto&) { throw std::runtime_error("recording"); }),
               std::runtime_error);
  EXPECT_TRUE(c->session(a.id));
  EXPECT_TRUE(c->deletions().empty());

  c->mark_deleting(a.id, "max-archive-gb 500", 5555);
  EXPECT_TRUE(c->session(a.id)->deleting);
  std::optional<SessionRecord> seen;
  c->delete_session(a.id, [&](const auto& now) { seen = now; });
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->id, a.id);
  c->delete_session(b.id, [](const auto&) {});
  EXPECT_FALSE(c->session(a.id));
  EXPECT_TRUE(c->frames(a.id).empty());  // the rows went with it
  const auto gone = c->deletions();
  ASSERT_EQ(gone.size(), 2u);  // one row each: mark_deleting's, and delete's own for b
  EXPECT_EQ(gone[0].session_id, a.id);
  EXPECT_EQ(gone[0].reason, "max-archive-gb 500");
  EXPECT_EQ(gone[0].deleted_us, 5555);
  EXPECT_EQ(gone[0].frames, 1);
  EXPECT_EQ(gone[0].bytes, 2001);
  EXPECT_EQ(gone[1].session_id, b.id);
  EXPECT_EQ(gone[1].reason, "delete");
  EXPECT_EQ(gone[1].folder, b.folder);
}

TEST_P(CatalogContract, ARestoredSessionKeepsItsIdAndLaterSessionsComeAfterIt) {
  auto c = writer();
  SessionRecord old;
  old.id = 41;
  old.name = "from its manifest";
  old.folder = "20250101T000000Z-41";
  old.client_address = "10.0.0.9:1";
  old.source = "x11 :0 800x600 shm";
  old.width = 800;
  old.height = 600;
  old.fps = 5;
  old.started_us = 1'735'689'600'000'000;
  old.ended_us = 1'735'689'700'000'000;
  old.end_reason = "client";
  old.dropped = 2;
  old.head = Digest{};
  old.head_frames = 0;
  old.keep = true;
  c->restore_session(old);
  const auto back = *c->session(41);
  EXPECT_EQ(back.folder, old.folder);
  EXPECT_EQ(back.ended_us, old.ended_us);
  EXPECT_EQ(back.end_reason, "client");
  EXPECT_EQ(back.error, "");
  EXPECT_TRUE(back.keep);
  EXPECT_EQ(back.head, old.head);
  EXPECT_GT(c->create_session(new_session("next")).id, 41);
}

TEST_P(CatalogContract, AFailedBatchIsRolledBackWholeAndAnEmptySessionCanBeForgotten) {
  auto c = writer();
  const auto s = c->create_session(new_session("dup"));
  const std::vector<FrameRecord> one = {frame(s.id, 1, 1)};
  c->add_frames(one);
  const std::vector<FrameRecord> again = {frame(s.id, 2, 2), frame(s.id, 1, 1)};
  EXPECT_THROW(c->add_frames(again), CatalogError);
  EXPECT_EQ(c->session(s.id)->frame_count, 1);
  EXPECT_FALSE(c->frame(s.id, 2));
  c->forget_empty_session(s.id);  // not empty: kept
  EXPECT_TRUE(c->session(s.id));
  const auto empty = c->create_session(new_session("never"));
  c->forget_empty_session(empty.id);
  EXPECT_FALSE(c->session(empty.id));
  EXPECT_TRUE(c->deletions().empty());
}

TEST_P(CatalogContract, AReaderSeesCommittedRowsAndCannotWrite) {
  auto w = writer();
  const auto s = w->create_session(new_session("live"));
  auto r = reader();
  EXPECT_EQ(r->session(s.id)->name, "live");
  const std::vector<FrameRecord> one = {frame(s.id, 1, 1)};
  w->add_frames(one);
  EXPECT_EQ(r->frames(s.id).size(), 1u);
  // The lookups a server makes for every frame (SQLite keeps their statements prepared) hold no
  // read snapshot between calls: each sees what was committed since the last.
  EXPECT_EQ(r->frame(s.id, 1)->jpeg_bytes, 2001);
  EXPECT_FALSE(r->frame(s.id, 2));
  EXPECT_TRUE(r->session(s.id)->recording());
  const std::vector<FrameRecord> two = {frame(s.id, 2, 2)};
  w->add_frames(two);
  w->end_session(s.id, 3000, "client");
  ASSERT_TRUE(r->frame(s.id, 2));
  EXPECT_EQ(r->frame(s.id, 2)->jpeg_bytes, 2002);
  EXPECT_FALSE(r->session(s.id)->recording());
  // A reader is a CatalogReader; as the writer type behind it, it still may not write.
  auto* as_writer = dynamic_cast<CatalogWriter*>(r.get());
  ASSERT_NE(as_writer, nullptr);
  EXPECT_THROW(as_writer->set_keep(s.id, true), CatalogError);
  EXPECT_FALSE(w->session(s.id)->keep);
}

TEST_P(CatalogContract, TheTextIndexFindsRanksMarksAndSummarises) {
  auto c = writer();
  const auto s = c->create_session(new_session("ocr"));
  const auto other = c->create_session(new_session("other"));
  std::vector<FrameRecord> frames;
  for (int i = 1; i <= 6; ++i) frames.push_back(frame(s.id, i, 1'000'000 * i));
  frames.push_back(frame(other.id, 1, 1'000'000));
  c->add_frames(frames);
  EXPECT_EQ(c->sessions_without_text_index(), (std::vector<std::int64_t>{s.id, other.id}));

  c->begin_text_index(s.id, "receiver", "eng", 500'000);
  EXPECT_EQ(c->text_state(s.id)->indexer, "receiver");
  EXPECT_FALSE(c->text_state(other.id));
  EXPECT_EQ(c->apply_text_pass(s.id, pass(1, 1'000'000, {line("the quick brown fox saw an error here", 10),
                                                         line("Disk full error", 40)})),
            0);
  ASSERT_EQ(c->open_spans(s.id).size(), 2u);
  const auto long_line = c->open_spans(s.id)[0].text.starts_with("the") ? c->open_spans(s.id)[0].id
                                                                        : c->open_spans(s.id)[1].id;
  // Pass 3 closes the long line and opens a one-word line; the other stays open and is extended.
  EXPECT_EQ(c->apply_text_pass(s.id, pass(3, 3'000'000, {line("ERROR", 70)}, {long_line})), 1);
  EXPECT_EQ(c->apply_text_pass(s.id, pass(5, 5'000'000, {line("error", 100)})), 2);
  EXPECT_EQ(c->text_state(s.id)->through_seq, 5);

  c->begin_text_index(other.id, "replay", "eng", 0);
  c->apply_text_pass(other.id, pass(1, 1'000'000, {line("error elsewhere", 10)}));

  // Shorter lines first (bm25 / ts_rank agree on that); equal lines by time.
  const auto hits = c->find_text(search("error"));
  ASSERT_EQ(hits.size(), 5u);
  EXPECT_EQ(hits[0].text, "ERROR");
  EXPECT_EQ(hits[1].text, "error");
  EXPECT_EQ(hits[1].first_seq, 5);
  EXPECT_EQ(hits[4].text, "the quick brown fox saw an error here");
  EXPECT_LT(hits[0].rank, hits[4].rank);
  EXPECT_EQ(hits[0].marked, std::string(1, kMarkOpen) + "ERROR" + kMarkClose);
  EXPECT_EQ(hits[4].marked, std::string("the quick brown fox saw an ") + kMarkOpen + "error" + kMarkClose + " here");
  EXPECT_EQ(hits[4].session_name, "ocr");
  EXPECT_EQ(hits[4].origin_us, 1'000'000);
  EXPECT_EQ(hits[4].last_seq, 1);  // closed by pass 3 without a later frame: its last pass
  EXPECT_EQ(hits[4].box, (PixelRect{10, 10, 200, 20}));
  EXPECT_DOUBLE_EQ(hits[4].confidence, 88.5);

  // Every word must appear; a trailing * is a prefix; the session and time range narrow it.
  const auto both = c->find_text(search("disk ERROR"));
  ASSERT_EQ(both.size(), 1u);
  EXPECT_EQ(both[0].text, "Disk full error");
  EXPECT_EQ(both[0].last_seq, 5);
  EXPECT_EQ(c->find_text(search("elsew*")).size(), 1u);
  EXPECT_EQ(c->find_text(search("err*", other.id)).size(), 1u);
  EXPECT_EQ(c->find_text(search("error", s.id, 3'500'000)).size(), 3u);
  EXPECT_EQ(c->find_text(search("error", s.id, std::nullopt, 1'000'000)).size(), 2u);
  EXPECT_EQ(c->find_text(search("error", std::nullopt, std::nullopt, std::nullopt, 2)).size(), 2u);
  EXPECT_TRUE(c->find_text(search("missing")).empty());
  EXPECT_TRUE(c->find_text(search("it's \"quoted\" & | !")).empty());  // operators are words
  EXPECT_THROW(c->find_text(search("  ")), std::invalid_argument);

  const auto on_frame = c->text_on_frame(s.id, 4, "disk");
  ASSERT_EQ(on_frame.size(), 1u);
  EXPECT_EQ(on_frame[0].words.size(), 3u);
  EXPECT_EQ(on_frame[0].words[2], (PixelRect{90, 40, 35, 20}));
  EXPECT_TRUE(c->text_on_frame(s.id, 2, "ERROR").size() == 1u);  // only the disk line is on frame 2

  // Every span, in first_seq order, with the passes around it (where export --redact-text looks).
  std::vector<TextSpanRow> rows;
  c->for_each_text_span(s.id, [&](const TextSpanRow& r) { rows.push_back(r); });
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows.back().line.text, "error");
  EXPECT_EQ(rows.back().first_seq, 5);
  EXPECT_EQ(rows.back().pass_before, 3);
  EXPECT_EQ(rows.back().pass_after, 0);
  const auto quick = std::find_if(rows.begin(), rows.end(), [](const TextSpanRow& r) { return r.line.text.starts_with("the"); });
  ASSERT_NE(quick, rows.end());
  EXPECT_EQ(quick->first_seq, 1);
  EXPECT_EQ(quick->last_seq, 1);
  EXPECT_EQ(quick->pass_before, 0);
  EXPECT_EQ(quick->pass_after, 3);
  EXPECT_EQ(quick->line.box, (PixelRect{10, 10, 200, 20}));
  EXPECT_EQ(quick->line.words.size(), 8u);

  c->finish_text_index(s.id, 6, 6'500'000);
  EXPECT_TRUE(c->text_state(s.id)->complete);
  EXPECT_TRUE(c->open_spans(s.id).empty());
  EXPECT_EQ(c->find_text(search("disk"))[0].last_us, 6'500'000);
  EXPECT_EQ(c->sessions_without_text_index(), (std::vector<std::int64_t>{other.id}));
  const auto summary = c->text_index_summary(s.id);
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->spans, 4);
  EXPECT_EQ(summary->passes, 3);
  EXPECT_EQ(summary->lag_max_us, 5000);
  EXPECT_EQ(summary->lag_median_us, 3000);
  EXPECT_EQ(summary->state.through_seq, 6);

  c->erase_text_index(s.id);
  EXPECT_FALSE(c->text_index_summary(s.id));
  EXPECT_FALSE(c->text_state(s.id));
  EXPECT_EQ(c->find_text(search("error")).size(), 1u);
}

// ---- Only PostgreSQL: a database that a fleet shares ---------------------------------------------

class PostgresCatalog : public CatalogContract {};
INSTANTIATE_TEST_SUITE_P(Backend, PostgresCatalog, ::testing::Values("postgresql"),
                         [](const auto& info) { return info.param; });

TEST_P(PostgresCatalog, EachReceiverSeesItsOwnSessionsAndReplaySeesAllWithTheirReceivers) {
  auto as = [&](const std::string& name, const std::string& root) {
    CatalogLocation at = where_;
    at.receiver = name;
    at.archive_root = root;
    return open_catalog_writer(at);
  };
  auto a = as("host-a", "/srv/recordings");
  auto b = as("host-b", "/mnt/b/recordings");
  const auto one = a->create_session(new_session("one"));
  const auto two = b->create_session(new_session("two"));
  const auto three = a->create_session(new_session("three"));
  EXPECT_LT(one.id, two.id);  // one sequence for the fleet
  EXPECT_LT(two.id, three.id);
  EXPECT_EQ(two.receiver, "host-b");
  EXPECT_EQ(two.archive_root, "/mnt/b/recordings");
  ASSERT_EQ(a->sessions().size(), 2u);
  EXPECT_EQ(a->sessions()[1].id, three.id);
  EXPECT_EQ(a->session_page(0, 10, "").total, 2);
  EXPECT_FALSE(a->session(two.id));  // a client of host-b cannot resume its session at host-a
  ASSERT_EQ(b->sessions().size(), 1u);
  const std::vector<FrameRecord> frames = {frame(two.id, 1, 1)};
  b->add_frames(frames);
  EXPECT_TRUE(a->sessions_without_text_index().empty());
  EXPECT_EQ(b->sessions_without_text_index(), (std::vector<std::int64_t>{two.id}));

  const auto all = reader()->sessions();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].receiver, "host-a");
  EXPECT_EQ(all[0].archive_root, "/srv/recordings");
  EXPECT_EQ(all[1].receiver, "host-b");
  EXPECT_EQ(all[1].archive_root, "/mnt/b/recordings");
  // A name with a quote is a name, not SQL.
  auto odd = as("it's", "/x");
  odd->create_session(new_session("odd"));
  EXPECT_EQ(odd->sessions().size(), 1u);
}

TEST_P(PostgresCatalog, TheLocationNeverShowsThePasswordAndOnlyAddressesAreTaken) {
  const auto where = CatalogLocation::parse("postgresql://fleet:s3cret@db.example:6543/screenreel?sslmode=require",
                                            "catalog.db");
  EXPECT_TRUE(where.postgresql());
  EXPECT_EQ(where.describe().find("s3cret"), std::string::npos) << where.describe();
  EXPECT_NE(where.describe().find("host=db.example"), std::string::npos) << where.describe();
  EXPECT_NE(where.describe().find("sslmode=require"), std::string::npos) << where.describe();
  const auto keywords = CatalogLocation::parse("host=/tmp/x dbname=d password=hunter2", "catalog.db");
  EXPECT_EQ(keywords.describe().find("hunter2"), std::string::npos) << keywords.describe();
  EXPECT_FALSE(CatalogLocation::parse("", "a/catalog.db").postgresql());
  EXPECT_EQ(CatalogLocation::parse("", "a/catalog.db").describe(), "a/catalog.db");
  EXPECT_THROW(CatalogLocation::parse("mysql://x", "catalog.db"), CatalogError);
  EXPECT_THROW(CatalogLocation::parse("postgresql://[broken", "catalog.db"), CatalogError);
  // An unreachable server: the message names the address, not the password.
  try {
    open_catalog_reader(CatalogLocation::parse("host=" + dir_.string() + " dbname=x password=hunter2", "c.db"));
    FAIL() << "connected to nothing";
  } catch (const CatalogError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot connect"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
  }
}

TEST_P(PostgresCatalog, AReaderOfAnEmptyDatabaseAndANewerSchemaAreRefused) {
  try {
    reader();
    FAIL() << "read a database without a catalog";
  } catch (const CatalogError& e) {
    EXPECT_NE(std::string(e.what()).find("no screenreel catalog yet"), std::string::npos) << e.what();
  }
  writer();
  auto& server = test::shared_postgres_server();
  EXPECT_EQ(server.psql(database_, "SELECT version FROM schema_version"), std::to_string(kCatalogSchemaVersion) + "\n");
  server.psql(database_, "UPDATE schema_version SET version = 99");
  try {
    writer();
    FAIL() << "opened schema 99";
  } catch (const CatalogError& e) {
    EXPECT_NE(std::string(e.what()).find("newer screenreel"), std::string::npos) << e.what();
  }
}

TEST_P(PostgresCatalog, AVersion3DatabaseIsBroughtForwardKeepingItsRows) {
  {
    auto c = writer();
    const auto s = c->create_session(new_session("old"));
    c->add_frames(std::vector<FrameRecord>{frame(s.id, 1, 1000)});
  }
  auto& server = test::shared_postgres_server();
  // What a version-3 receiver made: no activity columns, no markers, pauses or ledger.
  server.psql(database_,
              "DROP TABLE markers; DROP TABLE pauses; DROP TABLE ledger; DROP TABLE windows; "
              "ALTER TABLE frames DROP COLUMN changed_share; ALTER TABLE frames DROP COLUMN changed_tiles; "
              "UPDATE schema_version SET version = 3");
  try {
    reader();
    FAIL() << "a reader used a version-3 database as a version-" << kCatalogSchemaVersion << " one";
  } catch (const CatalogError& e) {
    EXPECT_NE(std::string(e.what()).find("start a receiver"), std::string::npos) << e.what();
  }
  auto c = writer();
  EXPECT_EQ(c->schema_version(), kCatalogSchemaVersion);
  ASSERT_EQ(c->sessions().size(), 1u);
  const auto f = c->frame(c->sessions()[0].id, 1);
  ASSERT_TRUE(f);
  EXPECT_FALSE(f->activity) << "not measured yet";
  EXPECT_TRUE(c->markers(f->session_id).empty());
}

TEST_P(PostgresCatalog, ATextSearchUsesTheGinIndex) {
  writer();
  const auto plan = test::shared_postgres_server().psql(
      database_, "SET enable_seqscan = off; EXPLAIN SELECT id FROM text_spans WHERE tsv @@ to_tsquery('simple', 'x')");
  EXPECT_NE(plan.find("text_spans_words"), std::string::npos) << plan;
}

TEST(PostgresCatalogSchema, TheEmbeddedSchemaIsTheSpecFile) {
  std::ifstream in(fs::path(SCREENREEL_SOURCE_DIR) / "schemas" / "catalog-postgresql.sql");
  const std::string spec((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(spec, std::string(kPgCatalogSql));
}

TEST(PostgresCatalogSchema, WordsBecomeAQueryOfQuotedWordsAndPrefixes) {
  EXPECT_EQ(tsquery_text("disk  ERR*"), "'disk' & 'ERR':*");
  EXPECT_EQ(tsquery_text("it's a\\b"), "'it''s' & 'a\\\\b'");
  EXPECT_EQ(tsquery_text("*"), "'*'");
  EXPECT_THROW(tsquery_text(" "), std::invalid_argument);
}

}  // namespace
}  // namespace screenreel

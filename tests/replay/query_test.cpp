// `query`: one read-only statement, printed as a table, CSV or JSON; anything that would write
// is refused and the catalog stays as it was.
#include "screenreel/replay/query.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <fstream>
#include <csignal>
#include <cstdio>
#include <thread>

#include "archive_fixture.hpp"
#include "support/process.hpp"
#include "screenreel/replay/archive_access.hpp"
#include "screenreel/archive/text_index.hpp"

namespace screenreel::replay {
namespace {
using test::FixtureArchive;

class ReplayQuery : public ::testing::Test {
 protected:
  void SetUp() override {
    archive.record("alpha", test::evenly(5, 100'000));
    archive.record("beta", test::evenly(3, 200'000), "receiver");
  }
  std::string refusal(const std::string& sql) {
    const auto opened = open_catalog(archive.paths());
    CatalogReader& reader = *opened;
    try {
      run_read_only_query(reader, sql);
    } catch (const Failure& e) {
      return e.what();
    }
    return "(accepted)";
  }
  std::int64_t count(const char* table) {
    auto q = archive.catalog().db().prepare(std::string("SELECT count(*) FROM ") + table);
    q.step();
    return q.int64(0);
  }
  FixtureArchive archive;
};

TEST_F(ReplayQuery, RefusesEveryKindOfWrite) {
  const char* writes[] = {
      "DELETE FROM frames",
      "UPDATE sessions SET name = 'x'",
      "INSERT INTO sessions (name, folder, client_address, source, width, height, fps, started_us) "
      "VALUES ('x', 'y', 'z', 's', 1, 1, 1, 1)",
      "DROP TABLE frames",
      "CREATE TABLE t (x)",
      "CREATE TEMP TABLE t (x)",
      "ATTACH DATABASE '/tmp/screenreel-attached.db' AS other",
      "PRAGMA writable_schema = 1",
      "PRAGMA user_version = 7",
      "PRAGMA journal_mode = DELETE",
      "BEGIN",
      "VACUUM",
      "WITH x AS (SELECT 1) DELETE FROM frames",
  };
  for (const char* sql : writes) {
    const std::string msg = refusal(sql);
    EXPECT_NE(msg.find("read-only"), std::string::npos) << sql << " -> " << msg;
  }
  EXPECT_EQ(count("frames"), 8);
  EXPECT_EQ(count("sessions"), 2);
  EXPECT_FALSE(std::filesystem::exists("/tmp/screenreel-attached.db"));
  SqliteCatalog again(archive.paths().catalog(), SqliteCatalog::Mode::kReadOnly);
  EXPECT_EQ(again.schema_version(), kCatalogSchemaVersion);
}

TEST_F(ReplayQuery, RunsOneStatementOnly) {
  EXPECT_NE(refusal("SELECT 1; DELETE FROM frames").find("one statement"), std::string::npos);
  EXPECT_NE(refusal("SELECT 1; SELECT 2").find("one statement"), std::string::npos);
  EXPECT_NE(refusal("  -- nothing\n").find("no SQL statement"), std::string::npos);
  EXPECT_NE(refusal("SELEKT 1").find("syntax error"), std::string::npos);
  EXPECT_EQ(count("frames"), 8);
}

TEST_F(ReplayQuery, ReadsWithSelectsCtesAndReportingPragmas) {
  const auto opened = open_catalog(archive.paths());
  CatalogReader& reader = *opened;
  const Table t = run_read_only_query(
      reader,
      "SELECT s.name, count(*) AS frames, max(f.capture_us) - min(f.capture_us) AS span_us "
      "FROM frames f JOIN sessions s ON s.id = f.session_id GROUP BY s.id ORDER BY s.id; -- "
      "trailing comment");
  ASSERT_EQ(t.columns, (std::vector<std::string>{"name", "frames", "span_us"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(std::get<std::string>(t.rows[0][0]), "alpha");
  EXPECT_EQ(std::get<std::int64_t>(t.rows[0][1]), 5);
  EXPECT_EQ(std::get<std::int64_t>(t.rows[1][2]), 400'000);

  EXPECT_EQ(run_read_only_query(
                reader,
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4) "
                "SELECT sum(i) FROM n")
                .rows[0][0],
            Cell(std::int64_t{10}));
  const Table columns = run_read_only_query(reader, "PRAGMA table_info(frames)");
  EXPECT_EQ(columns.columns[1], "name");
  EXPECT_TRUE(std::any_of(columns.rows.begin(), columns.rows.end(), [](const auto& row) {
    return row[1] == Cell(std::string("capture_us"));
  }));
  EXPECT_EQ(run_read_only_query(reader, "PRAGMA user_version").rows[0][0], Cell(std::int64_t{kCatalogSchemaVersion}));
  // Table-valued pragma functions need a schema write inside SQLite: refused with a pointer to
  // the PRAGMA statement, never an empty result.
  EXPECT_NE(
      refusal("SELECT name FROM pragma_table_info('sessions')").find("use the PRAGMA statement"),
      std::string::npos);
}

TEST_F(ReplayQuery, CommandLinePrintsTableCsvAndJsonAndRefusesWrites) {
  const auto table = test::replay(
      archive.root(), {"query", "SELECT id, name, frame_count FROM sessions ORDER BY id"});
  ASSERT_EQ(table.status, 0) << table.err;
  EXPECT_EQ(table.out,
            "id  name   frame_count\n"
            "--  -----  -----------\n"
            " 1  alpha            5\n"
            " 2  beta             3\n");

  const auto csv =
      test::replay(archive.root(), {"query", "SELECT id, name FROM sessions ORDER BY id", "--csv"});
  ASSERT_EQ(csv.status, 0) << csv.err;
  EXPECT_EQ(csv.out, "id,name\r\n1,alpha\r\n2,beta\r\n");

  const auto json =
      test::replay(archive.root(), {"query", "SELECT id, name, fps FROM sessions", "--json"});
  ASSERT_EQ(json.status, 0) << json.err;
  EXPECT_EQ(test::python_json(json.out, "len(d), d[1][\"name\"], d[0][\"fps\"], d[0][\"id\"]"),
            "(2, 'beta', 10.0, 1)");

  for (const char* sql :
       {"DELETE FROM frames", "UPDATE sessions SET name = 'x'", "ATTACH 'x.db' AS x",
        "PRAGMA writable_schema = ON", "DROP TABLE sessions"}) {
    const auto r = test::replay(archive.root(), {"query", sql});
    EXPECT_EQ(r.status, 1) << sql;
    EXPECT_NE(r.err.find("query is read-only"), std::string::npos) << sql << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  EXPECT_EQ(count("frames"), 8);
}

TEST_F(ReplayQuery, SearchesTheFullTextIndexButDoesNotWriteIt) {
  const auto id = archive.catalog().sessions().at(0).id;
  TextIndex index(archive.catalog());
  index.begin(id, "replay", "eng", 1'000'000);
  index.apply(id, OcrPass{1, test::kStartUs, {{0, 0, 160, 120}}, {TextLine{"disk full", {1, 2, 30, 8}, 90, {}}}},
              test::kStartUs);
  const auto opened = open_catalog(archive.paths());
  CatalogReader& reader = *opened;
  const Table hits = run_read_only_query(
      reader,
      "SELECT highlight(text_fts, 0, '[', ']'), bm25(text_fts) FROM text_fts WHERE text_fts MATCH 'disk'");
  ASSERT_EQ(hits.rows.size(), 1u);
  EXPECT_EQ(hits.rows[0][0], Cell(std::string("[disk] full")));
  EXPECT_NE(refusal("INSERT INTO text_fts (text_fts) VALUES ('optimize')").find("INSERT"), std::string::npos);
}

// Dangerous functions are refused by SQLite's own authorizer, by name: before the fix
// `SELECT fts3_tokenizer('simple')` printed a pointer and the two-argument form (SQLite's known
// code-execution primitive) was accepted.
TEST_F(ReplayQuery, RefusesFunctionsOutsideTheAllowList) {
  const char* dangerous[] = {
      "SELECT fts3_tokenizer('simple')",
      "SELECT fts3_tokenizer('simple', x'0000000000000000')",
      "SELECT fts5(NULL)",
      "SELECT load_extension('/tmp/evil.so')",
      "SELECT name FROM sessions WHERE fts3_tokenizer('porter') IS NOT NULL",
      "WITH t(x) AS (SELECT FTS3_TOKENIZER('unicode61')) SELECT x FROM t",
  };
  for (const char* sql : dangerous) {
    const std::string msg = refusal(sql);
    EXPECT_NE(msg.find("is not allowed"), std::string::npos) << sql << " -> " << msg;
  }
  // The allowed ones still work, FTS5's auxiliary functions included (SearchesTheFullTextIndex).
  const auto opened = open_catalog(archive.paths());
  CatalogReader& reader = *opened;
  const Table t = run_read_only_query(
      reader, "SELECT upper(name), length(name), json_array(id), strftime('%Y', 0, 'unixepoch') FROM sessions "
              "ORDER BY id LIMIT 1");
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(std::get<std::string>(t.rows[0][0]), "ALPHA");
  EXPECT_EQ(std::get<std::string>(t.rows[0][3]), "1970");
}

// Before the fix, an endless recursive CTE ran forever (1.6 GB after 10 s), randomblob(1e9) ran
// away, and Ctrl-C did not stop either.
TEST_F(ReplayQuery, RunawayQueriesStopAtTheTimeMemoryAndRowLimitsAndOnCtrlC) {
  const std::string endless = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r";
  const auto start = std::chrono::steady_clock::now();
  const auto timed = test::replay(archive.root(), {"query", endless, "--timeout", "1"});
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(timed.status, 1);
  EXPECT_NE(timed.err.find("stopped after 1"), std::string::npos) << timed.err;
  EXPECT_NE(timed.err.find("--timeout"), std::string::npos) << timed.err;
  EXPECT_LT(took, std::chrono::seconds(30));

  const auto big = test::replay(archive.root(), {"query", "SELECT randomblob(1000000000)"});
  EXPECT_EQ(big.status, 1);
  EXPECT_NE(big.err.find("MB SQLite may use"), std::string::npos) << big.err;

  const auto rows = test::replay(
      archive.root(), {"query", "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r",
                       "--max-rows", "50"});
  EXPECT_EQ(rows.status, 1);
  EXPECT_NE(rows.err.find("more than 50 rows (--max-rows)"), std::string::npos) << rows.err;
  EXPECT_TRUE(rows.out.empty());

  const auto bad = test::replay(archive.root(), {"query", "SELECT 1", "--timeout", "0"});
  EXPECT_EQ(bad.status, 2) << bad.err;

  // Ctrl-C: the program stops the statement and says so.
  test::Process p({SCREENREEL_REPLAY_BIN, "--archive", archive.root().string(), "query", endless, "--timeout", "60"});
  // Once the query runs, the program catches SIGINT: then Ctrl-C.
  ASSERT_TRUE(test::wait_until_catching(p.pid(), SIGINT, std::chrono::seconds(10)));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  p.signal(SIGINT);
  const auto rc = p.wait_for(std::chrono::seconds(10));
  ASSERT_TRUE(rc) << "Ctrl-C did not stop the query";
  EXPECT_EQ(*rc, 1);
  EXPECT_NE(p.err().find("interrupted (Ctrl-C)"), std::string::npos) << p.err();
}

// A session name with an OSC 52 clipboard sequence, BEL, NUL and U+202E (right-to-left
// override). --csv to a pipe keeps the bytes, quoted (RFC 4180); on a terminal (a pty made by
// script(1)) none of them reaches the screen (issue 21.10; before, the raw bytes were written
// to the terminal, unquoted).
TEST(ReplayQueryOutput, CsvQuotesControlBytesForAPipeAndNeutralisesThemOnATerminal) {
  FixtureArchive archive;
  const auto s = archive.record("x", test::evenly(1, 100'000));
  archive.catalog()
      .db()
      .prepare("UPDATE sessions SET name = 'a' || char(27) || ']52;c;aGk=' || char(7) || "
               "char(0) || 'b' || char(8238) || 'c' WHERE id = ?")
      .bind(1, s.id)
      .run();
  const std::string raw = std::string("a\x1b]52;c;aGk=\x07") + '\0' + "b\xe2\x80\xae" "c";
  const auto piped =
      test::replay(archive.root(), {"query", "SELECT name FROM sessions", "--csv"});
  ASSERT_EQ(piped.status, 0) << piped.err;
  EXPECT_EQ(piped.out, "name\r\n\"" + raw + "\"\r\n");

  const std::string cmd = "TZ=UTC script -qec \"'" + std::string(SCREENREEL_REPLAY_BIN) +
                          "' --archive '" + archive.root().string() +
                          "' query 'SELECT name FROM sessions' --csv\" /dev/null";
  std::string tty;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    std::array<char, 4096> buf{};
    std::size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) tty.append(buf.data(), n);
    EXPECT_EQ(::pclose(p), 0) << tty;
  }
  EXPECT_NE(tty.find("a?]52;c;aGk=??b?c"), std::string::npos) << tty;
  for (const std::string& bad : {std::string("\x1b"), std::string("\x07"), std::string(1, '\0'),
                                std::string("\xe2\x80\xae")})
    EXPECT_EQ(tty.find(bad), std::string::npos) << tty;
}

}  // namespace
}  // namespace screenreel::replay

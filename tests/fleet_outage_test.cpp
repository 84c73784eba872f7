// End to end, with real processes and a real PostgreSQL of the test's own (it is stopped and
// started, so no other test shares it): a screenreel-receiver with --catalog postgresql records
// screenreel-capture clients while the database goes away (pg_ctl stop -m immediate) and comes
// back, and a receiver is killed with SIGKILL while its rows wait in the catalog journal. After
// each, no row is lost or duplicated: the frame rows in PostgreSQL, the JPEG files in the
// session folders and the frames the clients were told are stored are the same number, the
// journal is empty, and screenreel-replay verify passes.
#include <gtest/gtest.h>

#include <csignal>
#include <regex>
#include <thread>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/catalog.hpp"
#include "screenreel/archive/catalog_journal.hpp"
#include "screenreel/archive/session_files.hpp"
#include "support/postgres_server.hpp"
#include "support/process.hpp"
#include "support/programs.hpp"

namespace screenreel {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::Process;

std::unique_ptr<Process> capture(std::uint16_t port, const std::string& name, int frames) {
  return std::make_unique<Process>(std::vector<std::string>{
      SCREENREEL_CAPTURE_BIN, "--connect", "127.0.0.1:" + std::to_string(port), "--source", "test-pattern", "--size",
      "96x64", "--fps", "10", "--max-frames", std::to_string(frames), "--name", name});
}

// The "receiver stored N" of a client's summary line; -1 when there is none.
std::int64_t stored_by_receiver(const std::string& summary) {
  std::smatch m;
  if (!std::regex_search(summary, m, std::regex(R"(receiver stored (\d+))"))) return -1;
  return std::stoll(m[1]);
}

// A number psql prints for one `sql` in `database`.
std::int64_t count(const test::PostgresServer& server, const std::string& sql) {
  return std::stoll(server.psql("fleet", sql));
}

// Waits until `sql` counts at least `at_least`; false at the deadline.
bool wait_for_count(const test::PostgresServer& server, const std::string& sql, std::int64_t at_least,
                    std::chrono::seconds timeout = 30s) {
  for (const auto end = std::chrono::steady_clock::now() + timeout; std::chrono::steady_clock::now() < end;) {
    if (count(server, sql) >= at_least) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

// Rows == files == frames the client was told are stored, for the session named `name`, with
// no frame number twice in PostgreSQL and no row without its file.
void expect_rows_equal_files(const test::PostgresServer& server, CatalogReader& reader, const fs::path& archive,
                             const std::string& name, std::int64_t acknowledged) {
  std::optional<SessionRecord> session;
  for (const auto& s : reader.sessions())
    if (s.name == name) session = s;
  ASSERT_TRUE(session) << name;
  const std::string id = std::to_string(session->id);
  const std::int64_t rows = count(server, "SELECT count(*) FROM frames WHERE session_id = " + id);
  EXPECT_EQ(count(server, "SELECT count(DISTINCT seq) FROM frames WHERE session_id = " + id), rows) << name;
  EXPECT_EQ(count(server, "SELECT count(DISTINCT tick) FROM frames WHERE session_id = " + id), rows) << name;
  const SessionFiles files = list_session_files(ArchivePaths(archive).session(session->folder));
  EXPECT_EQ(static_cast<std::int64_t>(files.frames.size()), rows) << name;
  EXPECT_TRUE(files.temporary.empty()) << name;
  EXPECT_EQ(rows, acknowledged) << name;
  EXPECT_EQ(session->frame_count, rows) << name;
  EXPECT_FALSE(session->recording()) << name;
  for (const auto& f : reader.frames(session->id))
    EXPECT_EQ(files.frames.count(static_cast<std::uint64_t>(f.seq)), 1u) << name << " " << f.file;
}

void expect_journal_empty(const fs::path& archive) {
  const fs::path journal = catalog_journal_path(archive);
  const JournalContents contents = read_catalog_journal(journal);
  EXPECT_TRUE(contents.records.empty()) << contents.records.size() << " records still journaled";
  EXPECT_TRUE(contents.problem.empty()) << contents.problem;
  EXPECT_EQ(contents.torn_bytes, 0u);
  if (fs::exists(journal)) {
    EXPECT_EQ(fs::file_size(journal), contents.good_bytes);
  }
}

class FleetOutage : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const auto why = test::PostgresServer::unavailable(); !why.empty()) GTEST_SKIP() << why;
    server_ = std::make_unique<test::PostgresServer>();
    catalog_ = server_->create_database("fleet");
    dir_ = test::fresh_temp_dir("screenreel-fleet-outage");
    archive_ = dir_ / "archive";
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  test::RunningReceiver receiver(std::uint16_t port = 0) {
    return test::start_receiver(archive_, {"--no-display", "--catalog", catalog_, "--receiver-name", "host-o"}, {},
                                port);
  }
  void killed_while_journaled(bool recover_first);
  std::unique_ptr<test::PostgresServer> server_;
  std::string catalog_;
  fs::path dir_, archive_;
};

TEST_F(FleetOutage, ADatabaseStoppedForFiveSecondsDuringARecordingLosesAndDuplicatesNoRow) {
  auto r = receiver();
  ASSERT_NE(r.port, 0);
  constexpr int kFrames = 120;  // 12 s at 10 frames/s: the outage falls in the middle
  auto one = capture(r.port, "outage-1", kFrames);
  auto two = capture(r.port, "outage-2", kFrames);
  // Both sessions exist (a new session needs the database) and rows are going in.
  ASSERT_TRUE(wait_for_count(*server_, "SELECT count(*) FROM sessions", 2));
  ASSERT_TRUE(wait_for_count(*server_, "SELECT count(*) FROM frames", 10));
  server_->stop_immediately();
  std::this_thread::sleep_for(5s);
  server_->start();
  for (auto* c : {one.get(), two.get()}) {
    const auto rc = c->wait_for(90s);
    EXPECT_TRUE(rc && *rc == 0) << c->err();
  }
  // The rows of the outage went in while the receiver kept running.
  EXPECT_TRUE(r.process->wait_for_stderr("journaled rows", 20s)) << r.process->err();
  r.process->signal(SIGTERM);
  EXPECT_EQ(r.process->wait_for(30s), 0) << r.process->err();
  const std::string log = r.process->err();
  EXPECT_NE(log.find("Recording goes on: the catalog rows wait in " + catalog_journal_path(archive_).string()),
            std::string::npos)
      << log;
  EXPECT_TRUE(std::regex_search(log, std::regex(R"(answers again after \d+ s: wrote [1-9]\d* journaled rows)")))
      << log;
  expect_journal_empty(archive_);

  const auto reader = open_catalog_reader(CatalogLocation::parse(catalog_, "unused"));
  EXPECT_EQ(reader->sessions().size(), 2u);
  for (const auto& [name, client] : {std::pair{"outage-1", one.get()}, std::pair{"outage-2", two.get()}}) {
    const std::int64_t stored = stored_by_receiver(client->out());
    EXPECT_EQ(stored, test::frames_sent(client->out())) << client->out();
    expect_rows_equal_files(*server_, *reader, archive_, name, stored);
  }
  const auto verify = test::replay(archive_, {"--catalog", catalog_, "verify"});
  EXPECT_EQ(verify.status, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("ok: 1 receivers, 2 sessions"), std::string::npos) << verify.out;
}

// The database goes away; the receiver records on into its journal and is killed with SIGKILL
// while rows wait there; the database comes back. Then either `screenreel-replay recover` runs
// first, as the README says after a kill -9, and the receiver is started again, or the receiver
// is started again at once (it writes the journal out and recovers by itself) and recover runs
// after it. The client reconnects and resumes its session meanwhile.
void FleetOutage::killed_while_journaled(bool recover_first) {
  auto first = receiver();
  ASSERT_NE(first.port, 0);
  constexpr int kFrames = 150;
  auto client = capture(first.port, "killed", kFrames);
  ASSERT_TRUE(wait_for_count(*server_, "SELECT count(*) FROM sessions", 1));
  ASSERT_TRUE(wait_for_count(*server_, "SELECT count(*) FROM frames", 10));
  server_->stop_immediately();
  // Rows wait in the journal: the receiver goes on recording, and acknowledging.
  const fs::path journal = catalog_journal_path(archive_);
  bool journaled = false;
  for (const auto end = std::chrono::steady_clock::now() + 20s; !journaled && std::chrono::steady_clock::now() < end;
       std::this_thread::sleep_for(100ms))
    journaled = journaled_sessions(read_catalog_journal(journal)).size() == 1 &&
                journaled_sessions(read_catalog_journal(journal)).begin()->second.frames >= 10;
  ASSERT_TRUE(journaled) << first.process->err();
  first.process->signal(SIGKILL);
  ASSERT_TRUE(first.process->wait_for(10s));
  server_->start();

  const auto recover = [&] { return test::replay(archive_, {"--catalog", catalog_, "recover"}); };
  if (recover_first) {
    const auto r = recover();
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    // The journal first (its rows are the session's), then the session closed as crashed.
    EXPECT_NE(r.err.find("holds rows from before"), std::string::npos) << r.err;
    EXPECT_TRUE(std::regex_search(r.err, std::regex(R"(wrote [1-9]\d* journaled rows)"))) << r.err;
    EXPECT_NE(r.out.find("closed as crashed"), std::string::npos) << r.out;
    expect_journal_empty(archive_);
  }
  auto second = receiver(first.port);  // the port the client reconnects to
  ASSERT_NE(second.port, 0);
  const auto rc = client->wait_for(120s);
  EXPECT_TRUE(rc && *rc == 0) << client->err();
  second.process->signal(SIGTERM);
  EXPECT_EQ(second.process->wait_for(30s), 0) << second.process->err();
  if (!recover_first) {
    EXPECT_TRUE(std::regex_search(second.process->err(), std::regex(R"(wrote [1-9]\d* journaled rows)")))
        << second.process->err();
  }
  EXPECT_NE(client->out().find("reconnected"), std::string::npos) << client->out();
  // Run after a receiver that recovered by itself, recover finds nothing left to do.
  const auto again = recover();
  EXPECT_EQ(again.status, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("nothing to recover"), std::string::npos) << again.out;
  expect_journal_empty(archive_);

  const auto reader = open_catalog_reader(CatalogLocation::parse(catalog_, "unused"));
  ASSERT_EQ(reader->sessions().size(), 1u);
  const std::int64_t stored = stored_by_receiver(client->out());
  EXPECT_EQ(stored, kFrames) << client->out();
  expect_rows_equal_files(*server_, *reader, archive_, "killed", stored);
  const auto verify = test::replay(archive_, {"--catalog", catalog_, "verify"});
  EXPECT_EQ(verify.status, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("ok: 1 receivers, 1 sessions"), std::string::npos) << verify.out;
}

TEST_F(FleetOutage, AReceiverKilledWhileRowsAreJournaledThenRecoverThenRestartLosesAndDuplicatesNoRow) {
  killed_while_journaled(true);
}

TEST_F(FleetOutage, AReceiverKilledWhileRowsAreJournaledWritesThemOutWhenRestartedAndRecoverFindsNothingLeft) {
  killed_while_journaled(false);
}

}  // namespace
}  // namespace screenreel

// End to end, with real processes and a real PostgreSQL (tests/support/postgres_server.hpp): two
// screenreel-receivers with separate archives and one shared catalog (--catalog, --receiver-name)
// record a screenreel-capture client each, at once; then screenreel-replay --catalog lists both
// sessions with their receivers and reads each one's frames from its own archive.
#include <gtest/gtest.h>

#include <csignal>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/catalog.hpp"
#include "support/postgres_server.hpp"
#include "support/process.hpp"
#include "support/programs.hpp"

namespace screenreel {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::Process;

constexpr int kFrames = 6;

TEST(FleetRecording, TwoReceiversShareOnePostgresCatalogAndReplayReadsBoth) {
  if (const auto why = test::PostgresServer::unavailable(); !why.empty()) GTEST_SKIP() << why;
  test::PostgresServer server;
  const std::string catalog = server.create_database("fleet");
  const fs::path dir = test::fresh_temp_dir("screenreel-fleet");
  const fs::path archive_a = dir / "a", archive_b = dir / "b";

  auto a = test::start_receiver(archive_a, {"--no-display", "--catalog", catalog, "--receiver-name", "host-a"});
  // The password-free address and the name, in the start-up line.
  EXPECT_NE(a.process->err().find("as receiver host-a"), std::string::npos) << a.process->err();
  // The other one takes the catalog from the environment and the host name as its name.
  auto b = test::start_receiver(archive_b, {"--no-display"}, {{"SCREENREEL_CATALOG", catalog}});
  ASSERT_NE(a.port, 0);
  ASSERT_NE(b.port, 0);
  auto capture = [](std::uint16_t port, const std::string& name) {
    return std::make_unique<Process>(std::vector<std::string>{
        SCREENREEL_CAPTURE_BIN, "--connect", "127.0.0.1:" + std::to_string(port), "--source", "test-pattern",
        "--size", "96x64", "--fps", "10", "--max-frames", std::to_string(kFrames), "--name", name});
  };
  auto client_a = capture(a.port, "client-a");
  auto client_b = capture(b.port, "client-b");
  for (auto* c : {client_a.get(), client_b.get()}) {
    const auto rc = c->wait_for(60s);
    EXPECT_TRUE(rc && *rc == 0) << c->err();
  }
  for (auto* r : {&a, &b}) {
    r->process->signal(SIGTERM);
    EXPECT_TRUE(r->process->wait_for(30s));
  }
  // No catalog.db in either archive: the rows are in PostgreSQL.
  EXPECT_FALSE(fs::exists(ArchivePaths(archive_a).catalog()));
  EXPECT_FALSE(fs::exists(ArchivePaths(archive_b).catalog()));

  const auto reader = open_catalog_reader(CatalogLocation::parse(catalog, "unused"));
  const auto sessions = reader->sessions();
  ASSERT_EQ(sessions.size(), 2u);
  char host[256] = {};
  ASSERT_EQ(::gethostname(host, sizeof host - 1), 0);
  for (const auto& s : sessions) {
    const bool on_a = s.name == "client-a";
    EXPECT_EQ(s.receiver, on_a ? "host-a" : std::string(host)) << s.name;
    EXPECT_EQ(fs::path(s.archive_root), fs::absolute(on_a ? archive_a : archive_b)) << s.name;
    EXPECT_FALSE(s.recording());
    EXPECT_EQ(s.frame_count, kFrames) << s.name;
    // Rows equal files, each in its receiver's archive.
    for (const auto& f : reader->frames(s.id))
      EXPECT_TRUE(fs::exists(ArchivePaths(s.archive_root).session(s.folder) / f.file)) << s.name << " " << f.file;
  }

  // replay, from an archive holding neither session, finds both through the shared catalog.
  const fs::path elsewhere = dir / "elsewhere";
  fs::create_directories(elsewhere);
  const auto list = test::replay(elsewhere, {"--catalog", catalog, "list"});
  EXPECT_EQ(list.status, 0) << list.err;
  EXPECT_NE(list.out.find("client-a"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("client-b"), std::string::npos) << list.out;
  for (const auto& s : sessions) {
    const auto info = test::replay(elsewhere, {"info", std::to_string(s.id), "--catalog", catalog});
    EXPECT_EQ(info.status, 0) << info.err;
    EXPECT_NE(info.out.find(s.name), std::string::npos) << info.out;
    const fs::path png = dir / (s.name + ".png");
    const auto frame =
        test::replay(elsewhere, {"--catalog", catalog, "frame", std::to_string(s.id), "--at", "+0.2s", "-o", png.string()});
    EXPECT_EQ(frame.status, 0) << frame.err;
    EXPECT_GT(fs::exists(png) ? fs::file_size(png) : 0, 100u) << s.name;
  }
  // Without --catalog the same folder is no archive: the sessions came from PostgreSQL.
  EXPECT_NE(test::replay(elsewhere, {"list"}).status, 0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace screenreel

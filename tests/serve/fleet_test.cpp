// screenreel-replay serve on a catalog a fleet shares (--catalog, a real PostgreSQL from
// tests/support/postgres_server.hpp): a session recorded by a real receiver whose archive was
// then moved is listed, and its frames and export are served from where --archive-root NAME=PATH
// says that receiver's archive now is (session_archive_root, as every other command finds it).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <nlohmann/json.hpp>
#include <thread>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/catalog.hpp"
#include "serve_support.hpp"
#include "support/postgres_server.hpp"
#include "support/programs.hpp"

namespace screenreel::test {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

TEST(ServeFleet, AMovedReceiversSessionIsListedAndItsFramesAndExportServedThroughArchiveRoot) {
  if (const auto why = PostgresServer::unavailable(); !why.empty()) GTEST_SKIP() << why;
  const fs::path dir = fresh_temp_dir("serve-fleet");
  const std::string catalog = shared_postgres_server().create_database("serve_fleet_" + std::to_string(::getpid()));
  {
    auto receiver = start_receiver(dir / "a", {"--no-display", "--catalog", catalog, "--receiver-name", "host-a"});
    ASSERT_NE(receiver.port, 0);
    Process client({SCREENREEL_CAPTURE_BIN, "--connect", "127.0.0.1:" + std::to_string(receiver.port), "--source",
                    "test-pattern", "--size", "96x64", "--fps", "10", "--max-frames", "4", "--name", "fleet-client"});
    const auto rc = client.wait_for(60s);
    ASSERT_TRUE(rc && *rc == 0) << client.err();
    receiver.process->signal(SIGTERM);
    ASSERT_TRUE(receiver.process->wait_for(30s));
  }
  // The receiver's archive moves; the catalog still names its old folder.
  const fs::path moved = dir / "moved" / "a";
  fs::create_directories(moved.parent_path());
  fs::rename(dir / "a", moved);
  const auto sessions = open_catalog_reader(CatalogLocation::parse(catalog, "unused"))->sessions();
  ASSERT_EQ(sessions.size(), 1u);
  const SessionRecord s = sessions.front();
  const std::string id = std::to_string(s.id);
  const fs::path elsewhere = dir / "elsewhere";  // no archive of its own
  fs::create_directories(elsewhere);

  const auto served = start_serve(elsewhere, {"--catalog", catalog, "--archive-root", "host-a=" + moved.string()});
  ASSERT_NE(served.port, 0);
  const HttpAnswer list = http_get(served.port, "/api/sessions");
  ASSERT_EQ(list.status, 200) << list.body;
  const json j = json::parse(list.body);
  ASSERT_EQ(j["total"], 1) << list.body;
  EXPECT_EQ(j["sessions"][0]["name"], "fleet-client");
  EXPECT_EQ(j["sessions"][0]["frames"], 4) << list.body;
  for (std::uint64_t seq = 1; seq <= 4; ++seq) {
    const HttpAnswer frame = http_get(served.port, "/api/frames/" + id + "/" + std::to_string(seq) + ".jpg");
    EXPECT_EQ(frame.status, 200) << frame.body;
    EXPECT_EQ(frame.body, read_file(ArchivePaths(moved).session(s.folder) / frame_file_name(seq))) << seq;
  }
  // The export reads the same catalog and the same folder.
  const HttpAnswer started = http_post(served.port, "/api/sessions/" + id + "/export?scale=100");
  ASSERT_EQ(started.status, 202) << started.body;
  const std::string status = json::parse(started.body)["status"];
  json job;
  for (const auto until = std::chrono::steady_clock::now() + 60s; std::chrono::steady_clock::now() < until;
       std::this_thread::sleep_for(100ms)) {
    job = json::parse(http_get(served.port, status).body);
    if (job["state"] != "running") break;
  }
  EXPECT_EQ(job["state"], "done") << job.dump() << served.process->err();

  // Without the mapping the folder the catalog names is gone: listed, but no frame.
  const auto unmapped = start_serve(elsewhere, {"--catalog", catalog});
  ASSERT_NE(unmapped.port, 0);
  EXPECT_EQ(http_get(unmapped.port, "/api/sessions").status, 200);
  EXPECT_EQ(http_get(unmapped.port, "/api/frames/" + id + "/1.jpg").status, 404);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace screenreel::test

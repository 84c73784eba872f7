// Load: 50 real capture clients (64x48 test pattern, 10 fps) record into one receiver at once,
// for LOAD_SECONDS (default 60, what CI runs). Every session must be complete (its frame_count
// is the client's "N frames sent", frames numbered 1..N with a file each), and the receiver must
// stay flat: its file descriptors, threads and resident memory at the end are those of a few
// seconds in, within the margins below, and its descriptors and threads return to where they
// were before the clients came once they are gone.
//
//   LOAD_SECONDS=300 LOAD_CLIENTS=100 build/bin/load_test    # longer or wider
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/session_files.hpp"
#include "security_support.hpp"

namespace screenreel {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::env_int;

std::string describe(const test::ProcessUsage& u) {
  return std::to_string(u.fds) + " fds, " + std::to_string(u.threads) + " threads, " +
         std::to_string(u.rss_kib / 1024) + " MiB resident";
}

// Margins. Descriptors: exactly one socket per client, so none may be added while the same
// clients stay connected (2 spare for a catalog journal or WAL file being reopened). Threads:
// fixed at start (network, encoders, catalog, terminal), none more. Memory: the catalog grows
// (SQLite's page cache, up to its 2 MiB default, and the WAL), so the end may be up to 16 MiB or
// 25% (whichever is larger) over the early sample; a leak of a frame buffer per frame (12 KiB x
// 500 frames a second) passes that within a few seconds.
constexpr int kSpareFds = 2;
constexpr long kRssSlackKib = 16 * 1024;

TEST(Load, FiftyClientsRecordAtOnceAndTheReceiverStaysFlat) {
  const int seconds = std::max(10, env_int("LOAD_SECONDS", 60));
  const int count = std::max(1, env_int("LOAD_CLIENTS", 50));
  const fs::path archive = test::fresh_temp_dir("screenreel-load");
  test::ReceiverProcess receiver(archive);
  ASSERT_TRUE(receiver.started()) << receiver.err();
  const auto idle = test::process_usage(receiver.pid());

  std::vector<std::unique_ptr<test::Process>> clients;
  for (int i = 0; i < count; ++i)
    clients.push_back(test::start_pattern_client(
        receiver.port(), "load-" + std::to_string(i),
        {"--size", "64x48", "--fps", "10", "--duration", std::to_string(seconds)}));
  const auto started = std::chrono::steady_clock::now();

  // Every client has its session, then a few seconds to settle: the early sample.
  for (;;) {
    const auto sessions = test::read_sessions(archive);
    if (static_cast<int>(std::count_if(sessions.begin(), sessions.end(),
                                       [](const auto& s) { return s.recording(); })) == count)
      break;
    ASSERT_LT(std::chrono::steady_clock::now() - started, 30s) << "not every client got a session\n"
                                                               << receiver.err();
    std::this_thread::sleep_for(200ms);
  }
  std::this_thread::sleep_for(5s);
  const auto early = test::process_usage(receiver.pid());
  const auto early_at = std::chrono::steady_clock::now() - started;

  // The late sample, while every client still records (they stop at `seconds`).
  test::ProcessUsage peak = early;
  while (std::chrono::steady_clock::now() - started < std::chrono::seconds(seconds) - 3s) {
    std::this_thread::sleep_for(1s);
    const auto u = test::process_usage(receiver.pid());
    peak.fds = std::max(peak.fds, u.fds);
    peak.threads = std::max(peak.threads, u.threads);
    peak.rss_kib = std::max(peak.rss_kib, u.rss_kib);
  }
  const auto late = test::process_usage(receiver.pid());
  std::cerr << "[          ] idle: " << describe(idle) << "\n[          ] early ("
            << std::chrono::duration_cast<std::chrono::seconds>(early_at).count()
            << " s): " << describe(early) << "\n[          ] late (" << seconds - 3
            << " s): " << describe(late) << "\n[          ] peak: " << describe(peak) << "\n";

  std::map<std::string, std::int64_t> sent;
  for (int i = 0; i < count; ++i) {
    auto& c = *clients[static_cast<std::size_t>(i)];
    const auto rc = c.wait_for(60s);
    ASSERT_TRUE(rc) << "client " << i << " still running";
    EXPECT_EQ(*rc, 0) << "client " << i << ": " << c.err();
    const auto n = test::frames_sent(c.out());
    EXPECT_GT(n, seconds * 10 / 2) << "client " << i << " sent too little: " << c.out();
    EXPECT_NE(c.out().find("receiver stored " + std::to_string(n)), std::string::npos) << c.out();
    sent["load-" + std::to_string(i)] = n;
  }
  // Connections closed: descriptors and threads back to where they were before the clients.
  test::ProcessUsage after;
  const auto until = std::chrono::steady_clock::now() + 10s;
  do {
    std::this_thread::sleep_for(200ms);
    after = test::process_usage(receiver.pid());
  } while (after.fds > idle.fds && std::chrono::steady_clock::now() < until);
  std::cerr << "[          ] after the clients: " << describe(after) << "\n";

  EXPECT_LE(late.fds, early.fds + kSpareFds) << "descriptors grew while the same clients recorded";
  EXPECT_LE(late.threads, early.threads) << "threads grew while the same clients recorded";
  EXPECT_LE(late.rss_kib, early.rss_kib + std::max(kRssSlackKib, early.rss_kib / 4))
      << "resident memory grew";
  EXPECT_LE(after.fds, idle.fds + kSpareFds) << "descriptors not released after the clients left";
  EXPECT_EQ(after.threads, idle.threads) << "threads not released after the clients left";

  EXPECT_EQ(receiver.stop().value_or(-1), 0) << receiver.err();

  // Every session complete and contiguous, with a file per frame.
  const auto sessions = test::read_sessions(archive);
  ASSERT_EQ(static_cast<int>(sessions.size()), count);
  std::int64_t total = 0;
  for (const auto& s : sessions) {
    SCOPED_TRACE(s.name);
    ASSERT_TRUE(sent.count(s.name));
    EXPECT_EQ(s.end_reason, "client") << s.error;
    EXPECT_EQ(s.frame_count, sent[s.name]);
    const auto rows = test::read_frames(archive, s.id);
    ASSERT_EQ(static_cast<std::int64_t>(rows.size()), sent[s.name]);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      ASSERT_EQ(rows[i].seq, static_cast<std::int64_t>(i + 1)) << "frame numbers not contiguous";
      if (i > 0) {
        ASSERT_GT(rows[i].tick, rows[i - 1].tick);
      }
    }
    const auto files = list_session_files(ArchivePaths(archive).session(s.folder));
    EXPECT_EQ(static_cast<std::int64_t>(files.frames.size()), sent[s.name]);
    EXPECT_TRUE(files.temporary.empty() && files.other.empty());
    total += s.frame_count;
  }
  std::cerr << "[          ] " << count << " sessions, " << total << " frames in " << seconds
            << " s\n";
  const auto problems = test::check_frame_files(archive);
  EXPECT_TRUE(problems.empty()) << problems.front();
  EXPECT_EQ(test::integrity_check(archive), "ok");
  if (!HasFailure()) fs::remove_all(archive);
}

}  // namespace
}  // namespace screenreel

// Crash safety: the receiver is killed with SIGKILL at random moments while a real capture client
// records into it (320x240 test pattern at 30 fps), 50 times into one archive. After every kill
// the catalog passes PRAGMA integrity_check and every row, and every file under a frame name, is
// a complete JPEG; at the end `screenreel-replay recover` and then `verify` both succeed.
//
// SCREENREEL_CRASH_ROUNDS=N changes the number of kills; SCREENREEL_CRASH_SEED=S replays the
// moments of a failed run (the seed is printed).
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/session_files.hpp"
#include "security_support.hpp"

namespace screenreel {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::env_int;

// Runs screenreel-replay --archive DIR ARGS...; returns its exit status and prints its output
// on failure.
int replay(const fs::path& archive, const std::vector<std::string>& args, std::string* output) {
  std::vector<std::string> argv = {SCREENREEL_REPLAY_BIN, "--archive", archive.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  test::Process p(argv);
  const auto rc = p.wait_for(120s);
  *output = p.out() + p.err();
  return rc.value_or(-1);
}

TEST(CrashSafety, ReceiverKilledAtRandomMomentsKeepsACatalogThatRecoversAndVerifies) {
  const int rounds = env_int("SCREENREEL_CRASH_ROUNDS", 50);
  const unsigned seed = static_cast<unsigned>(
      env_int("SCREENREEL_CRASH_SEED", static_cast<int>(std::random_device{}() & 0x7fffffff)));
  std::cerr << "[          ] SCREENREEL_CRASH_SEED=" << seed << "\n";
  std::mt19937 rng(seed);
  const fs::path archive = test::fresh_temp_dir("screenreel-crash");

  int killed_while_recording = 0;
  std::int64_t rows_total = 0;
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round) + " (seed " + std::to_string(seed) + ")");
    test::ReceiverProcess receiver(archive);
    ASSERT_TRUE(receiver.started()) << receiver.err();
    auto client = test::start_pattern_client(receiver.port(), "crash-" + std::to_string(round),
                                             {"--size", "320x240", "--fps", "30", "--no-reconnect"});
    // Mostly while frames stream in (the JPEG being written, a batch being committed); one round
    // in eight before the session is fully set up (HELLO, catalog row, folder).
    const bool early = rng() % 8 == 0;
    const auto delay = std::chrono::milliseconds(early ? rng() % 60 : 100 + rng() % 1400);
    std::this_thread::sleep_for(delay);
    receiver.process().signal(SIGKILL);
    ASSERT_EQ(receiver.process().wait_for(10s).value_or(-1), 128 + SIGKILL);
    ASSERT_TRUE(client->wait_for(30s)) << "the client did not notice the receiver died\n"
                                       << client->err();

    // The state a crash leaves, before any repair.
    ASSERT_EQ(test::integrity_check(archive), "ok");
    const auto sessions = test::read_sessions(archive);
    if (sessions.empty() || sessions.back().name != "crash-" + std::to_string(round))
      continue;  // killed before HELLO
    const auto& s = sessions.back();
    EXPECT_TRUE(s.recording()) << "a killed receiver cannot have ended the session";
    const auto rows = test::read_frames(archive, s.id);
    if (!rows.empty()) ++killed_while_recording;
    rows_total += static_cast<std::int64_t>(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i)
      EXPECT_EQ(rows[i].seq, static_cast<std::int64_t>(i + 1)) << "rows without gaps";
    const auto problems = test::check_frame_files(archive, s.id);
    EXPECT_TRUE(problems.empty()) << problems.size() << " problems, first: " << problems.front();
    if (HasFailure()) break;
  }
  std::cerr << "[          ] " << rounds << " kills, " << killed_while_recording
            << " with frames in the catalog, " << rows_total << " rows\n";
  EXPECT_GE(killed_while_recording, rounds / 2) << "most kills should hit a running recording";

  std::string out;
  EXPECT_NE(replay(archive, {"verify", "--quiet"}, &out), 0)
      << "verify should see the crashed sessions\n"
      << out;
  ASSERT_EQ(replay(archive, {"recover"}, &out), 0) << out;
  ASSERT_EQ(replay(archive, {"verify"}, &out), 0) << out;
  // Recover is idempotent, and the recovered archive is what the checks above expect.
  EXPECT_EQ(replay(archive, {"recover"}, &out), 0) << out;
  EXPECT_EQ(test::integrity_check(archive), "ok");
  for (const auto& s : test::read_sessions(archive)) {
    EXPECT_FALSE(s.recording()) << s.name;
    const auto rows = test::read_frames(archive, s.id);
    EXPECT_EQ(s.frame_count, static_cast<std::int64_t>(rows.size())) << s.name;
    for (std::size_t i = 0; i < rows.size(); ++i)
      EXPECT_EQ(rows[i].seq, static_cast<std::int64_t>(i + 1))
          << s.name << ": frame numbers with a gap after recover";
    const fs::path dir = ArchivePaths(archive).session(s.folder);
    if (fs::is_directory(dir)) {
      EXPECT_TRUE(list_session_files(dir).temporary.empty()) << s.folder;
    }
  }
  const auto problems = test::check_frame_files(archive);
  EXPECT_TRUE(problems.empty()) << problems.front();
  if (!HasFailure()) fs::remove_all(archive);
}

}  // namespace
}  // namespace screenreel

// Retention (issue 18): the receiver deletes whole ended sessions, oldest first, when the archive
// passes --max-archive-gb, never the one recording nor one kept; each deletion is recorded and
// crash-safe (a deletion a crash interrupted is finished by recover); prune --dry-run shows what
// the limits would delete and deletes nothing.
#include <gtest/gtest.h>

#include <thread>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/retention.hpp"
#include "screenreel/archive/sqlite_catalog.hpp"
#include "screenreel/archive/sqlite.hpp"
#include "security_support.hpp"

namespace screenreel {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

using test::replay;

void record(const std::string& port, const std::string& name, int frames) {
  auto c = test::start_pattern_client(port, name, {"--size", "320x240", "--fps", "30", "--max-frames", std::to_string(frames)});
  ASSERT_EQ(c->wait_for(30s).value_or(-1), 0) << c->err();
}

SessionRecord ended(std::int64_t id, std::int64_t ended_us, std::int64_t bytes, bool keep = false) {
  SessionRecord s;
  s.id = id;
  s.started_us = ended_us - 1000;
  s.ended_us = ended_us;
  s.end_reason = "client";
  s.bytes = bytes;
  s.keep = keep;
  return s;
}

TEST(RetentionRules, OldestFirstNeverKeptNorRecordingNorLive) {
  const std::int64_t day = 86'400'000'000;
  const std::int64_t now = 100 * day;
  std::vector<SessionRecord> s = {ended(1, now - 40 * day, 10), ended(2, now - 35 * day, 10, true),
                                  ended(3, now - 31 * day, 10), ended(4, now - 1 * day, 10), ended(5, now, 10)};
  s.push_back(ended(6, now, 10));
  s.back().ended_us.reset();  // recording
  RetentionLimits days;
  days.keep_days = 30;
  auto picks = sessions_to_prune(s, days, now, {3});
  ASSERT_EQ(picks.size(), 1u);
  EXPECT_EQ(picks[0].session.id, 1);
  EXPECT_EQ(picks[0].reason, "keep-days 30");
  RetentionLimits size;
  size.max_archive_gb = 25e-9;  // 25 bytes: the 60 there are must lose the oldest deletable
  picks = sessions_to_prune(s, size, now);
  ASSERT_EQ(picks.size(), 4u);
  EXPECT_EQ(picks[0].session.id, 1);
  EXPECT_EQ(picks[1].session.id, 3);  // 2 is kept
  EXPECT_EQ(picks[2].session.id, 4);
  EXPECT_EQ(picks[3].session.id, 5);  // 6 is recording
  EXPECT_EQ(picks[0].reason, "max-archive-gb 2.5e-08");
}

TEST(Retention, TheReceiverDeletesTheOldestEndedSessionsNeverTheLiveOrAKeptOne) {
  const fs::path archive = test::fresh_temp_dir("screenreel-retention");
  test::ReceiverProcess receiver(archive, {"--max-archive-gb", "0.0008"});
  ASSERT_TRUE(receiver.started()) << receiver.err();
  record(receiver.port(), "kept", 20);
  const auto kept = test::read_sessions(archive).at(0);
  ASSERT_EQ(replay(archive, {"keep", "kept"}).status, 0);
  ASSERT_GT(kept.bytes, 0);
  auto live = test::start_pattern_client(receiver.port(), "live", {"--size", "320x240", "--fps", "10", "--duration", "12"});
  for (int i = 0; i < 8; ++i) record(receiver.port(), "old-" + std::to_string(i), 20);
  ASSERT_EQ(live->wait_for(60s).value_or(-1), 0) << live->err();
  std::this_thread::sleep_for(3s);  // one more retention pass after the last session ended
  ASSERT_EQ(receiver.stop().value_or(-1), 0) << receiver.err();
  EXPECT_NE(receiver.err().find("retention (max-archive-gb 0.0008): deleted session"), std::string::npos)
      << receiver.err();

  const auto sessions = test::read_sessions(archive);
  std::int64_t total = 0;
  bool have_kept = false, have_live = false;
  for (const auto& s : sessions) {
    total += s.bytes;
    have_kept |= s.name == "kept";
    have_live |= s.name == "live" && s.frame_count == test::frames_sent(live->out());
  }
  EXPECT_TRUE(have_kept);
  // The live session was never deleted while it recorded: still here with every frame, or deleted
  // (it is the oldest deletable one once it ended) only after its end, with every frame.
  if (!have_live) {
    SqliteCatalog catalog(ArchivePaths(archive).catalog(), SqliteCatalog::Mode::kReadOnly);
    for (const auto& d : catalog.deletions())
      if (d.name == "live") {
        have_live = d.ended_us && *d.ended_us <= d.deleted_us && d.frames == test::frames_sent(live->out());
        EXPECT_TRUE(have_live) << "deleted at " << d.deleted_us << ", ended " << d.ended_us.value_or(-1);
      }
  }
  EXPECT_TRUE(have_live) << live->out();
  EXPECT_LT(sessions.size(), 10u);
  // What is left of the deletable ones fits: only the kept and the live one may go over.
  std::int64_t deletable = 0;
  for (const auto& s : sessions)
    if (s.name != "kept" && s.name != "live") deletable += s.bytes;
  EXPECT_LE(deletable, 800'000 + 0) << "total " << total;
  // Every deletion recorded, its folder gone; rows equal files for the rest.
  const auto deleted = replay(archive, {"list", "--deleted"});
  EXPECT_EQ(deleted.status, 0) << deleted.err;
  EXPECT_NE(deleted.out.find("max-archive-gb 0.0008"), std::string::npos) << deleted.out;
  EXPECT_NE(deleted.out.find("old-0"), std::string::npos) << deleted.out;
  for (const auto& e : fs::directory_iterator(archive / "sessions")) {
    bool named = false;
    for (const auto& s : sessions) named |= s.folder == e.path().filename().string();
    EXPECT_TRUE(named) << "a deleted session's folder is left: " << e.path();
  }
  EXPECT_TRUE(test::check_frame_files(archive).empty());
  EXPECT_EQ(replay(archive, {"verify"}).status, 0);
  if (!HasFailure()) fs::remove_all(archive);
}

TEST(Retention, ADeletionACrashInterruptedIsFinishedByRecoverAndPruneDryRunDeletesNothing) {
  const fs::path archive = test::fresh_temp_dir("screenreel-retention-crash");
  {
    test::ReceiverProcess receiver(archive);
    ASSERT_TRUE(receiver.started()) << receiver.err();
    for (const char* name : {"first", "second", "third"}) record(receiver.port(), name, 10);
    ASSERT_EQ(receiver.stop().value_or(-1), 0) << receiver.err();
  }
  const auto sessions = test::read_sessions(archive);
  ASSERT_EQ(sessions.size(), 3u);
  // What a SIGKILL between the steps leaves: the catalog says deleting, half the files are gone.
  {
    SqliteCatalog catalog(ArchivePaths(archive).catalog(), SqliteCatalog::Mode::kReadWrite);
    catalog.mark_deleting(sessions[0].id, "max-archive-gb 1", 1);
  }
  const fs::path half = ArchivePaths(archive).session(sessions[0].folder);
  for (int n = 1; n <= 5; ++n) fs::remove(half / frame_file_name(static_cast<std::uint64_t>(n)));
  EXPECT_EQ(replay(archive, {"verify"}).status, 1);
  const auto recovered = replay(archive, {"recover"});
  EXPECT_EQ(recovered.status, 0) << recovered.err;
  EXPECT_NE(recovered.out.find("finished its interrupted deletion"), std::string::npos) << recovered.out;
  EXPECT_FALSE(fs::exists(half));
  EXPECT_EQ(test::read_sessions(archive).size(), 2u);
  EXPECT_EQ(replay(archive, {"verify"}).status, 0);

  const auto dry = replay(archive, {"prune", "--max-archive-gb", "1e-9", "--dry-run"});
  EXPECT_EQ(dry.status, 0) << dry.err;
  EXPECT_NE(dry.out.find("would delete session " + std::to_string(sessions[1].id)), std::string::npos) << dry.out;
  EXPECT_EQ(test::read_sessions(archive).size(), 2u);
  const auto pruned = replay(archive, {"prune", "--max-archive-gb", "1e-9"});
  EXPECT_EQ(pruned.status, 0) << pruned.err;
  EXPECT_TRUE(test::read_sessions(archive).empty());
  EXPECT_EQ(replay(archive, {"verify"}).status, 0);
  if (!HasFailure()) fs::remove_all(archive);
}

}  // namespace
}  // namespace screenreel

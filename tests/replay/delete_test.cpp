// `delete`: asks first (y/N on stdin) unless --yes, then removes the rows and the folder; a
// session a running receiver may be recording is refused.
#include <gtest/gtest.h>

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <vector>

#include "archive_fixture.hpp"
#include "support/process.hpp"

namespace screenreel {
namespace {
namespace fs = std::filesystem;
using test::FixtureArchive;

std::int64_t frame_rows(SqliteCatalog& c, std::int64_t session) {
  auto q = c.db().prepare("SELECT count(*) FROM frames WHERE session_id = ?");
  q.bind(1, session);
  q.step();
  return q.int64(0);
}

TEST(ReplayDelete, AsksAndDoesNothingUnlessTheAnswerIsYes) {
  FixtureArchive archive;
  const auto s = archive.record("keep", test::evenly(3, 100'000));
  for (const char* answer : {"n\n", "\n", "whatever\n"}) {
    const auto r = test::replay(archive.root(), {"delete", "keep"}, answer);
    EXPECT_EQ(r.status, 1) << answer;
    EXPECT_NE(r.err.find("delete session 1 \"keep\" (3 frames, "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("? [y/N] not deleted"), std::string::npos) << r.err;
  }
  EXPECT_TRUE(archive.catalog().session(s.id).has_value());
  EXPECT_TRUE(fs::exists(archive.frame_file(s, 1)));
}

TEST(ReplayDelete, RemovesRowsAndFolderOnYes) {
  FixtureArchive archive;
  const auto gone = archive.record("gone", test::evenly(3, 100'000));
  const auto kept = archive.record("kept", test::evenly(2, 100'000));
  const auto r = test::replay(archive.root(), {"delete", "gone"}, "y\n");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_FALSE(archive.catalog().session(gone.id).has_value());
  EXPECT_EQ(frame_rows(archive.catalog(), gone.id), 0);
  EXPECT_FALSE(fs::exists(archive.paths().session(gone.folder)));
  EXPECT_EQ(frame_rows(archive.catalog(), kept.id), 2);

  const auto yes = test::replay(archive.root(), {"delete", std::to_string(kept.id), "--yes"});
  ASSERT_EQ(yes.status, 0) << yes.err;
  EXPECT_FALSE(fs::exists(archive.paths().session(kept.folder)));
  EXPECT_EQ(test::replay(archive.root(), {"verify"}).out,
            "ok: 0 sessions, 0 frames checked, 0 problems\n");
  // Both deletions are recorded, with why (list --deleted).
  const auto deleted = test::replay(archive.root(), {"list", "--deleted", "--json"});
  ASSERT_EQ(deleted.status, 0) << deleted.err;
  EXPECT_NE(deleted.out.find("\"name\":\"gone\""), std::string::npos) << deleted.out;
  EXPECT_NE(deleted.out.find("\"name\":\"kept\""), std::string::npos) << deleted.out;
  EXPECT_NE(deleted.out.find("\"reason\":\"delete\""), std::string::npos) << deleted.out;
}

TEST(ReplayDelete, RefusesASessionThatMayBeRecording) {
  FixtureArchive archive;
  const auto live = archive.record("live", test::evenly(3, 100'000), "");
  {
    ArchiveLock receiver(archive.paths());
    const auto r = test::replay(archive.root(), {"delete", "live", "--yes"});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("is marked recording and a screenreel-receiver is writing to this "
                         "archive; nothing deleted"),
              std::string::npos)
        << r.err;
    EXPECT_TRUE(fs::exists(archive.frame_file(live, 3)));
  }
  // No receiver any more: a session left recording can go.
  const auto r = test::replay(archive.root(), {"delete", "live", "--yes"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_FALSE(fs::exists(archive.paths().session(live.folder)));
}

TEST(ReplayDelete, NeverLeavesTheArchiveForADoctoredFolderName) {
  FixtureArchive archive;
  const auto s = archive.record("evil", test::evenly(1, 100'000));
  archive.catalog()
      .db()
      .prepare("UPDATE sessions SET folder = '..' WHERE id = ?")
      .bind(1, s.id)
      .run();
  const auto r = test::replay(archive.root(), {"delete", "evil", "--yes"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("not a plain folder name; nothing deleted"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(archive.paths().catalog()));
  EXPECT_TRUE(archive.catalog().session(s.id).has_value());
}

// The question waits; meanwhile a receiver starts and resumes the session. The answer "y" must
// not delete a live session: its status is read again at the moment of deletion (issue 24.3;
// before, the status read before the question decided and the live session was deleted).
TEST(ReplayDelete, ASessionResumedWhileTheQuestionWaitsIsNotDeleted) {
  FixtureArchive archive;
  const auto s = archive.record("resumes", test::evenly(3, 100'000));
  test::Process p({SCREENREEL_REPLAY_BIN, "--archive", archive.root().string(), "delete",
                   "resumes"},
                  {{"TZ", "UTC"}});
  ASSERT_TRUE(p.wait_for_stderr("[y/N]", std::chrono::seconds(30))) << p.err();
  ArchiveLock receiver(archive.paths());  // a receiver starts ...
  archive.catalog().reopen_session(s.id);  // ... and resumes the session
  p.write_stdin("y\n");
  const auto status = p.wait_for(std::chrono::seconds(60));
  EXPECT_EQ(status.value_or(-1), 1) << p.err();
  EXPECT_NE(p.err().find("is marked recording and a screenreel-receiver is writing"),
            std::string::npos)
      << p.err();
  EXPECT_TRUE(archive.catalog().session(s.id).has_value());
  EXPECT_TRUE(fs::exists(archive.frame_file(s, 3)));
}

// On a full disk SQLite has no room for its write-ahead log; delete removes the session's files
// first to make room, then its rows (issue 24.9; before, it failed with "database or disk is
// full" and freed nothing). The archive is copied onto a small tmpfs that is then filled.
TEST(ReplayDelete, FreesSpaceOnAFullDisk) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a small tmpfs";
  FixtureArchive archive;
  const auto gone = archive.record("gone", test::evenly(20, 100'000));
  const auto kept = archive.record("kept", test::evenly(2, 100'000));
  archive.catalog().db().exec("PRAGMA wal_checkpoint(TRUNCATE)");
  const fs::path mnt = archive.root().parent_path() / (archive.root().filename().string() + "-tmpfs");
  fs::create_directories(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=4M,mode=0755") != 0)
    GTEST_SKIP() << "cannot mount a tmpfs: " << std::strerror(errno);
  const fs::path copy = mnt / "archive";
  fs::copy(archive.root(), copy, fs::copy_options::recursive);
  fs::remove(copy / ".receiver.lock");
  {  // fill the disk to the last byte
    std::ofstream filler(mnt / "filler", std::ios::binary);
    const std::vector<char> block(4096, 'x');
    while (filler.write(block.data(), block.size())) filler.flush();
  }
  const auto r = test::replay(copy, {"delete", "gone", "--yes"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_FALSE(fs::exists(copy / "sessions" / gone.folder));
  fs::remove(mnt / "filler");
  EXPECT_EQ(test::replay(copy, {"verify"}).out, "ok: 1 sessions, 2 frames checked, 0 problems\n");
  EXPECT_TRUE(fs::exists(copy / "sessions" / kept.folder));
  ::umount2(mnt.c_str(), MNT_DETACH);
  fs::remove(mnt);
}

}  // namespace
}  // namespace screenreel

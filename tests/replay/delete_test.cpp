// `delete`: asks first (y/N on stdin) unless --yes, then removes the rows and the folder; a
// session a running receiver may be recording is refused.
#include <gtest/gtest.h>

#include "archive_fixture.hpp"

namespace screenreel {
namespace {
namespace fs = std::filesystem;
using test::FixtureArchive;

std::int64_t frame_rows(Catalog& c, std::int64_t session) {
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

}  // namespace
}  // namespace screenreel

// `list` and `info` on an archive whose contents the test knows exactly.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "archive_fixture.hpp"
#include "screenreel/replay/text.hpp"

namespace screenreel {
namespace {
using test::FixtureArchive;
using test::FixtureFrame;

class ReplayListInfo : public ::testing::Test {
 protected:
  void SetUp() override {
    // 11 frames 100 ms apart (a 10 fps session) then one 2.5 s later: intervals 100 ms x 10, 2500
    // ms.
    auto frames = test::evenly(11, 100'000);
    frames.push_back({3'500'000, 40});  // ticks 12..39 not sent
    standup = archive.record("standup", frames, "client", 3);
    archive.record("standup-2", test::evenly(4, 50'000), "receiver");
    archive.record("crashy", test::evenly(2, 100'000), "");  // left recording, no receiver running
  }
  FixtureArchive archive;
  SessionRecord standup;
};

TEST_F(ReplayListInfo, ListShowsOneRowPerSession) {
  const auto r = test::replay(archive.root(), {"list"});
  ASSERT_EQ(r.status, 0) << r.err;
  // Sizes depend on the JPEG encoder; the column is right-aligned to the widest.
  std::vector<std::string> size;
  for (std::int64_t id = 1; id <= 3; ++id)
    size.push_back(format_bytes(archive.catalog().session(id)->bytes));
  ASSERT_EQ(size[0].size(), 7u) << "the expected table assumes sizes like 12.3 kB";
  const auto pad = [](const std::string& s) { return std::string(7 - s.size(), ' ') + s; };
  EXPECT_EQ(
      r.out,
      "id  name       started                    duration      frames   fps     size  status\n"
      "--  ---------  -------------------------  ------------  ------  ----  -------  "
      "-----------------\n"
      " 1  standup    2025-11-24 16:00:00 +0000  00:00:04.060      12   3.1  " +
          pad(size[0]) +
          "  ended by client\n"
          " 2  standup-2  2025-11-24 16:00:00 +0000  00:00:00.710       4  20.0  " +
          pad(size[1]) +
          "  ended by receiver\n"
          " 3  crashy     2025-11-24 16:00:00 +0000  00:00:00.610       2  10.0  " +
          pad(size[2]) +
          "  interrupted\n"
          "\n"
          "interrupted: left recording by a receiver that is no longer running; `screenreel-replay "
          "recover` "
          "closes them\n");
}

TEST_F(ReplayListInfo, ListJsonParses) {
  const auto r = test::replay(archive.root(), {"list", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(
      test::python_json(
          r.out,
          "len(d), [s[\"id\"] for s in d], d[0][\"name\"], d[0][\"frames\"], "
          "d[0][\"status\"], d[0][\"end_reason\"], d[0][\"duration_s\"], d[0][\"dropped\"], "
          "d[2][\"status\"], d[2][\"end_reason\"], d[2][\"ended_us\"], d[1][\"average_fps\"], "
          "d[0][\"started\"]"),
      "(3, [1, 2, 3], 'standup', 12, 'ended by client', 'client', 4.06, 3, 'interrupted', None, "
      "None, 20.0, "
      "'2025-11-24T16:00:00.000Z')");
}

TEST_F(ReplayListInfo, InfoGivesIntervalStatisticsAndDroppedCounts) {
  const auto r = test::replay(archive.root(), {"info", "1"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto has = [&](const std::string& s) { return r.out.find(s) != std::string::npos; };
  EXPECT_TRUE(has("session       1  \"standup\"\n")) << r.out;
  EXPECT_TRUE(has("status        ended by client\n")) << r.out;
  EXPECT_TRUE(has("frames        12, the last one 00:00:03.500 after the first\n")) << r.out;
  EXPECT_TRUE(has("intervals     min 100.0 ms, median 100.0 ms, max 2500.0 ms (mean 318.2 ms)\n"))
      << r.out;
  EXPECT_TRUE(
      has("dropped       3 ticks reported dropped by the client; 28 ticks not sent between stored "
          "frames"))
      << r.out;
  EXPECT_TRUE(has("on disk       12 files, ")) << r.out;
}

TEST_F(ReplayListInfo, InfoJsonParses) {
  const auto r = test::replay(archive.root(), {"info", "stand", "--json"});  // a prefix of 2
  EXPECT_EQ(r.status, 1) << "an ambiguous prefix must not pick one: " << r.out;
  EXPECT_NE(r.err.find("ambiguous"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("\n  2  standup-2  started"), std::string::npos) << r.err;

  // "standup" is also the start of "standup-2", but the whole name of session 1: that one.
  const auto exact = test::replay(archive.root(), {"info", "standup", "--json"});
  ASSERT_EQ(exact.status, 0) << exact.err;
  const auto j = test::replay(archive.root(), {"info", "1", "--json"});
  ASSERT_EQ(j.status, 0) << j.err;
  EXPECT_EQ(exact.out, j.out);
  EXPECT_EQ(
      test::python_json(j.out,
                        "d[\"id\"], d[\"interval\"][\"min_us\"], d[\"interval\"][\"median_us\"], "
                        "d[\"interval\"][\"max_us\"], d[\"ticks_not_sent\"], d[\"dropped\"], "
                        "d[\"folder_on_disk\"][\"files\"], d[\"width\"], "
                        "d[\"capture_to_written\"][\"median_us\"]"),
      "(1, 100000, 100000, 2500000, 28, 3, 12, 160, 10000)");
}

// The activity summary: frames that changed the screen (a repeat changes nothing) and the
// busiest minute, from the catalog's activity per frame.
TEST_F(ReplayListInfo, InfoSummarizesTheActivity) {
  // 200 frames a second apart: in the first minute every frame changes the screen, after it
  // only the first frame of each ten (the other nine repeat it).
  auto frames = test::evenly(200, 1'000'000);
  for (std::size_t i = 60; i < frames.size(); ++i)
    if (i % 10 != 0) frames[i].repeats = static_cast<std::int64_t>(i - i % 10 + 1);
  const SessionRecord s = archive.record("typing", frames);
  // Changed: 60 in the first minute, then 14 (indexes 60, 70, ..., 190).
  const auto r = test::replay(archive.root(), {"info", std::to_string(s.id)});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("\nactivity      74 of 200 frames changed the screen (37.0%); busiest minute from 00:00:00.000: "
                       "60 frames, 360 tiles changed\n"),
            std::string::npos)
      << r.out;
  const auto j = test::replay(archive.root(), {"info", std::to_string(s.id), "--json"});
  ASSERT_EQ(j.status, 0) << j.err;
  EXPECT_EQ(test::python_json(j.out, "d[\"activity\"][\"frames\"], d[\"activity\"][\"changed_frames\"], "
                                     "d[\"activity\"][\"busiest_minute\"][\"offset_us\"], "
                                     "d[\"activity\"][\"busiest_minute\"][\"changed_frames\"], "
                                     "d[\"activity\"][\"unmeasured_frames\"]"),
            "(200, 74, 0, 60, 0)");
}

TEST_F(ReplayListInfo, SessionByUniqueNamePrefix) {
  const auto r = test::replay(archive.root(), {"info", "cr"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("session       3  \"crashy\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("status        interrupted"), std::string::npos) << r.out;
}

// An archive another user may read but not write (issue 24.5): SQLite's WAL mode wants to create
// catalog.db-shm beside the catalog, which a reader without write access to the folder cannot.
// Root's permissions stop nothing, so replay runs as nobody on a world-readable copy.
class ReplayReadOnlyArchive : public ReplayListInfo {
 protected:
  static constexpr int kNobody = 65534;
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to run screenreel-replay as another user (setpriv)";
    ReplayListInfo::SetUp();
    copy = std::filesystem::temp_directory_path() /
           ("screenreel-readonly-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(copy);
  }
  void TearDown() override {
    if (!copy.empty()) std::filesystem::remove_all(copy);
  }
  // Copies the archive (owned by root, files 0644, the folder 0755), lets `adjust` change the
  // copy, then checks that nobody's `list` and `info 1` print what root's print on the original.
  template <typename Adjust>
  void expect_nobody_reads_a_copy(Adjust adjust) {
    namespace fs = std::filesystem;
    fs::copy(archive.root(), copy, fs::copy_options::recursive);
    adjust();
    fs::permissions(copy, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
    for (const auto& args : {std::vector<std::string>{"list"}, std::vector<std::string>{"info", "1"}}) {
      const auto want = test::replay(archive.root(), args);
      ASSERT_EQ(want.status, 0) << want.err;
      const auto got = test::replay_as(kNobody, copy, args);
      EXPECT_EQ(got.status, 0) << args[0] << ": " << got.err;
      EXPECT_EQ(got.out, want.out) << args[0];
    }
  }
  std::filesystem::path copy;
};

TEST_F(ReplayReadOnlyArchive, AnotherUserReadsAnArchiveWhoseCatalogIsClosed) {
  // As a receiver leaves it at exit: everything in catalog.db, no -wal, no -shm.
  archive.catalog().db().exec("PRAGMA wal_checkpoint(TRUNCATE)");
  expect_nobody_reads_a_copy([&] {
    std::filesystem::remove(copy / "catalog.db-wal");
    std::filesystem::remove(copy / "catalog.db-shm");
  });
}

TEST_F(ReplayReadOnlyArchive, AnotherUserReadsAnArchiveWhileItsCatalogIsOpen) {
  // The fixture's catalog is open: the last sessions are in catalog.db-wal, catalog.db-shm exists.
  expect_nobody_reads_a_copy([] {});
}

}  // namespace
}  // namespace screenreel

// `verify` finds what is wrong with an archive; `recover` repairs what a crashed receiver leaves
// (a session left recording, frame files without rows, temporary files), once: a second run
// changes nothing, and the archive then verifies clean. A real SIGKILLed receiver is covered by
// the end-to-end recording tests.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "archive_fixture.hpp"
#include "screenreel/archive/recover.hpp"
#include "screenreel/replay/archive_access.hpp"
#include "screenreel/archive/verify.hpp"
#include "support/process.hpp"

namespace screenreel {
namespace {
namespace fs = std::filesystem;
using test::FixtureArchive;

// Every row of both tables, as text: to show that a second recover changes nothing.
std::string dump(SqliteCatalog& c) {
  std::string out;
  for (const char* sql :
       {"SELECT * FROM sessions ORDER BY id", "SELECT * FROM frames ORDER BY session_id, seq"}) {
    auto q = c.db().prepare(sql);
    while (q.step()) {
      for (int i = 0; i < q.column_count(); ++i) out += (q.is_null(i) ? "NULL" : q.text(i)) + "|";
      out += "\n";
    }
  }
  return out;
}

void set_mtime_us(const fs::path& p, std::int64_t us) {
  const timespec times[2] = {
      {static_cast<time_t>(us / 1'000'000), static_cast<long>(us % 1'000'000 * 1000)},
      {static_cast<time_t>(us / 1'000'000), static_cast<long>(us % 1'000'000 * 1000)}};
  ASSERT_EQ(::utimensat(AT_FDCWD, p.c_str(), times, 0), 0) << p;
}

TEST(ReplayVerify, ACleanArchiveVerifies) {
  FixtureArchive archive;
  archive.record("a", test::evenly(5, 100'000));
  archive.record("b", test::evenly(3, 100'000), "receiver");
  const auto r = test::replay(archive.root(), {"verify"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "ok: 2 sessions, 8 frames checked, 0 problems\n");
}

TEST(ReplayVerify, RepeatedFramesAreLinksCountedOnce) {
  FixtureArchive archive;
  // Frames 3 and 4 repeat frame 2 (an unchanged screen recorded with --every-frame).
  const auto s = archive.record(
      "still", {{0, 1}, {100'000, 2}, {200'000, 3, 2}, {300'000, 4, 2}, {400'000, 5}});
  EXPECT_EQ(s.bytes, static_cast<std::int64_t>(fs::file_size(archive.frame_file(s, 1)) +
                                               fs::file_size(archive.frame_file(s, 2)) +
                                               fs::file_size(archive.frame_file(s, 5))));
  const auto clean = test::replay(archive.root(), {"verify"});
  EXPECT_EQ(clean.status, 0) << clean.out;

  // A copy where a link belongs is reported (it takes the space the catalog says it does not).
  const fs::path repeat = archive.frame_file(s, 4);
  const std::string bytes = test::read_file(repeat);
  fs::remove(repeat);
  std::ofstream(repeat, std::ios::binary) << bytes;
  const auto r = test::replay(archive.root(), {"verify"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("frame_000004.jpg: frame 4: repeats frame 2 but is not a link to its file"),
            std::string::npos)
      << r.out;
}

TEST(ReplayVerify, FindsAMissingFileAnExtraFileAndACorruptJpeg) {
  FixtureArchive archive;
  const auto s = archive.record("damaged", test::evenly(6, 100'000));
  const auto other = archive.record("fine", test::evenly(2, 100'000));
  const std::string dir = "sessions/" + s.folder + "/";
  fs::remove(archive.frame_file(s, 2));
  // A frame file nobody indexed, and a file that is no frame at all.
  archive.write_frame_file(s, 7);
  std::ofstream(archive.paths().session(s.folder) / "notes.txt") << "hello";
  // A JPEG whose second half is gone (same size on disk as recorded would be a different check).
  const fs::path bad = archive.frame_file(s, 4);
  const std::string bytes = test::read_file(bad);
  std::ofstream(bad, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() / 2);
  // Bytes that are not a JPEG at all, of the recorded length.
  const fs::path garbage = archive.frame_file(s, 5);
  const auto garbage_size = fs::file_size(garbage);
  std::ofstream(garbage, std::ios::binary | std::ios::trunc) << std::string(garbage_size, 'x');
  std::ofstream(archive.paths().session(s.folder) / ".frame_000008.jpg.tmp") << "half";
  fs::create_directory(archive.paths().sessions() / "stray-folder");

  const auto r = test::replay(archive.root(), {"verify"});
  EXPECT_EQ(r.status, 1) << r.out;
  const auto has = [&](const std::string& line) {
    return r.out.find(line + "\n") != std::string::npos;
  };
  EXPECT_TRUE(has(dir + "frame_000002.jpg: frame 2: file is missing")) << r.out;
  EXPECT_TRUE(
      has(dir + "frame_000007.jpg: frame file has no catalog row (run recover to index it)"))
      << r.out;
  EXPECT_TRUE(has(dir + "notes.txt: unexpected file: not a frame file of this archive")) << r.out;
  EXPECT_NE(r.out.find(dir + "frame_000004.jpg: frame 4: file has " +
                       std::to_string(bytes.size() / 2) + " bytes"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(dir + "frame_000004.jpg: frame 4: not a decodable JPEG"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(dir + "frame_000005.jpg: frame 5: not a decodable JPEG"), std::string::npos)
      << r.out;
  EXPECT_TRUE(
      has(dir + ".frame_000008.jpg.tmp: leftover temporary file (run recover to remove it)"))
      << r.out;
  EXPECT_TRUE(has("sessions/stray-folder: folder belongs to no session in the catalog")) << r.out;
  EXPECT_TRUE(has("FAILED: 2 sessions, 8 frames checked, 8 problems")) << r.out;

  // One session only: the other one is fine, and stray folders are not its business.
  const auto one = test::replay(archive.root(), {"verify", std::to_string(other.id)});
  EXPECT_EQ(one.status, 0) << one.out;
  EXPECT_EQ(one.out, "ok: 1 sessions, 2 frames checked, 0 problems\n");
}

TEST(ReplayVerify, ARecordingSessionsNewestFilesAreNotesWhileAReceiverRuns) {
  FixtureArchive archive;
  const auto s = archive.record("live", test::evenly(3, 100'000), "");
  archive.write_frame_file(s, 4);  // renamed into place, its row not committed yet
  std::ofstream(archive.paths().session(s.folder) / ".frame_000005.jpg.tmp") << "being written";
  const std::string dir = "sessions/" + s.folder + "/";

  VerifyOptions live;
  live.receiver_running = true;
  const VerifyReport r = verify_archive(archive.paths(), archive.catalog(), live);
  EXPECT_TRUE(r.ok()) << r.problems.front().path << ": " << r.problems.front().what;
  EXPECT_EQ(r.notes, (std::vector<std::string>{
                         "session 1 is being recorded",
                         dir + "frame_000004.jpg: not indexed yet (the session is being recorded)",
                         dir + ".frame_000005.jpg.tmp: a frame being written (the session is "
                               "being recorded)"}));

  // No receiver runs here (the program finds none in the lock file): the session was left by a
  // dead one, and what it left is for recover.
  const auto cli = test::replay(archive.root(), {"verify", "--quiet"});
  EXPECT_EQ(cli.status, 1);
  EXPECT_EQ(
      cli.out,
      dir.substr(0, dir.size() - 1) +
          ": session is marked recording but no receiver is running (run recover to close it)\n" +
          dir + "frame_000004.jpg: frame file has no catalog row (run recover to index it)\n" +
          dir +
          ".frame_000005.jpg.tmp: leftover temporary file (run recover to remove it)\n"
          "FAILED: 1 sessions, 3 frames checked, 3 problems\n");
}

class ReplayRecover : public ::testing::Test {
 protected:
  void SetUp() override {
    // A receiver killed while recording "crashed": rows for frames 1..5 were committed, frames
    // 6..8 were renamed into place but their batch was not, frame 9 was being written. An older
    // session ended properly.
    done = archive.record("done", test::evenly(4, 100'000), "client");
    crashed = archive.record("crashed", test::evenly(5, 100'000), "");
    const auto rows = archive.catalog().frames(crashed.id);
    ASSERT_EQ(rows.size(), 5u) << "session " << crashed.id;
    last_row = rows.back();
    for (std::int64_t seq = 6; seq <= 8; ++seq) {
      unindexed_bytes += archive.write_frame_file(crashed, seq);
      // Written 100 ms apart after the last indexed frame, as the receiver would have.
      set_mtime_us(archive.frame_file(crashed, seq), last_row.written_us + (seq - 5) * 100'000);
    }
    std::ofstream(archive.paths().session(crashed.folder) / temp_file_name(frame_file_name(9)))
        << "half a frame";
  }
  FixtureArchive archive;
  SessionRecord done, crashed;
  FrameRecord last_row;
  std::int64_t unindexed_bytes = 0;
};

TEST_F(ReplayRecover, ClosesTheSessionIndexesItsFilesAndRemovesTemporaryFiles) {
  const auto before = test::replay(archive.root(), {"verify"});
  EXPECT_EQ(before.status, 1) << before.out;
  EXPECT_NE(before.out.find("FAILED: 2 sessions, 9 frames checked, 5 problems"), std::string::npos)
      << before.out;

  const auto r = test::replay(archive.root(), {"recover"});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("recovered: 1 sessions closed, 3 frames indexed, 1 temporary files removed"),
            std::string::npos)
      << r.out;

  SqliteCatalog c(archive.paths().catalog(), SqliteCatalog::Mode::kReadOnly);
  const auto s = *c.session(crashed.id);
  EXPECT_EQ(s.end_reason, "crashed");
  EXPECT_EQ(s.frame_count, 8);
  EXPECT_EQ(s.bytes, crashed.bytes + unindexed_bytes);
  const auto rows = c.frames(crashed.id);
  ASSERT_EQ(rows.size(), 8u);
  // Recovered rows: times from the files' mtimes less the session's median latencies (10 ms to
  // write, 8 ms from receive), ticks continuing, size from the JPEG header.
  for (std::int64_t seq = 6; seq <= 8; ++seq) {
    const auto& f = rows[static_cast<std::size_t>(seq - 1)];
    EXPECT_EQ(f.written_us, last_row.written_us + (seq - 5) * 100'000) << seq;
    EXPECT_EQ(f.capture_us, f.written_us - 10'000) << seq;
    EXPECT_EQ(f.receive_us, f.written_us - 8'000) << seq;
    EXPECT_EQ(f.tick, seq) << seq;
    EXPECT_EQ(f.width, test::kWidth);
    EXPECT_EQ(f.height, test::kHeight);
    EXPECT_EQ(f.jpeg_bytes,
              static_cast<std::int64_t>(fs::file_size(archive.frame_file(crashed, seq))));
  }
  EXPECT_EQ(*s.ended_us, rows.back().written_us);  // ended at its last frame
  EXPECT_FALSE(
      fs::exists(archive.paths().session(crashed.folder) / temp_file_name(frame_file_name(9))));
  EXPECT_EQ(c.session(done.id)->end_reason, "client");

  const auto v = test::replay(archive.root(), {"verify"});
  EXPECT_EQ(v.status, 0) << v.out;
  EXPECT_EQ(v.out, "ok: 2 sessions, 12 frames checked, 0 problems\n");
  const auto list = test::replay(archive.root(), {"list"});
  EXPECT_NE(list.out.find("crashed\n"), std::string::npos) << list.out;
}

TEST_F(ReplayRecover, IndexesARepeatAsALinkToItsSource) {
  // Frame 9 repeated frame 8 (a hard link); its batch was lost too.
  fs::remove(archive.paths().session(crashed.folder) / temp_file_name(frame_file_name(9)));
  archive.link_frame_file(crashed, 9, 8);
  const RecoverReport report = recover_archive(archive.paths());
  EXPECT_EQ(report.frames_indexed, 4);
  SqliteCatalog c(archive.paths().catalog(), SqliteCatalog::Mode::kReadOnly);
  const auto rows = c.frames(crashed.id);
  ASSERT_EQ(rows.size(), 9u);
  EXPECT_EQ(rows[8].same_as, 8);
  EXPECT_FALSE(rows[7].same_as.has_value());
  // Its file's mtime is frame 8's: its time follows frame 8's by the median interval instead.
  EXPECT_EQ(rows[8].written_us, rows[7].written_us + 100'000);
  EXPECT_EQ(c.session(crashed.id)->bytes,
            crashed.bytes + unindexed_bytes);  // the link costs nothing
  EXPECT_TRUE(verify_archive(archive.paths(), c).ok());
}

TEST_F(ReplayRecover, RunningItTwiceChangesNothingTheSecondTime) {
  ASSERT_EQ(test::replay(archive.root(), {"recover"}).status, 0);
  const std::string after_first = dump(archive.catalog());
  const auto second = test::replay(archive.root(), {"recover"});
  EXPECT_EQ(second.status, 0) << second.err;
  EXPECT_EQ(second.out, "nothing to recover\n");
  EXPECT_EQ(dump(archive.catalog()), after_first);
}

TEST_F(ReplayRecover, RefusesWhileAReceiverHoldsTheArchive) {
  // flock belongs to the open file: the lock taken here conflicts with the one the child tries.
  ArchiveLock receiver(archive.paths());
  const std::string catalog_before = dump(archive.catalog());
  const auto r = test::replay(archive.root(), {"recover"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(
      r.err.find("a screenreel-receiver (pid " + std::to_string(::getpid()) + ") is writing to it"),
      std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("Stop it first"), std::string::npos) << r.err;
  EXPECT_EQ(dump(archive.catalog()), catalog_before);
  EXPECT_TRUE(
      fs::exists(archive.paths().session(crashed.folder) / temp_file_name(frame_file_name(9))));
}

TEST_F(ReplayRecover, LeavesFilesThatAreNotJpegsAndSaysSo) {
  std::ofstream(archive.frame_file(crashed, 7), std::ios::trunc) << "not a jpeg";
  const RecoverReport report = recover_archive(archive.paths());
  EXPECT_EQ(report.frames_indexed, 2);
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_NE(report.warnings[0].find("frame_000007.jpg is not a readable JPEG"), std::string::npos)
      << report.warnings[0];
  SqliteCatalog c(archive.paths().catalog(), SqliteCatalog::Mode::kReadOnly);
  const auto rows = c.frames(crashed.id);
  ASSERT_EQ(rows.size(), 7u);
  EXPECT_EQ(rows.back().seq, 8);
  EXPECT_EQ(rows.back().tick, 7);  // the tick after frame 6's
  const VerifyReport v = verify_archive(archive.paths(), c);
  ASSERT_EQ(v.problems.size(), 1u);
  EXPECT_EQ(v.problems[0].what, "frame file has no catalog row (run recover to index it)");
}

}  // namespace
}  // namespace screenreel

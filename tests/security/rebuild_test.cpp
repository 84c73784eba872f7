// A lost or damaged catalog (issue 18, "The catalog is never the only copy"): a real recording,
// then catalog.db damaged (random bytes over its pages) or deleted. verify must fail with one
// clear line, and `screenreel-replay rebuild` must make a catalog with the same sessions and
// frame rows from the session folders (manifests and frame stamps), compared column by column,
// after which verify passes. The receiver runs without a live window, so no frame has a display
// time to lose; written_us comes back from the file's modification time, within a few
// milliseconds of the moment the receiver noted.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <random>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/session_manifest.hpp"
#include "screenreel/archive/sqlite.hpp"
#include "security_support.hpp"

namespace screenreel {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

class Rebuild : public ::testing::Test {
 protected:
  void SetUp() override {
    archive = test::fresh_temp_dir("screenreel-rebuild");
    test::ReceiverProcess receiver(archive);
    ASSERT_TRUE(receiver.started()) << receiver.err();
    for (const char* name : {"first", "second"}) {
      auto c = test::start_pattern_client(receiver.port(), name,
                                          {"--size", "64x48", "--fps", "30", "--max-frames", "20"});
      ASSERT_EQ(c->wait_for(30s).value_or(-1), 0) << c->err();
    }
    ASSERT_EQ(receiver.stop().value_or(-1), 0) << receiver.err();
    sessions = test::read_sessions(archive);
    ASSERT_EQ(sessions.size(), 2u);
    for (const auto& s : sessions) frames.push_back(test::read_frames(archive, s.id));
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(archive);
  }

  test::RunResult replay(const std::vector<std::string>& args) { return test::replay(archive, args); }

  void expect_rebuilt_rows_equal_the_recorded_ones(const std::string& unnamed_folder = {}) {
    const auto now = test::read_sessions(archive);
    ASSERT_EQ(now.size(), sessions.size());
    for (std::size_t i = 0; i < now.size(); ++i) {
      const SessionRecord &a = sessions[i], &b = now[i];
      SCOPED_TRACE("session " + std::to_string(a.id));
      EXPECT_EQ(b.id, a.id);
      EXPECT_EQ(b.folder, a.folder);
      if (a.folder == unnamed_folder) {  // its manifest was removed: what its folder tells
        EXPECT_EQ(b.name, a.folder);
        EXPECT_EQ(b.end_reason, "crashed");
      } else {
        EXPECT_EQ(b.name, a.name);
        EXPECT_EQ(b.client_address, a.client_address);
        EXPECT_EQ(b.source, a.source);
        EXPECT_EQ(b.fps, a.fps);
        EXPECT_EQ(b.started_us, a.started_us);
        EXPECT_EQ(b.ended_us, a.ended_us);
        EXPECT_EQ(b.end_reason, a.end_reason);
        EXPECT_EQ(b.error, a.error);
        EXPECT_EQ(b.dropped, a.dropped);
        EXPECT_EQ(b.head, a.head);  // the signed head survives in the manifest
        EXPECT_EQ(b.head_frames, a.head_frames);
        EXPECT_EQ(b.signature, a.signature);
        EXPECT_EQ(b.signer, a.signer);
      }
      EXPECT_EQ(b.width, a.width);
      EXPECT_EQ(b.height, a.height);
      EXPECT_EQ(b.frame_count, a.frame_count);
      EXPECT_EQ(b.bytes, a.bytes);
      const auto rows = test::read_frames(archive, b.id);
      ASSERT_EQ(rows.size(), frames[i].size());
      for (std::size_t j = 0; j < rows.size(); ++j) {
        const FrameRecord &x = frames[i][j], &y = rows[j];
        SCOPED_TRACE("frame " + std::to_string(x.seq));
        EXPECT_EQ(y.session_id, x.session_id);
        EXPECT_EQ(y.seq, x.seq);
        EXPECT_EQ(y.tick, x.tick);
        EXPECT_EQ(y.capture_us, x.capture_us);
        EXPECT_EQ(y.receive_us, x.receive_us);
        EXPECT_NEAR(static_cast<double>(y.written_us), static_cast<double>(x.written_us), 50'000.0);
        EXPECT_EQ(y.displayed_us, x.displayed_us);
        EXPECT_EQ(y.file, x.file);
        EXPECT_EQ(y.width, x.width);
        EXPECT_EQ(y.height, x.height);
        EXPECT_EQ(y.jpeg_bytes, x.jpeg_bytes);
        EXPECT_EQ(y.same_as, x.same_as);
        EXPECT_EQ(y.sha256, x.sha256);
        EXPECT_EQ(y.chain, x.chain);
      }
    }
  }

  void expect_rebuild_and_clean_verify(int without_manifest) {
    const auto rebuilt = replay({"rebuild"});
    EXPECT_EQ(rebuilt.status, 0) << rebuilt.out << rebuilt.err;
    EXPECT_NE(rebuilt.out.find("rebuilt: 2 sessions (" + std::to_string(without_manifest) +
                                  " without a manifest), 40 frames"),
              std::string::npos)
        << rebuilt.out;
    const auto verify = replay({"verify"});
    EXPECT_EQ(verify.status, 0) << verify.out << verify.err;
  }

  fs::path archive;
  std::vector<SessionRecord> sessions;
  std::vector<std::vector<FrameRecord>> frames;
};

TEST_F(Rebuild, ACatalogWithDamagedPagesFailsVerifyAndIsMadeAgainFromTheFolders) {
  const fs::path catalog = ArchivePaths(archive).catalog();
  std::int64_t page_size = 0, pages = 0;
  {
    sqlite::Database db(catalog, sqlite::Database::Mode::kReadOnly);
    auto ps = db.prepare("PRAGMA page_size");
    ASSERT_TRUE(ps.step());
    page_size = ps.int64(0);
    auto pc = db.prepare("PRAGMA page_count");
    ASSERT_TRUE(pc.step());
    pages = pc.int64(0);
  }
  ASSERT_GT(pages, 3);
  {
    // Random bytes over the middle of every page but the first (the header and the schema), as a
    // failing disk or a stray write would leave them.
    std::mt19937 rng(18);
    std::fstream f(catalog, std::ios::in | std::ios::out | std::ios::binary);
    for (std::int64_t p = 1; p < pages; ++p) {
      f.seekp(p * page_size + page_size / 4);
      for (std::int64_t i = 0; i < page_size / 2; ++i) f.put(static_cast<char>(rng()));
    }
  }
  const auto verify = replay({"verify"});
  EXPECT_EQ(verify.status, 1) << verify.out << verify.err;
  const std::string said = verify.out + verify.err;
  EXPECT_TRUE(said.find("damaged") != std::string::npos || said.find("malformed") != std::string::npos) << said;
  EXPECT_NE(said.find("rebuild"), std::string::npos) << said;

  expect_rebuild_and_clean_verify(0);
  expect_rebuilt_rows_equal_the_recorded_ones();
  bool kept = false;
  for (const auto& e : fs::directory_iterator(archive))
    kept |= e.path().filename().string().rfind("catalog.db.lost-", 0) == 0;
  EXPECT_TRUE(kept) << "the damaged catalog is kept aside";
}

TEST_F(Rebuild, ADeletedCatalogIsMadeAgainFromTheFoldersEvenWithoutAManifest) {
  for (const char* part : {"", "-wal", "-shm"}) fs::remove(ArchivePaths(archive).catalog().string() + part);
  // A session recorded before screenreel wrote manifests: its folder and frames are all there is.
  ASSERT_TRUE(fs::remove(ArchivePaths(archive).session(sessions[1].folder) / kManifestFile));

  const auto list = replay({"list"});
  EXPECT_EQ(list.status, 1);
  EXPECT_NE(list.err.find("'screenreel-replay rebuild'"), std::string::npos) << list.err;

  expect_rebuild_and_clean_verify(1);
  expect_rebuilt_rows_equal_the_recorded_ones(sessions[1].folder);
}

}  // namespace
}  // namespace screenreel

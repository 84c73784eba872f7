// Disk full: the archive is on an 8 MiB tmpfs mounted by the test, and a real capture client
// records 800x600 frames into it until it fills. The receiver must end the session as 'error'
// with the reason, keep everything already written valid (catalog sound, every row's JPEG
// complete, numbered without gaps, no temporary file left), tell the client (which says why),
// and keep running. Needs root (mount); skipped, saying why, where mounting is not possible.
#include <gtest/gtest.h>
#include <sys/statvfs.h>

#include <chrono>
#include <thread>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/session_files.hpp"
#include "security_support.hpp"

namespace screenreel {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

class DiskFull : public ::testing::Test {
 protected:
  void SetUp() override {
    tmpfs = std::make_unique<test::TmpfsMount>("screenreel-diskfull", "8M");
    if (!tmpfs->mounted()) GTEST_SKIP() << tmpfs->why_not();
    mount_point = tmpfs->path();
  }
  void TearDown() override {
    receiver.reset();  // kills it if still running, so the mount is not busy
    tmpfs.reset();
  }

  std::unique_ptr<test::TmpfsMount> tmpfs;
  fs::path mount_point;
  std::unique_ptr<test::ReceiverProcess> receiver;
};

// --min-free 0: no floor, so the writes themselves hit ENOSPC (the JPEG's write or rename, or the
// catalog's commit, whichever comes first).
TEST_F(DiskFull, RecordingUntilTheDiskIsFullEndsTheSessionCleanly) {
  const fs::path archive = mount_point / "archive";
  receiver =
      std::make_unique<test::ReceiverProcess>(archive, std::vector<std::string>{"--min-free", "0"});
  ASSERT_TRUE(receiver->started()) << receiver->err();
  // About 100 KB a frame at 30 fps: 8 MiB is full within a few seconds.
  auto client = test::start_pattern_client(
      receiver->port(), "fills-the-disk", {"--size", "800x600", "--fps", "30", "--duration", "60"});
  const auto rc = client->wait_for(90s);
  ASSERT_TRUE(rc) << "the client kept recording onto a full disk\n" << client->err();
  const std::string said = client->out() + client->err();
  std::cerr << "[          ] client (exit " << *rc << "): " << said;
  EXPECT_NE(said.find("No space left on device"), std::string::npos)
      << "the client is not told why";

  EXPECT_TRUE(receiver->process().running()) << "the receiver died\n" << receiver->err();
  // What was written is consistent, and the client was told the number the catalog holds.
  test::expect_stopped_cleanly(archive, "No space left on device");
  const auto s = test::read_sessions(archive).at(0);
  if (said.find("receiver stored") != std::string::npos &&
      said.find("receiver stored unknown") == std::string::npos) {
    EXPECT_NE(said.find("receiver stored " + std::to_string(s.frame_count)), std::string::npos)
        << said;
  }

  // The receiver still answers, and says why it cannot record now, instead of claiming to.
  auto again = test::start_pattern_client(
      receiver->port(), "still-full", {"--size", "800x600", "--fps", "30", "--max-frames", "30"});
  ASSERT_TRUE(again->wait_for(60s));
  const std::string again_said = again->out() + again->err();
  std::cerr << "[          ] second client: " << again_said;
  for (const auto& s2 : test::read_sessions(archive)) {
    if (s2.name != "still-full") continue;
    EXPECT_FALSE(s2.recording());
    EXPECT_EQ(static_cast<std::int64_t>(test::read_frames(archive, s2.id).size()), s2.frame_count);
  }
  EXPECT_TRUE(test::check_frame_files(archive).empty());
  EXPECT_EQ(receiver->stop().value_or(-1), 0) << receiver->err();
}

// The free-space floor (--min-free) stops the session before the disk is full: the same clean
// end, with the floor as the reason, and a new session is refused while the space is short.
TEST_F(DiskFull, FreeSpaceFloorStopsTheSessionBeforeTheDiskFills) {
  const fs::path archive = mount_point / "archive";
  receiver =
      std::make_unique<test::ReceiverProcess>(archive, std::vector<std::string>{"--min-free", "4"});
  ASSERT_TRUE(receiver->started()) << receiver->err();
  auto client = test::start_pattern_client(
      receiver->port(), "floor", {"--size", "800x600", "--fps", "30", "--duration", "60"});
  const auto rc = client->wait_for(90s);
  ASSERT_TRUE(rc) << client->err();
  const std::string said = client->out() + client->err();
  std::cerr << "[          ] client (exit " << *rc << "): " << said;
  EXPECT_NE(said.find("below --min-free 4 MB"), std::string::npos) << "the client is not told why";
  // Its summary names the real end and its prefix once (before: "ended by --duration", and
  // "screenreel-capture: screenreel-capture: ...").
  EXPECT_EQ(said.find("ended by --duration"), std::string::npos) << said;
  EXPECT_EQ(said.find("screenreel-capture: screenreel-capture:"), std::string::npos) << said;
  EXPECT_TRUE(receiver->process().running()) << receiver->err();

  test::expect_stopped_cleanly(archive, "below --min-free");
  // Stopped at the floor, not at the end of the disk.
  struct statvfs st {};
  ASSERT_EQ(::statvfs(mount_point.c_str(), &st), 0);
  EXPECT_GE(std::uint64_t{st.f_bavail} * st.f_frsize, 2u << 20)
      << "the floor did not keep space free";

  auto again = test::start_pattern_client(receiver->port(), "refused",
                                          {"--size", "800x600", "--max-frames", "5"});
  ASSERT_TRUE(again->wait_for(60s));
  EXPECT_NE(again->err().find("below --min-free"), std::string::npos) << again->err();
  EXPECT_EQ(test::read_sessions(archive).size(), 1u) << "no session is opened below the floor";
  EXPECT_EQ(receiver->stop().value_or(-1), 0) << receiver->err();
}

}  // namespace
}  // namespace screenreel

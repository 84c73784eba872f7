// The PipeWire capture source end to end: screenreel-capture --source pipewire, run as an
// unprivileged user in a desktop session of its own (support/portal_session.hpp: a real
// xdg-desktop-portal, D-Bus session bus, PipeWire and wireplumber), records the shared screen
// into a real receiver; the stored JPEGs show what the screen showed, in the formats compositors
// offer (BGRx handed out in place, RGBx converted); the catalog says pipewire; the portal's
// restore token is kept with mode 0600 and a second run hands it back, so the desktop is not
// asked again; --window ask where the portal offers no windows is refused before asking; the
// shared stream going away (the user stopped sharing) ends the recording
// cleanly. Without a session bus, without a portal, and when the user refuses the dialog,
// the capture says so in one line and exits 1.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/catalog.hpp"
#include "support/portal_session.hpp"
#include "support/process.hpp"
#include "support/programs.hpp"

namespace screenreel {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::PortalSession;
using test::Process;
using test::SharedScreen;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A fresh folder with a short path: the sockets in it (PipeWire's, a session bus's) must fit the
// 108 bytes of a unix socket address, which a folder named after the test does not leave.
fs::path short_temp_dir() {
  std::string name = (fs::temp_directory_path() / "srpw-XXXXXX").string();
  if (!::mkdtemp(name.data())) throw std::runtime_error("mkdtemp failed");
  ::chmod(name.c_str(), 0755);
  return name;
}

class PipeWireCapture : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string missing = test::portal_session_missing(); !missing.empty()) GTEST_SKIP() << missing;
    dir_ = short_temp_dir();
    session_ = std::make_unique<PortalSession>(dir_ / "session");
    receiver_ = test::start_receiver(dir_ / "archive", {"--no-display"});
    ASSERT_NE(receiver_.port, 0);
  }

  // screenreel-capture --source pipewire for 2 s at 5 fps, as the session's user; waits for it.
  // `source` empty: no --source, and the session says it is Wayland, so auto picks.
  std::unique_ptr<Process> capture(const std::string& source = "pipewire") {
    std::vector<std::string> argv = {SCREENREEL_CAPTURE_BIN, "--connect", "127.0.0.1:" + std::to_string(receiver_.port),
                                     "--fps", "5", "--duration", "2"};
    auto env = session_->env();
    if (source.empty()) {
      env["XDG_SESSION_TYPE"] = "wayland";
    } else {
      argv.insert(argv.end(), {"--source", source});
    }
    auto p = std::make_unique<Process>(session_->as_user(argv), env);
    EXPECT_TRUE(p->wait_for(30s)) << "capture still running\n" << p->err();
    return p;
  }

  std::vector<SessionRecord> sessions() {
    const auto catalog = open_catalog_reader(ArchivePaths(dir_ / "archive").catalog());
    return catalog->sessions();
  }

  // The mean BGR colour of each stored frame of catalog session `index` (0: the first).
  std::vector<cv::Scalar> frame_colours(std::size_t index) {
    const auto catalog = open_catalog_reader(ArchivePaths(dir_ / "archive").catalog());
    const auto s = catalog->sessions().at(index);
    std::vector<cv::Scalar> out;
    for (const auto& r : catalog->frames(s.id)) {
      const cv::Mat img = cv::imread((ArchivePaths(dir_ / "archive").session(s.folder) / r.file).string());
      EXPECT_FALSE(img.empty()) << r.file;
      if (img.empty()) continue;
      EXPECT_EQ(img.cols, static_cast<int>(r.width));
      out.push_back(cv::mean(img));
    }
    return out;
  }

  static void expect_colour(const std::vector<cv::Scalar>& frames, int r, int g, int b) {
    ASSERT_FALSE(frames.empty()) << "no frame stored";
    for (const cv::Scalar& c : frames) {  // JPEG keeps a flat colour within a few levels
      EXPECT_NEAR(c[0], b, 4);
      EXPECT_NEAR(c[1], g, 4);
      EXPECT_NEAR(c[2], r, 4);
    }
  }

  fs::path token_file() const { return session_->state_home() / "screenreel" / "portal-restore-token-monitor"; }

  fs::path dir_;
  std::unique_ptr<PortalSession> session_;
  test::RunningReceiver receiver_;

  void TearDown() override {
    session_.reset();
    receiver_.process.reset();
    if (!dir_.empty() && !HasFailure()) fs::remove_all(dir_);
  }
};

TEST_F(PipeWireCapture, RecordsTheSharedScreenInPlaceAsBGRxAndConvertedFromRGBx) {
  session_->share(SharedScreen{640, 360, "BGRx", "0x2080c0"});
  auto first = capture("");  // no --source: auto, in a Wayland session
  EXPECT_EQ(first->wait_for(0s), 0) << first->err() << session_->logs();
  EXPECT_TRUE(contains(first->out(), "; source pipewire portal monitor node ")) << first->out();
  EXPECT_GE(test::frames_sent(first->out()), 1) << first->out();

  session_->share(SharedScreen{320, 200, "RGBx", "0xc04020"});
  auto second = capture();
  EXPECT_EQ(second->wait_for(0s), 0) << second->err() << session_->logs();

  const auto rows = sessions();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_TRUE(contains(rows[0].source, "pipewire portal monitor node ")) << rows[0].source;
  EXPECT_TRUE(contains(rows[0].source, " 640x360 BGRx shm")) << rows[0].source;
  EXPECT_TRUE(contains(rows[1].source, " 320x200 RGBx shm")) << rows[1].source;
  EXPECT_EQ(rows[0].width, 640u);
  EXPECT_EQ(rows[1].height, 200u);
  expect_colour(frame_colours(0), 0x20, 0x80, 0xc0);
  expect_colour(frame_colours(1), 0xc0, 0x40, 0x20);  // red and blue swapped into place
  // A still screen sends nothing after its first frame, though the stream delivers 10 a second.
  EXPECT_EQ(test::frames_sent(first->out()), 1) << first->out();
}

TEST_F(PipeWireCapture, KeepsTheRestoreTokenPrivateAndASecondRunHandsItBack) {
  auto first = capture();
  EXPECT_EQ(first->wait_for(0s), 0) << first->err() << session_->logs();
  EXPECT_TRUE(contains(first->err(), "the desktop may show a dialog to choose one")) << first->err();
  struct stat st{};
  ASSERT_EQ(::stat(token_file().c_str(), &st), 0) << "no restore token kept\n" << first->err();
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(token_file().parent_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  const std::string token = test::read_file(token_file());
  EXPECT_GT(token.size(), 8u);
  // The first run asked to persist and had nothing to restore.
  EXPECT_TRUE(contains(session_->backend_log(), "persist_mode=2 restore_data=null")) << session_->backend_log();

  auto second = capture();
  EXPECT_EQ(second->wait_for(0s), 0) << second->err() << session_->logs();
  EXPECT_TRUE(contains(second->err(), "asking the desktop portal to restore the monitor chosen before")) << second->err();
  // The portal found the token and handed the backend what the first run chose.
  EXPECT_TRUE(contains(session_->backend_log(), "persist_mode=2 restore_data=[\"screenreel-test\", 1, \"HEADLESS-1\"]"))
      << session_->backend_log();
  ASSERT_EQ(::stat(token_file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(test::read_file(token_file()).empty()) << "the token of this session, for the next run";
  EXPECT_EQ(sessions().size(), 2u);
}

TEST_F(PipeWireCapture, TheScreenCastEndingEndsTheRecordingCleanly) {
  std::vector<std::string> argv = {SCREENREEL_CAPTURE_BIN, "--source", "pipewire", "--connect",
                                   "127.0.0.1:" + std::to_string(receiver_.port), "--fps", "5", "--duration", "60"};
  Process p(session_->as_user(argv), session_->env());
  ASSERT_TRUE(p.wait_for_stderr("recording session", 20s)) << p.err() << session_->logs();
  // The shared screen's stream goes away, as when the user presses "stop sharing".
  SharedScreen stopped;
  stopped.stopped = true;
  session_->share(stopped);
  const auto rc = p.wait_for(20s);
  ASSERT_TRUE(rc) << "still recording after the stream ended\n" << p.err();
  EXPECT_EQ(*rc, 0) << p.err();
  EXPECT_TRUE(contains(p.out(), "ended by the screen cast was stopped")) << p.out();
  ASSERT_EQ(sessions().size(), 1u);
  EXPECT_GE(sessions()[0].frame_count, 1);
}

TEST_F(PipeWireCapture, ARefusedDialogIsOneLineAndExit1) {
  SharedScreen refused;
  refused.refuse = true;
  session_->share(refused);
  auto p = capture();
  EXPECT_EQ(p->wait_for(0s), 1) << p->err();
  EXPECT_TRUE(contains(p->err(), "screenreel-capture: error: the screen share was refused in the desktop's dialog: "
                                 "run again and choose a monitor to share\n"))
      << p->err();
  EXPECT_FALSE(std::filesystem::exists(token_file()));
  EXPECT_TRUE(sessions().empty());
}

TEST_F(PipeWireCapture, WindowAskOnAPortalWithoutWindowSourcesIsOneLineAndExit1) {
  std::vector<std::string> argv = {SCREENREEL_CAPTURE_BIN, "--source", "pipewire", "--window", "ask", "--connect",
                                   "127.0.0.1:" + std::to_string(receiver_.port)};
  Process p(session_->as_user(argv), session_->env());
  ASSERT_TRUE(p.wait_for(30s)) << p.err();
  EXPECT_EQ(p.wait_for(0s), 1) << p.err();
  EXPECT_TRUE(contains(p.err(), "screenreel-capture: error: the desktop portal offers no window sources to record "
                                "(AvailableSourceTypes 1): leave out --window to record a monitor\n"))
      << p.err();
  EXPECT_FALSE(contains(session_->backend_log(), "CreateSession")) << "asked before knowing it cannot be had";
}

// Without the session: no bus at all, and a bus with no portal on it (a dbus-daemon with no
// services to start).
TEST(PipeWireCaptureErrors, NoSessionBusAndNoPortalAreOneLineAndExit1) {
  if (::access("/usr/bin/dbus-run-session", X_OK) != 0) GTEST_SKIP() << "needs dbus-run-session (package dbus)";
  const fs::path dir = short_temp_dir();
  Process no_bus({SCREENREEL_CAPTURE_BIN, "--source", "pipewire", "--connect", "127.0.0.1:9"},
                 {{"DBUS_SESSION_BUS_ADDRESS", "unix:path=" + (dir / "no-bus").string()}});
  ASSERT_TRUE(no_bus.wait_for(30s));
  EXPECT_EQ(no_bus.wait_for(0s), 1);
  EXPECT_TRUE(contains(no_bus.err(), "screenreel-capture: error: no D-Bus session bus (")) << no_bus.err();
  EXPECT_TRUE(contains(no_bus.err(), "or record an X server with --source x11\n")) << no_bus.err();

  const fs::path config = dir / "bus.conf";
  {
    std::ofstream out(config);
    out << "<busconfig><type>session</type><listen>unix:dir=" << dir.string()
        << "</listen><auth>EXTERNAL</auth><policy context=\"default\">"
           "<allow send_destination=\"*\" eavesdrop=\"true\"/><allow eavesdrop=\"true\"/><allow own=\"*\"/>"
           "</policy></busconfig>\n";
  }
  Process no_portal({"/usr/bin/dbus-run-session", "--config-file=" + config.string(), "--", SCREENREEL_CAPTURE_BIN,
                     "--source", "pipewire", "--connect", "127.0.0.1:9"});
  ASSERT_TRUE(no_portal.wait_for(30s));
  EXPECT_EQ(no_portal.wait_for(0s), 1);
  EXPECT_TRUE(contains(no_portal.err(),
                       "screenreel-capture: error: no xdg-desktop-portal on the D-Bus session bus: install "
                       "xdg-desktop-portal and your desktop's backend (xdg-desktop-portal-gnome, -kde or -wlr), or "
                       "record an X server with --source x11\n"))
      << no_portal.err();
  if (!::testing::Test::HasFailure()) fs::remove_all(dir);
}

}  // namespace
}  // namespace screenreel

// The viewer's pages in a real browser: headless Chromium, driven by browser_test.py through
// chromedriver and Selenium, against a real `screenreel-replay serve` on a fixture archive.
// Screenshots are kept under the build folder (serve-screenshots/). Debian's python3-selenium is
// for the system Python, so /usr/bin/python3 runs it, whatever python3 comes first in PATH.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <thread>
#include <string>

#include "serve_support.hpp"
#include "support/programs.hpp"

namespace screenreel::test {
namespace {

// What the browser test needs and does not have; empty when all is there.
std::string browser_missing() {
  std::string missing;
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromedriver"})
    if (::access(p, X_OK) != 0) missing += std::string(missing.empty() ? "" : ", ") + p;
  if (shell("/usr/bin/python3 -c 'import selenium' 2>/dev/null") != 0)
    missing += std::string(missing.empty() ? "" : ", ") + "python3-selenium";
  return missing;
}

// Skips, or fails under CI=true (CI installs the browser: there its absence is a failure).
#define SKIP_WITHOUT_BROWSER()                                                                          \
  if (const std::string missing = browser_missing(); !missing.empty()) {                               \
    const std::string why =                                                                             \
        "needs " + missing + " (scripts/install-deps.sh installs chromium chromium-driver python3-selenium)"; \
    const char* ci = std::getenv("CI");                                                                 \
    if (ci && std::string(ci) == "true") FAIL() << why;                                                 \
    GTEST_SKIP() << why;                                                                                \
  }

// Runs browser_test.py against serve on `archive` for session `session` (with `extra` options);
// its checks and output are in the failure message.
void run_browser_test(const std::filesystem::path& archive, std::int64_t session, const std::string& extra = "") {
  RunningServe server = start_serve(archive);
  ASSERT_NE(server.port, 0);
  const std::filesystem::path shots = SCREENREEL_SCREENSHOT_DIR;
  std::filesystem::create_directories(shots);
  const std::filesystem::path log = archive / "browser.log";
  const int status = shell("/usr/bin/python3 '" SCREENREEL_BROWSER_TEST "' --url http://127.0.0.1:" +
                           std::to_string(server.port) + " --archive '" + archive.string() + "' --session " +
                           std::to_string(session) + " --screenshots '" + shots.string() + "' " + extra + " > '" +
                           log.string() + "' 2>&1");
  EXPECT_EQ(status, 0) << read_file(log) << "\nserve:\n" << server.process->err();
}

TEST(ServeBrowser, SessionsAreListedAndThePlayerSeeksPlaysStepsJumpsToChangesAndExports) {
  SKIP_WITHOUT_BROWSER();
  ServedArchive served;
  // 29.9 s to play. In each ten frames, frames 3 to 10 repeat frame 2 (nothing changed): n and N
  // skip them.
  std::vector<FixtureFrame> frames = evenly(300, 100'000);
  for (std::size_t i = 0; i < frames.size(); ++i)
    if (i % 10 >= 2) frames[i].repeats = static_cast<std::int64_t>(i - i % 10 + 2);
  const SessionRecord longer = served.archive.record("long", frames);
  // A marker on frame 150 (14.9 s) and a pause from 20 s to 23 s, shown over the timeline.
  const std::int64_t origin = *served.archive.catalog().frame_times(longer.id).first_capture_us;
  SessionEvents events;
  events.markers.push_back({longer.id, origin + 14'900'000, 150, 150, "deploy started", "capture-key"});
  events.pauses.push_back({longer.id, 201, origin + 20'000'000, 231, origin + 23'000'000, "key p"});
  served.archive.catalog().add_events(events);
  run_browser_test(served.archive.root(), longer.id);
}

// A session the real receiver is recording (the capture client's test pattern) is marked live,
// and its page shows the frames written after it was opened.
TEST(ServeBrowser, ALiveSessionsPageFollowsItsNewFrames) {
  SKIP_WITHOUT_BROWSER();
  const std::filesystem::path archive = fresh_temp_dir("screenreel-serve-live");
  RunningReceiver receiver = start_receiver(archive, {"--no-display"});
  ASSERT_NE(receiver.port, 0);
  Process capture({SCREENREEL_CAPTURE_BIN, "--connect", "127.0.0.1:" + std::to_string(receiver.port), "--source",
                   "test-pattern", "--size", "320x240", "--fps", "5", "--name", "live"});
  ASSERT_TRUE(capture.wait_for_stderr("recording session", std::chrono::seconds(20))) << capture.err();
  std::this_thread::sleep_for(std::chrono::seconds(1));  // a few frames before the page opens
  run_browser_test(archive, 1, "--live");
  capture.signal(SIGINT);
  capture.wait_for(std::chrono::seconds(10));
  receiver.process->signal(SIGINT);
  receiver.process->wait_for(std::chrono::seconds(10));
  if (!::testing::Test::HasFailure()) std::filesystem::remove_all(archive);
}

}  // namespace
}  // namespace screenreel::test

// The viewer's pages in a real browser: headless Chromium, driven by browser_test.py through
// chromedriver and Selenium, against a real `screenreel-replay serve` on a fixture archive.
// Screenshots are kept under the build folder (serve-screenshots/). Debian's python3-selenium is
// for the system Python, so /usr/bin/python3 runs it, whatever python3 comes first in PATH.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "serve_support.hpp"

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

TEST(ServeBrowser, SessionsAreListedAndThePlayerSeeksPlaysAndSteps) {
  if (const std::string missing = browser_missing(); !missing.empty()) {
    const std::string why = "needs " + missing + " (scripts/install-deps.sh installs chromium chromium-driver python3-selenium)";
    // CI installs them: there a missing browser is a failure, not a reason to skip.
    const char* ci = std::getenv("CI");
    if (ci && std::string(ci) == "true") FAIL() << why;
    GTEST_SKIP() << why;
  }
  ServedArchive served;
  const SessionRecord longer = served.archive.record("long", evenly(60, 100'000));  // 5.9 s to play
  RunningServe server = start_serve(served.archive.root());
  ASSERT_NE(server.port, 0);
  const std::filesystem::path shots = SCREENREEL_SCREENSHOT_DIR;
  std::filesystem::create_directories(shots);
  const std::filesystem::path log = served.archive.root() / "browser.log";
  const int status = shell("/usr/bin/python3 '" SCREENREEL_BROWSER_TEST "' --url http://127.0.0.1:" + std::to_string(server.port) +
                           " --archive '" + served.archive.root().string() + "' --session " + std::to_string(longer.id) +
                           " --screenshots '" + shots.string() + "' > '" + log.string() + "' 2>&1");
  EXPECT_EQ(status, 0) << read_file(log) << "\nserve:\n" << server.process->err();
}

}  // namespace
}  // namespace screenreel::test

// The default session name (issue 22.7): screenreel-capture without --name names its session after
// the host and the local start time, so sessions recorded without a name are told apart. Real
// receiver and capture (test pattern) on loopback; the name read back with screenreel-replay.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <ctime>

#include "archive_fixture.hpp"
#include "support/process.hpp"
#include "support/programs.hpp"

namespace screenreel {
namespace {
using namespace std::chrono_literals;

// "HOST-YYYY-MM-DD-HHMM" for a moment, in UTC (the zone the test runs capture in).
std::string host_and_minute(std::int64_t epoch_us) {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  const std::time_t t = static_cast<std::time_t>(epoch_us / 1'000'000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "-%Y-%m-%d-%H%M", &tm);
  return host + std::string(buf);
}

TEST(SessionNames, ARecordingWithoutANameIsNamedAfterTheHostAndItsStart) {
  const auto archive = test::fresh_temp_dir("screenreel-default-name");
  auto receiver = test::start_receiver(archive, {"--no-display"});
  ASSERT_NE(receiver.port, 0);
  test::Process capture({SCREENREEL_CAPTURE_BIN, "--connect", "127.0.0.1:" + std::to_string(receiver.port), "--source",
                         "test-pattern", "--size", "64x48", "--fps", "5", "--max-frames", "3"},
                        {{"TZ", "UTC"}});
  ASSERT_EQ(capture.wait_for(60s).value_or(-1), 0) << capture.err();
  receiver.process->signal(SIGTERM);
  ASSERT_EQ(receiver.process->wait_for(30s).value_or(-1), 0) << receiver.process->err();

  const auto list = test::replay(archive, {"list", "--json"});
  ASSERT_EQ(list.status, 0) << list.err;
  const std::string name = test::python_json(list.out, "d[0][\"name\"]");
  const std::int64_t started = std::stoll(test::python_json(list.out, "d[0][\"started_us\"]"));
  // Named when capture started, a moment before the receiver's start time (perhaps a minute
  // boundary before it).
  EXPECT_TRUE(name == "'" + host_and_minute(started) + "'" || name == "'" + host_and_minute(started - 60'000'000) + "'")
      << name << ", started " << started;
  std::filesystem::remove_all(archive);
}

}  // namespace
}  // namespace screenreel

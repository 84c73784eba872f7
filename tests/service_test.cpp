// The receiver under a service manager: sd_notify's datagrams (READY once it listens, WATCHDOG
// pings at half $WATCHDOG_USEC, RELOADING and READY around SIGHUP, STOPPING at the end) read
// from a real $NOTIFY_SOCKET, and a SIGHUP that applies a changed configuration file at once.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "support/process.hpp"
#include "support/programs.hpp"

namespace screenreel {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The service manager's end: a datagram socket the receiver's sd_notify writes to.
class NotifySocket {
 public:
  explicit NotifySocket(const fs::path& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0) << path;
  }
  ~NotifySocket() { ::close(fd_); }
  // The next message, or empty after `timeout`.
  std::string next(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return {};
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  }
  // Messages until one contains `text` (returned); empty when none did within `timeout`.
  std::string until(const std::string& text, std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      const std::string m = next(std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now()));
      if (m.find(text) != std::string::npos) return m;
    }
    return {};
  }

 private:
  fs::path path_;
  int fd_ = -1;
};

void write_file(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

TEST(Service, NotifiesReadyWatchdogReloadAndStoppingAndASighupAppliesTheFileAtOnce) {
  const auto dir = test::fresh_temp_dir("screenreel-service");
  // A socket's path has room for 107 bytes: a short folder of its own.
  char short_dir[] = "/tmp/srn-XXXXXX";
  ASSERT_NE(::mkdtemp(short_dir), nullptr);
  const fs::path socket_path = fs::path(short_dir) / "notify";
  NotifySocket manager(socket_path);
  const fs::path conf = dir / "receiver.conf";
  write_file(conf, "no-display = true\n");
  auto receiver = test::start_receiver(dir / "archive", {"--config", conf.string()},
                                       {{"NOTIFY_SOCKET", socket_path.string()}, {"WATCHDOG_USEC", "400000"}});
  ASSERT_NE(receiver.port, 0);
  const std::string ready = manager.until("READY=1", 10s);
  EXPECT_EQ(ready, "READY=1\nSTATUS=listening on 127.0.0.1:" + std::to_string(receiver.port));
  // Pings at half the interval: at least 3 in a second.
  int pings = 0;
  for (const auto end = std::chrono::steady_clock::now() + 1s; std::chrono::steady_clock::now() < end;)
    if (manager.next(200ms) == "WATCHDOG=1") ++pings;
  EXPECT_GE(pings, 3);

  // A session that ended a moment ago, then a retention limit it is older than, by SIGHUP.
  test::Process capture({SCREENREEL_CAPTURE_BIN, "--connect", "127.0.0.1:" + std::to_string(receiver.port),
                         "--source", "test-pattern", "--size", "160x120", "--max-frames", "3", "--quiet"});
  ASSERT_EQ(capture.wait_for(30s).value_or(-1), 0) << capture.err();
  std::this_thread::sleep_for(1500ms);
  write_file(conf, "no-display = true\nkeep-days = 0.00001\n");  // 0.864 s
  receiver.process->signal(SIGHUP);
  EXPECT_NE(manager.until("RELOADING=1", 10s), "");
  EXPECT_NE(manager.until("READY=1", 10s), "");
  EXPECT_TRUE(receiver.process->wait_for_stderr(
      "SIGHUP: settings read again: min-free 200 MB, keep-days 1e-05, max-archive-gb none from now on", 10s))
      << receiver.process->err();
  EXPECT_TRUE(receiver.process->wait_for_stderr("retention (keep-days", 20s)) << receiver.process->err();
  EXPECT_NE(receiver.process->err().find("deleted session 1"), std::string::npos) << receiver.process->err();

  // A file that no longer reads leaves the settings as they were, and the receiver running.
  write_file(conf, "no-display = true\nkeep-dayz = 3\n");
  receiver.process->signal(SIGHUP);
  EXPECT_TRUE(receiver.process->wait_for_stderr("SIGHUP: settings left as they were: ", 10s)) << receiver.process->err();
  EXPECT_NE(receiver.process->err().find("unknown key \"keep-dayz\"; did you mean keep-days?"), std::string::npos);
  EXPECT_TRUE(receiver.process->running());

  receiver.process->signal(SIGTERM);
  EXPECT_NE(manager.until("STOPPING=1", 10s), "");
  EXPECT_EQ(receiver.process->wait_for(30s).value_or(-1), 0) << receiver.process->err();
  fs::remove_all(short_dir);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Records one short session into a receiver started with `extra`, and returns its stderr.
std::string receiver_log(const std::vector<std::string>& prefix, const std::vector<std::string>& extra) {
  const auto dir = test::fresh_temp_dir("screenreel-log");
  auto receiver = test::start_receiver(dir / "archive", extra, {}, 0, "127.0.0.1", prefix);
  EXPECT_NE(receiver.port, 0);
  test::Process capture({SCREENREEL_CAPTURE_BIN, "--connect", "127.0.0.1:" + std::to_string(receiver.port),
                         "--source", "test-pattern", "--size", "160x120", "--max-frames", "3", "--quiet"});
  EXPECT_EQ(capture.wait_for(30s).value_or(-1), 0) << capture.err();
  receiver.process->signal(SIGTERM);
  EXPECT_EQ(receiver.process->wait_for(30s).value_or(-1), 0) << receiver.process->err();
  return receiver.process->err();
}

TEST(ReceiverLog, EveryLineStartsWithItsTimeAndUnderJournaldWithItsLevel) {
  const std::string text = receiver_log({}, {"--no-display"});
  const std::regex timed(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d screenreel-receiver: .+)");
  ASSERT_GE(lines_of(text).size(), 4u) << text;
  for (const auto& line : lines_of(text)) EXPECT_TRUE(std::regex_match(line, timed)) << line;

  // $JOURNAL_STREAM naming stderr: journald keeps the time, the line carries the level.
  const std::string journal = receiver_log(
      {"/bin/sh", "-c", "JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2) exec \"$0\" \"$@\""}, {"--no-display"});
  ASSERT_GE(lines_of(journal).size(), 4u) << journal;
  for (const auto& line : lines_of(journal)) EXPECT_TRUE(line.starts_with("<6>screenreel-receiver: ")) << line;
}

TEST(ReceiverLog, JsonIsOneObjectALineWithTimeLevelSessionAndEvent) {
  const std::string text = receiver_log({}, {"--no-display", "--log-format", "json"});
  bool named_session = false;
  ASSERT_GE(lines_of(text).size(), 4u) << text;
  for (const auto& line : lines_of(text)) {
    const auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "not JSON: " << line;
    EXPECT_TRUE(std::regex_match(j.value("time", ""), std::regex(R"(\d{4}-\d\d-\d\dT[0-9:.]{12}[+-]\d\d:\d\d)"))) << line;
    EXPECT_EQ(j.value("level", ""), "info") << line;
    EXPECT_EQ(j.value("program", ""), "screenreel-receiver") << line;
    EXPECT_FALSE(j.value("event", "").empty()) << line;
    if (j.contains("session")) {
      EXPECT_EQ(j["session"], 1) << line;
      EXPECT_NE(j.value("event", "").find("session 1"), std::string::npos) << line;
      named_session = true;
    }
  }
  EXPECT_TRUE(named_session) << text;
  test::Process bad({SCREENREEL_RECEIVER_BIN, "--no-display", "--log-format", "xml"});
  EXPECT_EQ(bad.wait_for(30s).value_or(-1), 2);
  EXPECT_EQ(bad.err(), "screenreel-receiver: --log-format must be text or json\n");
}

}  // namespace
}  // namespace screenreel

// Settings from a configuration file (--config FILE, /etc/screenreel/receiver.conf,
// ~/.config/screenreel/capture.conf): every option is a key, the command line wins, and a bad
// line is one error naming its file and line.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "support/process.hpp"
#include "support/programs.hpp"

namespace screenreel {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct Output {
  int status = -1;
  std::string out, err;
};

Output run(std::vector<std::string> argv, std::map<std::string, std::string> env = {}) {
  test::Process p(std::move(argv), std::move(env));
  const auto status = p.wait_for(60s);
  return {status.value_or(-1), p.out(), p.err()};
}

fs::path write_file(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
  return path;
}

// The keys --print-config lists: every setting of the program.
std::set<std::string> keys_of(const std::string& printed) {
  std::set<std::string> keys;
  std::istringstream in(printed);
  const std::regex line(R"(^(?:# )?([a-z0-9-]+) =)");
  for (std::string l; std::getline(in, l);)
    if (std::smatch m; std::regex_search(l, m, line)) keys.insert(m[1]);
  return keys;
}

// A value other than the default for every receiver setting.
const std::map<std::string, std::string> kReceiverValues = {
    {"listen", "127.0.0.1:6123"}, {"token-file", "/etc/screenreel/token"}, {"insecure-listen", "true"},
    {"tls", "true"}, {"tls-cert", "/etc/screenreel/cert.pem"}, {"tls-key", "/etc/screenreel/key.pem"},
    {"archive", "/var/lib/screenreel"}, {"no-display", "true"}, {"quality", "75"}, {"encoder-threads", "3"},
    {"queue-frames", "12"}, {"min-free", "500"}, {"keep-days", "30"}, {"max-archive-gb", "100"},
    {"max-clients", "10"}, {"max-pending", "20"}, {"max-in-flight", "4"}, {"ocr", "true"},
    {"ocr-lang", "eng+deu"}, {"ocr-interval", "2.5"}, {"log-format", "json"},
    {"catalog", "postgresql://screenreel@db.example/screenreel"}, {"receiver-name", "host-7"},
    {"buffer", "60"}, {"buffer-mb", "128"}, {"catalog-journal-mb", "64"}};

TEST(ConfigFile, EveryReceiverSettingCanComeFromTheFileAndTheCommandLineWins) {
  const auto dir = test::fresh_temp_dir("screenreel-config");
  const auto defaults = run({SCREENREEL_RECEIVER_BIN, "--config", write_file(dir / "empty.conf", "").string(),
                             "--print-config"});
  ASSERT_EQ(defaults.status, 0) << defaults.err;
  std::set<std::string> tested;
  for (const auto& [key, value] : kReceiverValues) tested.insert(key);
  EXPECT_EQ(keys_of(defaults.out), tested) << "a receiver setting without a value in this test:\n" << defaults.out;

  std::string text = "# every setting\n\n";
  for (const auto& [key, value] : kReceiverValues) text += key + " = " + value + "   # a comment\n";
  const fs::path file = write_file(dir / "receiver.conf", text);
  const auto printed = run({SCREENREEL_RECEIVER_BIN, "--config", file.string(), "--quality", "42", "--print-config"});
  ASSERT_EQ(printed.status, 0) << printed.err;
  int line = 3;
  for (const auto& [key, value] : kReceiverValues) {
    const std::string expected = key == "quality" ? "quality = 42  # command line"
                                                  : key + " = " + value + "  # " + file.string() + ":" +
                                                        std::to_string(line);
    EXPECT_NE(printed.out.find(expected + "\n"), std::string::npos) << expected << "\n" << printed.out;
    ++line;
  }
}

// Settings from files drive a real recording: the receiver listens and records where its file
// says, the capture sends what its default file (under $XDG_CONFIG_HOME) says, less what its
// command line overrides.
TEST(ConfigFile, ARecordingMadeFromFilesAlone) {
  const auto dir = test::fresh_temp_dir("screenreel-config-run");
  const fs::path archive = dir / "from-the-file";
  const fs::path receiver_conf =
      write_file(dir / "receiver.conf", "listen = 127.0.0.1:0\narchive = " + archive.string() +
                                            "\nno-display = yes\nquality = 60\n");
  test::Process receiver({SCREENREEL_RECEIVER_BIN, "--config", receiver_conf.string()});
  ASSERT_TRUE(receiver.wait_for_stderr("listening on", 20s)) << receiver.err();
  std::smatch m;
  const std::string err = receiver.err();
  ASSERT_TRUE(std::regex_search(err, m, std::regex(R"(listening on 127\.0\.0\.1:(\d+), archive ([^;\s]+))"))) << err;
  EXPECT_EQ(fs::path(std::string(m[2])), fs::absolute(archive)) << err;

  write_file(dir / "xdg" / "screenreel" / "capture.conf",
             "connect = 127.0.0.1:" + std::string(m[1]) +
                 "\nsource = test-pattern\nsize = 160x120\nmax-frames = 50\nname = configured\nquiet = true\n");
  const auto capture = run({SCREENREEL_CAPTURE_BIN, "--max-frames", "5"}, {{"XDG_CONFIG_HOME", (dir / "xdg").string()}});
  ASSERT_EQ(capture.status, 0) << capture.err;
  EXPECT_EQ(test::frames_sent(capture.out), 5) << capture.out;
  EXPECT_EQ(capture.err, "") << "quiet = true should leave only the summary";

  receiver.signal(SIGTERM);
  ASSERT_EQ(receiver.wait_for(30s).value_or(-1), 0) << receiver.err();
  const auto sessions = test::replay(archive, {"query", "SELECT name, frame_count FROM sessions", "--csv"});
  EXPECT_EQ(sessions.status, 0) << sessions.err;
  EXPECT_NE(sessions.out.find("configured,5"), std::string::npos) << sessions.out;
}

TEST(ConfigFile, ABadLineIsOneErrorWithItsFileAndLine) {
  const auto dir = test::fresh_temp_dir("screenreel-config-bad");
  const struct {
    std::string text, message;
  } cases[] = {
      {"no-display = true\n\nqualty = 80\n", ":3: unknown key \"qualty\"; did you mean quality?"},
      {"quality = high\n", ":1: the argument ('high') for option 'quality' is invalid"},
      {"listen 127.0.0.1:5000\n", ":1: expected KEY = VALUE, not \"listen 127.0.0.1:5000\""},
      {"no-display = maybe\n", ":1: no-display is a switch: give true or false, not \"maybe\""},
      {"quality = 50\nquality = 60\n", ":2: quality is already set on line 1"},
      {"help = true\n", ":1: unknown key \"help\""},
  };
  for (const auto& c : cases) {
    const fs::path file = write_file(dir / "bad.conf", c.text);
    const auto r = run({SCREENREEL_RECEIVER_BIN, "--config", file.string(), "--no-display"});
    EXPECT_EQ(r.status, 2) << c.text;
    EXPECT_NE(r.err.find("screenreel-receiver: " + file.string() + c.message), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 2) << "one error and the --help hint: " << r.err;
  }
  const auto missing = run({SCREENREEL_CAPTURE_BIN, "--config", (dir / "none.conf").string()});
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.err.find("cannot read the configuration file " + (dir / "none.conf").string() +
                             " (No such file or directory)"),
            std::string::npos)
      << missing.err;
}

}  // namespace
}  // namespace screenreel

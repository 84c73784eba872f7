// Starting screenreel's programs in tests (see programs.hpp).
#include "support/programs.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace screenreel::test {

RunningReceiver start_receiver(const std::filesystem::path& archive, const std::vector<std::string>& extra,
                               const std::map<std::string, std::string>& env, std::uint16_t port,
                               const std::string& host, const std::vector<std::string>& prefix) {
  std::vector<std::string> argv = prefix;
  for (const std::string& a : {std::string(SCREENREEL_RECEIVER_BIN), std::string("--listen"),
                               host + ":" + std::to_string(port), std::string("--archive"), archive.string()})
    argv.push_back(a);
  argv.insert(argv.end(), extra.begin(), extra.end());
  RunningReceiver r;
  r.process = std::make_unique<Process>(argv, env);
  EXPECT_TRUE(r.process->wait_for_stderr("listening on", std::chrono::seconds(20))) << r.process->err();
  std::smatch m;
  const std::string err = r.process->err();
  if (std::regex_search(err, m, std::regex(R"(listening on [0-9.]+:(\d+))")))
    r.port = static_cast<std::uint16_t>(std::stoi(m[1]));
  else
    ADD_FAILURE() << "no port in the receiver's output:\n" << err;
  return r;
}

std::int64_t frames_sent(const std::string& summary) {
  std::smatch m;
  if (!std::regex_search(summary, m, std::regex(R"((\d+) frames sent)"))) return -1;
  return std::stoll(m[1]);
}

RunResult replay(const std::filesystem::path& archive, std::vector<std::string> args, const std::string& input) {
  return replay_as(-1, archive, std::move(args), input);
}

namespace {
RunResult run_replay(int uid, const std::string& zone, const std::filesystem::path& archive,
                     std::vector<std::string> args, const std::string& input) {
  args.insert(args.begin(), {SCREENREEL_REPLAY_BIN, "--archive", archive.string()});
  if (uid >= 0) {
    const std::string id = std::to_string(uid);
    args.insert(args.begin(), {"/usr/bin/setpriv", "--reuid=" + id, "--regid=" + id, "--clear-groups"});
  }
  Process p(args, {{"TZ", zone}});
  if (!input.empty()) p.write_stdin(input);
  RunResult r;
  const auto status = p.wait_for(std::chrono::seconds(120));
  r.status = status.value_or(-1);
  r.out = p.out();
  r.err = p.err();
  return r;
}
}  // namespace

RunResult replay_as(int uid, const std::filesystem::path& archive, std::vector<std::string> args,
                    const std::string& input) {
  return run_replay(uid, "UTC", archive, std::move(args), input);
}

RunResult replay_in_zone(const std::string& zone, const std::filesystem::path& archive,
                         std::vector<std::string> args) {
  return run_replay(-1, zone, archive, std::move(args), "");
}

}  // namespace screenreel::test

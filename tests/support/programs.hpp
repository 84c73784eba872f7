// Starting screenreel's own programs in tests, and reading what they print.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace screenreel::test {

struct RunningReceiver {
  std::unique_ptr<Process> process;
  std::uint16_t port = 0;  // parsed from its "listening on 127.0.0.1:PORT" line
};

// screenreel-receiver --listen HOST:PORT --archive ARCHIVE EXTRA..., once it listens;
// port 0 (the default) lets it pick a free one. `prefix` runs it through another program (ip
// netns exec NS). The test fails (and port stays 0) if it does not come up.
RunningReceiver start_receiver(const std::filesystem::path& archive, const std::vector<std::string>& extra = {},
                               const std::map<std::string, std::string>& env = {}, std::uint16_t port = 0,
                               const std::string& host = "127.0.0.1", const std::vector<std::string>& prefix = {});

struct RunResult {
  int status = -1;
  std::string out, err;
};
// Runs screenreel-replay --archive ARCHIVE ARGS... with TZ=UTC, `input` on its stdin, and waits
// (at most 120 s) for it to exit.
RunResult replay(const std::filesystem::path& archive, std::vector<std::string> args,
                 const std::string& input = "");
// The same with TZ=`zone` (clock times on the command line and in the output are local).
RunResult replay_in_zone(const std::string& zone, const std::filesystem::path& archive,
                         std::vector<std::string> args);
// The same, run as user and group `uid` through setpriv (-1: as this process). Needs root.
RunResult replay_as(int uid, const std::filesystem::path& archive,
                    std::vector<std::string> args, const std::string& input = "");

// The "N frames sent" of screenreel-capture's summary line; -1 when there is none.
std::int64_t frames_sent(const std::string& summary);

}  // namespace screenreel::test

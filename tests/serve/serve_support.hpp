// What the serve tests share: a fixture archive with two sessions (one with a text index), a real
// `screenreel-replay serve` on it, and a plain HTTP/1.1 client over a real TCP socket.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "archive_fixture.hpp"
#include "support/process.hpp"

namespace screenreel::test {

struct HttpAnswer {
  int status = 0;  // 0: the connection closed without an answer
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::string header(const std::string& name) const {  // "" when absent
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// Connects to 127.0.0.1:port; -1 on failure.
int connect_to(std::uint16_t port);
// Sends `request` as it is on a new connection and reads the answer until the server closes.
HttpAnswer http_raw(std::uint16_t port, const std::string& request);
// GET target with Connection: close and the extra header lines (each ending in \r\n).
HttpAnswer http_get(std::uint16_t port, const std::string& target, const std::string& headers = "");
// POST target (no body) on a new connection.
HttpAnswer http_post(std::uint16_t port, const std::string& target);

struct RunningServe {
  std::unique_ptr<Process> process;
  std::uint16_t port = 0;
};
// screenreel-replay --archive ARCHIVE serve --listen 127.0.0.1:0 EXTRA..., once it listens
// (with `env` set in its environment).
RunningServe start_serve(const std::filesystem::path& archive, const std::vector<std::string>& extra = {},
                         const std::map<std::string, std::string>& env = {});
// GET target over HTTPS (TLS 1.3) from 127.0.0.1:port, the server's certificate checked against
// `ca` for the name localhost. Status 0 when the handshake or the request fails.
HttpAnswer https_get(std::uint16_t port, const std::string& target, const std::filesystem::path& ca);

// Sessions "standup" (10 frames, 100 ms apart, text "permission denied" indexed on frames 4..10)
// and "demo" (5 frames, 200 ms apart).
struct ServedArchive {
  ServedArchive();
  FixtureArchive archive;
  SessionRecord standup, demo;
};

}  // namespace screenreel::test

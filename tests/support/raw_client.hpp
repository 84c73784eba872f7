// A plain TCP client speaking raw bytes, for tests that must send what screenreel-capture
// never would (wrong tokens, replayed handshakes, cut-off messages).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "screenreel/protocol/wire.hpp"

namespace screenreel::test {

class RawClient {
 public:
  explicit RawClient(std::uint16_t port);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool send(const std::vector<std::uint8_t>& bytes);
  // Reads exactly n bytes; empty on EOF, error or timeout.
  std::optional<std::vector<std::uint8_t>> read(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Reads one whole message and decodes it; empty on EOF, timeout or a bad message.
  std::optional<wire::Message> read_message(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // True when the peer has closed the connection (EOF or reset) within the timeout.
  bool closed_by_peer(std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  int fd_ = -1;
  std::vector<std::uint8_t> body_;  // keeps a FRAME's bytes alive for its views
};

}  // namespace screenreel::test

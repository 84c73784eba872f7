// HOST:PORT as the programs take it on the command line ("127.0.0.1:5000", "[::1]:5000", "localhost:5000").
#pragma once

#include <cstdint>
#include <string>

namespace screenreel {

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};

// Throws std::invalid_argument naming what is wrong with `text`.
HostPort parse_host_port(const std::string& text);

inline constexpr const char* kDefaultAddress = "127.0.0.1:5000";

}  // namespace screenreel

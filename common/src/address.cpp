// Parses HOST:PORT (see address.hpp).
#include "screenreel/common/address.hpp"

#include <charconv>
#include <stdexcept>

namespace screenreel {

HostPort parse_host_port(const std::string& text) {
  HostPort hp;
  std::string port;
  if (!text.empty() && text.front() == '[') {  // [IPv6]:port
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
      throw std::invalid_argument("'" + text + "' is not HOST:PORT (IPv6 is written [::1]:5000)");
    hp.host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || text.find(':') != colon)
      throw std::invalid_argument("'" + text + "' is not HOST:PORT (for example 127.0.0.1:5000)");
    hp.host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (hp.host.empty() || port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535)
    throw std::invalid_argument("'" + text + "' is not HOST:PORT with a port from 0 to 65535");
  hp.port = static_cast<std::uint16_t>(value);
  return hp;
}

}  // namespace screenreel

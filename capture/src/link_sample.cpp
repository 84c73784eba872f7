// The kernel's view of a TCP connection, for the rate controller (rate_control.hpp). Its own
// file: <linux/tcp.h>, which has TCP_INFO's newer fields, clashes with <netinet/tcp.h>, which
// Asio includes.
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cstddef>

#include "rate_control.hpp"

namespace screenreel::capture {

std::optional<LinkSample> read_link_sample(int fd) {
  tcp_info info{};
  socklen_t length = sizeof info;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) != 0 ||
      length < offsetof(tcp_info, tcpi_rwnd_limited) + sizeof info.tcpi_rwnd_limited)
    return std::nullopt;  // not TCP, or a kernel before 4.10
  int unacked = 0;
  if (ioctl(fd, SIOCOUTQ, &unacked) != 0) return std::nullopt;
  LinkSample s;
  s.delivery_rate = static_cast<double>(info.tcpi_delivery_rate);
  s.app_limited = info.tcpi_delivery_rate_app_limited != 0;
  s.rwnd_limited_us = info.tcpi_rwnd_limited;
  s.unacked_bytes = static_cast<std::size_t>(unacked);
  s.bytes_acked = info.tcpi_bytes_acked;
  return s;
}

}  // namespace screenreel::capture

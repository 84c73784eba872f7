// Raw-bytes TCP client for tests (see raw_client.hpp).
#include "support/raw_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace screenreel::test {

RawClient::RawClient(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw std::runtime_error("RawClient: cannot connect to 127.0.0.1:" + std::to_string(port));
}

RawClient::~RawClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawClient::send(const std::vector<std::uint8_t>& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

std::optional<std::vector<std::uint8_t>> RawClient::read(std::size_t n, std::chrono::milliseconds timeout) {
  std::vector<std::uint8_t> out(n);
  std::size_t done = 0;
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (done < n) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
    const ssize_t r = ::recv(fd_, out.data() + done, n - done, 0);
    if (r <= 0) return std::nullopt;
    done += static_cast<std::size_t>(r);
  }
  return out;
}

std::optional<wire::Message> RawClient::read_message(std::chrono::milliseconds timeout) {
  auto header = read(wire::kHeaderBytes, timeout);
  if (!header) return std::nullopt;
  auto h = wire::decode_header(*header);
  if (!h) return std::nullopt;
  auto body = read(h->length, timeout);
  if (!body) return std::nullopt;
  body_ = std::move(*body);
  auto m = wire::decode_body(h->type, body_);
  if (!m) return std::nullopt;
  return *m;
}

bool RawClient::closed_by_peer(std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  std::uint8_t buf[4096];
  while (std::chrono::steady_clock::now() < until) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const ssize_t r = ::recv(fd_, buf, sizeof buf, 0);
    if (r <= 0) return true;  // EOF or reset
  }
  return false;
}

}  // namespace screenreel::test

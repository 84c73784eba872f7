// Serve test helpers (see serve_support.hpp).
#include "serve_support.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <regex>
#include <sstream>

#include "screenreel/archive/text_index.hpp"

namespace screenreel::test {

int connect_to(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{20, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

HttpAnswer http_raw(std::uint16_t port, const std::string& request) {
  HttpAnswer answer;
  const int fd = connect_to(port);
  if (fd < 0) return answer;
  for (std::size_t sent = 0; sent < request.size();) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may close early (a header too large): read its answer
    sent += static_cast<std::size_t>(n);
  }
  std::string raw;
  char buf[65536];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) raw.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  const auto end = raw.find("\r\n\r\n");
  if (end == std::string::npos || !raw.starts_with("HTTP/1.1 ")) return answer;
  answer.status = std::stoi(raw.substr(9, 3));
  std::istringstream head(raw.substr(0, end));
  std::string line;
  std::getline(head, line);
  while (std::getline(head, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r')) value.pop_back();
    answer.headers[name] = value;
  }
  answer.body = raw.substr(end + 4);
  return answer;
}

HttpAnswer http_get(std::uint16_t port, const std::string& target, const std::string& headers) {
  return http_raw(port, "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + headers + "\r\n");
}

HttpAnswer http_post(std::uint16_t port, const std::string& target) {
  return http_raw(port, "POST " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
}

RunningServe start_serve(const std::filesystem::path& archive, const std::vector<std::string>& extra,
                         const std::map<std::string, std::string>& env) {
  std::vector<std::string> argv{SCREENREEL_REPLAY_BIN, "--archive", archive.string(), "serve", "--listen", "127.0.0.1:0"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  RunningServe s;
  s.process = std::make_unique<Process>(argv, env);
  EXPECT_TRUE(s.process->wait_for_stderr("serving archive", std::chrono::seconds(20))) << s.process->err();
  std::smatch m;
  const std::string err = s.process->err();
  if (std::regex_search(err, m, std::regex(R"(at https?://127\.0\.0\.1:(\d+)/)")))
    s.port = static_cast<std::uint16_t>(std::stoi(m[1]));
  else
    ADD_FAILURE() << "no port in serve's output:\n" << err;
  return s;
}

HttpAnswer https_get(std::uint16_t port, const std::string& target, const std::filesystem::path& ca) {
  namespace asio = boost::asio;
  namespace beast = boost::beast;
  namespace http = beast::http;
  HttpAnswer answer;
  asio::io_context io;
  asio::ssl::context tls(asio::ssl::context::tls_client);
  tls.load_verify_file(ca.string());
  tls.set_verify_mode(asio::ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(io, tls);
  stream.set_verify_callback(asio::ssl::host_name_verification("localhost"));
  SSL_set_tlsext_host_name(stream.native_handle(), "localhost");
  beast::error_code ec;
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(20));
  beast::get_lowest_layer(stream).connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  if (!ec) stream.handshake(asio::ssl::stream_base::client, ec);
  http::request<http::empty_body> request{http::verb::get, target, 11};
  request.set(http::field::host, "localhost");
  if (!ec) http::write(stream, request, ec);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  if (!ec) http::read(stream, buffer, response, ec);
  if (ec) return answer;
  answer.status = static_cast<int>(response.result_int());
  for (const auto& field : response) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    answer.headers[name] = std::string(field.value());
  }
  answer.body = response.body();
  return answer;
}

ServedArchive::ServedArchive() {
  standup = archive.record("standup", evenly(10, 100'000));
  demo = archive.record("demo", evenly(5, 200'000));
  TextIndex index(archive.catalog());
  const std::int64_t start = archive.catalog().frames(standup.id).front().capture_us;
  index.begin(standup.id, "replay", "eng", 1'000'000);
  const PixelRect box{0, 10, 136, 10};
  index.apply(standup.id,
              {4, start + 300'000, {{0, 0, 160, 120}},
               {TextLine{"permission denied", box, 90, {{0, 10, 80, 10}, {88, 10, 48, 10}}}}},
              kStartUs);
  index.finish(standup.id, 10, start + 900'000);
}

}  // namespace screenreel::test

// The byte stream a connection runs over: plain TCP, or TLS 1.3 over TCP (Boost.Asio's
// ssl::stream with OpenSSL). Both programs talk to a Transport, so the protocol code is the same
// with and without --tls.
#pragma once

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it (C++20)

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <variant>

namespace screenreel {

class Transport {
 public:
  using Tcp = boost::asio::ip::tcp::socket;
  using Tls = boost::asio::ssl::stream<Tcp>;

  explicit Transport(Tcp socket) : stream_(std::move(socket)) {}
  Transport(Tcp socket, boost::asio::ssl::context& tls) : stream_(std::in_place_type<Tls>, std::move(socket), tls) {}

  bool tls() const { return std::holds_alternative<Tls>(stream_); }
  Tcp& socket() {
    return std::visit([](auto& s) -> Tcp& {
      if constexpr (std::is_same_v<std::decay_t<decltype(s)>, Tls>)
        return s.next_layer();
      else
        return s;
    }, stream_);
  }
  Tls* tls_stream() { return std::get_if<Tls>(&stream_); }

  template <typename Buffer, typename Handler>
  void async_read_some(const Buffer& buffer, Handler&& handler) {
    std::visit([&](auto& s) { s.async_read_some(buffer, std::forward<Handler>(handler)); }, stream_);
  }
  template <typename Buffer, typename Handler>
  void async_write(const Buffer& buffer, Handler&& handler) {
    std::visit([&](auto& s) { boost::asio::async_write(s, buffer, std::forward<Handler>(handler)); }, stream_);
  }
  // TLS only: runs the TLS handshake. On a plain transport the handler is called at once.
  template <typename Handler>
  void async_handshake(boost::asio::ssl::stream_base::handshake_type type, Handler&& handler) {
    if (auto* t = tls_stream())
      t->async_handshake(type, std::forward<Handler>(handler));
    else
      boost::asio::post(socket().get_executor(), [h = std::forward<Handler>(handler)]() mutable { h({}); });
  }
  void close() {
    boost::system::error_code ec;
    socket().shutdown(Tcp::shutdown_both, ec);
    socket().close(ec);
  }

 private:
  std::variant<Tcp, Tls> stream_;
};

// TLS 1.3 only. Throws with the file and OpenSSL's reason when a file cannot be used.
std::shared_ptr<boost::asio::ssl::context> make_tls_server_context(const std::filesystem::path& cert,
                                                                   const std::filesystem::path& key);
// Verifies the receiver's certificate against `ca` (a PEM file; empty: the system's CAs) and
// `host`, or, with `fingerprint` ("SHA256 hex", colons allowed), accepts exactly that certificate.
std::shared_ptr<boost::asio::ssl::context> make_tls_client_context(const std::filesystem::path& ca,
                                                                   const std::string& fingerprint);
// Sets SNI and the verification callback of a client stream for `host`.
void prepare_tls_client(Transport::Tls& stream, const std::string& host, const std::string& fingerprint);
// SHA-256 of a certificate file's DER form, as lower-case hex (for --tls-fingerprint).
std::string certificate_fingerprint(const std::filesystem::path& cert_pem);

}  // namespace screenreel

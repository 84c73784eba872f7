// The HTTP/1.1 server of `screenreel-replay serve` (Boost.Beast over Asio, one thread): it accepts
// connections, reads each request within named limits (header bytes and fields, body bytes, how
// long a request may take) and hands it to a handler. It knows nothing of archives.
//
// Connections beyond --max-clients push out the one that has waited longest for a request, so
// idle or slow connections cannot lock a good client out; when every connection is busy
// answering, the new one is closed.
//
// With a TLS context every connection is TLS (the receiver's context: TLS 1.3, --tls-cert and
// --tls-key); a peer that does not complete the handshake within the idle time is closed, so a
// plain-HTTP request on the TLS port gets no answer and costs the good clients nothing.
//
// An answer's body is a string or an open file (BodyFile: a frame's JPEG); a file is sent by the
// kernel (sendfile) on plain HTTP and in pieces through TLS on HTTPS, never read whole into memory.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <memory>

#include "body_file.hpp"

namespace screenreel::replay::serve {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;
// An answer: the response, and when `file` is open, the file that is its body (the response's
// own body is then ignored, and its Content-Length is the file's size).
struct Answer {
  Answer(Response r) : response(std::move(r)) {}  // NOLINT: every Response is an Answer
  Answer(Response r, BodyFile f) : response(std::move(r)), file(std::move(f)) {}
  Response response;
  BodyFile file;
};
// Answers one request; what it throws is answered 500.
using Handler = std::function<Answer(const Request&)>;

struct ServerLimits {
  std::size_t header_bytes = 8 * 1024;  // request line and fields: more is 431
  std::size_t header_fields = 64;       // more is 431
  std::size_t body_bytes = 4 * 1024;    // only the login form has a body: more is 413
  std::size_t max_clients = 64;         // open connections
  std::chrono::seconds idle_timeout{30};  // to receive a whole request, or to send an answer
};

class Connection;

class HttpServer {
 public:
  // Listens on `endpoint` at once (port 0: one the system picks). Throws boost::system::system_error.
  // `tls` not null: every connection speaks HTTPS with it.
  HttpServer(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
             ServerLimits limits, Handler handler, std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
  // Stops accepting and closes every connection; io.run() returns once their handlers are done.
  void stop();

 private:
  friend class Connection;
  template <typename Stream>
  friend class StreamConnection;
  using Waiting = std::list<std::weak_ptr<Connection>>;

  void accept();
  // Connections waiting for a request, oldest first: the ones pushed out when the server is full.
  Waiting::iterator waiting(std::weak_ptr<Connection> c) { return waiting_.insert(waiting_.end(), std::move(c)); }
  void not_waiting(Waiting::iterator it) { waiting_.erase(it); }

  boost::asio::ip::tcp::acceptor acceptor_;
  ServerLimits limits_;
  Handler handler_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  Waiting waiting_;
  std::size_t open_ = 0;  // connections alive
  bool stopped_ = false;
};

}  // namespace screenreel::replay::serve

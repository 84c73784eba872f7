// The HTTP/1.1 server (see http_server.hpp), after Asio's and Beast's examples: one object per
// connection kept alive by shared_from_this, a read -> answer -> write chain, and the stream's
// deadline for slow or silent peers.
#include "http_server.hpp"

#include <sys/sendfile.h>

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>
#include <exception>
#include <iterator>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "screenreel/common/log.hpp"

namespace screenreel::replay::serve {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

Response plain_error(http::status status, const std::string& message) {
  Response r{status, 11};
  r.set(http::field::content_type, "application/json");
  r.body() = "{\"error\":\"" + message + "\"}";
  return r;
}

}  // namespace

// What the server knows of a connection, whatever its stream: it is counted while alive and can
// be pushed out while it waits for a request.
class Connection {
 public:
  explicit Connection(HttpServer& server) : server_(server) { ++server_.open_; }
  virtual ~Connection() {
    stop_waiting();
    --server_.open_;
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Pushed out by a newer connection (or by stop()) while waiting for a request.
  void push_out() {
    stop_waiting();
    close();
  }

 protected:
  virtual void close() = 0;
  void start_waiting(std::weak_ptr<Connection> self) { waiting_ = server_.waiting(std::move(self)); }
  void stop_waiting() {
    if (waiting_) {
      server_.not_waiting(*waiting_);
      waiting_.reset();
    }
  }

  HttpServer& server_;

 private:
  std::optional<HttpServer::Waiting::iterator> waiting_;
};

// A connection over `Stream`: beast::tcp_stream (HTTP) or an ssl_stream over it (HTTPS).
template <typename Stream>
class StreamConnection : public Connection, public std::enable_shared_from_this<StreamConnection<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  template <typename... Args>
  StreamConnection(HttpServer& server, Args&&... stream_args)
      : Connection(server),
        stream_(std::forward<Args>(stream_args)...),
        file_deadline_(beast::get_lowest_layer(stream_).get_executor()) {}

  void start() {
    if constexpr (kTls) {
      // The handshake has the time a request has; until it is done the connection is as idle
      // as one that waits for a request, and pushed out first when the server is full.
      lowest().expires_after(server_.limits_.idle_timeout);
      start_waiting(this->weak_from_this());
      stream_.async_handshake(asio::ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
        self->stop_waiting();
        if (ec) return self->close();  // not TLS (plain HTTP, a scanner), or too slow
        self->read();
      });
    } else {
      read();
    }
  }

 private:
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void read() {
    if (server_.stopped_) return close();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_.limits_.header_bytes));
    parser_->body_limit(server_.limits_.body_bytes);
    lowest().expires_after(server_.limits_.idle_timeout);
    start_waiting(this->weak_from_this());
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    stop_waiting();
    if (ec == http::error::header_limit)
      return answer(plain_error(http::status::request_header_fields_too_large, "the request's header is too large"),
                    false);
    if (ec == http::error::body_limit)
      return answer(plain_error(http::status::payload_too_large, "the request's body is too large"), false);
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset || ec == asio::error::bad_descriptor || ec == asio::ssl::error::stream_truncated)
      return close();
    if (ec) return answer(plain_error(http::status::bad_request, "malformed request"), false);
    const Request& request = parser_->get();
    if (static_cast<std::size_t>(std::distance(request.begin(), request.end())) > server_.limits_.header_fields)
      return answer(plain_error(http::status::request_header_fields_too_large, "the request has too many header fields"),
                    false);
    std::optional<Answer> a;
    try {
      a.emplace(server_.handler_(request));
    } catch (const std::exception& e) {
      log::error(std::string("cannot answer ") + std::string(request.target()) + ": " + e.what());
      a.emplace(plain_error(http::status::internal_server_error, "the server failed; see its log"));
    }
    answer(std::move(*a), request.keep_alive());
  }

  void answer(Answer a, bool keep_alive) {
    response_ = std::move(a.response);
    file_ = std::move(a.file);
    response_.version(11);
    response_.keep_alive(keep_alive);
    lowest().expires_after(server_.limits_.idle_timeout);
    if (!file_) {
      response_.prepare_payload();
      http::async_write(stream_, response_,
                        [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->sent(ec); });
      return;
    }
    response_.body().clear();
    response_.content_length(file_.size());
    header_.emplace(response_);
    http::async_write_header(stream_, *header_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      self->send_file(0);
    });
  }

  // Sends the answer's file from `offset` on: the kernel copies it from the page cache into the
  // socket (sendfile), waiting whenever the socket's buffer is full. Through TLS, the file is read
  // in pieces and each is written through the TLS stream.
  void send_file(std::uint64_t offset) {
    if constexpr (!kTls) {
      auto& socket = lowest().socket();
      if (offset == 0) {
        beast::error_code ignored;
        socket.native_non_blocking(true, ignored);  // sendfile must not block the server's one thread
        // The stream's own deadline covers only its reads and writes, not a wait on the socket.
        file_deadline_.expires_after(server_.limits_.idle_timeout);
        file_deadline_.async_wait([weak = this->weak_from_this()](beast::error_code ec) {
          auto self = weak.lock();
          if (self && !ec && self->file_deadline_.expiry() <= std::chrono::steady_clock::now()) self->close();
        });
      }
      while (offset < file_.size()) {
        auto at = static_cast<off_t>(offset);
        const ssize_t n = ::sendfile(socket.native_handle(), file_.fd(), &at, file_.size() - offset);
        if (n > 0) {
          offset += static_cast<std::uint64_t>(n);
        } else if (n < 0 && errno == EINTR) {
          continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
          socket.async_wait(tcp::socket::wait_write, [self = this->shared_from_this(), offset](beast::error_code ec) {
            if (ec) return self->close();
            self->send_file(offset);
          });
          return;
        } else {
          // A socket error, or the file is shorter than when opened: the answer cannot be whole.
          file_deadline_.cancel();
          return close();
        }
      }
      file_deadline_.cancel();
      sent({});
    } else {
      if (offset == file_.size()) return sent({});
      chunk_.resize(kChunkBytes);
      const ssize_t n = ::pread(file_.fd(), chunk_.data(), std::min<std::uint64_t>(kChunkBytes, file_.size() - offset),
                                static_cast<off_t>(offset));
      if (n <= 0) return close();
      asio::async_write(stream_, asio::buffer(chunk_.data(), static_cast<std::size_t>(n)),
                        [self = this->shared_from_this(), next = offset + static_cast<std::uint64_t>(n)](
                            beast::error_code ec, std::size_t) {
                          if (ec) return self->close();
                          self->send_file(next);
                        });
    }
  }

  // The answer is out (or failed): the next request, or the end of the connection.
  void sent(beast::error_code ec) {
    const bool keep_alive = response_.keep_alive();
    file_ = BodyFile();
    header_.reset();
    if (ec || !keep_alive) return close();
    read();
  }

  // Closes the socket (no TLS close_notify: every answer carries its length, so a client never
  // needs the stream's end to know an answer is whole).
  void close() override {
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close();
  }

  static constexpr std::size_t kChunkBytes = 256 * 1024;  // a file's piece through TLS

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Response response_;
  BodyFile file_;                                               // the answer's body, when a file
  std::optional<http::response_serializer<http::string_body>> header_;  // its header, then
  asio::steady_timer file_deadline_;                            // to send the file (plain HTTP)
  std::vector<char> chunk_;                                     // a piece of it (HTTPS)
};

HttpServer::HttpServer(asio::io_context& io, const tcp::endpoint& endpoint, ServerLimits limits, Handler handler,
                       std::shared_ptr<asio::ssl::context> tls)
    : acceptor_(io), limits_(limits), handler_(std::move(handler)), tls_(std::move(tls)) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  accept();
}

HttpServer::~HttpServer() = default;

void HttpServer::accept() {
  acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || stopped_) return;
    if (!ec) {
      if (open_ >= limits_.max_clients) {
        // Room is made by the connection that has waited longest for a request; when none waits,
        // every one is busy answering and the newcomer is turned away.
        // (A connection leaves the list when it stops waiting or dies, so the front is alive.)
        if (auto oldest = waiting_.empty() ? nullptr : waiting_.front().lock()) {
          oldest->push_out();
        } else {
          beast::error_code ignored;
          socket.close(ignored);
          return accept();
        }
      }
      // An answer's last segment goes at once, not after the client's ACK of the one before
      // (as HTTP servers do; measured in docs/benchmarks.md: no loss, no gain on a keep-alive
      // connection, where the next request carries the ACK).
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      if (tls_)
        std::make_shared<StreamConnection<beast::ssl_stream<beast::tcp_stream>>>(*this, std::move(socket), *tls_)
            ->start();
      else
        std::make_shared<StreamConnection<beast::tcp_stream>>(*this, std::move(socket))->start();
    }
    accept();
  });
}

void HttpServer::stop() {
  stopped_ = true;
  beast::error_code ignored;
  acceptor_.close(ignored);
  for (auto& w : Waiting(waiting_))
    if (auto c = w.lock()) c->push_out();
}

}  // namespace screenreel::replay::serve

// The HTTP/1.1 server (see http_server.hpp), after Asio's and Beast's examples: one object per
// connection kept alive by shared_from_this, a read -> answer -> write chain, and the stream's
// deadline for slow or silent peers.
#include "http_server.hpp"

#include <boost/beast/core.hpp>
#include <exception>
#include <iterator>
#include <optional>
#include <string>

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

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(HttpServer& server, tcp::socket socket) : server_(server), stream_(std::move(socket)) {
    ++server_.open_;
  }
  ~Connection() {
    if (waiting_) server_.not_waiting(*waiting_);
    --server_.open_;
  }

  void read() {
    if (server_.stopped_) return close();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_.limits_.header_bytes));
    parser_->body_limit(server_.limits_.body_bytes);
    stream_.expires_after(server_.limits_.idle_timeout);
    waiting_ = server_.waiting(weak_from_this());
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  // Pushed out by a newer connection while waiting for a request.
  void push_out() {
    if (waiting_) {
      server_.not_waiting(*waiting_);
      waiting_.reset();
    }
    close();
  }

 private:
  void on_read(beast::error_code ec) {
    if (waiting_) {
      server_.not_waiting(*waiting_);
      waiting_.reset();
    }
    if (ec == http::error::header_limit)
      return answer(plain_error(http::status::request_header_fields_too_large, "the request's header is too large"),
                    false);
    if (ec == http::error::body_limit)
      return answer(plain_error(http::status::payload_too_large, "the request's body is too large"), false);
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset || ec == asio::error::bad_descriptor)
      return close();
    if (ec) return answer(plain_error(http::status::bad_request, "malformed request"), false);
    const Request& request = parser_->get();
    if (static_cast<std::size_t>(std::distance(request.begin(), request.end())) > server_.limits_.header_fields)
      return answer(plain_error(http::status::request_header_fields_too_large, "the request has too many header fields"),
                    false);
    Response response;
    try {
      response = server_.handler_(request);
    } catch (const std::exception& e) {
      log::error(std::string("cannot answer ") + std::string(request.target()) + ": " + e.what());
      response = plain_error(http::status::internal_server_error, "the server failed; see its log");
    }
    answer(std::move(response), request.keep_alive());
  }

  void answer(Response response, bool keep_alive) {
    response_ = std::move(response);
    response_.version(11);
    response_.keep_alive(keep_alive);
    response_.prepare_payload();
    stream_.expires_after(server_.limits_.idle_timeout);
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec || !self->response_.keep_alive()) return self->close();
      self->read();
    });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  HttpServer& server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Response response_;
  std::optional<HttpServer::Waiting::iterator> waiting_;
};

HttpServer::HttpServer(asio::io_context& io, const tcp::endpoint& endpoint, ServerLimits limits, Handler handler)
    : acceptor_(io), limits_(limits), handler_(std::move(handler)) {
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
      std::make_shared<Connection>(*this, std::move(socket))->read();
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

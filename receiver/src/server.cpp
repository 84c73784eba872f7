// The accepting server (see server.hpp): one Connection per client, bounded and counted here.
#include "connection.hpp"

#include <sstream>

#include "screenreel/common/log.hpp"

namespace screenreel::receiver {
namespace asio = boost::asio;
using boost::system::error_code;

asio::ip::tcp::acceptor listen_on(asio::io_context& io, const asio::ip::tcp::endpoint& at) {
  asio::ip::tcp::acceptor acceptor(io);
  error_code ec;
  acceptor.open(at.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(at, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::ostringstream where;
    where << at;
    throw std::runtime_error("cannot listen on " + where.str() + ": " + ec.message() +
                             (ec == asio::error::address_in_use
                                  ? " (is another receiver running? choose another port with --listen HOST:PORT)"
                                  : " (choose another address with --listen HOST:PORT)"));
  }
  return acceptor;
}

Server::Server(asio::io_context& io, asio::ip::tcp::acceptor listening, Recorder& recorder, FrameSink* sink,
               ServerOptions options)
    : io_(io),
      acceptor_(std::move(listening)),
      recorder_(recorder),
      sink_(sink),
      options_(options),
      context_{io_,
               recorder_,
               sink_,
               options_,
               false,
               wire::StopReason::kShutdown,
               [this](const std::string& address) { auth_failed(address); },
               [this](const std::string& address) { auth_succeeded(address); },
               [this](std::int64_t session_id) { drop_session_connection(session_id); },
               [this](const std::shared_ptr<Connection>& c) { remove(c); }} {
  accept();
}

Server::~Server() = default;

void Server::accept() {
  acceptor_.async_accept([this](error_code ec, asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted || context_.stopping) return;
    if (!ec) {
      error_code e;
      const auto ip = socket.remote_endpoint(e).address().to_string();
      if (!e && blocked(ip)) {
        log::info(ip + ": refused (too many failed authentications; blocked for a while)");
        socket.close(e);
      } else if (recording_count() >= options_.max_clients) {
        // A flood of connections must not take every descriptor: the sessions already running matter more.
        log::info(ip + ": refused (already " + std::to_string(recording_count()) + " sessions recording, --max-clients)");
        refuse(socket, "the receiver records " + std::to_string(recording_count()) +
                           " sessions already (its --max-clients); try again later");
      } else {
        // Connections that have not authenticated are bounded on their own (--max-pending): a
        // crowd of idle ones cannot lock out a client with the token. The oldest one makes
        // room: a real client finishes its handshake in milliseconds, an idle one never does.
        std::erase_if(pending_, [](const std::weak_ptr<Connection>& w) {
          auto c = w.lock();
          return !c || !c->handshaking();
        });
        if (pending_.size() >= options_.max_pending) {
          if (auto oldest = pending_.front().lock()) oldest->evict();
          pending_.pop_front();
        }
        auto c = std::make_shared<Connection>(std::move(socket), context_);
        connections_.insert(c);
        pending_.push_back(c);
        c->start();
      }
    } else {
      log::info("accept failed: " + ec.message());  // e.g. out of file descriptors; keep serving
    }
    accept();
  });
}

void Server::stop(wire::StopReason reason, std::function<void()> all_done) {
  if (context_.stopping) return;
  context_.stopping = true;
  context_.stop_reason = reason;
  all_done_ = std::move(all_done);
  error_code ec;
  acceptor_.close(ec);
  if (connections_.empty()) {
    asio::post(io_, all_done_);
    return;
  }
  for (auto c : std::vector(connections_.begin(), connections_.end())) c->stop(reason);
}

void Server::mark_all() {
  const std::string label = "receiver marker " + std::to_string(++markers_);
  for (const auto& c : connections_) c->mark(label);
}

void Server::save_all() {
  for (const auto& c : connections_) c->save_buffer("the receiver's s key");
}

void Server::pause_all() {
  for (const auto& c : connections_) c->toggle_pause();
}

void Server::discard_all() {
  for (const auto& c : connections_) c->discard_buffer();
}

std::size_t Server::recording_count() const {
  return static_cast<std::size_t>(
      std::count_if(connections_.begin(), connections_.end(), [](const auto& c) { return !c->handshaking(); }));
}

void Server::refuse(asio::ip::tcp::socket& socket, const std::string& why) {
  error_code e;
  if (!options_.tls) {  // a TLS client cannot read plain bytes: it sees the connection closed
    auto bytes = wire::encode_preamble(wire::kMinVersion);  // every client version reads it
    const auto error = wire::encode(wire::Error{wire::ErrorCode::kBusy, why});
    bytes.insert(bytes.end(), error.begin(), error.end());
    socket.non_blocking(true, e);
    asio::write(socket, asio::buffer(bytes), e);  // a few bytes on a new socket: never waits
  }
  socket.close(e);
}

bool Server::blocked(const std::string& address) {
  auto it = failures_.find(address);
  if (it == failures_.end() || it->second.count < options_.max_auth_failures) return false;
  if (std::chrono::steady_clock::now() < it->second.blocked_until) return true;
  failures_.erase(it);  // served its time
  return false;
}

void Server::auth_failed(const std::string& address) {
  auto& f = failures_[address];
  if (++f.count >= options_.max_auth_failures) {
    f.blocked_until = std::chrono::steady_clock::now() + options_.block_time;
    log::info(address + ": " + std::to_string(f.count) + " failed authentications; refusing it for " +
        std::to_string(options_.block_time.count()) + " s");
  }
}

void Server::auth_succeeded(const std::string& address) { failures_.erase(address); }

void Server::drop_session_connection(std::int64_t session_id) {
  for (const auto& c : std::vector(connections_.begin(), connections_.end()))
    if (c->session_id() == session_id) c->replaced();
}

void Server::remove(const std::shared_ptr<Connection>& c) {
  connections_.erase(c);
  if (context_.stopping && connections_.empty() && all_done_) asio::post(io_, all_done_);
}

}  // namespace screenreel::receiver

// The receiver's network side: accepts capture clients on one TCP endpoint and runs one
// Connection per client (one session each). Everything here runs on one io_context thread.
#pragma once

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it (C++20)

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "screenreel/receiver/frame_sink.hpp"
#include "screenreel/receiver/recorder.hpp"
#include "screenreel/protocol/wire.hpp"

namespace screenreel::receiver {

struct ServerOptions {
  boost::asio::ip::tcp::endpoint listen;
  std::chrono::milliseconds handshake_timeout{10'000};  // preamble + HELLO must arrive by then
  std::chrono::milliseconds stop_timeout{10'000};       // a client has this long to answer STOP with BYE
  std::uint32_t max_in_flight = 8;                      // FRAMEs a client may send ahead of ACKs
  std::chrono::milliseconds idle_timeout{30'000};       // a recording client silent this long is dropped
  std::chrono::milliseconds write_timeout{30'000};      // a client that does not read for this long is dropped
  std::optional<std::string> token;                     // set: clients must authenticate (CHALLENGE/AUTH)
  std::shared_ptr<boost::asio::ssl::context> tls;       // set: TLS 1.3 before anything else
  std::size_t max_clients = 64;                         // recording connections at once; more are refused (busy)
  std::size_t max_pending = 64;                         // connections still handshaking; the oldest makes room
  int max_auth_failures = 5;                            // failures from one address before it is blocked
  std::chrono::seconds block_time{60};                  // how long such an address is refused
};

class Connection;

// What a Connection may use of the server that accepted it, handed to it explicitly: the
// shared parts, and the events it reports back. The server fills it and outlives every
// connection; all of it is used on the io thread only.
struct ServerContext {
  boost::asio::io_context& io;
  Recorder& recorder;
  FrameSink* sink;  // null without a live window
  const ServerOptions& options;
  bool stopping = false;  // the receiver is ending: a session that starts now is asked to stop at once
  wire::StopReason stop_reason = wire::StopReason::kShutdown;
  // A handshake from this address failed (wrong token, silence): counts towards its block.
  std::function<void(const std::string& address)> auth_failed;
  std::function<void(const std::string& address)> auth_succeeded;
  // A client resumes this session while its old connection is still here: drop that one.
  std::function<void(std::int64_t session_id)> drop_session_connection;
  // The connection is closed and finished with.
  std::function<void(const std::shared_ptr<Connection>&)> closed;
};

// Binds and listens on `at`: the receiver's first step, so that a port in use (or a refused
// address) is reported before an archive, its lock or its disk reserve is made.
boost::asio::ip::tcp::acceptor listen_on(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& at);

class Server {
 public:
  // Accepts clients on `listening` (from listen_on) into `recorder`.
  Server(boost::asio::io_context& io, boost::asio::ip::tcp::acceptor listening, Recorder& recorder, FrameSink* sink,
         ServerOptions options);
  ~Server();

  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
  // Stops accepting, sends STOP to every client, and calls `all_done` (on the io thread) once
  // every session is written and closed.
  void stop(wire::StopReason reason, std::function<void()> all_done);
  std::size_t connection_count() const { return connections_.size(); }
  // Sets a marker on every session recording now (the receiver's `m` key): numbered
  // "receiver marker N" across the receiver's run.
  void mark_all();
  // --buffer: saves (the `s` key) or discards (the `d` key) the replay buffer of every session
  // buffering now.
  void save_all();
  // Pauses (or resumes) storing every session recording now (the `p` key).
  void pause_all();
  void discard_all();

 private:
  void accept();
  void remove(const std::shared_ptr<Connection>& c);
  // A client resumes a session whose old connection is still here: drop that connection.
  void drop_session_connection(std::int64_t session_id);
  // Authentication failures by client address (TigerVNC's blacklist: 5 failures, then refused).
  bool blocked(const std::string& address);
  void auth_failed(const std::string& address);
  void auth_succeeded(const std::string& address);
  struct Failures {
    int count = 0;
    std::chrono::steady_clock::time_point blocked_until{};
  };
  std::map<std::string, Failures> failures_;
  // Refuses a connection on arrival, saying why to a plain client (preamble + ERROR busy).
  void refuse(boost::asio::ip::tcp::socket& socket, const std::string& why);
  // Connections that have not said HELLO yet, oldest first (some may have moved on or closed).
  std::deque<std::weak_ptr<Connection>> pending_;
  std::size_t recording_count() const;

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  Recorder& recorder_;
  FrameSink* sink_;
  ServerOptions options_;
  ServerContext context_;  // after options_, which it refers to
  std::set<std::shared_ptr<Connection>> connections_;
  std::function<void()> all_done_;
  int markers_ = 0;
};

}  // namespace screenreel::receiver

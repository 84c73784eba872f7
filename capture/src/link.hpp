// One connection of the capture client to the receiver: the stream (TCP, or TLS over it), the
// message reader and the write queue, and the client's half of the handshake. The client makes
// a new Link for every (re)connection; handlers hold it by shared_ptr and the client ignores
// those of a Link that is no longer its current one.
#pragma once

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it (C++20)

#include <boost/asio.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "screenreel/protocol/message_reader.hpp"
#include "screenreel/protocol/transport.hpp"
#include "screenreel/protocol/wire.hpp"

namespace screenreel::capture {

using Bytes = std::shared_ptr<const std::vector<std::uint8_t>>;
inline Bytes share(std::vector<std::uint8_t> bytes) {
  return std::make_shared<const std::vector<std::uint8_t>>(std::move(bytes));
}

// gRPC's connection backoff: the first wait 1 s, each next one 1.6 times longer up to 30 s, each
// varied by up to 20 % either way so that many clients do not come back in step.
class Backoff {
 public:
  void reset() { base_ = std::chrono::milliseconds(1000); }
  std::chrono::milliseconds next();

 private:
  std::chrono::milliseconds base_{1000};
  std::mt19937 rng_{std::random_device{}()};
};

// Who the client is, for its HELLO.
struct Introduction {
  std::string token;  // empty: none
  wire::Hello hello;  // everything but the resume proof
  wire::ResumeKey resume_key{};
};

class Link : public std::enable_shared_from_this<Link> {
 public:
  using Clock = std::chrono::steady_clock;
  using error_code = boost::system::error_code;
  // Called when a write fails on a Link that is not closed.
  using WriteFailed = std::function<void(const std::shared_ptr<Link>&, error_code)>;

  Link(boost::asio::io_context& io, boost::asio::ssl::context* tls, WriteFailed on_write_failed);

  enum class Step { kConnect, kTls };
  // Connects to the first endpoint that answers, and makes the TLS handshake when the link has
  // TLS; `done` gets the error and the step it failed at.
  void open(const boost::asio::ip::tcp::resolver::results_type& endpoints, const std::string& host,
            const std::string& fingerprint, std::function<void(error_code, Step)> done);

  // The handshake, client side: the preamble offering `version`, then (answer_challenge) AUTH
  // when the receiver wants a token (its MAC covers the connection's version too: a downgrade
  // changes it) and HELLO naming the session to resume. Protocol 3 proves the resume key over
  // this connection's nonce; protocol 2 sent the key itself.
  void send_preamble(std::uint16_t version);
  void answer_challenge(const wire::Challenge& challenge, const Introduction& who);

  // What read() found: a message from the receiver; or the stream failed (ec); or `error`: its
  // bytes are not the protocol at all (`foreign`; reader.peer_speaks_tls() tells a TLS
  // receiver), or a message it must not send.
  struct Incoming {
    error_code ec;
    std::optional<wire::Message> message;
    std::string error;
    bool foreign = false;
  };
  // Reads the next message.
  void read(std::function<void(Incoming)> on_read);

  // Queues a message; messages are written in order. FRAMEs count in frames_sent.
  void send(Bytes bytes);
  void send_frame(Bytes bytes);
  void close();

  wire::MessageReader reader;
  bool tls() const { return stream_.tls(); }
  bool closed() const { return closed_; }
  int native_handle() { return stream_.socket().native_handle(); }
  Clock::time_point last_send() const { return last_send_; }

  bool challenged = false, welcomed = false, bye_sent = false;
  std::uint32_t unacked = 0;      // FRAMEs sent on this link without their ACK yet
  std::uint64_t frames_sent = 0;  // FRAMEs sent on this link (its BYE says so)

 private:
  void write_next();

  Transport stream_;
  WriteFailed on_write_failed_;
  std::deque<Bytes> outbox_;
  bool writing_ = false, closed_ = false;
  Clock::time_point last_send_ = Clock::now();
};

}  // namespace screenreel::capture

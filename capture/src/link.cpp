#include "link.hpp"

#include <algorithm>

#include "screenreel/protocol/auth.hpp"

namespace screenreel::capture {
namespace asio = boost::asio;

Link::Link(asio::io_context& io, asio::ssl::context* tls, WriteFailed on_write_failed)
    : stream_(tls ? Transport(asio::ip::tcp::socket(io), *tls)
                  : Transport(asio::ip::tcp::socket(io))),
      on_write_failed_(std::move(on_write_failed)) {}

void Link::open(const asio::ip::tcp::resolver::results_type& endpoints, const std::string& host,
                const std::string& fingerprint, std::function<void(error_code, Step)> done) {
  if (auto* t = stream_.tls_stream()) prepare_tls_client(*t, host, fingerprint);
  asio::async_connect(stream_.socket(), endpoints,
                      [self = shared_from_this(), done = std::move(done)](
                          error_code e, const asio::ip::tcp::endpoint&) {
                        if (e) return done(e, Step::kConnect);
                        error_code ignored;
                        self->stream_.socket().set_option(asio::ip::tcp::no_delay(true), ignored);
                        self->stream_.async_handshake(
                            asio::ssl::stream_base::client,
                            [done](error_code he) { done(he, Step::kTls); });
                      });
}

void Link::send_preamble(std::uint16_t version) {
  send(share(wire::encode_preamble(version)));
}

void Link::answer_challenge(const wire::Challenge& challenge, const Introduction& who) {
  if (challenge.auth_required)
    send(share(wire::encode(wire::Auth{auth_mac(who.token, challenge.nonce, reader.version())})));
  wire::Hello hello = who.hello;
  if (reader.version() < 5) hello.wire_pixels = 0;  // appended in protocol 5
  hello.resume_key =
      reader.version() >= 3 ? resume_proof(who.resume_key, challenge.nonce) : who.resume_key;
  send(share(wire::encode(hello)));
}

std::chrono::milliseconds Backoff::next() {
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  const auto delay = std::chrono::milliseconds(
      static_cast<std::int64_t>(static_cast<double>(base_.count()) * jitter(rng_)));
  base_ = std::min(std::chrono::milliseconds(30'000),
                   std::chrono::milliseconds(
                       static_cast<std::int64_t>(static_cast<double>(base_.count()) * 1.6)));
  return delay;
}

void Link::read(std::function<void(Incoming)> on_read) {
  const auto buf = reader.buffer();
  stream_.async_read_some(
      asio::buffer(buf.data(), buf.size()),
      [self = shared_from_this(), on_read = std::move(on_read)](error_code ec,
                                                                std::size_t n) mutable {
        if (self->closed_) return;
        if (ec) return on_read({ec, std::nullopt, {}});
        auto& r = self->reader;
        switch (r.commit(n)) {
          case wire::MessageReader::Event::kNeedMore:
          case wire::MessageReader::Event::kPreamble:
            return self->read(std::move(on_read));
          case wire::MessageReader::Event::kError:
            return on_read({{}, std::nullopt, r.error().what, true});
          case wire::MessageReader::Event::kMessage:
            break;
        }
        if (r.type() == wire::MessageType::kFrame)
          return on_read({{}, std::nullopt, "the receiver sent a FRAME"});
        auto m = wire::decode_body(r.type(), r.body(), r.version());
        if (!m)
          return on_read({{}, std::nullopt, "bad message from the receiver: " + m.error().what});
        on_read({{}, std::move(*m), {}});
      });
}

void Link::send(Bytes bytes) {
  if (closed_) return;
  outbox_.push_back(std::move(bytes));
  if (!writing_) write_next();
}

void Link::send_frame(Bytes bytes) {
  ++unacked;
  ++frames_sent;
  send(std::move(bytes));
}

void Link::write_next() {
  if (outbox_.empty()) {
    writing_ = false;
    return;
  }
  writing_ = true;
  last_send_ = Clock::now();
  stream_.async_write(asio::buffer(*outbox_.front()),
                      [self = shared_from_this()](error_code ec, std::size_t) {
                        if (self->closed_) return;
                        if (ec) {
                          self->writing_ = false;
                          return self->on_write_failed_(self, ec);
                        }
                        self->outbox_.pop_front();
                        self->write_next();
                      });
}

void Link::close() {
  if (closed_) return;
  closed_ = true;
  stream_.close();
}

}  // namespace screenreel::capture

// Splits a byte stream into the protocol's units (the 12-byte preamble, then header + body
// messages) with the limits checked before any buffer grows. It owns no socket: the receiver
// reads into buffer() and calls commit(); the fuzz target and the tests feed bytes the same way.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "screenreel/protocol/wire.hpp"

namespace screenreel::wire {

class MessageReader {
 public:
  // A body grows at most this much beyond what has arrived, so a peer that claims a large
  // length without sending it never makes the reader allocate the claimed size.
  static constexpr std::size_t kChunk = 1 << 20;

  enum class Event { kNeedMore, kPreamble, kMessage, kError };

  // Where the next bytes go; never empty while the stream is good. Read at most its size.
  std::span<std::uint8_t> buffer();
  // `n` bytes were written into buffer(). kPreamble: version() is set. kMessage: type() and
  // body() are set until the next commit. kError: error() says why; the stream is finished.
  Event commit(std::size_t n);

  // Caps every message body at `limit` bytes on top of the per-type limits (set while a peer is
  // not yet authenticated, so it can make the reader hold only a few hundred bytes).
  void set_body_limit(std::uint64_t limit) { limit_ = limit; }

  // The connection's protocol version: the lower of the peer's preamble and this build's.
  std::uint16_t version() const { return version_; }
  // Messages of types this build does not know, skipped by their length (protocol 3).
  std::uint64_t skipped() const { return skipped_; }
  // The peer's first bytes were a TLS record (an alert or a handshake: 15 03 or 16 03), not a
  // preamble: it speaks TLS and this side does not.
  bool peer_speaks_tls() const { return peer_tls_; }
  // Bytes committed so far (0: the peer has said nothing yet).
  std::uint64_t bytes_seen() const { return seen_; }
  MessageType type() const { return header_.type; }
  std::span<const std::uint8_t> body() const { return {body_.data(), header_.length}; }
  const WireError& error() const { return error_; }
  // Bytes of the current unit received so far (for "cut in the middle of a message" logs).
  bool in_message() const { return stage_ == Stage::kBody || (stage_ == Stage::kHeader && filled_ > 0); }

 private:
  enum class Stage { kPreamble, kHeader, kBody, kFailed };
  Stage stage_ = Stage::kPreamble;
  std::uint8_t fixed_[kPreambleBytes] = {};
  std::size_t filled_ = 0;
  Header header_{};
  std::vector<std::uint8_t> body_;
  std::uint16_t version_ = 0;
  std::uint64_t skipped_ = 0;
  bool peer_tls_ = false;
  std::uint64_t seen_ = 0;
  std::uint64_t limit_ = kMaxMessageBytes;
  WireError error_;
};

}  // namespace screenreel::wire

// libFuzzer target over the receiver's read path: bytes -> wire::MessageReader (buffer() and
// commit() in slices, as async_read_some delivers them) -> wire::decode_body -> HELLO makes a
// FrameDecoder -> each FRAME goes to FrameDecoder::apply. The state rules are those of
// receiver/src/connection.cpp (Connection::read, on_message, on_hello, on_frame); only the
// socket, the catalog and the JPEG encoders are left out.
//
// Input: byte 0 is the largest slice handed to commit() (0: as much as buffer() takes), byte 1
// seeds the slice sizes below it; the rest is the stream as a client would send it. Besides the
// sanitizers, the target aborts when an invariant the receiver relies on does not hold (a
// decoded message that does not encode back to its bytes, a frame accepted out of order or with
// the wrong hash, an empty buffer() while the stream is good).
//
// Built by tests/fuzz/CMakeLists.txt (scripts/fuzz.sh) with clang -fsanitize=fuzzer; the main
// build links it into fuzz_regression_test, which replays the seed streams and their mutations.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <span>
#include <type_traits>
#include <variant>
#include <vector>

#include "screenreel/protocol/frame_codec.hpp"
#include "screenreel/protocol/message_reader.hpp"
#include "screenreel/protocol/wire.hpp"

namespace {
using namespace screenreel;

[[noreturn]] void invariant_failed(const char* what) {
  std::fprintf(stderr, "receiver_fuzz: invariant violated: %s\n", what);
  std::abort();
}
#define FUZZ_CHECK(cond) ((cond) ? void(0) : invariant_failed(#cond))

// Slice sizes for commit(): a socket hands over whatever has arrived, from 1 byte up.
class Slicer {
 public:
  Slicer(std::uint8_t max, std::uint8_t seed) : max_(max), state_(0x9E3779B97F4A7C15ull ^ seed) {}
  std::size_t next(std::size_t room) {
    if (max_ == 0) return room;
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return std::min<std::size_t>(room, 1 + state_ % max_);
  }

 private:
  std::uint8_t max_;
  std::uint64_t state_;
};

// A decoded control message must encode back to the very bytes it came from (ERROR maps an
// unknown code to `internal`, so it is compared after a second decode instead). From protocol 3,
// bytes after the known fields are ignored: the encoding is then a prefix of the body.
bool encodes_to(std::span<const std::uint8_t> again, std::span<const std::uint8_t> body, std::uint16_t version) {
  const bool sizes = version >= 3 ? again.size() <= body.size() : again.size() == body.size();
  return sizes && std::equal(again.begin(), again.end(), body.begin());
}

void check_round_trip(wire::MessageType type, std::span<const std::uint8_t> body, const wire::Message& msg,
                      std::uint16_t version) {
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (!std::is_same_v<T, wire::FrameView>) {
          const std::vector<std::uint8_t> again = wire::encode(m);
          FUZZ_CHECK(again.size() >= wire::kHeaderBytes);
          const std::span<const std::uint8_t> again_body(again.data() + wire::kHeaderBytes,
                                                         again.size() - wire::kHeaderBytes);
          if constexpr (std::is_same_v<T, wire::Error>) {
            auto re = wire::decode_body(type, again_body);
            FUZZ_CHECK(re && std::get<wire::Error>(*re).message == m.message);
          } else {
            FUZZ_CHECK(encodes_to(again_body, body, version));
          }
        }
      },
      msg);
}

// A FRAME that decode_body accepted, written again with the encoder's writer, gives its bytes.
void check_frame_round_trip(std::span<const std::uint8_t> body, const wire::FrameView& f, std::uint16_t version) {
  std::vector<std::uint8_t> out;
  wire::FrameMessageWriter writer(out, f.seq, f.capture_time_us, f.width, f.height, f.flags);
  for (const auto& r : f.rects) {
    writer.add_rect(r.x, r.y, r.w, r.h, r.encoding, r.data);
  }
  writer.finish(f.pixel_hash);
  FUZZ_CHECK(encodes_to(std::span(out).subspan(wire::kHeaderBytes), body, version));
}

// The receiver's Connection without its socket: same states, same transitions, for a receiver
// without --token-file (CHALLENGE says no token is needed, so HELLO follows the preamble; with a
// token, the only extra input is AUTH's fixed 32-byte MAC, compared in constant time).
class ReceiverModel {
 public:
  // Until HELLO is accepted a peer can make the reader hold only a few hundred bytes.
  ReceiverModel() { reader_.set_body_limit(wire::kMaxPreAuthBody); }

  // Feeds the whole stream; returns when the connection would have been closed or stopped
  // reading, or when the bytes run out (the peer went away).
  void run(std::span<const std::uint8_t> stream, Slicer& slicer) {
    std::size_t pos = 0;
    while (pos < stream.size() && reading()) {
      const auto buf = reader_.buffer();
      FUZZ_CHECK(!buf.empty());
      const std::size_t n = std::min(slicer.next(buf.size()), stream.size() - pos);
      std::memcpy(buf.data(), stream.data() + pos, n);
      pos += n;
      on_event(reader_.commit(n));
    }
  }

 private:
  enum class State { kPreamble, kHello, kRecording, kEnding, kClosed };

  bool reading() const {
    return state_ == State::kPreamble || state_ == State::kHello || state_ == State::kRecording;
  }

  void on_event(wire::MessageReader::Event e) {
    switch (e) {
      case wire::MessageReader::Event::kNeedMore:
        return;
      case wire::MessageReader::Event::kPreamble:
        FUZZ_CHECK(state_ == State::kPreamble && reader_.version() >= wire::kMinVersion &&
                   reader_.version() <= wire::kVersion);
        state_ = State::kHello;  // the receiver answers with its preamble and a CHALLENGE
        return;
      case wire::MessageReader::Event::kError:
        FUZZ_CHECK(!reader_.error().what.empty());
        state_ = State::kClosed;  // ERROR (or nothing, for a bad magic), then close
        return;
      case wire::MessageReader::Event::kMessage:
        return on_message(reader_.type());
    }
  }

  void on_message(wire::MessageType type) {
    const auto body = reader_.body();
    FUZZ_CHECK(body.size() <= wire::max_body_bytes(type));
    FUZZ_CHECK(state_ == State::kRecording || body.size() <= wire::kMaxPreAuthBody);
    auto parsed = wire::decode_body(type, body, reader_.version());
    if (!parsed) {
      FUZZ_CHECK(!parsed.error().what.empty());
      state_ = State::kClosed;
      return;
    }
    const auto& msg = *parsed;
    if (const auto* frame = std::get_if<wire::FrameView>(&msg))
      check_frame_round_trip(body, *frame, reader_.version());
    else
      check_round_trip(type, body, msg, reader_.version());

    if (state_ == State::kHello) {
      const auto* hello = std::get_if<wire::Hello>(&msg);
      if (!hello) {
        state_ = State::kClosed;  // "expected HELLO"
        return;
      }
      FUZZ_CHECK(hello->width >= wire::kMinDimension && hello->width <= wire::kMaxDimension);
      FUZZ_CHECK(hello->height >= wire::kMinDimension && hello->height <= wire::kMaxDimension);
      FUZZ_CHECK(std::uint64_t{hello->width} * hello->height <= wire::kMaxPixels);
      decoder_.emplace(hello->width, hello->height);
      reader_.set_body_limit(wire::kMaxMessageBytes);
      state_ = State::kRecording;
      return;
    }
    if (const auto* frame = std::get_if<wire::FrameView>(&msg)) return on_frame(*frame);
    if (std::holds_alternative<wire::Ping>(msg)) return;  // keepalive: read on
    if (std::holds_alternative<wire::Bye>(msg) || std::holds_alternative<wire::Error>(msg)) {
      state_ = State::kEnding;  // the session is stored and closed; nothing more is read
      return;
    }
    state_ = State::kClosed;  // "... is not a client message"
  }

  void on_frame(const wire::FrameView& f) {
    if (auto applied = decoder_->apply(f); !applied) {
      FUZZ_CHECK(!applied.error().what.empty());
      state_ = State::kClosed;
      return;
    }
    // What Connection::on_frame relies on before it copies the frame out for the encoders.
    const FrameBuffer& frame = decoder_->frame();
    FUZZ_CHECK(f.width == frame.width && f.height == frame.height);
    FUZZ_CHECK(frame.pixels.size() ==
               std::size_t{frame.width} * frame.height * wire::kBytesPerPixel);
    FUZZ_CHECK(f.seq > last_seq_ && decoder_->last_seq() == f.seq);
    FUZZ_CHECK(have_key_ || f.is_key());
    FUZZ_CHECK(pixel_hash(frame) == f.pixel_hash);
    for (const auto& r : f.rects)
      FUZZ_CHECK(r.w > 0 && r.h > 0 && std::uint64_t{r.x} + r.w <= frame.width &&
                 std::uint64_t{r.y} + r.h <= frame.height);
    copy_.assign(frame.pixels.begin(), frame.pixels.end());  // acquire_buffer + memcpy
    last_seq_ = f.seq;
    have_key_ = true;
  }

  State state_ = State::kPreamble;
  wire::MessageReader reader_;
  std::optional<FrameDecoder> decoder_;
  std::uint64_t last_seq_ = 0;
  bool have_key_ = false;
  std::vector<std::uint8_t> copy_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  Slicer slicer(data[0], data[1]);
  ReceiverModel model;
  model.run({data + 2, size - 2}, slicer);
  return 0;
}

// Wire protocol v2 against its specification (schemas/wire-protocol.md): golden bytes,
// round trips, and every malformed header and body refused with a named reason.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "screenreel/protocol/frame_codec.hpp"
#include "screenreel/protocol/message_reader.hpp"
#include "screenreel/protocol/wire.hpp"

namespace screenreel::wire {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes body_of(const Bytes& message) { return Bytes(message.begin() + kHeaderBytes, message.end()); }

template <typename T>
T round_trip(const T& m) {
  const Bytes bytes = encode(m);
  auto h = decode_header(std::span(bytes).first(kHeaderBytes));
  EXPECT_TRUE(h) << h.error().what;
  EXPECT_EQ(h->length, bytes.size() - kHeaderBytes);
  const Bytes body = body_of(bytes);
  auto parsed = decode_body(h->type, body);
  EXPECT_TRUE(parsed) << parsed.error().what;
  return std::get<T>(*parsed);
}

TEST(Wire, PreambleRoundTripAndRefusals) {
  const Bytes p = encode_preamble();
  ASSERT_EQ(p.size(), kPreambleBytes);
  EXPECT_EQ(std::memcmp(p.data(), "SCRNREEL", 8), 0);
  auto ok = decode_preamble(p);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, kVersion);

  Bytes bad_magic = p;
  bad_magic[0] = 'X';
  auto e1 = decode_preamble(bad_magic);
  EXPECT_FALSE(e1);
  EXPECT_NE(e1.error().what.find("magic"), std::string::npos);

  auto e2 = decode_preamble(encode_preamble(1));  // version 1 had no session resume
  EXPECT_FALSE(e2);
  EXPECT_EQ(e2.error().code, ErrorCode::kUnsupportedVersion);
  EXPECT_NE(e2.error().what.find("version 1"), std::string::npos);
  auto newer = decode_preamble(encode_preamble(7));  // a newer peer: answered with negotiate()
  ASSERT_TRUE(newer);
  EXPECT_EQ(negotiate(*newer), kVersion);

  EXPECT_FALSE(decode_preamble(std::span(p).first(11)));
}

TEST(Wire, ControlMessagesRoundTrip) {
  EXPECT_EQ(round_trip(Hello{1920, 1080, PixelFormat::kBgrx8888, 60000, -5, "name", "x11 :0"}),
            (Hello{1920, 1080, PixelFormat::kBgrx8888, 60000, -5, "name", "x11 :0"}));
  Hello resume{1920, 1080, PixelFormat::kBgrx8888, 60000, -5, "name", "x11 :0", 42, {}};
  for (std::size_t i = 0; i < resume.resume_key.size(); ++i) resume.resume_key[i] = static_cast<std::uint8_t>(i + 1);
  EXPECT_EQ(round_trip(resume), resume);
  EXPECT_EQ(round_trip(Welcome{42, 8, "20261125T010203Z-42"}), (Welcome{42, 8, "20261125T010203Z-42"}));
  const Welcome resumed{42, 8, "f", resume.resume_key, 1234};
  EXPECT_EQ(round_trip(resumed), resumed);
  EXPECT_EQ(round_trip(Ack{7, 3}), (Ack{7, 3}));
  EXPECT_EQ(round_trip(Ack{7, 0, 5}), (Ack{7, 0, 5}));
  EXPECT_EQ(round_trip(Stop{StopReason::kUserEnded, "q"}), (Stop{StopReason::kUserEnded, "q"}));
  EXPECT_EQ(round_trip(Bye{100, 2}), (Bye{100, 2}));
  EXPECT_EQ(round_trip(Error{ErrorCode::kHashMismatch, "x"}), (Error{ErrorCode::kHashMismatch, "x"}));
}

TEST(Wire, LongTextIsTruncatedByTheEncoderNotRefusedByTheDecoder) {
  Hello h{64, 64, PixelFormat::kBgrx8888, 1000, 0, std::string(300, 'a'), ""};
  EXPECT_EQ(round_trip(h).name.size(), kMaxText);
}

Bytes header(std::uint16_t type, std::uint16_t reserved, std::uint32_t length) {
  Bytes b(8);
  b[0] = type & 0xff;
  b[1] = type >> 8;
  b[2] = reserved & 0xff;
  b[3] = reserved >> 8;
  for (int i = 0; i < 4; ++i) b[4 + i] = (length >> (8 * i)) & 0xff;
  return b;
}

TEST(Wire, MalformedHeadersAreRefusedWithAReason) {
  // Version 2: an unknown type is an error. Version 3 skips it (wire_golden_test.cpp), up to a size.
  EXPECT_NE(decode_header(header(0, 0, 0), 2).error().what.find("unknown message type 0"), std::string::npos);
  EXPECT_NE(decode_header(header(99, 0, 0), 2).error().what.find("unknown message type 99"), std::string::npos);
  EXPECT_TRUE(decode_header(header(99, 0, 16), 3));
  EXPECT_NE(decode_header(header(99, 0, kMaxControlBytes + 1), 3).error().what.find("unknown message type 99"),
            std::string::npos);
  EXPECT_NE(decode_header(header(1, 1, 0)).error().what.find("reserved"), std::string::npos);
  auto over = decode_header(header(3, 0, 0xFFFFFFFF));
  EXPECT_FALSE(over);
  EXPECT_NE(over.error().what.find("over the limit"), std::string::npos);
  EXPECT_FALSE(decode_header(header(1, 0, kMaxControlBytes + 1)));
  EXPECT_TRUE(decode_header(header(3, 0, kMaxMessageBytes)));
  EXPECT_FALSE(decode_header(header(3, 0, kMaxMessageBytes + 1)));
  EXPECT_FALSE(decode_header(Bytes(7)));  // truncated
}

Bytes hello_body(std::uint32_t w, std::uint32_t h, std::uint32_t fmt = 1, std::uint32_t fps = 30000) {
  Hello m{w, h, PixelFormat::kBgrx8888, fps, 0, "n", "s"};
  Bytes b = body_of(encode(m));
  b[8] = fmt & 0xff;
  return b;
}

TEST(Wire, HelloLimits) {
  EXPECT_TRUE(decode_body(MessageType::kHello, hello_body(1920, 1080)));
  auto huge = decode_body(MessageType::kHello, hello_body(65535, 65535));
  EXPECT_FALSE(huge);
  EXPECT_NE(huge.error().what.find("65535x65535"), std::string::npos);
  EXPECT_FALSE(decode_body(MessageType::kHello, hello_body(0, 0)));
  EXPECT_FALSE(decode_body(MessageType::kHello, hello_body(0xFFFFFFFF, 2)));  // "negative" as i32
  auto pixels = decode_body(MessageType::kHello, hello_body(8192, 8192));      // each ok, product not
  EXPECT_FALSE(pixels);
  EXPECT_NE(pixels.error().what.find("pixels"), std::string::npos);
  EXPECT_FALSE(decode_body(MessageType::kHello, hello_body(64, 64, 2)));
  EXPECT_FALSE(decode_body(MessageType::kHello, hello_body(64, 64, 1, 0)));
  EXPECT_FALSE(decode_body(MessageType::kHello, hello_body(64, 64, 1, 241000)));
  Bytes trailing = hello_body(64, 64);
  trailing.push_back(0);
  EXPECT_NE(decode_body(MessageType::kHello, trailing, 2).error().what.find("trailing"), std::string::npos);
  EXPECT_TRUE(decode_body(MessageType::kHello, trailing, 3)) << "version 3 ignores appended fields";
}

TEST(Wire, EveryTruncationOfEveryMessageIsRefused) {
  const std::vector<std::pair<MessageType, Bytes>> messages = {
      {MessageType::kHello, body_of(encode(Hello{64, 64, PixelFormat::kBgrx8888, 1000, 1, "a", "b"}))},
      {MessageType::kWelcome, body_of(encode(Welcome{1, 1, "f"}))},
      {MessageType::kAck, body_of(encode(Ack{1, 1}))},
      {MessageType::kStop, body_of(encode(Stop{StopReason::kShutdown, "m"}))},
      {MessageType::kBye, body_of(encode(Bye{1, 0}))},
      {MessageType::kError, body_of(encode(Error{ErrorCode::kTimeout, "m"}))},
  };
  for (const auto& [type, body] : messages) {
    for (std::size_t n = 0; n < body.size(); ++n)
      EXPECT_FALSE(decode_body(type, std::span(body).first(n))) << to_string(type) << " cut at " << n;
  }
}

// A FRAME built by the real encoder, then broken in specific ways.
class WireFrame : public ::testing::Test {
 protected:
  void SetUp() override {
    FrameBuffer f(128, 64);
    for (std::size_t i = 0; i < f.pixels.size(); ++i) f.pixels[i] = static_cast<std::uint8_t>(i * 7 + i / 256);
    FrameEncoder enc(128, 64);
    ASSERT_TRUE(enc.encode(f.pixels.data(), f.stride(), 1, 100, true, false, message));
    body = body_of(message);
  }
  Result<Message, WireError> parse() const { return decode_body(MessageType::kFrame, body); }
  // Offsets inside the body (schemas/wire-protocol.md, FRAME).
  static constexpr std::size_t kWidth = 16, kHeight = 20, kFlags = 24, kCount = 36, kRect0 = 40;
  void put32(std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) body[at + i] = (v >> (8 * i)) & 0xff;
  }
  Bytes message, body;
};

TEST_F(WireFrame, ParsesWhatTheEncoderWrote) {
  auto m = parse();
  ASSERT_TRUE(m) << m.error().what;
  const auto& f = std::get<FrameView>(*m);
  EXPECT_EQ(f.seq, 1u);
  EXPECT_EQ(f.width, 128u);
  EXPECT_TRUE(f.is_key());
  EXPECT_EQ(f.rects.size(), 1u);  // one tile row, full width
}

TEST_F(WireFrame, RectOutsideTheFrameIsRefused) {
  put32(kRect0 + 0, 100);  // x = 100, w = 128: x + w > 128
  auto m = parse();
  EXPECT_FALSE(m);
  EXPECT_NE(m.error().what.find("outside"), std::string::npos);
}

TEST_F(WireFrame, RectOverflowingIn32BitsIsRefused) {
  put32(kRect0 + 0, 0xFFFFFFF0);  // x + w wraps around in 32 bits
  EXPECT_FALSE(parse());
}

TEST_F(WireFrame, ImpossibleSizesAreRefused) {
  put32(kWidth, 65535);
  put32(kHeight, 65535);
  EXPECT_FALSE(parse());
  SetUp();
  put32(kWidth, 0);
  EXPECT_FALSE(parse());
}

TEST_F(WireFrame, RectCountBeyondTheBodyIsRefusedBeforeAllocating) {
  put32(kCount, 60000);
  auto m = parse();
  EXPECT_FALSE(m);
  EXPECT_NE(m.error().what.find("exceeds the body"), std::string::npos);
  put32(kCount, 0xFFFFFFFF);
  EXPECT_FALSE(parse());
}

TEST_F(WireFrame, UnknownFlagsAndEncodingsAreRefused) {
  put32(kFlags, 3);
  EXPECT_FALSE(parse());
  SetUp();
  body[kRect0 + 16] = 9;
  EXPECT_NE(parse().error().what.find("unknown encoding"), std::string::npos);
}

TEST_F(WireFrame, DataLengthThatCannotBeRightIsRefused) {
  put32(kRect0 + 20, 0xFFFFFFFF);
  EXPECT_FALSE(parse());
}

TEST_F(WireFrame, EveryTruncationIsRefused) {
  const Bytes whole = body;
  for (std::size_t n = 0; n < whole.size(); n += 1 + n / 64) {
    EXPECT_FALSE(decode_body(MessageType::kFrame, std::span(whole).first(n))) << "cut at " << n;
  }
}

// Feeds `stream` to a MessageReader in pieces of at most `step` bytes, as a socket would.
std::vector<MessageReader::Event> feed(MessageReader& r, const Bytes& stream, std::size_t step) {
  std::vector<MessageReader::Event> events;
  std::size_t at = 0;
  while (at < stream.size()) {
    auto buf = r.buffer();
    if (buf.empty()) break;
    const std::size_t n = std::min({buf.size(), step, stream.size() - at});
    std::memcpy(buf.data(), stream.data() + at, n);
    at += n;
    const auto e = r.commit(n);
    if (e != MessageReader::Event::kNeedMore) events.push_back(e);
    if (e == MessageReader::Event::kError) break;
  }
  return events;
}

TEST(MessageReader, SplitsAStreamFedOneByteAtATime) {
  Bytes stream = encode_preamble();
  const Bytes hello = encode(Hello{64, 64, PixelFormat::kBgrx8888, 1000, 0, "a", "b"});
  const Bytes bye = encode(Bye{3, 1});
  stream.insert(stream.end(), hello.begin(), hello.end());
  stream.insert(stream.end(), bye.begin(), bye.end());
  for (std::size_t step : {std::size_t{1}, std::size_t{5}, std::size_t{4096}}) {
    MessageReader r;
    std::vector<MessageType> types;
    std::size_t at = 0;
    while (at < stream.size()) {
      auto buf = r.buffer();
      const std::size_t n = std::min({buf.size(), step, stream.size() - at});
      std::memcpy(buf.data(), stream.data() + at, n);
      at += n;
      const auto e = r.commit(n);
      ASSERT_NE(e, MessageReader::Event::kError) << r.error().what;
      if (e == MessageReader::Event::kMessage) {
        types.push_back(r.type());
        ASSERT_TRUE(decode_body(r.type(), r.body()));
      }
    }
    EXPECT_EQ(types, (std::vector<MessageType>{MessageType::kHello, MessageType::kBye})) << "step " << step;
  }
}

TEST(MessageReader, AClaimedLengthIsNotAllocatedBeforeItArrives) {
  MessageReader r;
  Bytes stream = encode_preamble();
  const Bytes h = header(3, 0, static_cast<std::uint32_t>(kMaxMessageBytes));
  stream.insert(stream.end(), h.begin(), h.end());
  stream.push_back(0xAB);  // one byte of the 96 MiB it claims
  feed(r, stream, 4096);
  EXPECT_LE(r.buffer().size(), MessageReader::kChunk);
  EXPECT_TRUE(r.in_message());
}

TEST(MessageReader, BadMagicVersionAndHeadersEndTheStream) {
  {
    MessageReader r;
    Bytes bad = encode_preamble();
    bad[3] = '!';
    EXPECT_EQ(feed(r, bad, 100), std::vector{MessageReader::Event::kError});
    EXPECT_TRUE(r.buffer().empty());
  }
  {
    MessageReader r;
    EXPECT_EQ(feed(r, encode_preamble(1), 100), std::vector{MessageReader::Event::kError});
    EXPECT_EQ(r.error().code, ErrorCode::kUnsupportedVersion);
  }
  {
    MessageReader r;  // a newer peer: this connection speaks this build's version
    EXPECT_EQ(feed(r, encode_preamble(9), 100), std::vector{MessageReader::Event::kPreamble});
    EXPECT_EQ(r.version(), kVersion);
  }
  {
    MessageReader r;
    Bytes s = encode_preamble();
    const Bytes h = header(1, 0, 0xFFFFFFFF);
    s.insert(s.end(), h.begin(), h.end());
    EXPECT_EQ(feed(r, s, 100), (std::vector{MessageReader::Event::kPreamble, MessageReader::Event::kError}));
  }
}

TEST(Wire, TicksAtOrAbove2To63AreRefused) {
  // The catalog keeps ticks in signed 64-bit columns: the spec bounds them (kMaxTick), so a tick
  // of 2^63 can never be stored as a negative number or acknowledged without being stored.
  for (const std::uint64_t seq : {kMaxTick + 1, ~std::uint64_t{0}}) {
    Bytes msg;
    FrameMessageWriter writer(msg, seq, 0, 64, 64, 0);
    writer.finish(0);
    auto m = decode_body(MessageType::kFrame, std::span(msg).subspan(kHeaderBytes));
    ASSERT_FALSE(m) << seq;
    EXPECT_EQ(m.error().code, ErrorCode::kBadSequence);
    EXPECT_NE(m.error().what.find("2^63"), std::string::npos) << m.error().what;
  }
  Bytes msg;
  FrameMessageWriter writer(msg, kMaxTick, 0, 64, 64, 0);
  writer.finish(0);
  EXPECT_TRUE(decode_body(MessageType::kFrame, std::span(msg).subspan(kHeaderBytes)));
}

}  // namespace
}  // namespace screenreel::wire

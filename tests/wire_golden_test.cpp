// The wire protocol's golden bytes, read out of schemas/wire-protocol.md itself (its ```golden
// NAME blocks), so that the spec and the code cannot drift apart: each block is decoded by the
// protocol library and checked against what the spec's text says it is, for each version.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "screenreel/protocol/auth.hpp"
#include "screenreel/protocol/message_reader.hpp"
#include "screenreel/protocol/wire.hpp"

namespace screenreel::wire {
namespace {

using Bytes = std::vector<std::uint8_t>;

// name -> bytes of every ```golden NAME block of the spec. A line is bytes ("01 0a ...") and an
// optional comment after two or more spaces.
std::map<std::string, Bytes> golden_blocks() {
  std::ifstream in(std::string(SCREENREEL_SOURCE_DIR) + "/schemas/wire-protocol.md");
  EXPECT_TRUE(in) << "cannot read schemas/wire-protocol.md";
  std::map<std::string, Bytes> out;
  const std::regex open("^```golden ([a-z0-9-]+)$"), bytes_line("^((?:[0-9a-f]{2} )*[0-9a-f]{2})(?:  .*)?$");
  std::string line, name;
  std::smatch m;
  while (std::getline(in, line)) {
    if (name.empty()) {
      if (std::regex_match(line, m, open)) name = m[1];
      continue;
    }
    if (line == "```") {
      name.clear();
      continue;
    }
    EXPECT_TRUE(std::regex_match(line, m, bytes_line)) << "golden block " << name << ": not a line of bytes: " << line;
    std::istringstream hex(m[1].str());
    for (std::string b; hex >> b;) out[name].push_back(static_cast<std::uint8_t>(std::stoul(b, nullptr, 16)));
  }
  return out;
}

const Bytes& block(const std::string& name) {
  static const auto blocks = golden_blocks();
  const auto it = blocks.find(name);
  if (it == blocks.end()) {
    ADD_FAILURE() << "schemas/wire-protocol.md has no golden block " << name;
    static const Bytes none;
    return none;
  }
  return it->second;
}

// Feeds a preamble of `version` and then `stream` to a MessageReader; returns the messages it
// delivers as (type, body), or the error it stops with.
struct Read {
  std::vector<std::pair<MessageType, Bytes>> messages;
  std::string error;
  std::uint64_t skipped = 0;
};
Read read_stream(std::uint16_t version, const Bytes& stream) {
  MessageReader reader;
  Bytes all = encode_preamble(version);
  all.insert(all.end(), stream.begin(), stream.end());
  Read out;
  std::size_t at = 0;
  while (at < all.size()) {
    const auto buf = reader.buffer();
    const std::size_t n = std::min(buf.size(), all.size() - at);
    std::copy_n(all.begin() + static_cast<std::ptrdiff_t>(at), n, buf.begin());
    at += n;
    const auto event = reader.commit(n);
    if (event == MessageReader::Event::kError) {
      out.error = reader.error().what;
      break;
    }
    if (event == MessageReader::Event::kMessage) {
      const auto body = reader.body();
      out.messages.emplace_back(reader.type(), Bytes(body.begin(), body.end()));
    }
  }
  out.skipped = reader.skipped();
  return out;
}

TEST(WireGolden, PreamblesOfBothVersionsAreWhatThisBuildSendsAndReads) {
  EXPECT_EQ(block("v2-preamble"), encode_preamble(2));
  EXPECT_EQ(block("v3-preamble"), encode_preamble(3));
  EXPECT_EQ(block("v4-preamble"), encode_preamble(4));
  EXPECT_EQ(block("v5-preamble"), encode_preamble(5));
  EXPECT_EQ(block("v6-preamble"), encode_preamble(6));
  EXPECT_EQ(encode_preamble(), block("v6-preamble")) << "kVersion is 6";
  for (const std::uint16_t v : {2, 3, 4, 5, 6}) {
    auto p = decode_preamble(block("v" + std::to_string(v) + "-preamble"));
    ASSERT_TRUE(p) << p.error().what;
    EXPECT_EQ(*p, v);
    EXPECT_EQ(negotiate(*p), v);
  }
  // A newer peer is answered with this build's version; version 1 is refused.
  EXPECT_EQ(negotiate(*decode_preamble(encode_preamble(9))), 6);
  auto old = decode_preamble(encode_preamble(1));
  ASSERT_FALSE(old);
  EXPECT_EQ(old.error().code, ErrorCode::kUnsupportedVersion);
  EXPECT_NE(old.error().what.find("speaks 2 to 6"), std::string::npos) << old.error().what;
}

TEST(WireGolden, HelloOfANewSessionIsTheSameInBothVersions) {
  const Bytes& golden = block("v2-hello");
  const Hello expected{640, 480, PixelFormat::kBgrx8888, 30000, 1000000, "demo", "test"};
  EXPECT_EQ(encode(expected), golden);
  for (const std::uint16_t v : {2, 3}) {
    const auto r = read_stream(v, golden);
    ASSERT_EQ(r.messages.size(), 1u) << r.error;
    EXPECT_EQ(r.messages[0].first, MessageType::kHello);
    auto m = decode_body(r.messages[0].first, r.messages[0].second, v);
    ASSERT_TRUE(m) << m.error().what;
    EXPECT_EQ(std::get<Hello>(*m), expected);
  }
}

TEST(WireGolden, AResumingHelloCarriesTheProofOverTheNonceNotTheKey) {
  const Bytes& golden = block("v3-hello-resume");
  ResumeKey key{};
  Nonce nonce{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(1 + i);
  for (std::size_t i = 0; i < nonce.size(); ++i) nonce[i] = static_cast<std::uint8_t>(0x20 + i);
  Hello expected{640, 480, PixelFormat::kBgrx8888, 30000, 1000000, "demo", "test"};
  expected.resume_session_id = 7;
  expected.resume_key = resume_proof(key, nonce);
  EXPECT_EQ(encode(expected), golden);
  auto m = decode_body(MessageType::kHello, std::span(golden).subspan(kHeaderBytes), 3);
  ASSERT_TRUE(m) << m.error().what;
  const auto& hello = std::get<Hello>(*m);
  EXPECT_EQ(hello.resume_session_id, 7u);
  EXPECT_TRUE(resume_keys_equal(hello.resume_key, resume_proof(key, nonce)));
  EXPECT_FALSE(resume_keys_equal(hello.resume_key, key)) << "the key itself is not on the wire";
  Nonce other = nonce;
  other[0] ^= 1;
  EXPECT_FALSE(resume_keys_equal(hello.resume_key, resume_proof(key, other))) << "a proof is bound to its nonce";
}

TEST(WireGolden, AnUnknownMessageIsSkippedInVersion3AndRefusedInVersion2) {
  const Bytes& golden = block("v3-unknown-then-ping");
  const auto v3 = read_stream(3, golden);
  EXPECT_TRUE(v3.error.empty()) << v3.error;
  ASSERT_EQ(v3.messages.size(), 1u);
  EXPECT_EQ(v3.messages[0].first, MessageType::kPing);
  EXPECT_EQ(v3.skipped, 1u);
  const auto v2 = read_stream(2, golden);
  EXPECT_TRUE(v2.messages.empty());
  EXPECT_NE(v2.error.find("unknown message type 256"), std::string::npos) << v2.error;
  // An unknown type longer than kMaxControlBytes is refused in any version.
  Bytes big = {0x00, 0x01, 0x00, 0x00};
  const std::uint32_t n = kMaxControlBytes + 1;
  for (int i = 0; i < 4; ++i) big.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
  EXPECT_NE(read_stream(3, big).error.find("at most 4096"), std::string::npos) << read_stream(3, big).error;
}

TEST(WireGolden, ACopyRectangleIsReadInVersion3AndRefusedInVersion2) {
  const Bytes& golden = block("v3-frame-copy");
  const auto body = std::span(golden).subspan(kHeaderBytes);
  auto v3 = decode_body(MessageType::kFrame, body, 3);
  ASSERT_TRUE(v3) << v3.error().what;
  const auto& f = std::get<FrameView>(*v3);
  EXPECT_EQ(f.seq, 2u);
  EXPECT_EQ(f.capture_time_us, 2'000'000);
  EXPECT_EQ(f.width, 64u);
  EXPECT_EQ(f.height, 48u);
  EXPECT_FALSE(f.is_key());
  EXPECT_EQ(f.pixel_hash, 0x1122334455667788u);
  ASSERT_EQ(f.rects.size(), 1u);
  const RectView& r = f.rects[0];
  EXPECT_EQ(r.encoding, RectEncoding::kCopy);
  EXPECT_EQ((std::array{r.x, r.y, r.w, r.h, r.src_x, r.src_y}), (std::array<std::uint32_t, 6>{0, 0, 64, 40, 0, 8}));
  // And the writer makes these very bytes.
  Bytes made;
  FrameMessageWriter writer(made, 2, 2'000'000, 64, 48, 0);
  writer.add_copy(0, 0, 64, 40, 0, 8);
  writer.finish(0x1122334455667788u);
  EXPECT_EQ(made, golden);
  auto v2 = decode_body(MessageType::kFrame, body, 2);
  ASSERT_FALSE(v2);
  EXPECT_NE(v2.error().what.find("unknown encoding 2"), std::string::npos) << v2.error().what;
}

TEST(WireGolden, FieldsAppendedByALaterVersionAreIgnoredInVersion3AndRefusedInVersion2) {
  const Bytes& golden = block("v3-ack-appended");
  const auto body = std::span(golden).subspan(kHeaderBytes);
  auto v3 = decode_body(MessageType::kAck, body, 3);
  ASSERT_TRUE(v3) << v3.error().what;
  EXPECT_EQ(std::get<Ack>(*v3), (Ack{5, 4, 3}));
  auto v2 = decode_body(MessageType::kAck, body, 2);
  ASSERT_FALSE(v2);
  EXPECT_NE(v2.error().what.find("4 trailing bytes"), std::string::npos) << v2.error().what;
}

// The four client messages of version 4, as the spec's blocks give them.
struct Version4Messages {
  Marker marker{90, 3'000'000, MarkerSource::kKey, "demo"};
  Pause pause{91, 3'100'000, "key"};
  Resume resume{151, 5'100'000};
  Skipped skipped{91, 150, SkipCause::kPaused};
};

TEST(WireGolden, MarkersPauseAndSkippedTicksAreReadInVersion4) {
  const Version4Messages v4;
  EXPECT_EQ(encode(v4.marker), block("v4-marker"));
  EXPECT_EQ(encode(v4.pause), block("v4-pause"));
  EXPECT_EQ(encode(v4.resume), block("v4-resume"));
  EXPECT_EQ(encode(v4.skipped), block("v4-skipped"));
  Bytes stream;
  for (const char* name : {"v4-marker", "v4-pause", "v4-resume", "v4-skipped"})
    stream.insert(stream.end(), block(name).begin(), block(name).end());
  const auto r = read_stream(4, stream);
  ASSERT_EQ(r.messages.size(), 4u) << r.error;
  std::vector<Message> got;
  for (const auto& [type, body] : r.messages) {
    auto m = decode_body(type, body, 4);
    ASSERT_TRUE(m) << m.error().what;
    got.push_back(*m);
  }
  EXPECT_EQ(std::get<Marker>(got[0]), v4.marker);
  EXPECT_EQ(std::get<Pause>(got[1]), v4.pause);
  EXPECT_EQ(std::get<Resume>(got[2]), v4.resume);
  EXPECT_EQ(std::get<Skipped>(got[3]), v4.skipped);
}

TEST(WireGolden, AVersion3PeerSkipsTheVersion4MessagesAndAVersion2PeerRefusesThem) {
  Bytes stream;
  for (const char* name : {"v4-marker", "v4-pause", "v4-resume", "v4-skipped"})
    stream.insert(stream.end(), block(name).begin(), block(name).end());
  const Bytes ping = encode(Ping{});
  stream.insert(stream.end(), ping.begin(), ping.end());
  const auto v3 = read_stream(3, stream);
  EXPECT_TRUE(v3.error.empty()) << v3.error;
  ASSERT_EQ(v3.messages.size(), 1u);
  EXPECT_EQ(v3.messages[0].first, MessageType::kPing);
  EXPECT_EQ(v3.skipped, 4u);
  const auto v2 = read_stream(2, stream);
  EXPECT_TRUE(v2.messages.empty());
  EXPECT_NE(v2.error.find("unknown message type 11"), std::string::npos) << v2.error;
}

TEST(WireGolden, SaveBufferIsReadInVersion4AndSkippedByLengthBefore) {
  const SaveBuffer save{300, 20'000'000};
  EXPECT_EQ(encode(save), block("v4-save-buffer"));
  Bytes stream = block("v4-save-buffer");
  const Bytes ping = encode(Ping{});
  stream.insert(stream.end(), ping.begin(), ping.end());
  const auto v4 = read_stream(4, stream);
  ASSERT_EQ(v4.messages.size(), 2u) << v4.error;
  auto m = decode_body(v4.messages[0].first, v4.messages[0].second, 4);
  ASSERT_TRUE(m) << m.error().what;
  EXPECT_EQ(std::get<SaveBuffer>(*m), save);
  // A version-3 reader does not know type 14: it skips it by its length and reads the PING.
  const auto v3 = read_stream(3, stream);
  EXPECT_TRUE(v3.error.empty()) << v3.error;
  ASSERT_EQ(v3.messages.size(), 1u);
  EXPECT_EQ(v3.messages[0].first, MessageType::kPing);
  EXPECT_EQ(v3.skipped, 1u);
  const Bytes tick_zero = encode(SaveBuffer{0, 0});
  auto zero = decode_body(MessageType::kSaveBuffer, std::span(tick_zero).subspan(kHeaderBytes), 4);
  ASSERT_FALSE(zero);
  EXPECT_NE(zero.error().what.find("tick 0"), std::string::npos) << zero.error().what;
}

TEST(WireGolden, Version4MessagesOutsideTheirLimitsAreRefused) {
  const auto refused = [](const Bytes& message, const std::string& what) {
    auto m = decode_body(static_cast<MessageType>(message[0]), std::span(message).subspan(kHeaderBytes), 4);
    ASSERT_FALSE(m) << what;
    EXPECT_NE(m.error().what.find(what), std::string::npos) << m.error().what;
  };
  refused(encode(Skipped{10, 9, SkipCause::kUnchanged}), "before first_tick");
  refused(encode(Skipped{0, 9, SkipCause::kUnchanged}), "tick 0");
  refused(encode(Resume{kMaxTick + 1, 0}), "outside 1..2^63-1");
  Bytes bad_cause = encode(Skipped{1, 2, SkipCause::kUnchanged});
  bad_cause[kHeaderBytes + 16] = 4;
  refused(bad_cause, "unknown cause 4");
  Bytes bad_source = encode(Marker{1, 0, MarkerSource::kKey, ""});
  bad_source[kHeaderBytes + 16] = 9;
  refused(bad_source, "unknown source 9");
  // SAVE_BUFFER (14) is read in version 4 (a version-3 reader skips it: SaveBufferIsRead...).
  refused(Bytes{0x0e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, "SAVE_BUFFER: truncated");
}

// The WELCOME of the golden blocks: session 7, max_in_flight 8, resume_key 01..10, folder s7,
// quality 90.
Welcome welcome_of_session_7() {
  Welcome w;
  w.session_id = 7;
  w.max_in_flight = 8;
  w.folder = "s7";
  for (std::uint8_t i = 0; i < 16; ++i) w.resume_key[i] = static_cast<std::uint8_t>(i + 1);
  w.jpeg_quality = 90;
  return w;
}

TEST(WireGolden, AWelcomeCarriesTheJpegQualityInVersion4AndAVersion3ReaderIgnoresIt) {
  const Bytes& golden = block("v4-welcome-quality");
  Welcome expected = welcome_of_session_7();
  EXPECT_EQ(encode(expected), golden);
  const auto body = std::span(golden).subspan(kHeaderBytes);
  auto v4 = decode_body(MessageType::kWelcome, body, 4);
  ASSERT_TRUE(v4) << v4.error().what;
  EXPECT_EQ(std::get<Welcome>(*v4), expected);
  auto v3 = decode_body(MessageType::kWelcome, body, 3);
  ASSERT_TRUE(v3) << v3.error().what;
  expected.jpeg_quality = 0;
  EXPECT_EQ(std::get<Welcome>(*v3), expected) << "a version-3 reader ignores the appended field";
  // A WELCOME of quality 0 (version 2 and 3 connections) has no such field at all.
  EXPECT_EQ(encode(expected).size(), golden.size() - 4);
}

TEST(WireGolden, AJpegStripIsReadInVersion4AndRefusedInVersion3) {
  const Bytes& golden = block("v4-frame-jpeg-strip");
  const auto body = std::span(golden).subspan(kHeaderBytes);
  auto v4 = decode_body(MessageType::kFrame, body, 4);
  ASSERT_TRUE(v4) << v4.error().what;
  const auto& f = std::get<FrameView>(*v4);
  EXPECT_EQ(f.seq, 3u);
  EXPECT_EQ(f.capture_time_us, 3'000'000);
  ASSERT_EQ(f.rects.size(), 1u);
  const RectView& r = f.rects[0];
  EXPECT_EQ(r.encoding, RectEncoding::kJpegStrip);
  EXPECT_EQ((std::array{r.x, r.y, r.w, r.h}), (std::array<std::uint32_t, 4>{0, 16, 64, 16}));
  EXPECT_EQ(r.strip, 1u);
  EXPECT_EQ(r.jpeg_quality, 90u);
  EXPECT_EQ(Bytes(r.jpeg.begin(), r.jpeg.end()), (Bytes{0x12, 0x34, 0xff, 0x00, 0x56}));
  // The writer makes these very bytes.
  Bytes made;
  FrameMessageWriter writer(made, 3, 3'000'000, 64, 48, 0);
  const Bytes strip{0x12, 0x34, 0xff, 0x00, 0x56};
  writer.add_jpeg_strip(JpegStripGrid(64, 48), 1, 90, strip);
  writer.finish(0x1122334455667788u);
  EXPECT_EQ(made, golden);
  auto v3 = decode_body(MessageType::kFrame, body, 3);
  ASSERT_FALSE(v3);
  EXPECT_NE(v3.error().what.find("unknown encoding 3"), std::string::npos) << v3.error().what;
}

TEST(WireGolden, AVersion5HelloOffers420TilesAndAnOlderReaderIgnoresTheOffer) {
  const Bytes& golden = block("v5-hello-wire-pixels");
  Hello expected{640, 480, PixelFormat::kBgrx8888, 30000, 1000000, "demo", "test"};
  expected.wire_pixels = kWirePixelsYuv420;
  EXPECT_EQ(encode(expected), golden);
  const auto body = std::span(golden).subspan(kHeaderBytes);
  auto v5 = decode_body(MessageType::kHello, body, 5);
  ASSERT_TRUE(v5) << v5.error().what;
  EXPECT_EQ(std::get<Hello>(*v5), expected);
  auto v4 = decode_body(MessageType::kHello, body, 4);
  ASSERT_TRUE(v4) << v4.error().what;
  expected.wire_pixels = 0;
  EXPECT_EQ(std::get<Hello>(*v4), expected) << "a version-4 reader ignores the appended field";
  EXPECT_EQ(encode(expected), block("v2-hello")) << "no offer: the bytes of version 2";
  EXPECT_LE(golden.size() - kHeaderBytes + 2 * kMaxText - 8, kMaxPreAuthBody) << "the largest HELLO fits before AUTH";
}

TEST(WireGolden, AVersion5WelcomeTakes420TilesAfterTheJpegQuality) {
  const Bytes& golden = block("v5-welcome-wire-pixels");
  Welcome expected = welcome_of_session_7();
  expected.wire_pixels = kWirePixelsYuv420;
  EXPECT_EQ(encode(expected), golden);
  const auto body = std::span(golden).subspan(kHeaderBytes);
  auto v5 = decode_body(MessageType::kWelcome, body, 5);
  ASSERT_TRUE(v5) << v5.error().what;
  EXPECT_EQ(std::get<Welcome>(*v5), expected);
  auto v4 = decode_body(MessageType::kWelcome, body, 4);
  ASSERT_TRUE(v4) << v4.error().what;
  expected.wire_pixels = 0;
  EXPECT_EQ(std::get<Welcome>(*v4), expected) << "a version-4 reader reads the quality and ignores the rest";
  EXPECT_EQ(encode(expected), block("v4-welcome-quality"));
}

TEST(WireGolden, A420RectangleIsReadInVersion5AndRefusedInVersion4) {
  const Bytes& golden = block("v5-frame-yuv420");
  const auto body = std::span(golden).subspan(kHeaderBytes);
  auto v5 = decode_body(MessageType::kFrame, body, 5);
  ASSERT_TRUE(v5) << v5.error().what;
  const auto& f = std::get<FrameView>(*v5);
  EXPECT_EQ(f.seq, 4u);
  EXPECT_EQ(f.capture_time_us, 4'000'000);
  ASSERT_EQ(f.rects.size(), 1u);
  const RectView& r = f.rects[0];
  EXPECT_EQ(r.encoding, RectEncoding::kLz4Yuv420);
  EXPECT_EQ((std::array{r.x, r.y, r.w, r.h}), (std::array<std::uint32_t, 4>{0, 16, 2, 2}));
  EXPECT_EQ(Bytes(r.data.begin(), r.data.end()), (Bytes{0x60, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80}));
  auto v4 = decode_body(MessageType::kFrame, body, 4);
  ASSERT_FALSE(v4);
  EXPECT_NE(v4.error().what.find("unknown encoding 4"), std::string::npos) << v4.error().what;
  // x and y must be even: the planes' 2x2 blocks are the frame's.
  Bytes odd(body.begin(), body.end());
  odd[40] = 1;  // the rectangle's x
  auto refused = decode_body(MessageType::kFrame, odd, 5);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().what.find("odd"), std::string::npos) << refused.error().what;
}

// The windows of the golden block v6-windows.
Windows windows_at_tick_120() {
  Windows w;
  w.tick = 120;
  w.time_us = 4'000'000;
  w.windows.push_back({0x00a00007, -5, 20, 320, 200, true, "notes"});
  w.windows.push_back({0x00c00003, 400, 0, 240, 180, false, "mail"});
  return w;
}

TEST(WireGolden, WindowsAreReadInVersion6AndSkippedByLengthBefore) {
  const Windows expected = windows_at_tick_120();
  EXPECT_EQ(encode(expected), block("v6-windows"));
  Bytes stream = block("v6-windows");
  const Bytes ping = encode(Ping{});
  stream.insert(stream.end(), ping.begin(), ping.end());
  const auto v6 = read_stream(6, stream);
  ASSERT_EQ(v6.messages.size(), 2u) << v6.error;
  EXPECT_EQ(v6.messages[0].first, MessageType::kWindows);
  auto m = decode_body(v6.messages[0].first, v6.messages[0].second, 6);
  ASSERT_TRUE(m) << m.error().what;
  EXPECT_EQ(std::get<Windows>(*m), expected);
  // A version-5 reader (and a version-6 one on a connection that speaks 5) does not know type 16:
  // it skips it by its length and reads the PING.
  for (const std::uint16_t v : {3, 4, 5}) {
    const auto old = read_stream(v, stream);
    EXPECT_TRUE(old.error.empty()) << old.error;
    ASSERT_EQ(old.messages.size(), 1u) << "version " << v;
    EXPECT_EQ(old.messages[0].first, MessageType::kPing);
    EXPECT_EQ(old.skipped, 1u);
  }
}

TEST(WireGolden, WindowsOutsideTheirLimitsAreRefusedAndTheEncoderKeepsThem) {
  const auto refused = [](const Bytes& message, const std::string& what) {
    auto m = decode_body(MessageType::kWindows, std::span(message).subspan(kHeaderBytes), 6);
    ASSERT_FALSE(m) << what;
    EXPECT_NE(m.error().what.find(what), std::string::npos) << m.error().what;
  };
  const Bytes& golden = block("v6-windows");
  Bytes many = golden;
  many[kHeaderBytes + 16] = 129;  // count over kMaxWindows
  refused(many, "129 windows, limit 128");
  Bytes more = golden;
  more[kHeaderBytes + 16] = 3;  // a count the body cannot hold
  refused(more, "exceeds the body");
  Bytes flags = golden;
  flags[kHeaderBytes + 20 + 20] = 2;  // the first window's flags: an unknown bit
  refused(flags, "unknown flags 2");
  Bytes wide = golden;
  wide[kHeaderBytes + 20 + 14] = 0x01;  // the first window's width: 65,856
  refused(wide, "over 8192");
  Bytes long_title = golden;
  long_title[kHeaderBytes + 20 + 25] = 0x01;  // the first title's length: 261
  refused(long_title, "title over 256");
  Windows zero = windows_at_tick_120();
  zero.tick = 0;
  refused(encode(zero), "tick 0");
  // A header longer than kMaxWindowsBytes is refused before its body is read.
  Bytes header = {0x10, 0, 0, 0, 0, 0, 0, 0};
  const auto over = static_cast<std::uint32_t>(kMaxWindowsBytes + 1);
  for (int i = 0; i < 4; ++i) header[4 + i] = static_cast<std::uint8_t>(over >> (8 * i));
  EXPECT_FALSE(decode_header(header, 6));
  // The encoder keeps the topmost kMaxWindows and cuts titles at a character boundary, so that
  // the largest message it makes is read back whole.
  Windows big;
  big.tick = 1;
  for (std::uint32_t i = 0; i < kMaxWindows + 5; ++i)
    big.windows.push_back({i, 0, 0, 10, 10, true, std::string(kMaxText - 1, 'a') + "\xc3\xa9"});
  const Bytes bytes = encode(big);
  EXPECT_EQ(bytes.size() - kHeaderBytes, kMaxWindowsBytes - kMaxWindows);  // each title is 255 bytes
  auto back = decode_body(MessageType::kWindows, std::span(bytes).subspan(kHeaderBytes), 6);
  ASSERT_TRUE(back) << back.error().what;
  const auto& got = std::get<Windows>(*back).windows;
  ASSERT_EQ(got.size(), kMaxWindows);
  EXPECT_EQ(got.front().id, 5u) << "the bottom ones are left out";
  EXPECT_EQ(got.front().title, std::string(kMaxText - 1, 'a')) << "not cut inside the two bytes of an e-acute";
}

}  // namespace
}  // namespace screenreel::wire

// Authentication and the handshake's defences, against a real receiver on loopback: no token,
// wrong token, replayed handshake, oversized or cut-off handshakes, repeated failures, listen
// addresses; each refused before any frame is parsed while a good client keeps recording.
#include <gtest/gtest.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "screenreel/archive/archive.hpp"
#include "screenreel/protocol/auth.hpp"
#include "screenreel/archive/sqlite_catalog.hpp"
#include "support/process.hpp"
#include "support/programs.hpp"
#include "support/raw_client.hpp"

namespace screenreel {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::Process;
using test::RawClient;

const std::string kToken = "correct horse battery staple 0123456789";

class Auth : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = test::fresh_temp_dir("screenreel-auth");
    archive = dir / "archive";
    token_file = dir / "token";
    std::ofstream(token_file) << kToken << "\n";
    fs::permissions(token_file, fs::perms::owner_read | fs::perms::owner_write);
    wrong_file = dir / "wrong";
    std::ofstream(wrong_file) << "not the right token at all, sorry\n";
    fs::permissions(wrong_file, fs::perms::owner_read | fs::perms::owner_write);
    receiver = test::start_receiver(archive, {"--no-display", "--token-file", token_file.string()});
  }
  void TearDown() override {
    if (receiver.process->running()) {
      receiver.process->signal(SIGTERM);
      EXPECT_EQ(receiver.process->wait_for(20s).value_or(-1), 0) << receiver.process->err();
    }
    if (!HasFailure()) fs::remove_all(dir);
  }

  std::unique_ptr<Process> capture(const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {SCREENREEL_CAPTURE_BIN, "--connect", "127.0.0.1:" + std::to_string(receiver.port),
                                     "--source", "test-pattern", "--size", "160x120", "--fps", "20"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return std::make_unique<Process>(argv);
  }

  // Connects raw, exchanges preambles, and returns the receiver's CHALLENGE.
  wire::Challenge open_raw(RawClient& c) {
    EXPECT_TRUE(c.send(wire::encode_preamble()));
    auto pre = c.read(wire::kPreambleBytes);
    EXPECT_TRUE(pre && wire::decode_preamble(*pre));
    auto m = c.read_message();
    EXPECT_TRUE(m && std::holds_alternative<wire::Challenge>(*m));
    return m ? std::get<wire::Challenge>(*m) : wire::Challenge{};
  }

  std::vector<SessionRecord> sessions() {
    SqliteCatalog catalog(ArchivePaths(archive).catalog(), SqliteCatalog::Mode::kReadOnly);
    return catalog.sessions();
  }

  fs::path dir, archive, token_file, wrong_file;
  test::RunningReceiver receiver;
};

TEST_F(Auth, TheRightTokenRecords) {
  auto c = capture({"--token-file", token_file.string(), "--max-frames", "10", "--every-frame"});
  ASSERT_EQ(c->wait_for(30s).value_or(-1), 0) << c->err();
  EXPECT_EQ(test::frames_sent(c->out()), 10);
  ASSERT_EQ(sessions().size(), 1u);
  EXPECT_EQ(sessions()[0].frame_count, 10);
}

TEST_F(Auth, NoTokenIsRefusedWithAHint) {
  auto c = capture({"--max-frames", "5"});
  EXPECT_EQ(c->wait_for(30s).value_or(-1), 1);
  EXPECT_NE(c->err().find("requires a token: use --token-file"), std::string::npos) << c->err();
  EXPECT_TRUE(sessions().empty());
}

TEST_F(Auth, AWrongTokenIsRefused) {
  auto c = capture({"--token-file", wrong_file.string(), "--max-frames", "5"});
  EXPECT_EQ(c->wait_for(30s).value_or(-1), 1);
  EXPECT_NE(c->err().find("refused the token"), std::string::npos) << c->err();
  EXPECT_NE(receiver.process->err().find("authentication failed"), std::string::npos);
  EXPECT_TRUE(sessions().empty());
}

TEST_F(Auth, AReplayedHandshakeIsRefused) {
  // A valid answer to one connection's challenge...
  RawClient first(receiver.port);
  const auto challenge = open_raw(first);
  ASSERT_TRUE(challenge.auth_required);
  const wire::Auth answer{auth_mac(kToken, challenge.nonce)};
  // ...sent again on another connection, which got a different nonce, is refused.
  RawClient second(receiver.port);
  const auto other = open_raw(second);
  EXPECT_NE(other.nonce, challenge.nonce);
  ASSERT_TRUE(second.send(wire::encode(answer)));
  auto reply = second.read_message();
  ASSERT_TRUE(reply);
  ASSERT_TRUE(std::holds_alternative<wire::Error>(*reply));
  EXPECT_EQ(std::get<wire::Error>(*reply).code, wire::ErrorCode::kAuthFailed);
  EXPECT_TRUE(second.closed_by_peer());
  // The first connection, answering its own challenge, gets on.
  ASSERT_TRUE(first.send(wire::encode(answer)));
  ASSERT_TRUE(first.send(wire::encode(wire::Hello{64, 64, wire::PixelFormat::kBgrx8888, 1000, 0, "raw", "raw"})));
  auto welcome = first.read_message();
  ASSERT_TRUE(welcome);
  EXPECT_TRUE(std::holds_alternative<wire::Welcome>(*welcome));
}

TEST_F(Auth, HelloWithoutAuthIsRefusedBeforeAnyFrameIsParsed) {
  RawClient raw(receiver.port);
  open_raw(raw);
  ASSERT_TRUE(raw.send(wire::encode(wire::Hello{64, 64, wire::PixelFormat::kBgrx8888, 1000, 0, "sneaky", "raw"})));
  auto reply = raw.read_message();
  ASSERT_TRUE(reply && std::holds_alternative<wire::Error>(*reply));
  EXPECT_TRUE(raw.closed_by_peer());
  EXPECT_TRUE(sessions().empty());
}

TEST_F(Auth, ABigMessageBeforeAuthIsRefusedUnread) {
  RawClient raw(receiver.port);
  open_raw(raw);
  // A header claiming 4000 bytes of AUTH: more than anyone needs before authenticating.
  std::vector<std::uint8_t> header = {9, 0, 0, 0, 0xa0, 0x0f, 0, 0};
  ASSERT_TRUE(raw.send(header));
  auto reply = raw.read_message();
  ASSERT_TRUE(reply && std::holds_alternative<wire::Error>(*reply));
  EXPECT_NE(std::get<wire::Error>(*reply).message.find("before authentication"), std::string::npos);
  EXPECT_TRUE(raw.closed_by_peer());
}

TEST_F(Auth, HalfAHandshakeHoldsNothingWhileAGoodClientRecords) {
  // Three peers that stop in the middle: after the preamble, in the middle of a header, and
  // without sending anything at all. A good client records meanwhile.
  RawClient a(receiver.port), b(receiver.port), silent(receiver.port);
  open_raw(a);
  open_raw(b);
  ASSERT_TRUE(b.send({9, 0, 0}));
  auto good = capture({"--token-file", token_file.string(), "--max-frames", "20", "--every-frame"});
  ASSERT_EQ(good->wait_for(30s).value_or(-1), 0) << good->err();
  EXPECT_EQ(test::frames_sent(good->out()), 20);
  // The handshake deadline (10 s) closes all three.
  EXPECT_TRUE(a.closed_by_peer(15s));
  EXPECT_TRUE(b.closed_by_peer(5s));
  EXPECT_TRUE(silent.closed_by_peer(5s));
  EXPECT_NE(receiver.process->err().find("handshake deadline passed"), std::string::npos);
}

TEST_F(Auth, RepeatedFailuresBlockTheAddress) {
  for (int i = 0; i < 5; ++i) {
    auto c = capture({"--token-file", wrong_file.string()});
    EXPECT_EQ(c->wait_for(30s).value_or(-1), 1);
  }
  // Blocked now: even the right token is turned away, at the door.
  auto c = capture({"--token-file", token_file.string(), "--max-frames", "3"});
  EXPECT_EQ(c->wait_for(30s).value_or(-1), 1);
  EXPECT_NE(receiver.process->err().find("refusing it for 60 s"), std::string::npos) << receiver.process->err();
  EXPECT_NE(receiver.process->err().find("refused (too many failed authentications"), std::string::npos);
  EXPECT_TRUE(sessions().empty());
}

// Connections that have not said HELLO are bounded on their own (--max-pending): a new one closes
// the oldest; sessions recording are bounded by --max-clients, and a client beyond them is told
// the receiver is busy.
TEST(Flood, HandshakingConnectionsAndRecordingSessionsAreBoundedApart) {
  const fs::path dir = test::fresh_temp_dir("screenreel-flood");
  auto receiver = test::start_receiver(dir / "archive", {"--no-display", "--max-clients", "1", "--max-pending", "3"});
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 3; ++i) idle.push_back(std::make_unique<RawClient>(receiver.port));
  std::this_thread::sleep_for(300ms);  // let the receiver accept them
  RawClient extra(receiver.port);
  EXPECT_TRUE(idle[0]->closed_by_peer(5s)) << "the oldest handshaking connection makes room";
  EXPECT_FALSE(extra.closed_by_peer(200ms)) << "the newest is served";
  EXPECT_FALSE(idle[2]->closed_by_peer(200ms));
  EXPECT_NE(receiver.process->err().find("to make room for a newer connection"), std::string::npos)
      << receiver.process->err();
  // A real client gets in past the idle ones, and is the one session --max-clients allows.
  Process first({SCREENREEL_CAPTURE_BIN, "--connect", "127.0.0.1:" + std::to_string(receiver.port), "--source",
                 "test-pattern", "--size", "64x48", "--fps", "20", "--duration", "4"});
  ASSERT_TRUE(first.wait_for_stderr("recording", 10s) || receiver.process->wait_for_stderr("recording 64x48", 10s));
  Process second({SCREENREEL_CAPTURE_BIN, "--connect", "127.0.0.1:" + std::to_string(receiver.port), "--source",
                  "test-pattern", "--size", "64x48", "--max-frames", "3"});
  EXPECT_EQ(second.wait_for(30s).value_or(-1), 1);
  EXPECT_NE(second.err().find("busy"), std::string::npos) << second.err();
  EXPECT_NE(second.err().find("--max-clients"), std::string::npos) << second.err();
  EXPECT_EQ(first.wait_for(30s).value_or(-1), 0) << first.err();
  receiver.process->signal(SIGTERM);
  EXPECT_EQ(receiver.process->wait_for(20s).value_or(-1), 0);
  fs::remove_all(dir);
}

// Before the fix, 64 idle TCP connections filled --max-clients and a client with the right token
// was refused ("End of file"). Now the idle ones are bounded apart, the oldest makes room, and
// they are told why.
TEST_F(Auth, IdleConnectionsDoNotLockOutAClientWithTheToken) {
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 70; ++i) {
    idle.push_back(std::make_unique<RawClient>(receiver.port));
    ASSERT_TRUE(idle.back()->send(wire::encode_preamble()));  // then nothing: no AUTH
  }
  std::this_thread::sleep_for(300ms);
  auto good = capture({"--token-file", token_file.string(), "--max-frames", "10", "--every-frame"});
  ASSERT_EQ(good->wait_for(30s).value_or(-1), 0) << good->err();
  EXPECT_EQ(test::frames_sent(good->out()), 10);
  ASSERT_EQ(sessions().size(), 1u);
  EXPECT_EQ(sessions()[0].frame_count, 10);
  // The first ones were closed to make room, and told why (after the receiver's preamble).
  auto pre = idle[0]->read(wire::kPreambleBytes, 5s);
  ASSERT_TRUE(pre);
  bool busy = false;
  for (int i = 0; i < 3 && !busy; ++i) {
    auto m = idle[0]->read_message(5s);
    if (!m) break;
    if (auto* e = std::get_if<wire::Error>(&*m)) busy = e->code == wire::ErrorCode::kBusy;
  }
  EXPECT_TRUE(busy) << "the evicted connection was not told why";
}

// Silence before authentication counts against the address as a wrong token does.
TEST_F(Auth, HandshakesThatTimeOutCountAsFailedAuthentications) {
  std::vector<std::unique_ptr<RawClient>> silent;
  for (int i = 0; i < 5; ++i) silent.push_back(std::make_unique<RawClient>(receiver.port));
  for (auto& c : silent) EXPECT_TRUE(c->closed_by_peer(20s));
  EXPECT_TRUE(receiver.process->wait_for_stderr("refusing it for 60 s", 5s)) << receiver.process->err();
  auto c = capture({"--token-file", token_file.string(), "--max-frames", "3"});
  EXPECT_EQ(c->wait_for(30s).value_or(-1), 1) << "the address is blocked";
}

// A hostile "receiver" (a plain socket here) answers with an ERROR full of escape sequences: an
// OSC 52 clipboard write, a title change, a right-to-left override. Before the fix the client
// printed them raw to the user's terminal.
TEST(PeerText, TheReceiversWordsReachTheTerminalWithoutControlCharacters) {
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string evil = "\x1b]52;c;cm0gLXJmIH4=\x07\x1b]0;pwned\x07\xe2\x80\xae gnissim";
  std::thread fake([&] {
    const int c = ::accept(listener, nullptr, nullptr);
    if (c < 0) return;
    std::uint8_t preamble[wire::kPreambleBytes];
    (void)!::recv(c, preamble, sizeof preamble, MSG_WAITALL);
    auto out = wire::encode_preamble();
    const auto error = wire::encode(wire::Error{wire::ErrorCode::kInternal, evil});
    out.insert(out.end(), error.begin(), error.end());
    (void)!::send(c, out.data(), out.size(), MSG_NOSIGNAL);
    std::this_thread::sleep_for(500ms);
    ::close(c);
  });
  Process c({SCREENREEL_CAPTURE_BIN, "--connect", "127.0.0.1:" + std::to_string(ntohs(addr.sin_port)), "--source",
             "test-pattern", "--size", "64x48", "--max-frames", "3"});
  EXPECT_EQ(c.wait_for(30s).value_or(-1), 1);
  fake.join();
  ::close(listener);
  const std::string all = c.out() + c.err();
  EXPECT_NE(all.find("gnissim"), std::string::npos) << "the message itself is shown: " << all;
  EXPECT_EQ(all.find('\x1b'), std::string::npos) << all;
  EXPECT_EQ(all.find('\x07'), std::string::npos) << all;
  EXPECT_EQ(all.find("\xe2\x80\xae"), std::string::npos) << "the right-to-left override reached the terminal";
}

TEST(AuthSetup, ShortOrMissingTokenFilesAreExplained) {
  const fs::path dir = test::fresh_temp_dir("screenreel-auth-setup");
  std::ofstream(dir / "short") << "tiny\n";
  Process short_token({SCREENREEL_RECEIVER_BIN, "--no-display", "--archive", (dir / "a").string(), "--listen",
                       "127.0.0.1:0", "--token-file", (dir / "short").string()});
  EXPECT_EQ(short_token.wait_for(20s).value_or(-1), 1);
  EXPECT_NE(short_token.err().find("use at least 16"), std::string::npos) << short_token.err();
  Process missing({SCREENREEL_CAPTURE_BIN, "--source", "test-pattern", "--token-file", (dir / "nope").string()});
  EXPECT_EQ(missing.wait_for(20s).value_or(-1), 1);
  EXPECT_NE(missing.err().find("head -c 32 /dev/urandom"), std::string::npos) << missing.err();
  fs::remove_all(dir);
}

TEST(AuthSetup, ListeningBeyondLoopbackNeedsATokenOrInsecureListen) {
  const fs::path dir = test::fresh_temp_dir("screenreel-auth-listen");
  Process refused({SCREENREEL_RECEIVER_BIN, "--no-display", "--archive", (dir / "a").string(), "--listen", "0.0.0.0:0"});
  EXPECT_EQ(refused.wait_for(20s).value_or(-1), 1);
  EXPECT_NE(refused.err().find("refusing to listen on 0.0.0.0 without --token-file"), std::string::npos)
      << refused.err();
  Process insecure({SCREENREEL_RECEIVER_BIN, "--no-display", "--archive", (dir / "b").string(), "--listen", "0.0.0.0:0",
                    "--insecure-listen"});
  ASSERT_TRUE(insecure.wait_for_stderr("listening on", 20s)) << insecure.err();
  EXPECT_NE(insecure.err().find("WARNING"), std::string::npos);
  insecure.signal(SIGTERM);
  EXPECT_EQ(insecure.wait_for(20s).value_or(-1), 0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace screenreel

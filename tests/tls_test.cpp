// TLS 1.3 between real programs on loopback: a recording over TLS, certificate checks (CA and
// pinned fingerprint), and the refusals: a plaintext client on the TLS port, an untrusted
// certificate, a TLS client on a plain port. The receiver keeps serving good clients.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/sqlite_catalog.hpp"
#include "screenreel/protocol/transport.hpp"
#include "support/certificate.hpp"
#include "support/process.hpp"
#include "support/programs.hpp"
#include "support/raw_client.hpp"

namespace screenreel {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::Process;

using test::make_certificate;

class Tls : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = test::fresh_temp_dir("screenreel-tls");
    make_certificate(dir, "receiver");
    make_certificate(dir, "stranger");
    receiver = test::start_receiver(dir / "archive", {"--no-display", "--tls", "--tls-cert", (dir / "receiver.pem").string(),
                                                      "--tls-key", (dir / "receiver-key.pem").string()});
  }
  void TearDown() override {
    receiver.process->signal(SIGTERM);
    EXPECT_EQ(receiver.process->wait_for(20s).value_or(-1), 0) << receiver.process->err();
    if (!HasFailure()) fs::remove_all(dir);
  }
  std::unique_ptr<Process> capture(const std::vector<std::string>& extra, const std::string& host = "127.0.0.1") {
    std::vector<std::string> argv = {SCREENREEL_CAPTURE_BIN, "--connect", host + ":" + std::to_string(receiver.port),
                                     "--source", "test-pattern", "--size", "160x120", "--fps", "20",
                                     "--max-frames", "10", "--every-frame"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return std::make_unique<Process>(argv);
  }
  std::int64_t stored_frames() {
    SqliteCatalog catalog(ArchivePaths(dir / "archive").catalog(), SqliteCatalog::Mode::kReadOnly);
    std::int64_t n = 0;
    for (const auto& s : catalog.sessions()) n += s.frame_count;
    return n;
  }
  fs::path dir;
  test::RunningReceiver receiver;
};

TEST_F(Tls, RecordsOverTlsCheckedAgainstTheCa) {
  EXPECT_NE(receiver.process->err().find("(TLS 1.3)"), std::string::npos);
  auto c = capture({"--tls", "--tls-ca", (dir / "receiver.pem").string()});
  ASSERT_EQ(c->wait_for(30s).value_or(-1), 0) << c->err();
  EXPECT_EQ(test::frames_sent(c->out()), 10);
  auto by_name = capture({"--tls", "--tls-ca", (dir / "receiver.pem").string()}, "localhost");
  ASSERT_EQ(by_name->wait_for(30s).value_or(-1), 0) << by_name->err();
  EXPECT_EQ(stored_frames(), 20);
}

TEST_F(Tls, RecordsWithAPinnedFingerprint) {
  const std::string fp = certificate_fingerprint(dir / "receiver.pem");
  ASSERT_EQ(fp.size(), 64u);
  auto c = capture({"--tls", "--tls-fingerprint", "SHA256:" + fp});
  ASSERT_EQ(c->wait_for(30s).value_or(-1), 0) << c->err();
  auto wrong = capture({"--tls", "--tls-fingerprint", certificate_fingerprint(dir / "stranger.pem")});
  EXPECT_EQ(wrong->wait_for(30s).value_or(-1), 1);
  EXPECT_NE(wrong->err().find("TLS handshake"), std::string::npos) << wrong->err();
  EXPECT_EQ(stored_frames(), 10);
}

TEST_F(Tls, AnUntrustedCertificateIsRefusedByTheClient) {
  auto c = capture({"--tls", "--tls-ca", (dir / "stranger.pem").string()});
  EXPECT_EQ(c->wait_for(30s).value_or(-1), 1);
  EXPECT_NE(c->err().find("certificate verify failed"), std::string::npos) << c->err();
  EXPECT_EQ(stored_frames(), 0);
  // The receiver says what failed (before: "a client without --tls?" for every failure).
  EXPECT_TRUE(receiver.process->wait_for_stderr("does not trust this certificate", 5s)) << receiver.process->err();
  EXPECT_EQ(receiver.process->err().find("a client without --tls?"), std::string::npos) << receiver.process->err();
}

TEST_F(Tls, APlaintextClientIsRefusedBeforeAnythingIsParsedAndOthersGoOn) {
  auto plain = capture({});
  test::RawClient raw(receiver.port);
  ASSERT_TRUE(raw.send(wire::encode_preamble()));  // not a TLS ClientHello
  EXPECT_TRUE(raw.closed_by_peer());
  EXPECT_NE(plain->wait_for(30s).value_or(-1), 0);
  // The plain client says what is wrong (before: only "End of file").
  EXPECT_NE(plain->err().find("add --tls"), std::string::npos) << plain->err();
  auto good = capture({"--tls", "--tls-ca", (dir / "receiver.pem").string()});
  ASSERT_EQ(good->wait_for(30s).value_or(-1), 0) << good->err();
  EXPECT_EQ(stored_frames(), 10);
  EXPECT_NE(receiver.process->err().find("TLS handshake failed"), std::string::npos);
  EXPECT_NE(receiver.process->err().find("a client without --tls?"), std::string::npos) << receiver.process->err();
}

// A peer that opens a TCP connection to a --tls receiver and never starts the TLS handshake is
// closed at the 10 s handshake deadline like any other (before the fix: held 40 s, the deadline's
// ERROR waiting on a TLS stream that never came up), and the log says what was missing.
TEST_F(Tls, AStalledTlsHandshakeIsClosedAtTheHandshakeDeadline) {
  test::RawClient silent(receiver.port);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(silent.closed_by_peer(30s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 15s);
  EXPECT_TRUE(receiver.process->wait_for_stderr("no TLS handshake", 5s)) << receiver.process->err();
  auto good = capture({"--tls", "--tls-ca", (dir / "receiver.pem").string()});
  ASSERT_EQ(good->wait_for(30s).value_or(-1), 0) << good->err();
}

TEST(TlsSetup, ATlsClientOnAPlainReceiverGetsAHint) {
  const fs::path dir = test::fresh_temp_dir("screenreel-tls-plain");
  auto receiver = test::start_receiver(dir / "archive", {"--no-display"});
  Process c({SCREENREEL_CAPTURE_BIN, "--connect", "127.0.0.1:" + std::to_string(receiver.port), "--source",
             "test-pattern", "--tls", "--tls-fingerprint", std::string(64, 'a')});
  EXPECT_EQ(c.wait_for(30s).value_or(-1), 1);
  EXPECT_NE(c.err().find("TLS handshake"), std::string::npos) << c.err();
  receiver.process->signal(SIGTERM);
  EXPECT_EQ(receiver.process->wait_for(20s).value_or(-1), 0);
  fs::remove_all(dir);
}

TEST(TlsSetup, MissingCertificateFilesAreExplained) {
  const fs::path dir = test::fresh_temp_dir("screenreel-tls-files");
  Process r({SCREENREEL_RECEIVER_BIN, "--no-display", "--archive", (dir / "a").string(), "--listen", "127.0.0.1:0",
             "--tls", "--tls-cert", (dir / "none.pem").string(), "--tls-key", (dir / "none-key.pem").string()});
  EXPECT_EQ(r.wait_for(20s).value_or(-1), 1);
  EXPECT_NE(r.err().find("cannot use --tls-cert"), std::string::npos) << r.err();
  Process usage({SCREENREEL_RECEIVER_BIN, "--no-display", "--tls"});
  EXPECT_EQ(usage.wait_for(20s).value_or(-1), 2);
  EXPECT_NE(usage.err().find("openssl req -x509"), std::string::npos) << usage.err();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace screenreel

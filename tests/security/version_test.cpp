// Protocol versions meeting each other. A client of protocol 3 (no MARKER, SKIPPED or
// SAVE_BUFFER) records into this receiver, buffering and then saved at the receiver's `s` key,
// with its unexplained ticks in the ledger as `unknown`. And today's capture client records into
// a receiver that speaks only protocol 3 or 4: the real receiver behind a relay that offers it
// that version (schemas/wire-protocol.md, "Negotiation"), so that it answers with it as an older
// receiver does and then speaks it.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <regex>
#include <thread>

#include "recorded_stream.hpp"
#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/sqlite_catalog.hpp"
#include "screenreel/common/clock.hpp"
#include "screenreel/protocol/frame_codec.hpp"
#include "security_support.hpp"
#include "support/ledger_check.hpp"

namespace screenreel {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;

constexpr std::uint32_t kW = 64, kH = 48;

// Between a client and the receiver on `port`: lowers the version the client's preamble offers
// to `newest`, then passes every byte on unchanged, both ways. The receiver answers with the
// lower version, as a receiver whose newest version is `newest` does, and speaks it.
class VersionCap {
 public:
  VersionCap(const std::string& port, std::uint16_t newest) : receiver_port_(std::stoi(port)), newest_(newest) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(listener_, 8) != 0 || ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      throw std::system_error(errno, std::generic_category(), "version cap: cannot listen");
    port_ = std::to_string(ntohs(a.sin_port));
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~VersionCap() {
    stop_ = true;
    ::shutdown(listener_, SHUT_RDWR);  // wakes accept()
    acceptor_.join();
    ::close(listener_);
    std::lock_guard lock(mutex_);
    for (auto& t : relays_) t.join();
  }
  const std::string& port() const { return port_; }

 private:
  void accept_loop() {
    while (!stop_) {
      const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) {
        if (errno == EINTR) continue;
        return;
      }
      std::lock_guard lock(mutex_);
      relays_.emplace_back([this, client] { relay(client); });
    }
  }

  static bool read_exactly(int fd, std::uint8_t* p, std::size_t n) {
    while (n > 0) {
      const ssize_t got = ::recv(fd, p, n, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return false;
      p += got;
      n -= static_cast<std::size_t>(got);
    }
    return true;
  }
  static bool write_all(int fd, const std::uint8_t* p, std::size_t n) {
    while (n > 0) {
      const ssize_t put = ::send(fd, p, n, MSG_NOSIGNAL);
      if (put < 0 && errno == EINTR) continue;
      if (put <= 0) return false;
      p += put;
      n -= static_cast<std::size_t>(put);
    }
    return true;
  }

  void relay(int client) {
    const int receiver = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(receiver_port_));
    // The preamble: magic (8 bytes), version (u16, little-endian), reserved (u16).
    std::uint8_t preamble[12];
    if (receiver >= 0 && ::connect(receiver, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        read_exactly(client, preamble, sizeof preamble)) {
      const auto offered = static_cast<std::uint16_t>(preamble[8] | preamble[9] << 8);
      const std::uint16_t version = std::min(offered, newest_);
      preamble[8] = static_cast<std::uint8_t>(version & 0xff);
      preamble[9] = static_cast<std::uint8_t>(version >> 8);
      if (write_all(receiver, preamble, sizeof preamble)) pump(client, receiver);
    }
    ::close(client);
    if (receiver >= 0) ::close(receiver);
  }

  void pump(int client, int receiver) {
    std::vector<std::uint8_t> buf(1 << 16);
    pollfd fds[2] = {{client, POLLIN, 0}, {receiver, POLLIN, 0}};
    while (!stop_) {
      if (::poll(fds, 2, 100) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      for (int i = 0; i < 2; ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        const ssize_t got = ::recv(fds[i].fd, buf.data(), buf.size(), 0);
        if (got <= 0 || !write_all(fds[1 - i].fd, buf.data(), static_cast<std::size_t>(got))) return;
      }
    }
  }

  const int receiver_port_;
  const std::uint16_t newest_;
  int listener_ = -1;
  std::string port_;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<std::thread> relays_;
};

// Today's capture client on the test pattern, through a VersionCap of `newest` into a real
// receiver, sets a marker with SIGUSR1 and ends with Ctrl-C. Every frame it sent is stored, its
// summary names the protocol, and the marker is in the catalog when the protocol has markers.
void record_through_an_older_receiver(std::uint16_t newest) {
  const fs::path archive = test::fresh_temp_dir("screenreel-capture-into-v" + std::to_string(newest));
  test::ReceiverProcess receiver(archive);
  ASSERT_TRUE(receiver.started()) << receiver.err();
  VersionCap cap(receiver.port(), newest);
  test::Process capture({SCREENREEL_CAPTURE_BIN, "--connect", "127.0.0.1:" + cap.port(), "--source", "test-pattern",
                         "--size", "160x120", "--fps", "15", "--name", "older"});
  ASSERT_TRUE(capture.wait_for_stderr("recording session", 20s)) << capture.err() << receiver.err();
  std::this_thread::sleep_for(1s);
  capture.signal(SIGUSR1);
  ASSERT_TRUE(capture.wait_for_stderr("marker 1 at tick", 10s)) << capture.err();
  std::this_thread::sleep_for(1s);
  capture.signal(SIGINT);
  const auto status = capture.wait_for(30s);
  ASSERT_TRUE(status.has_value()) << capture.err();
  EXPECT_EQ(*status, 0) << capture.err();
  EXPECT_EQ(receiver.stop(), 0) << receiver.err();

  const std::string summary = capture.out();
  const auto sent = test::frames_sent(summary);
  ASSERT_GT(sent, 0) << summary;
  EXPECT_NE(summary.find("receiver stored " + std::to_string(sent) + " over protocol " + std::to_string(newest) + ";"),
            std::string::npos)
      << summary;
  std::smatch at;
  const std::string said = capture.err();
  ASSERT_TRUE(std::regex_search(said, at, std::regex("marker 1 at tick ([0-9]+)"))) << said;
  const std::int64_t tick = std::stoll(at[1]);

  SqliteCatalog catalog(ArchivePaths(archive).catalog(), SqliteCatalog::Mode::kReadOnly);
  ASSERT_EQ(catalog.sessions().size(), 1u);
  const auto session = catalog.sessions()[0];
  EXPECT_EQ(session.frame_count, sent) << receiver.err();
  EXPECT_EQ(static_cast<std::int64_t>(catalog.frames(session.id).size()), sent);
  EXPECT_EQ(session.end_reason, "client");
  const auto markers = catalog.markers(session.id);
  if (newest >= 4) {
    ASSERT_EQ(markers.size(), 1u) << receiver.err();
    EXPECT_EQ(markers[0].label, "marker 1");
    EXPECT_EQ(markers[0].source, "signal");
    EXPECT_EQ(markers[0].tick, tick);
    EXPECT_NE(summary.find("1 marker;"), std::string::npos) << summary;
  } else {
    EXPECT_TRUE(markers.empty());
    EXPECT_NE(said.find("marker 1 is not kept: the receiver speaks protocol 3, which has no markers"),
              std::string::npos)
        << said;
    EXPECT_NE(summary.find("1 marker (1 not kept: the receiver's protocol has none)"), std::string::npos) << summary;
  }
  test::expect_ledger_adds_up(archive);
  if (!::testing::Test::HasFailure()) fs::remove_all(archive);
}

TEST(ProtocolVersions, AVersion3ClientRecordsIntoABufferingReceiverAndItsSaveKeepsItsTicks) {
  const fs::path archive = test::fresh_temp_dir("screenreel-v3-buffer");
  test::ReceiverProcess receiver(archive, {"--buffer", "30"});
  ASSERT_TRUE(receiver.started()) << receiver.err();
  test::WireClient c(receiver.port());
  ASSERT_TRUE(c.send(test::preamble_and_hello(kW, kH, "v3", "raw test client", 3)));
  ASSERT_TRUE(c.wait_for(wire::MessageType::kWelcome));
  test::StreamSpec spec;
  spec.width = kW;
  spec.height = kH;
  FrameEncoder encoder{kW, kH};
  std::size_t sent = 0;
  const auto send_frames = [&](std::vector<std::uint64_t> ticks) {
    for (const auto tick : ticks) {
      const auto px = test::pattern_pixels(spec, tick);
      Bytes m;
      ASSERT_TRUE(encoder.encode(px.data(), kW * 4, tick, wall_clock_us(), false, true, m));
      ASSERT_TRUE(c.send(m));
      ++sent;
    }
    // Every FRAME answered (queued for the recorder) before the test goes on.
    const auto acks = [&] {
      return static_cast<std::size_t>(
          std::count_if(c.messages().begin(), c.messages().end(),
                        [](const auto& r) { return r.type == wire::MessageType::kAck; }));
    };
    const auto until = std::chrono::steady_clock::now() + 10s;
    // (wait_for finds any message of a type received before: waiting for one that never comes
    // reads what arrives meanwhile.)
    while (acks() < sent && std::chrono::steady_clock::now() < until)
      c.wait_for(wire::MessageType::kStop, 100ms);
    ASSERT_EQ(acks(), sent) << receiver.err();
  };
  send_frames({1, 2, 4});  // tick 3: nobody says why (protocol 3 has no SKIPPED)
  receiver.process().write_stdin("s");
  ASSERT_TRUE(receiver.process().wait_for_stderr(
      "replay buffer saved (the receiver's s key): 3 frames, ticks 1..4", 10s))
      << receiver.err();
  send_frames({5, 7});
  ASSERT_TRUE(c.send(wire::encode(wire::Bye{sent, 0})));
  ASSERT_TRUE(c.wait_for(wire::MessageType::kBye));
  EXPECT_EQ(receiver.stop(), 0);

  SqliteCatalog catalog(ArchivePaths(archive).catalog(), SqliteCatalog::Mode::kReadOnly);
  ASSERT_EQ(catalog.sessions().size(), 1u);
  const auto id = catalog.sessions()[0].id;
  std::vector<std::int64_t> ticks;
  for (const auto& f : catalog.frames(id)) ticks.push_back(f.tick);
  EXPECT_EQ(ticks, (std::vector<std::int64_t>{1, 2, 4, 5, 7}));
  const auto ledger = catalog.ledger(id);
  ASSERT_EQ(ledger.size(), 2u);
  EXPECT_EQ(ledger[0], (LedgerRun{id, 3, 3, "unknown"}));
  EXPECT_EQ(ledger[1], (LedgerRun{id, 6, 6, "unknown"}));
  test::expect_ledger_adds_up(archive);
  fs::remove_all(archive);
}

TEST(ProtocolVersions, ACurrentCaptureRecordsEveryFrameIntoAVersion3ReceiverAndSaysItsMarkersAreNotKept) {
  record_through_an_older_receiver(3);
}

TEST(ProtocolVersions, ACurrentCaptureRecordsEveryFrameAndItsMarkerIntoAVersion4Receiver) {
  record_through_an_older_receiver(4);
}

}  // namespace
}  // namespace screenreel

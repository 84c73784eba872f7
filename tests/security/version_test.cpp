// Protocol versions meeting the replay buffer: a client of protocol 3 (no MARKER, SKIPPED or
// SAVE_BUFFER) records into this receiver, buffering and then saved at the receiver's `s` key,
// with its unexplained ticks in the ledger as `unknown`.
#include <gtest/gtest.h>

#include <algorithm>
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

}  // namespace
}  // namespace screenreel

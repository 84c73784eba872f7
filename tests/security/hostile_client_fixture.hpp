// The fixture of the hostile-client suite (hostile_client_test.cpp: what a client sends before
// and in its frames; hostile_session_test.cpp: what it does to sessions, resumes, sequence
// numbers and the stream). See hostile_client_test.cpp for what every test checks.
#pragma once

#include <gtest/gtest.h>
#include <lz4.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "../fuzz/recorded_stream.hpp"
#include "screenreel/archive/archive.hpp"
#include "screenreel/protocol/auth.hpp"
#include "screenreel/protocol/frame_codec.hpp"
#include "screenreel/archive/session_files.hpp"
#include "screenreel/archive/session_manifest.hpp"
#include "security_support.hpp"

namespace screenreel::hostile_test {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::WireClient;
using Bytes = std::vector<std::uint8_t>;

constexpr std::uint32_t kW = 64, kH = 48;
constexpr int kGoodFrames = 10;

using Rect = test::RectBytes;
using test::frame_message;

inline Bytes grey_key_frame(std::uint64_t seq, std::uint32_t w = kW, std::uint32_t h = kH) {
  return test::flat_key_frame(seq, w, h);
}

inline Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

class HostileClient : public ::testing::Test {
 protected:
  void SetUp() override {
    archive = test::fresh_temp_dir("screenreel-hostile");
    receiver = std::make_unique<test::ReceiverProcess>(archive);
    ASSERT_TRUE(receiver->started()) << receiver->err();
    // Records while the test attacks the receiver.
    during = test::start_pattern_client(
        receiver->port(), "good-during",
        {"--size", "64x48", "--fps", "20", "--max-frames", std::to_string(kGoodFrames)});
  }

  void TearDown() override {
    if (!receiver || !receiver->started()) return;
    EXPECT_TRUE(receiver->process().running()) << "the receiver died\n" << receiver->err();
    expect_good_client(*during, "good-during", kGoodFrames);
    // And one more, right after the attack.
    auto after = test::start_pattern_client(
        receiver->port(), "good-after", {"--size", "64x48", "--fps", "30", "--max-frames", "5"});
    expect_good_client(*after, "good-after", 5);
    EXPECT_EQ(receiver->stop().value_or(-1), 0) << receiver->err();
    EXPECT_EQ(test::integrity_check(archive), "ok");
    const auto problems = test::check_frame_files(archive);
    EXPECT_TRUE(problems.empty()) << problems.front();
    if (!HasFailure()) fs::remove_all(archive);
  }

  void expect_good_client(test::Process& client, const std::string& name, int frames) {
    const auto rc = client.wait_for(30s);
    ASSERT_TRUE(rc) << name << " still running\n" << client.err();
    EXPECT_EQ(*rc, 0) << name << ": " << client.err();
    EXPECT_EQ(test::frames_sent(client.out()), frames) << client.out() << client.err();
    EXPECT_NE(client.out().find("receiver stored " + std::to_string(frames)), std::string::npos)
        << client.out();
    bool found = false;
    for (const auto& s : test::read_sessions(archive)) {
      if (s.name != name) continue;
      found = true;
      EXPECT_EQ(s.frame_count, frames) << name;
      EXPECT_EQ(s.end_reason, "client") << name << ": " << s.error;
    }
    EXPECT_TRUE(found) << "no session named " << name;
  }

  // The connection was refused before a session existed: an ERROR with `code` naming
  // `reason`, the connection closed, no session in the catalog, the reason in the log.
  void expect_refused_before_session(WireClient& c, wire::ErrorCode code,
                                     const std::string& reason) {
    ASSERT_TRUE(c.wait_closed(10s)) << "the receiver kept the connection open";
    const auto e = c.error();
    ASSERT_TRUE(e) << "no ERROR before the close";
    EXPECT_EQ(e->code, code) << e->message;
    EXPECT_NE(e->message.find(reason), std::string::npos) << e->message;
    EXPECT_FALSE(test::session_of_client(archive, c.local_address())) << "a session was created";
    expect_logged(reason);
  }

  // The session was created and then ended by the receiver because of the client.
  SessionRecord expect_session_failed(WireClient& c, wire::ErrorCode code,
                                      const std::string& reason) {
    EXPECT_TRUE(c.wait_closed(10s)) << "the receiver kept the connection open";
    const auto e = c.error();
    EXPECT_TRUE(e) << "no ERROR before the close";
    if (e) {
      EXPECT_EQ(e->code, code) << e->message;
      EXPECT_NE(e->message.find(reason), std::string::npos) << e->message;
    }
    const auto s = test::session_of_client(archive, c.local_address());
    EXPECT_TRUE(s) << "no session for " << c.local_address();
    if (!s) return {};
    EXPECT_FALSE(s->recording());
    EXPECT_EQ(s->end_reason, "error");
    EXPECT_NE(s->error.find(reason), std::string::npos) << s->error;
    expect_logged(reason);
    return *s;
  }

  // `n` clients, each welcomed to a session of the largest size (4096 x 4096 = kMaxPixels).
  std::vector<std::unique_ptr<WireClient>> largest_sessions(int n) {
    std::vector<std::unique_ptr<WireClient>> clients;
    for (int i = 0; i < n; ++i) {
      auto c = std::make_unique<WireClient>(receiver->port());
      c->send(test::preamble_and_hello(4096, 4096));
      EXPECT_TRUE(c->wait_for(wire::MessageType::kWelcome));
      clients.push_back(std::move(c));
    }
    return clients;
  }

  void expect_logged(const std::string& reason) {
    // The log line may follow the close by a moment.
    EXPECT_TRUE(receiver->process().wait_for_stderr(reason, 5s))
        << "not in the receiver's log: " << reason << "\n"
        << receiver->err();
  }

  // Frame files of a session folder, by name.
  std::set<std::string> files_of(const SessionRecord& s) {
    std::set<std::string> out;
    for (const auto& e : fs::directory_iterator(ArchivePaths(archive).session(s.folder)))
      if (e.path().filename() != kManifestFile) out.insert(e.path().filename().string());
    return out;
  }

  fs::path archive;
  std::unique_ptr<test::ReceiverProcess> receiver;
  std::unique_ptr<test::Process> during;
};

}  // namespace screenreel::hostile_test

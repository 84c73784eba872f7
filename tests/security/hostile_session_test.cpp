// A hostile or broken client against the real receiver, continued (the fixture and what every
// test checks: hostile_client_fixture.hpp, hostile_client_test.cpp): resume keys, ticks and
// clock steps, memory of large sessions, a client that does not read, messages in the wrong
// direction, sequence numbers that repeat or go back, and a real recording cut at every byte.
#include "hostile_client_fixture.hpp"

namespace screenreel::hostile_test {
namespace {

// --- resume ------------------------------------------------------------------------------

// A resume key read off a plain connection (WELCOME carries it) must not let anybody else write
// into the session or drop its client: protocol 3 asks for a proof over the connection's own
// nonce, and a protocol-2 key is taken over TLS only. Before the fix, replaying the key dropped
// the victim's connection (session-busy) and the next try resumed the victim's session.
TEST_F(HostileClient, AResumeKeySeenOnTheWireDoesNotHijackTheSession) {
  WireClient victim(receiver->port());
  victim.send(test::preamble_and_hello(kW, kH, "victim"));
  ASSERT_TRUE(victim.wait_for(wire::MessageType::kWelcome));
  std::optional<wire::Welcome> welcome;
  std::optional<wire::Challenge> victim_challenge;
  for (const auto& r : victim.messages()) {
    if (auto* w = r.message ? std::get_if<wire::Welcome>(&*r.message) : nullptr) welcome = *w;
    if (auto* ch = r.message ? std::get_if<wire::Challenge>(&*r.message) : nullptr) victim_challenge = *ch;
  }
  ASSERT_TRUE(welcome && victim_challenge);
  victim.send(grey_key_frame(1));
  ASSERT_TRUE(victim.wait_for(wire::MessageType::kAck));

  const auto resume_hello = [&](const wire::ResumeKey& field) {
    wire::Hello h;
    h.width = kW;
    h.height = kH;
    h.fps_milli = 10'000;
    h.name = "thief";
    h.resume_session_id = welcome->session_id;
    h.resume_key = field;
    return wire::encode(h);
  };
  const auto session_given = [](const WireClient& c) -> std::uint64_t {
    for (const auto& r : c.messages())
      if (auto* w = r.message ? std::get_if<wire::Welcome>(&*r.message) : nullptr) return w->session_id;
    return 0;
  };
  struct Attempt {
    std::uint16_t version;
    wire::ResumeKey field;
    const char* what;
  };
  const Attempt attempts[] = {
      {3, welcome->resume_key, "the key itself, protocol 3"},
      {2, welcome->resume_key, "the key itself, protocol 2 without TLS"},
      {3, resume_proof(welcome->resume_key, victim_challenge->nonce), "a proof made for another connection"},
  };
  for (const auto& a : attempts) {
    SCOPED_TRACE(a.what);
    WireClient thief(receiver->port());
    thief.send(concat({wire::encode_preamble(a.version), resume_hello(a.field)}));
    ASSERT_TRUE(thief.wait_for(wire::MessageType::kWelcome)) << "no WELCOME";
    EXPECT_NE(session_given(thief), welcome->session_id) << "the thief got the victim's session";
    EXPECT_FALSE(thief.error()) << thief.error()->message;
  }
  expect_logged("wrong resume proof");
  expect_logged("resumes only over --tls");

  // The victim was never dropped: it records on, and its session holds only its frames.
  victim.send(grey_key_frame(2, kW, kH));
  ASSERT_TRUE(victim.wait_for(wire::MessageType::kAck));
  EXPECT_FALSE(victim.error());
  victim.shutdown_write();  // the connection breaks without BYE: the session can be resumed
  ASSERT_TRUE(victim.wait_closed(10s));

  // Its owner, knowing the key, resumes it with a proof over its own connection's nonce.
  WireClient owner(receiver->port());
  owner.send(wire::encode_preamble());
  ASSERT_TRUE(owner.wait_for(wire::MessageType::kChallenge));
  std::optional<wire::Challenge> challenge;
  for (const auto& r : owner.messages())
    if (auto* ch = r.message ? std::get_if<wire::Challenge>(&*r.message) : nullptr) challenge = *ch;
  ASSERT_TRUE(challenge);
  const bool ended = [&] {
    for (int i = 0; i < 100; ++i) {  // the receiver ends the victim's part first
      const auto sessions = test::read_sessions(archive);
      for (const auto& s : sessions)
        if (s.id == static_cast<std::int64_t>(welcome->session_id) && !s.recording()) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }();
  ASSERT_TRUE(ended);
  owner.send(resume_hello(resume_proof(welcome->resume_key, challenge->nonce)));
  ASSERT_TRUE(owner.wait_for(wire::MessageType::kWelcome));
  EXPECT_EQ(session_given(owner), welcome->session_id) << "the right proof resumes the session";
  owner.send(wire::encode(wire::Bye{0, 0}));
  ASSERT_TRUE(owner.wait_for(wire::MessageType::kBye));
  for (const auto& s : test::read_sessions(archive))
    if (s.id == static_cast<std::int64_t>(welcome->session_id)) {
      EXPECT_EQ(s.frame_count, 2);
    }
}

// Ticks are below 2^63 (the spec's kMaxTick). Before the fix a tick of 2^63 was stored as a
// negative number, and after 2^64 - 1 every frame was acknowledged as number 0 and not stored.
TEST_F(HostileClient, TicksOf2To63AndMoreAreRefusedAndNothingUnstoredIsAcknowledged) {
  for (const std::uint64_t tick : {std::uint64_t{1} << 63, ~std::uint64_t{0}}) {
    WireClient c(receiver->port());
    c.send(test::preamble_and_hello(kW, kH));
    ASSERT_TRUE(c.wait_for(wire::MessageType::kWelcome));
    c.send(grey_key_frame(1));
    ASSERT_TRUE(c.wait_for(wire::MessageType::kAck));
    c.send(grey_key_frame(tick));
    const auto s = expect_session_failed(c, wire::ErrorCode::kBadSequence, "2^63");
    EXPECT_EQ(s.frame_count, 1);
    for (const auto& r : c.messages())
      if (auto* a = r.message ? std::get_if<wire::Ack>(&*r.message) : nullptr) {
        EXPECT_NE(a->frame_number, 0u);
      }
  }
}

// The client's clock orders the frames only within a stated tolerance (kMaxClockStepBackUs):
// a step back of less is stored as the previous frame's time, more ends the session. Before the
// fix, times 10 years back were stored as sent and `info` printed nonsense.
TEST_F(HostileClient, CaptureTimesThatGoBackAreClampedWithinASecondAndRefusedBeyond) {
  const auto at = [](Bytes frame, std::int64_t capture_us) {
    for (int i = 0; i < 8; ++i)  // capture_time_us follows the header and seq
      frame[wire::kHeaderBytes + 8 + i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(capture_us) >> (8 * i));
    return frame;
  };
  const std::int64_t now = wall_clock_us();
  WireClient c(receiver->port());
  c.send(test::preamble_and_hello(kW, kH));
  ASSERT_TRUE(c.wait_for(wire::MessageType::kWelcome));
  c.send(at(grey_key_frame(1), now));
  ASSERT_TRUE(c.wait_for(wire::MessageType::kAck));
  c.send(at(grey_key_frame(2), now - 400'000));
  ASSERT_TRUE(c.wait_for(wire::MessageType::kAck));
  c.send(at(grey_key_frame(3), now - 10LL * 365 * 24 * 3600 * 1'000'000));
  const auto s = expect_session_failed(c, wire::ErrorCode::kBadMessage, "may step back at most 1 s");
  EXPECT_EQ(s.frame_count, 2);
  const auto frames = test::read_frames(archive, s.id);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].capture_us, now);
  EXPECT_EQ(frames[1].capture_us, now) << "a step back within the tolerance is stored as the previous time";
}

// Sessions of the largest size give their memory back when they end (issue 24.2): before, the
// receiver's frame pool kept up to 16 frames of any size after their sessions had gone (4096 x
// 4096: 64 MiB each, about 1 GB for good).
TEST_F(HostileClient, SessionsOfTheLargestSizeGiveTheirMemoryBackWhenTheyEnd) {
  const long before = test::process_usage(receiver->pid()).rss_kib;
  auto clients = largest_sessions(6);
  ASSERT_FALSE(HasFailure());
  for (auto& c : clients) c->send(test::flat_key_frame(1, 4096, 4096));
  for (auto& c : clients) {
    c->send(wire::encode(wire::Bye{1, 0}));
    ASSERT_TRUE(c->wait_for(wire::MessageType::kBye, 60s)) << receiver->err();
  }
  for (auto& c : clients) {
    const auto s = test::session_of_client(archive, c->local_address());
    ASSERT_TRUE(s);
    EXPECT_EQ(s->frame_count, 1);
  }
  clients.clear();
  std::this_thread::sleep_for(1s);  // the connections close and their frames go back
  const long kept_mib = (test::process_usage(receiver->pid()).rss_kib - before) / 1024;
  EXPECT_LT(kept_mib, 160) << "the receiver kept " << kept_mib << " MiB after six 4096x4096 sessions ended";
}

// WELCOME's max_in_flight is enforced: before the fix a client that never read its ACKs had
// 40,000 frames accepted ahead of them. The frames here are empty deltas (nothing changed), so
// the stream is cheap for the test and costs the receiver only its bookkeeping; resent frames
// of a resumed session go through the same check (on_frame counts every FRAME).
TEST_F(HostileClient, AClientThatDoesNotReadItsAcksIsStoppedAtMaxInFlight) {
  WireClient c(receiver->port());
  c.send(test::preamble_and_hello(kW, kH));
  ASSERT_TRUE(c.wait_for(wire::MessageType::kWelcome));
  const auto before = test::process_usage(receiver->pid());
  Bytes burst = grey_key_frame(1);
  FrameBuffer grey(kW, kH);
  std::fill(grey.pixels.begin(), grey.pixels.end(), std::uint8_t{0x80});
  std::uint64_t sent = 1;
  // Never reads: sends until the receiver closes the connection (or 200,000 frames).
  bool open = c.send(burst);
  while (open && sent < 200'000) {
    Bytes chunk;
    for (int i = 0; i < 1000; ++i) {
      const auto f = test::frame_message(++sent, kW, kH, 0, pixel_hash(grey), {});
      chunk.insert(chunk.end(), f.begin(), f.end());
    }
    open = c.send(chunk);
  }
  // What the kernels buffer (the client's receive buffer holds tens of thousands of unread
  // 32-byte ACKs on loopback) is beyond the receiver's sight; past that it closes the client.
  EXPECT_FALSE(open) << "the receiver took " << sent << " frames from a client that never read an ACK";
  const auto after = test::process_usage(receiver->pid());
  EXPECT_LT(after.rss_kib - before.rss_kib, 64 * 1024) << "the receiver grew by " << (after.rss_kib - before.rss_kib) / 1024 << " MB";
  expect_logged("more than max_in_flight");
  const auto s = test::session_of_client(archive, c.local_address());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->end_reason, "error");
  EXPECT_NE(s->error.find("max_in_flight"), std::string::npos) << s->error;
}

TEST_F(HostileClient, ReceiverMessagesFromTheClientAreRefused) {
  WireClient early(receiver->port());
  early.send(concat({wire::encode_preamble(), wire::encode(wire::Bye{1, 0})}));
  expect_refused_before_session(early, wire::ErrorCode::kBadMessage, "expected HELLO, got BYE");

  WireClient welcome(receiver->port());
  welcome.send(test::preamble_and_hello(kW, kH));
  ASSERT_TRUE(welcome.wait_for(wire::MessageType::kWelcome));
  welcome.send(wire::encode(wire::Welcome{1, 8, "../../etc"}));
  expect_session_failed(welcome, wire::ErrorCode::kBadMessage, "WELCOME is not a client message");

  WireClient second_hello(receiver->port());
  second_hello.send(test::preamble_and_hello(kW, kH));
  ASSERT_TRUE(second_hello.wait_for(wire::MessageType::kWelcome));
  const auto again = test::preamble_and_hello(kW, kH);
  second_hello.send(again, wire::kPreambleBytes, again.size());
  expect_session_failed(second_hello, wire::ErrorCode::kBadMessage,
                        "HELLO is not a client message");
}

// --- sequence numbers --------------------------------------------------------------------

// A frame file as it was once stored: its bytes and its inode (a rename over it changes that).
struct Written {
  std::string bytes;
  std::uintmax_t inode;
};

class SequenceTest : public HostileClient {
 protected:
  // Frames `seqs` of the test pattern (real encoder, real deltas); the encoder is kept so a test
  // can make a further, valid delta with any seq.
  void record(WireClient& c, std::vector<std::uint64_t> seqs) {
    c.send(test::preamble_and_hello(kW, kH, "seq"));
    ASSERT_TRUE(c.wait_for(wire::MessageType::kWelcome));
    for (const auto seq : seqs) {
      const auto px = test::pattern_pixels(spec, seq - 1);
      Bytes m;
      ASSERT_TRUE(encoder.encode(px.data(), kW * 4, seq, wall_clock_us(), false, true, m));
      c.send(m);
      expected.push_back(px);
    }
    // Every frame in the catalog: their files are in place and final.
    const auto until = std::chrono::steady_clock::now() + 10s;
    std::optional<SessionRecord> s;
    while (std::chrono::steady_clock::now() < until) {
      s = test::session_of_client(archive, c.local_address());
      if (s && s->frame_count == static_cast<std::int64_t>(seqs.size())) break;
      std::this_thread::sleep_for(20ms);
    }
    ASSERT_TRUE(s && s->frame_count == static_cast<std::int64_t>(seqs.size()))
        << "frames not stored in time";
    session = *s;
    for (const auto& name : files_of(session)) {
      const fs::path p = ArchivePaths(archive).session(session.folder) / name;
      before[name] = Written{test::read_file(p), inode_of(p)};
    }
  }

  static std::uintmax_t inode_of(const fs::path& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 ? st.st_ino : 0;
  }

  // A valid delta to a picture of noise (nothing like the recorded frames), with this seq.
  Bytes noise_frame(std::uint64_t seq) {
    Bytes px(std::size_t{kW} * kH * 4);
    std::mt19937 rng(seq);
    for (auto& b : px) b = static_cast<std::uint8_t>(rng());
    Bytes m;
    encoder.encode(px.data(), kW * 4, seq, wall_clock_us(), false, true, m);
    return m;
  }

  // The session holds exactly the frames recorded before the bad one, unchanged.
  void expect_nothing_overwritten() {
    const auto s = test::session_of_client(archive, session.client_address);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->frame_count, static_cast<std::int64_t>(expected.size()));
    const auto files = files_of(*s);
    EXPECT_EQ(files.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
      const std::string name = frame_file_name(i + 1);
      ASSERT_TRUE(files.count(name)) << name;
      const fs::path p = ArchivePaths(archive).session(s->folder) / name;
      EXPECT_EQ(test::read_file(p), before[name].bytes) << name << " was rewritten";
      EXPECT_EQ(inode_of(p), before[name].inode) << name << " was replaced";
      EXPECT_GE(test::psnr_jpeg_vs_bgrx(p, expected[i], kW, kH), 30.0) << name;
    }
  }

  test::StreamSpec spec;
  FrameEncoder encoder{kW, kH};
  std::vector<Bytes> expected;
  SessionRecord session;
  std::map<std::string, Written> before;
};

TEST_F(SequenceTest, DuplicateSequenceNumberEndsTheSessionAndOverwritesNothing) {
  WireClient c(receiver->port());
  record(c, {1, 2});
  c.send(noise_frame(2));
  expect_session_failed(c, wire::ErrorCode::kBadSequence, "FRAME seq 2 after 2 (must increase)");
  expect_nothing_overwritten();
}

TEST_F(SequenceTest, BackwardsSequenceNumberEndsTheSessionAndOverwritesNothing) {
  WireClient c(receiver->port());
  record(c, {1, 2, 5});
  c.send(noise_frame(3));
  expect_session_failed(c, wire::ErrorCode::kBadSequence, "FRAME seq 3 after 5 (must increase)");
  expect_nothing_overwritten();
}

TEST_F(SequenceTest, SequenceNumberZeroIsRefused) {
  WireClient c(receiver->port());
  record(c, {1});
  c.send(noise_frame(0));
  expect_session_failed(c, wire::ErrorCode::kBadSequence, "FRAME: seq 0");
  expect_nothing_overwritten();
}

// --- truncation --------------------------------------------------------------------------

// A short real recording (preamble, HELLO, 4 FRAMEs of the 64x48 test pattern, BYE: 17 KB) is
// sent cut after n bytes, on one connection per n (8 connections at a time): every n through the
// end of the first FRAME (HELLO and the key frame, byte by byte), then every 5th n, and each
// message boundary and its neighbours; about 7,000 connections, 10 s here when the machine is
// idle. SCREENREEL_CUT_STRIDE=1 cuts at every byte of the whole stream (17,000 connections).
// Each session must hold exactly the complete FRAMEs before the cut, as they were sent, and no
// file of the partial one (nor a temporary file); a cut before the end of HELLO makes no session.
TEST_F(HostileClient, StreamCutAtAnyByteKeepsEarlierFramesAndNeverWritesThePartialOne) {
  test::StreamSpec spec;
  spec.frames = 4;
  spec.name = "cut-000000";  // made "cut-<n>" for each connection: ports are reused, names are not
  const auto stream = test::make_recorded_stream(spec);
  const auto& starts = stream.unit_starts;  // preamble, HELLO, 4 FRAMEs, BYE, end
  ASSERT_EQ(starts.size(), 8u);
  const std::size_t total = stream.bytes.size();
  const auto name_at = std::search(stream.bytes.begin() + static_cast<long>(starts[1]),
                                   stream.bytes.begin() + static_cast<long>(starts[2]),
                                   spec.name.begin(), spec.name.end());
  ASSERT_NE(name_at, stream.bytes.begin() + static_cast<long>(starts[2]));
  const std::size_t digits_at = static_cast<std::size_t>(name_at - stream.bytes.begin()) + 4;
  auto name_of = [](std::size_t n) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "cut-%06zu", n);
    return std::string(buf);
  };

  const char* stride_env = std::getenv("SCREENREEL_CUT_STRIDE");
  const std::size_t kStride =
      stride_env ? static_cast<std::size_t>(std::max(1, std::atoi(stride_env))) : 5;
  std::set<std::size_t> cut_set;
  for (std::size_t n = 0; n <= starts[3]; ++n) cut_set.insert(n);
  for (std::size_t n = starts[3]; n <= total; n += kStride) cut_set.insert(n);
  for (const auto b : starts)
    for (const std::size_t n : {b - 1, b, b + 1})
      if (b > 0 && n <= total) cut_set.insert(n);
  const std::vector<std::size_t> cuts(cut_set.begin(), cut_set.end());

  std::vector<int> closed(cuts.size(), -1);  // -1: could not connect, 0: not closed, 1: closed
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i; (i = next++) < cuts.size();) {
      Bytes bytes = stream.bytes;
      const std::string name = name_of(cuts[i]);
      std::copy(name.begin() + 4, name.end(), bytes.begin() + static_cast<long>(digits_at));
      WireClient c(receiver->port());
      if (!c.connected()) continue;
      c.send(bytes, 0, cuts[i]);
      c.shutdown_write();
      closed[i] = c.wait_closed(20s) ? 1 : 0;
    }
  };
  std::vector<std::thread> workers;
  for (int t = 0; t < 8; ++t) workers.emplace_back(worker);
  for (auto& t : workers) t.join();

  std::map<std::string, SessionRecord> by_name;
  for (auto& s : test::read_sessions(archive)) by_name[s.name] = s;
  const ArchivePaths paths(archive);
  int checked_sessions = 0;
  for (std::size_t i = 0; i < cuts.size(); ++i) {
    const std::size_t n = cuts[i];
    SCOPED_TRACE("cut after " + std::to_string(n) + " of " + std::to_string(total) + " bytes");
    ASSERT_NE(closed[i], -1) << "could not connect";
    EXPECT_EQ(closed[i], 1) << "the receiver did not close the connection";
    std::size_t complete = 0;
    for (std::size_t f = 0; f < 4; ++f)
      if (starts[3 + f] <= n) ++complete;
    const auto it = by_name.find(name_of(n));
    if (n < starts[2]) {  // no complete HELLO: no session (and the name cannot be complete)
      EXPECT_EQ(it, by_name.end()) << "session for an incomplete handshake";
      continue;
    }
    ASSERT_NE(it, by_name.end()) << "no session";
    const auto& s = it->second;
    ++checked_sessions;
    EXPECT_EQ(s.end_reason, n == total ? "client" : "disconnected") << s.error;
    EXPECT_EQ(s.frame_count, static_cast<std::int64_t>(complete));
    const auto files = list_session_files(paths.session(s.folder));
    EXPECT_TRUE(files.temporary.empty()) << files.temporary.front();
    EXPECT_TRUE(files.other.empty()) << files.other.front();
    ASSERT_EQ(files.frames.size(), complete) << "files on disk";
    for (std::size_t f = 0; f < complete; ++f) {
      ASSERT_TRUE(files.frames.count(f + 1));
      EXPECT_GE(test::psnr_jpeg_vs_bgrx(paths.session(s.folder) / files.frames.at(f + 1),
                                        stream.frame_pixels[f], kW, kH),
                30.0)
          << "frame " << f + 1;
    }
  }
  EXPECT_EQ(checked_sessions,
            std::count_if(cuts.begin(), cuts.end(), [&](std::size_t n) { return n >= starts[2]; }));
  std::cerr << "[          ] " << cuts.size() << " cuts, " << checked_sessions
            << " sessions checked\n";
}

}  // namespace
}  // namespace screenreel::hostile_test

// Recording over a real, slow network (issue 19): two network namespaces joined by a tbf-shaped
// veth pair (tests/support/shaped_link.sh), the receiver in one and the capture in the other.
// Issue 19's rate targets that the wire meets (terminal 30 fps on 10 Mbit/s, with copies; the
// desktop scene 30 fps on 50 Mbit/s). Needs root; skipped otherwise.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "link_recording.hpp"
#include "recorded_stream.hpp"
#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/sqlite_catalog.hpp"
#include "screenreel/common/clock.hpp"
#include "security/security_support.hpp"
#include "support/process.hpp"
#include "support/screen_painter.hpp"
#include "support/shaped_link.hpp"
#include "support/xvfb.hpp"

namespace screenreel::test {
namespace {

using namespace std::chrono_literals;
constexpr int kSceneSeconds = 10;  // 300 ticks at 30 fps

class ShapedLinkRecording : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = ShapedLink::unavailable()) GTEST_SKIP() << *why;
  }
};

// Whole-screen 1920x1080 pictures (`variants` of the test pattern, `spacing` apart) shown one
// after the other every `every` for `seconds`, recorded over 50 Mbit/s: every stored frame decodes,
// and every `step`th is one of the pictures within 35 dB (at least `min_sampled` of them).
LinkRun record_pictures(const std::string& name, int variants, int spacing, std::chrono::milliseconds every,
                        int seconds, std::size_t step, int min_sampled,
                        const std::vector<std::string>& capture_args = {}) {
  constexpr std::uint32_t kW = 1920, kH = 1080;
  Xvfb xvfb("1920x1080");
  ScreenPainter painter(xvfb.display());
  std::vector<std::vector<std::uint8_t>> pictures;
  for (int v = 0; v < variants; ++v) pictures.push_back(make_picture(kW, kH, v * spacing));
  painter.show(pictures[0]);
  const LinkRun run = record_over_link(xvfb.display(), 50, seconds, name, [&](Process&) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    for (std::size_t i = 1; std::chrono::steady_clock::now() < until; ++i) {
      std::this_thread::sleep_for(every);
      painter.show(pictures[i % pictures.size()]);
    }
  }, capture_args);
  if (!run.ok) {
    ADD_FAILURE() << "the recording failed";
    return run;
  }
  EXPECT_EQ(check_frame_files(run.archive), std::vector<std::string>{}) << "every stored frame decodes";
  const auto sessions = read_sessions(run.archive);
  if (sessions.size() != 1u) {
    ADD_FAILURE() << sessions.size() << " sessions";
    return run;
  }
  const auto frames = read_frames(run.archive, sessions[0].id);
  EXPECT_GE(frames.size(), 10u) << run.summary;
  const auto dir = ArchivePaths(run.archive).session(sessions[0].folder);
  int sampled = 0;
  for (std::size_t i = 0; i < frames.size(); i += step, ++sampled) {
    double best = 0;
    for (const auto& p : pictures) best = std::max(best, psnr_jpeg_vs_bgrx(dir / frames[i].file, p, kW, kH));
    EXPECT_GE(best, 35.0) << frames[i].file << " (tick " << frames[i].tick << ") matches no picture shown";
  }
  EXPECT_GE(sampled, min_sampled);
  return run;
}

// A whole-screen picture changing five times a second on 1920x1080, over 50 Mbit/s: the link
// cannot carry every change at 30 fps, but whatever is stored is a whole, right frame.
TEST_F(ShapedLinkRecording, EveryStoredFrameDecodesAndMatchesTheScreen) {
  record_pictures("pictures", 4, 1, 200ms, 8, 7, 2);
}

// Today's wire on a link it fits: the terminal scene (a full 1920x1080 xterm) needs about
// 60 Mbit/s of LZ4 tiles, so on 100 Mbit/s every tick is sent as it happens.
// Issue 19's terminal target: scrolled text goes as copies of the previous frame (protocol 3),
// so a full-screen scrolling terminal (about 61 Mbit/s as changed tiles) fits 10 Mbit/s.
TEST_F(ShapedLinkRecording, AScrollingTerminalAt30FpsOn10MbitDropsNoTick) {
  expect_kept_up(record_scene_over_link("terminal", 10, kSceneSeconds), kSceneSeconds);
}

// The same terminal on a wide link, with copies and without: the copies are what makes it fit.
TEST_F(ShapedLinkRecording, CopiesCutAScrollingTerminalsWireBytesFivefold) {
  const LinkRun with = record_scene_over_link("terminal", 1000, kSceneSeconds);
  const LinkRun without = record_scene_over_link("terminal", 1000, kSceneSeconds, {"--no-copies"});
  ASSERT_TRUE(with.ok && without.ok);
  EXPECT_NE(with.summary.find("copy rectangles"), std::string::npos) << with.summary;
  EXPECT_EQ(without.summary.find("copy rectangles"), std::string::npos) << without.summary;
  EXPECT_GT(without.wire_mb, 5 * with.wire_mb) << "with copies " << with.wire_mb << " MB, without " << without.wire_mb;
}

// Issue 19's desktop target (measured 2026-12-06: 16 Mbit/s, 0 of 450 ticks dropped): a 120x40
// scrolling xterm, a clock and a 640x360 moving picture on 1920x1080.
TEST_F(ShapedLinkRecording, TheDesktopSceneAt30FpsOn50MbitDropsNoTick) {
  expect_kept_up(record_scene_over_link("desktop", 50, kSceneSeconds), kSceneSeconds);
}

// The desktop scene on 10 Mbit/s, a fifth of what its changes take as tiles: frames are fitted
// to the link block by block, the video window's blocks as JPEG strips and the text's as LZ4,
// and paced by it, so the backlog stays short. With frames sent whole as tiles or strips it
// stored 8 frames a second, 5 s behind at the end (2026-12-06); fitted, 27 a second and 0.3 s
// behind on a quiet machine (scripts/bench-network.sh).
TEST_F(ShapedLinkRecording, TheDesktopSceneOn10MbitIsFittedToTheLinkAndKeepsUp) {
  const LinkRun run = record_scene_over_link("desktop", 10, kSceneSeconds);
  ASSERT_TRUE(run.ok);
  EXPECT_EQ(run.summary.find(" 0 frames as JPEG strips"), std::string::npos) << run.summary;
  EXPECT_LE(run.seconds_behind, 1.0) << "paced by the link: " << run.summary;
  EXPECT_GE(run.stored_fps, 15.0) << run.summary;
  EXPECT_EQ(check_frame_files(run.archive), std::vector<std::string>{}) << "every stored frame decodes";
}

// Issue 19's video case, sent as JPEG strips (--wire auto): a full-screen moving picture
// (testsrc2, 1920x1080 at 30 fps) over 50 Mbit/s. As lossless tiles it needs about 1 Gbit/s; the
// strips the archive keeps anyway fit, so the backlog stays short. How many frames a second that
// stores depends on the CPU the capture gets (20-21 in CI's run, 4-13 with other builds running):
// a benchmark's number (scripts/bench-network.sh), not a test's.
TEST_F(ShapedLinkRecording, AFullScreenVideoOn50MbitGoesAsJpegStripsWithAShortBacklog) {
  const LinkRun run = record_scene_over_link("video", 50, kSceneSeconds, {"--wire", "auto"});
  ASSERT_TRUE(run.ok);
  std::cout << "[ video    ] " << run.stored_fps << " frames/s stored\n";
  EXPECT_NE(run.summary.find("frames as JPEG strips"), std::string::npos) << run.summary;
  EXPECT_EQ(run.summary.find(" 0 frames as JPEG strips"), std::string::npos) << run.summary;
  EXPECT_LE(run.seconds_behind, 2.0) << "the backlog stays short: " << run.summary;
  EXPECT_EQ(check_frame_files(run.archive), std::vector<std::string>{}) << "every stored frame decodes";
}

// A receiver stopped (SIGSTOP) for 3 s on a thin link makes a backlog the link did not: the
// frames wait in the spool and go when it resumes, none of the stall's ticks is skipped as if
// the link could not carry them (the desktop scene's video window goes as JPEG strips on
// 50 Mbit/s, so the rate controller would skip ticks for a backlog it took for the link's).
// The ticks of the stall are read back from the stored frames' capture times; the ticks skipped
// from the session's drop ledger.
TEST_F(ShapedLinkRecording, AReceiverStoppedOnAThinLinkCostsNoTickOfTheStall) {
  constexpr int kSeconds = 10;
  Xvfb xvfb("1920x1080");
  Process scene({"/bin/bash", std::string(SCREENREEL_SOURCE_DIR) + "/tests/support/scene.sh", "desktop"},
                {{"DISPLAY", xvfb.display()}});
  ASSERT_TRUE(scene.wait_for_stderr("scene ready", 20s)) << scene.err();
  std::int64_t stopped_us = 0, continued_us = 0;
  const LinkRun run = record_over_link(xvfb.display(), 50, kSeconds, "desktop-stall", [&](Process& receiver) {
    std::this_thread::sleep_for(3s);
    receiver.signal(SIGSTOP);
    stopped_us = wall_clock_us();
    std::this_thread::sleep_for(3s);
    continued_us = wall_clock_us();
    receiver.signal(SIGCONT);
  });
  scene.signal(SIGTERM);
  scene.wait_for(10s);
  ASSERT_TRUE(run.ok);
  EXPECT_NE(run.summary.find("frames as JPEG strips"), std::string::npos) << run.summary;
  EXPECT_EQ(check_frame_files(run.archive), std::vector<std::string>{}) << "every stored frame decodes";
  SqliteCatalog catalog(ArchivePaths(run.archive).catalog(), SqliteCatalog::Mode::kReadOnly);
  const auto sessions = catalog.sessions();
  ASSERT_EQ(sessions.size(), 1u);
  // From a second into the stall (by then the old controller's backlog trigger had fired) to
  // its end, in the capture's ticks.
  std::int64_t first = 0, last = 0, stored = 0;
  for (const auto& f : catalog.frames(sessions[0].id)) {
    if (f.capture_us >= stopped_us + 1'000'000 && first == 0) first = f.tick;
    if (f.capture_us <= continued_us) last = f.tick;
  }
  ASSERT_GT(first, 0);
  ASSERT_GT(last, first + 30) << "fewer than a second of the stall's frames stored: " << run.summary;
  std::int64_t skipped = 0, unchanged = 0;  // the ledger's ticks in the stall: dropped, and not new
  for (const auto& r : catalog.ledger(sessions[0].id)) {
    const auto ticks = std::max<std::int64_t>(0, std::min(r.last_tick, last) - std::max(r.first_tick, first) + 1);
    (r.cause == "unchanged" ? unchanged : skipped) += ticks;
  }
  for (const auto& f : catalog.frames(sessions[0].id)) stored += f.tick >= first && f.tick <= last;
  std::cout << "[ stall    ] ticks " << first << ".." << last << ": " << stored << " stored, " << unchanged
            << " unchanged, " << skipped << " dropped" << std::endl;
  // A tick or two may be late on a busy machine; the old controller skipped most of them.
  EXPECT_LE(skipped, 3) << run.summary;
  EXPECT_EQ(stored + unchanged + skipped, last - first + 1);
}

// Whole-screen pictures changing every tick over 50 Mbit/s go as JPEG strips, and every sampled
// stored frame is one of them within 35 dB: the client's strips are spliced in, not coded again.
TEST_F(ShapedLinkRecording, JpegStripsOverAThinLinkStoreFramesThatMatchTheScreen) {
  const LinkRun run = record_pictures("pictures-fast", 6, 7, 33ms, 6, 5, 4, {"--wire", "auto"});
  EXPECT_EQ(run.summary.find(" 0 frames as JPEG strips"), std::string::npos) << run.summary;
  EXPECT_NE(run.summary.find("frames as JPEG strips"), std::string::npos) << run.summary;
}

// A client of protocol `version` (a real encoder's stream, its preamble offering that version)
// records over the link into this receiver: every frame stored, every file a JPEG.
void expect_an_older_client_records(std::uint16_t version) {
  StreamSpec spec;
  spec.width = 640;
  spec.height = 480;
  spec.fps = 30;
  spec.frames = 60;
  spec.name = "v" + std::to_string(version) + "-over-link";
  RecordedStream stream = make_recorded_stream(spec);
  ASSERT_EQ(stream.bytes.at(8), wire::kVersion);  // the preamble's version field (u16 LE at 8)
  stream.bytes[8] = static_cast<std::uint8_t>(version);
  const auto archive = fresh_temp_dir("screenreel-link-v" + std::to_string(version)) / "archive";
  ShapedLink link(10);
  auto receiver = start_receiver(archive, {"--no-display", "--insecure-listen"}, {}, 0, link.receiver_address(),
                                 link.in_receiver({}));
  ASSERT_NE(receiver.port, 0);
  std::string address;
  bool bye = false;
  std::optional<wire::Error> error;
  link.run_in_sender([&] {
    WireClient c(std::to_string(receiver.port), link.receiver_address());
    if (!c.connected()) return;
    c.send(stream.bytes);
    bye = c.wait_for(wire::MessageType::kBye, 60s);
    address = c.local_address();
    error = c.error();
  });
  ASSERT_TRUE(bye) << "no BYE from the receiver" << (error ? ": " + error->message : "");
  EXPECT_EQ(address.rfind(link.sender_address() + ":", 0), 0u) << address << " did not come over the link";
  const auto s = session_of_client(archive, address);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->frame_count, static_cast<std::int64_t>(stream.frame_seqs.size()));
  EXPECT_EQ(check_frame_files(archive), std::vector<std::string>{});
}

// Protocol 3 (copies, no JPEG strips): the receiver speaks 3 to it, its WELCOME without jpeg_quality.
TEST_F(ShapedLinkRecording, AVersion3ClientRecordsOverTheLink) { expect_an_older_client_records(3); }

TEST_F(ShapedLinkRecording, AVersion2ClientRecordsOverTheLink) { expect_an_older_client_records(2); }

// Protocol 4 (copies and JPEG strips, no 4:2:0 tiles): the receiver speaks 4 to it, its WELCOME
// without wire_pixels.
TEST_F(ShapedLinkRecording, AVersion4ClientRecordsOverTheLink) { expect_an_older_client_records(4); }

}  // namespace
}  // namespace screenreel::test

// Markers, the privacy pause, the drop ledger and the receiver's replay buffer, end to end with
// real processes: screenreel-capture grabs an Xvfb screen and streams it to screenreel-receiver;
// markers are set as a user sets them (SIGUSR1, m on the capture client's terminal, m on the
// receiver's), capture is paused with SIGUSR2, a replay buffer is saved (s) or discarded (d),
// and the catalog and screenreel-replay are checked.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <regex>
#include <thread>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/sqlite_catalog.hpp"
#include "screenreel/common/clock.hpp"
#include "support/ledger_check.hpp"
#include "support/process.hpp"
#include "support/programs.hpp"
#include "support/screen_painter.hpp"
#include "support/xvfb.hpp"

namespace screenreel {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::Process;

constexpr std::uint32_t kW = 320, kH = 240;

class Markers : public ::testing::Test {
 protected:
  void SetUp() override {
    archive = test::fresh_temp_dir("screenreel-markers");
    screen = std::make_unique<test::Xvfb>(std::to_string(kW) + "x" + std::to_string(kH));
  }
  void TearDown() override {
    stop_painting();
    if (!HasFailure()) fs::remove_all(archive);
  }

  // Without `viewer`: --no-display; with it, the live window on that screen.
  // `extra`: more receiver options.
  std::unique_ptr<Process> start_receiver(const test::Xvfb* viewer = nullptr, std::vector<std::string> extra = {}) {
    if (!viewer) extra.push_back("--no-display");
    auto r = viewer ? test::start_receiver(archive, extra, {{"DISPLAY", viewer->display()}})
                    : test::start_receiver(archive, extra);
    port = std::to_string(r.port);
    return std::move(r.process);
  }

  std::unique_ptr<Process> start_capture() {
    auto p = std::make_unique<Process>(std::vector<std::string>{SCREENREEL_CAPTURE_BIN, "--connect", "127.0.0.1:" + port,
                                                                "--display", screen->display(), "--fps", "15", "--name",
                                                                "marked", "--no-cursor"});
    EXPECT_TRUE(p->wait_for_stderr("recording session", 20s)) << p->err();
    return p;
  }

  // Changes the captured screen every 100 ms until stop_painting(), so every tick has news.
  void start_painting() {
    painting = true;
    painter_thread = std::thread([this] {
      test::ScreenPainter painter(screen->display());
      const std::vector<std::vector<std::uint8_t>> pictures = {test::make_picture(kW, kH, 0),
                                                               test::make_picture(kW, kH, 1)};
      for (std::size_t i = 0; painting; ++i) {
        painter.show(pictures[i % 2]);
        std::this_thread::sleep_for(100ms);
      }
    });
  }
  void stop_painting() {
    painting = false;
    if (painter_thread.joinable()) painter_thread.join();
  }

  // A receiver (with its live window on `viewer`, or none) and a capture client recording the
  // screen while it changes, for a second: the session has frames before anything is marked.
  struct Recording {
    std::unique_ptr<Process> receiver, capture;
  };
  Recording start_recording(const test::Xvfb* viewer = nullptr) {
    Recording r;
    r.receiver = start_receiver(viewer);
    r.capture = start_capture();
    start_painting();
    std::this_thread::sleep_for(1s);
    return r;
  }

  // Ends the capture client with Ctrl-C, then the receiver once it has stored the session.
  void end_recording(Process& capture, Process& receiver) {
    capture.signal(SIGINT);
    ASSERT_TRUE(capture.wait_for(30s).has_value()) << capture.err();
    EXPECT_TRUE(capture.out().find("frames sent") != std::string::npos) << capture.out() << capture.err();
    stop_painting();
    receiver.signal(SIGTERM);
    ASSERT_TRUE(receiver.wait_for(30s).has_value()) << receiver.err();
  }

  // The tick capture printed for `label` ("marker 1 at tick 37").
  static std::int64_t printed_tick(const std::string& err, const std::string& label) {
    std::smatch m;
    const std::regex r(label + " at tick ([0-9]+)");
    if (!std::regex_search(err, m, r)) return -1;
    return std::stoll(m[1]);
  }

  SqliteCatalog catalog() const { return SqliteCatalog(ArchivePaths(archive).catalog(), SqliteCatalog::Mode::kReadOnly); }

  // frames.seq on screen at `tick`: the last frame whose tick is at or before it.
  static std::optional<std::int64_t> frame_at_tick(const std::vector<FrameRecord>& frames, std::int64_t tick) {
    std::optional<std::int64_t> at;
    for (const auto& f : frames)
      if (f.tick <= tick) at = f.seq;
    return at;
  }

  // The session's one marker: set by `source`, at the frame on screen at its tick.
  static MarkerRecord only_marker(SqliteCatalog& c, std::int64_t id, const std::string& source) {
    const auto markers = c.markers(id);
    EXPECT_EQ(markers.size(), 1u);
    if (markers.empty()) return {};
    EXPECT_EQ(markers[0].source, source);
    EXPECT_TRUE(markers[0].frame.has_value());
    EXPECT_EQ(markers[0].frame, frame_at_tick(c.frames(id), markers[0].tick));
    return markers[0];
  }

  fs::path archive;
  std::unique_ptr<test::Xvfb> screen;
  std::string port;
  std::atomic<bool> painting{false};
  std::thread painter_thread;
};

TEST_F(Markers, ASignalAndTheTerminalKeyEachSetAMarkerAtTheFrameOnScreen) {
  auto [receiver, capture] = start_recording();
  capture->signal(SIGUSR1);
  ASSERT_TRUE(capture->wait_for_stderr("marker 1 at tick", 10s)) << capture->err();
  std::this_thread::sleep_for(1s);
  capture->write_stdin("m");
  ASSERT_TRUE(capture->wait_for_stderr("marker 2 at tick", 10s)) << capture->err();
  std::this_thread::sleep_for(500ms);
  end_recording(*capture, *receiver);

  auto c = catalog();
  const auto sessions = c.sessions();
  ASSERT_EQ(sessions.size(), 1u);
  const auto frames = c.frames(sessions[0].id);
  const auto markers = c.markers(sessions[0].id);
  ASSERT_EQ(markers.size(), 2u);
  EXPECT_EQ(markers[0].label, "marker 1");
  EXPECT_EQ(markers[0].source, "signal");
  EXPECT_EQ(markers[0].tick, printed_tick(capture->err(), "marker 1"));
  EXPECT_EQ(markers[1].label, "marker 2");
  EXPECT_EQ(markers[1].source, "capture-key");
  EXPECT_EQ(markers[1].tick, printed_tick(capture->err(), "marker 2"));
  for (const auto& m : markers) {
    ASSERT_TRUE(m.frame.has_value()) << m.label;
    EXPECT_EQ(m.frame, frame_at_tick(frames, m.tick)) << m.label << " at tick " << m.tick;
  }
  EXPECT_LT(markers[0].tick, markers[1].tick);
  test::expect_ledger_adds_up(archive);

  // replay: markers lists them, info counts the ticks, play and export find them by label.
  const auto listed = test::replay(archive, {"markers", "1", "--json"});
  ASSERT_EQ(listed.status, 0) << listed.err;
  EXPECT_NE(listed.out.find("\"label\":\"marker 2\""), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("\"source\":\"capture-key\""), std::string::npos) << listed.out;
  const auto info = test::replay(archive, {"info", "1", "--json"});
  ASSERT_EQ(info.status, 0) << info.err;
  EXPECT_NE(info.out.find("\"adds_up\":true"), std::string::npos) << info.out;
  const auto text = test::replay(archive, {"info", "1"});
  EXPECT_NE(text.out.find("marker 1"), std::string::npos) << text.out;
  const auto unknown = test::replay(archive, {"play", "1", "--marker", "nope"});
  EXPECT_EQ(unknown.status, 1);
  EXPECT_NE(unknown.err.find("its markers: 'marker 1', 'marker 2'"), std::string::npos) << unknown.err;

  // export between the markers: the frames from the first marker's to the second's.
  const fs::path out = archive / "between";
  const auto exported =
      test::replay(archive, {"export", "1", "--frames", out.string(), "--from-marker", "marker 1", "--to-marker", "marker 2"});
  ASSERT_EQ(exported.status, 0) << exported.err;
  std::int64_t files = 0;
  for (const auto& e : fs::directory_iterator(out)) files += e.path().extension() == ".jpg";
  const std::int64_t expected = *markers[1].frame - *markers[0].frame + 1;
  EXPECT_EQ(files, expected) << exported.out << exported.err;
}

TEST_F(Markers, APauseStoresNoFrameInItsSpanAndTheCatalogHasTheSpan) {
  auto [receiver, capture] = start_recording();
  capture->signal(SIGUSR2);
  ASSERT_TRUE(capture->wait_for_stderr("paused (SIGUSR2)", 10s)) << capture->err();
  std::this_thread::sleep_for(2s);
  capture->signal(SIGUSR2);
  ASSERT_TRUE(capture->wait_for_stderr("resumed (SIGUSR2)", 10s)) << capture->err();
  std::this_thread::sleep_for(1s);
  end_recording(*capture, *receiver);

  auto c = catalog();
  const auto id = c.sessions().at(0).id;
  const auto pauses = c.pauses(id);
  ASSERT_EQ(pauses.size(), 1u);
  const auto& p = pauses[0];
  EXPECT_EQ(p.reason, "SIGUSR2");
  ASSERT_TRUE(p.to_tick && p.to_us);
  // 2 s at 15 fps, give or take the time a signal takes to arrive.
  EXPECT_GE(*p.to_tick - p.from_tick, 25) << p.from_tick << ".." << *p.to_tick;
  EXPECT_LE(*p.to_tick - p.from_tick, 40) << p.from_tick << ".." << *p.to_tick;
  std::int64_t before = 0, after = 0;
  for (const auto& f : c.frames(id)) {
    EXPECT_FALSE(f.tick >= p.from_tick && f.tick < *p.to_tick) << "frame " << f.seq << " of tick " << f.tick;
    EXPECT_FALSE(f.capture_us > p.from_us && f.capture_us < *p.to_us) << "frame " << f.seq << " captured while paused";
    (f.tick < p.from_tick ? before : after) += 1;
  }
  EXPECT_GT(before, 5);
  EXPECT_GT(after, 5);
  std::int64_t paused = 0;
  for (const auto& run : c.ledger(id))
    if (run.cause == "paused") {
      paused += run.ticks();
      EXPECT_GE(run.first_tick, p.from_tick);
      EXPECT_LT(run.last_tick, *p.to_tick);
    }
  EXPECT_EQ(paused, *p.to_tick - p.from_tick);
  test::expect_ledger_adds_up(archive);
  const auto info = test::replay(archive, {"info", "1"});
  EXPECT_NE(info.out.find(std::to_string(paused) + " paused"), std::string::npos) << info.out;

  // info --ledger csv: its runs and totals are the session's ticks less its frames.
  std::int64_t ticks = 0;
  for (const auto& f : c.frames(id)) ticks = std::max(ticks, f.tick);
  for (const auto& run : c.ledger(id)) ticks = std::max(ticks, run.last_tick);
  const auto frames = static_cast<std::int64_t>(c.frames(id).size());
  const auto csv = test::replay(archive, {"info", "1", "--ledger", "csv"});
  ASSERT_EQ(csv.status, 0) << csv.err;
  std::map<std::string, std::int64_t> totals;
  std::int64_t run_ticks = 0, runs = 0;
  std::istringstream lines(csv.out);
  std::string line;
  ASSERT_TRUE(std::getline(lines, line));
  EXPECT_EQ(line, "kind,first_tick,last_tick,ticks,cause");
  const std::regex row(R"(([a-z]+),(\d*),(\d*),(\d+),([a-z-]*))");
  for (std::smatch m; std::getline(lines, line);) {
    ASSERT_TRUE(std::regex_match(line, m, row)) << line;
    if (m[1] == "run") {
      EXPECT_EQ(std::stoll(m[3]) - std::stoll(m[2]) + 1, std::stoll(m[4])) << line;
      run_ticks += std::stoll(m[4]);
      ++runs;
    } else {
      totals[m[1].str() + (m[5].length() ? ":" + m[5].str() : "")] = std::stoll(m[4]);
    }
  }
  EXPECT_EQ(runs, static_cast<std::int64_t>(c.ledger(id).size()));
  EXPECT_EQ(totals["ticks"], ticks);
  EXPECT_EQ(totals["frames"], frames);
  EXPECT_EQ(totals["skipped"], ticks - frames) << csv.out;
  EXPECT_EQ(run_ticks, ticks - frames) << csv.out;
  EXPECT_EQ(totals["total:paused"], paused) << csv.out;
  const auto json = test::replay(archive, {"info", "1", "--ledger", "json"});
  ASSERT_EQ(json.status, 0) << json.err;
  EXPECT_NE(json.out.find("\"skipped\": " + std::to_string(ticks - frames)), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("\"cause\": \"paused\""), std::string::npos) << json.out;
  EXPECT_EQ(test::replay(archive, {"info", "1", "--ledger", "xml"}).status, 2);
}

// The session folder keeps the markers and pauses (events.jsonl): a catalog rebuilt from the
// folders has them as the receiver recorded them, even with a line a crash cut short after them.
TEST_F(Markers, MarkersAndPausesSurviveARebuiltCatalog) {
  auto [receiver, capture] = start_recording();
  capture->signal(SIGUSR1);
  ASSERT_TRUE(capture->wait_for_stderr("marker 1 at tick", 10s)) << capture->err();
  receiver->write_stdin("m");
  ASSERT_TRUE(receiver->wait_for_stderr("marker 'receiver marker 1'", 10s)) << receiver->err();
  std::this_thread::sleep_for(500ms);
  capture->signal(SIGUSR2);
  ASSERT_TRUE(capture->wait_for_stderr("paused (SIGUSR2)", 10s)) << capture->err();
  std::this_thread::sleep_for(1s);
  capture->signal(SIGUSR2);
  ASSERT_TRUE(capture->wait_for_stderr("resumed (SIGUSR2)", 10s)) << capture->err();
  std::this_thread::sleep_for(500ms);
  receiver->write_stdin("p");  // a second pause, still open when the session ends
  ASSERT_TRUE(receiver->wait_for_stderr("paused at the receiver at tick", 10s)) << receiver->err();
  std::this_thread::sleep_for(500ms);
  end_recording(*capture, *receiver);

  std::vector<MarkerRecord> markers;
  std::vector<PauseRecord> pauses;
  std::string folder;
  {
    auto c = catalog();
    const auto session = c.sessions().at(0);
    folder = session.folder;
    markers = c.markers(session.id);
    pauses = c.pauses(session.id);
  }
  ASSERT_EQ(markers.size(), 2u);
  ASSERT_EQ(pauses.size(), 2u);
  EXPECT_TRUE(pauses[0].to_tick.has_value());
  EXPECT_FALSE(pauses[1].to_tick.has_value());
  const auto listed = test::replay(archive, {"markers", "1", "--json"});
  ASSERT_EQ(listed.status, 0) << listed.err;
  EXPECT_NE(listed.out.find("\"source\":\"receiver-key\""), std::string::npos) << listed.out;

  const ArchivePaths paths(archive);
  std::ofstream(paths.session(folder) / "events.jsonl", std::ios::app) << R"({"type":"marker","time_us":1,"ti)";
  for (const char* part : {"", "-wal", "-shm"}) fs::remove(paths.catalog().string() + part);
  const auto rebuilt = test::replay(archive, {"rebuild"});
  ASSERT_EQ(rebuilt.status, 0) << rebuilt.err;
  EXPECT_EQ(rebuilt.out.find("warning"), std::string::npos) << rebuilt.out;

  auto c = catalog();
  EXPECT_EQ(c.markers(1), markers);
  EXPECT_EQ(c.pauses(1), pauses);
  const auto again = test::replay(archive, {"markers", "1", "--json"});
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_EQ(again.out, listed.out);
  const auto verified = test::replay(archive, {"verify"});
  EXPECT_EQ(verified.status, 0) << verified.out << verified.err;
}

TEST_F(Markers, TheReceiverKeyMarksTheSessionsRecording) {
  auto [receiver, capture] = start_recording();
  receiver->write_stdin("m");
  ASSERT_TRUE(receiver->wait_for_stderr("marker 'receiver marker 1'", 10s)) << receiver->err();
  std::this_thread::sleep_for(500ms);
  end_recording(*capture, *receiver);
  auto c = catalog();
  EXPECT_EQ(only_marker(c, c.sessions().at(0).id, "receiver-key").label, "receiver marker 1");
  test::expect_ledger_adds_up(archive);
}

TEST_F(Markers, TheWindowSaysPausedAndItsKeyMSetsAMarker) {
  test::Xvfb viewer("1024x768");
  auto [receiver, capture] = start_recording(&viewer);
  capture->write_stdin("p");
  ASSERT_TRUE(receiver->wait_for_stderr("paused at tick", 10s)) << receiver->err();
  const std::string find = "DISPLAY=" + viewer.display() + " timeout 20 xdotool search --sync --name ";
  EXPECT_EQ(test::shell(find + "'Received Video Stream - marked .* - paused' >/dev/null 2>&1"), 0)
      << "no window titled '... - paused'";
  capture->write_stdin("p");
  ASSERT_TRUE(receiver->wait_for_stderr("resumed at tick", 10s)) << receiver->err();
  std::this_thread::sleep_for(500ms);
  EXPECT_NE(test::shell("DISPLAY=" + viewer.display() + " xdotool search --name ' - paused' >/dev/null 2>&1"), 0)
      << "the title still says paused";
  ASSERT_EQ(test::shell(find + "'Received Video Stream - marked' windowfocus --sync key m >/dev/null 2>&1"), 0)
      << "no receiver window to press m in";
  ASSERT_TRUE(receiver->wait_for_stderr("marker 'receiver marker 1'", 10s)) << receiver->err();
  end_recording(*capture, *receiver);
  auto c = catalog();
  const auto id = c.sessions().at(0).id;
  const auto markers = c.markers(id);
  ASSERT_EQ(markers.size(), 1u);
  EXPECT_EQ(markers[0].source, "receiver-key");
  const auto pauses = c.pauses(id);
  ASSERT_EQ(pauses.size(), 1u);
  EXPECT_EQ(pauses[0].reason, "key p");
  test::expect_ledger_adds_up(archive);
}

}  // namespace
}  // namespace screenreel

namespace screenreel {
namespace {

// What the receiver logged when it saved a replay buffer: frames, first and last tick.
struct SavedBuffer {
  std::int64_t frames = -1, first_tick = 0, last_tick = 0;
};
SavedBuffer saved_buffer(const std::string& log) {
  std::smatch m;
  const std::regex r("replay buffer saved \\([^)]*\\): ([0-9]+) frames, ticks ([0-9]+)\\.\\.([0-9]+)");
  if (!std::regex_search(log, m, r)) return {};
  return {std::stoll(m[1]), std::stoll(m[2]), std::stoll(m[3])};
}

// Waits for the receiver's log of a replay buffer saved (`by`: who asked for it) and reads it.
SavedBuffer wait_for_save(Process& receiver, const std::string& by) {
  EXPECT_TRUE(receiver.wait_for_stderr("replay buffer saved (" + by + ")", 10s)) << receiver.err();
  const auto saved = saved_buffer(receiver.err());
  EXPECT_GT(saved.frames, 5) << receiver.err();
  return saved;
}

constexpr std::int64_t kBufferSeconds = 2;
constexpr std::int64_t kFps = 15;  // start_capture's

TEST_F(Markers, TheReplayBufferSavesExactlyItsLastSecondsAndRecordsOnFromThere) {
  auto receiver = start_receiver(nullptr, {"--buffer", std::to_string(kBufferSeconds)});
  auto capture = start_capture();
  EXPECT_NE(capture->err().find("replay buffer"), std::string::npos) << capture->err();
  start_painting();
  std::this_thread::sleep_for(4s);
  // Nothing is in the archive while buffering.
  EXPECT_TRUE(catalog().sessions().empty());
  capture->write_stdin("s");
  const auto saved = wait_for_save(*receiver, "asked by the client");
  if (HasFailure()) return;
  std::this_thread::sleep_for(1s);
  end_recording(*capture, *receiver);

  auto c = catalog();
  const auto sessions = c.sessions();
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].name, "marked");
  const auto frames = c.frames(sessions[0].id);
  ASSERT_GT(static_cast<std::int64_t>(frames.size()), saved.frames) << "nothing recorded after the save";
  // The frames saved are numbered from 1, with their ticks; the live ones follow them.
  const FrameRecord& first = frames.front();
  const FrameRecord& last = frames[static_cast<std::size_t>(saved.frames - 1)];
  EXPECT_EQ(first.seq, 1);
  EXPECT_EQ(first.tick, saved.first_tick);
  EXPECT_EQ(last.seq, saved.frames);
  EXPECT_EQ(last.tick, saved.last_tick);
  EXPECT_GT(frames[static_cast<std::size_t>(saved.frames)].tick, saved.last_tick);
  // Exactly the last kBufferSeconds: the frames of that span before the newest are all there
  // (4 s were buffered, with a change every 100 ms), none older.
  const std::int64_t span_us = last.capture_us - first.capture_us;
  EXPECT_LE(span_us, kBufferSeconds * 1'000'000) << "frames older than --buffer kept";
  EXPECT_GE(span_us, kBufferSeconds * 1'000'000 - 400'000) << "the buffer lost frames within its span";
  // Their original times, as the capture's ticks give them (one tick every 1/15 s).
  const std::int64_t tick_span_us = (saved.last_tick - saved.first_tick) * 1'000'000 / kFps;
  EXPECT_NEAR(static_cast<double>(span_us), static_cast<double>(tick_span_us), 150'000.0);
  // Written at the save, not as they arrived: the oldest waited in memory for about the span.
  EXPECT_GT(first.written_us - first.receive_us, span_us - 500'000);
  for (std::int64_t i = 0; i < saved.frames; ++i) {
    const auto& f = frames[static_cast<std::size_t>(i)];
    EXPECT_GE(f.written_us, last.receive_us) << "frame " << f.seq << " was written before the save";
    EXPECT_TRUE(fs::exists(ArchivePaths(archive).session(sessions[0].folder) / f.file)) << f.file;
  }
  // The ticks before the buffer's first frame: one ledger run of ticks never saved, and the identity holds.
  const auto ledger = c.ledger(sessions[0].id);
  ASSERT_FALSE(ledger.empty());
  EXPECT_EQ(ledger[0].first_tick, 1);
  EXPECT_EQ(ledger[0].last_tick, saved.first_tick - 1);
  EXPECT_EQ(ledger[0].cause, "not-saved");
  test::expect_ledger_adds_up(archive);
  const auto verified = test::replay(archive, {"verify", "--integrity"});
  EXPECT_EQ(verified.status, 0) << verified.out << verified.err;
}

TEST_F(Markers, ADiscardedReplayBufferAndOneNeverSavedWriteNothing) {
  auto receiver = start_receiver(nullptr, {"--buffer", std::to_string(kBufferSeconds)});
  auto capture = start_capture();
  start_painting();
  std::this_thread::sleep_for(2s);
  receiver->write_stdin("d");
  ASSERT_TRUE(receiver->wait_for_stderr("replay buffer discarded", 10s)) << receiver->err();
  std::smatch m;
  const std::string log = receiver->err();
  ASSERT_TRUE(std::regex_search(log, m, std::regex("discarded: ([0-9]+) frames")));
  EXPECT_GT(std::stoll(m[1]), 5) << log;
  std::this_thread::sleep_for(1s);
  capture->write_stdin("m");  // held with the buffer, and gone with it
  ASSERT_TRUE(capture->wait_for_stderr("marker 1 at tick", 10s)) << capture->err();
  std::this_thread::sleep_for(500ms);
  end_recording(*capture, *receiver);
  EXPECT_NE(receiver->err().find("without a save: the replay buffer's"), std::string::npos) << receiver->err();
  EXPECT_TRUE(catalog().sessions().empty());
  EXPECT_TRUE(fs::is_empty(ArchivePaths(archive).sessions()));
}

TEST_F(Markers, AReplayBufferSavedAfterADiscardHoldsOnlyWhatCameAfterIt) {
  auto receiver = start_receiver(nullptr, {"--buffer", "10"});
  auto capture = start_capture();
  start_painting();
  std::this_thread::sleep_for(2s);
  receiver->write_stdin("d");
  ASSERT_TRUE(receiver->wait_for_stderr("replay buffer discarded", 10s)) << receiver->err();
  const std::int64_t discarded_us = wall_clock_us();
  std::this_thread::sleep_for(1500ms);
  capture->write_stdin("m");
  ASSERT_TRUE(capture->wait_for_stderr("marker 1 at tick", 10s)) << capture->err();
  std::this_thread::sleep_for(500ms);
  receiver->write_stdin("s");
  const auto saved = wait_for_save(*receiver, "the receiver's s key");
  if (HasFailure()) return;
  std::this_thread::sleep_for(500ms);
  end_recording(*capture, *receiver);

  auto c = catalog();
  ASSERT_EQ(c.sessions().size(), 1u);
  const auto id = c.sessions()[0].id;
  const auto frames = c.frames(id);
  EXPECT_EQ(frames.front().tick, saved.first_tick);
  EXPECT_GE(frames.front().receive_us, discarded_us - 200'000) << "a frame from before the discard was saved";
  // The marker set while buffering is kept, at its frame in the saved numbering.
  EXPECT_EQ(only_marker(c, id, "capture-key").tick, printed_tick(capture->err(), "marker 1"));
  test::expect_ledger_adds_up(archive);
}

// A receiver killed after a save keeps what it saved (and stored since): only an unsaved buffer
// lives in memory alone.
TEST_F(Markers, AReceiverKilledAfterASaveKeepsEverySavedFrame) {
  auto receiver = start_receiver(nullptr, {"--buffer", std::to_string(kBufferSeconds)});
  auto capture = start_capture();
  start_painting();
  std::this_thread::sleep_for(3s);
  capture->write_stdin("s");
  const auto saved = wait_for_save(*receiver, "asked by the client");
  if (HasFailure()) return;
  std::this_thread::sleep_for(1s);
  receiver->signal(SIGKILL);
  ASSERT_TRUE(receiver->wait_for(10s).has_value());
  stop_painting();
  capture->signal(SIGINT);
  ASSERT_TRUE(capture->wait_for(30s).has_value()) << capture->err();

  auto c = catalog();
  ASSERT_EQ(c.sessions().size(), 1u);
  const auto session = c.sessions()[0];
  const auto frames = c.frames(session.id);
  ASSERT_GE(static_cast<std::int64_t>(frames.size()), saved.frames);
  EXPECT_EQ(frames.front().tick, saved.first_tick);
  EXPECT_EQ(frames[static_cast<std::size_t>(saved.frames - 1)].tick, saved.last_tick);
  for (const auto& f : frames)
    EXPECT_TRUE(fs::exists(ArchivePaths(archive).session(session.folder) / f.file)) << f.file;
}

// The receiver's window keys, as a user presses them: s saves the replay buffer (the window then
// shows the saved session), p pauses storing and p again resumes it.
TEST_F(Markers, TheWindowKeysSSaveTheBufferAndPPausesStoring) {
  test::Xvfb viewer("1024x768");
  auto receiver = start_receiver(&viewer, {"--buffer", "30"});
  auto capture = start_capture();
  start_painting();
  std::this_thread::sleep_for(1500ms);
  const std::string xdotool = "DISPLAY=" + viewer.display() + " timeout 20 xdotool search --sync --name ";
  ASSERT_EQ(test::shell(xdotool + "'Received Video Stream - marked .replay buffer.' windowfocus --sync key s >/dev/null 2>&1"), 0)
      << "no replay buffer window to press s in";
  const auto saved = wait_for_save(*receiver, "the receiver's s key");
  if (HasFailure()) return;
  std::this_thread::sleep_for(500ms);
  const std::string session_window = "'Received Video Stream - marked .session 1.'";
  ASSERT_EQ(test::shell(xdotool + session_window + " windowfocus --sync key p >/dev/null 2>&1"), 0)
      << "no window of the saved session to press p in";
  ASSERT_TRUE(receiver->wait_for_stderr("paused at the receiver at tick", 10s)) << receiver->err();
  EXPECT_EQ(test::shell(xdotool + "'Received Video Stream - marked .session 1. - paused' >/dev/null 2>&1"), 0)
      << "no window titled '... - paused'";
  std::this_thread::sleep_for(1500ms);
  ASSERT_EQ(test::shell(xdotool + session_window + " windowfocus --sync key p >/dev/null 2>&1"), 0);
  ASSERT_TRUE(receiver->wait_for_stderr("resumed at the receiver at tick", 10s)) << receiver->err();
  std::this_thread::sleep_for(1s);
  end_recording(*capture, *receiver);

  auto c = catalog();
  ASSERT_EQ(c.sessions().size(), 1u);
  const auto id = c.sessions()[0].id;
  const auto frames = c.frames(id);
  EXPECT_EQ(frames.front().tick, saved.first_tick);
  const auto pauses = c.pauses(id);
  ASSERT_EQ(pauses.size(), 1u);
  const auto& p = pauses[0];
  EXPECT_EQ(p.reason, "receiver key p");
  ASSERT_TRUE(p.to_tick.has_value());
  // 1.5 s at 15 fps, give or take the time the keys take.
  EXPECT_GE(*p.to_tick - p.from_tick, 15) << p.from_tick << ".." << *p.to_tick;
  std::int64_t before = 0, after = 0;
  for (const auto& f : frames) {
    EXPECT_FALSE(f.tick >= p.from_tick && f.tick < *p.to_tick) << "frame " << f.seq << " of tick " << f.tick;
    (f.tick < p.from_tick ? before : after) += 1;
  }
  EXPECT_GT(before, saved.frames);
  EXPECT_GT(after, 5);
  std::int64_t paused = 0;
  for (const auto& run : c.ledger(id))
    if (run.cause == "paused") paused += run.ticks();
  EXPECT_EQ(paused, *p.to_tick - p.from_tick);
  test::expect_ledger_adds_up(archive);
  // Every file is there and the chain over the frames around the pause holds.
  const auto verified = test::replay(archive, {"verify", "--integrity"});
  EXPECT_EQ(verified.status, 0) << verified.out << verified.err;
}

// Global hotkeys (XGrabKey): ctrl+alt+m pressed on the captured X display, whichever window
// has the focus, sets a marker at the frame on screen; ctrl+alt+p pauses and resumes.
TEST_F(Markers, TheXHotkeysSetAMarkerAtTheFrameOnScreenAndPause) {
  auto [receiver, capture] = start_recording();
  EXPECT_NE(capture->err().find("global hotkeys: marker ctrl+alt+m, pause ctrl+alt+p, save buffer ctrl+alt+s"),
            std::string::npos)
      << capture->err();
  const std::string xdotool = "DISPLAY=" + screen->display() + " xdotool key ";
  ASSERT_EQ(test::shell(xdotool + "ctrl+alt+m"), 0);
  ASSERT_TRUE(capture->wait_for_stderr("marker 1 at tick", 10s)) << capture->err();
  std::this_thread::sleep_for(500ms);
  ASSERT_EQ(test::shell(xdotool + "ctrl+alt+p"), 0);
  ASSERT_TRUE(capture->wait_for_stderr("paused (hotkey)", 10s)) << capture->err();
  std::this_thread::sleep_for(1s);
  ASSERT_EQ(test::shell(xdotool + "ctrl+alt+p"), 0);
  ASSERT_TRUE(capture->wait_for_stderr("resumed (hotkey)", 10s)) << capture->err();
  std::this_thread::sleep_for(500ms);
  end_recording(*capture, *receiver);

  auto c = catalog();
  const auto id = c.sessions().at(0).id;
  EXPECT_EQ(only_marker(c, id, "hotkey").tick, printed_tick(capture->err(), "marker 1"));
  const auto pauses = c.pauses(id);
  ASSERT_EQ(pauses.size(), 1u);
  EXPECT_EQ(pauses[0].reason, "hotkey");
  test::expect_ledger_adds_up(archive);
}

TEST_F(Markers, ABadHotkeyNameIsRefusedNamingItsOption) {
  Process capture({SCREENREEL_CAPTURE_BIN, "--connect", "127.0.0.1:9", "--display", screen->display(),
                   "--hotkey-pause", "ctrl+alt+nokey"});
  const auto status = capture.wait_for(20s);
  ASSERT_TRUE(status.has_value());
  EXPECT_NE(*status, 0);
  EXPECT_NE(capture.err().find("--hotkey-pause: hotkey 'ctrl+alt+nokey': 'nokey' is not a key name"), std::string::npos)
      << capture.err();
  Process none({SCREENREEL_CAPTURE_BIN, "--connect", "127.0.0.1:9", "--display", screen->display(), "--hotkey-marker",
                "none", "--hotkey-pause", "none", "--hotkey-save", "none", "--no-reconnect"});
  ASSERT_TRUE(none.wait_for(20s).has_value());
  EXPECT_EQ(none.err().find("global hotkeys"), std::string::npos) << none.err();
  EXPECT_EQ(none.err().find("hotkey"), std::string::npos) << none.err();
}

}  // namespace
}  // namespace screenreel

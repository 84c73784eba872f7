// Recording a scene over a shaped link (see link_recording.hpp).
#include "link_recording.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <iostream>
#include <regex>

#include "support/process.hpp"
#include "support/programs.hpp"
#include "support/shaped_link.hpp"
#include "support/xvfb.hpp"

namespace screenreel::test {

using namespace std::chrono_literals;

bool parse_summary(const std::string& text, LinkRun& run, int seconds) {
  std::smatch m;
  static const std::regex line(
      R"(\d+ frames sent, ([0-9.]+) MB \([0-9.]+% of raw\) over [0-9.]+ s: ([0-9.]+) ticks/s, ([0-9.]+) frames/s stored: the screen changed on \d+ of (\d+) ticks \(\d+ unchanged, (\d+) dropped\))");
  if (!std::regex_search(text, m, line)) return false;
  const auto at = static_cast<std::size_t>(m.position(0));
  run.summary = text.substr(at, text.find('\n', at) - at);  // the whole line, to its end
  run.wire_mb = std::stod(m[1]);
  run.fps_achieved = std::stod(m[2]);
  run.stored_fps = std::stod(m[3]);
  run.ticks = std::stoll(m[4]);
  run.dropped = std::stoll(m[5]);
  run.mbit_per_s = run.wire_mb * 8 / seconds;
  return true;
}

void expect_kept_up(const LinkRun& run, int seconds) {
  constexpr double kMaxSecondsBehind = 2;
  ASSERT_TRUE(run.ok);
  EXPECT_EQ(run.dropped, 0) << run.summary;
  EXPECT_LE(run.seconds_behind, kMaxSecondsBehind) << "the link did not keep up: " << run.summary;
  EXPECT_GE(run.ticks, 30 * seconds - 2) << run.summary;
}

LinkRun record_over_link(const std::string& display, double mbit, int seconds, const std::string& name,
                         const std::function<void(Process& receiver)>& during, const std::vector<std::string>& capture_args) {
  LinkRun run;
  const auto dir = fresh_temp_dir("screenreel-link");
  run.archive = dir / "archive";
  // Not loopback: the receiver wants a token, as on a real network.
  const auto token = dir / "token";
  std::ofstream(token) << "shaped-link-test-token-0123456789abcdef\n";
  std::filesystem::permissions(token, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  ShapedLink link(mbit);  // made first: removed after every process in it has ended
  auto receiver = start_receiver(run.archive, {"--no-display", "--token-file", token.string()}, {}, 0,
                                 link.receiver_address(), link.in_receiver({}));
  if (receiver.port == 0) return run;
  std::vector<std::string> argv = {SCREENREEL_CAPTURE_BIN, "--display", display, "--fps", "30", "--duration",
                                   std::to_string(seconds), "--connect",
                                   link.receiver_address() + ":" + std::to_string(receiver.port), "--name", name,
                                   "--token-file", token.string(), "--quiet"};
  argv.insert(argv.end(), capture_args.begin(), capture_args.end());
  Process capture(link.in_sender(argv));
  const auto started = std::chrono::steady_clock::now();
  if (during) during(*receiver.process);
  const auto status = capture.wait_for(std::chrono::seconds(seconds + 30));
  run.seconds_behind =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() - seconds;
  if (status != 0) {
    ADD_FAILURE() << "capture ended with " << (status ? std::to_string(*status) : "no exit (still running)")
                  << ": " << capture.err();
    return run;
  }
  receiver.process->signal(SIGTERM);
  EXPECT_EQ(receiver.process->wait_for(30s), 0) << receiver.process->err();
  run.ok = parse_summary(capture.out() + capture.err(), run, seconds);
  EXPECT_TRUE(run.ok) << "no summary from the capture: " << capture.out() << capture.err();
  std::cout << "[ link     ] " << name << " at 30 fps over " << mbit << " Mbit/s: " << run.fps_achieved
            << " fps achieved, " << run.stored_fps << " frames/s stored, " << run.dropped << " of " << run.ticks << " ticks dropped, " << run.wire_mb
            << " MB on the wire (" << run.mbit_per_s << " Mbit/s), the last frame sent "
            << run.seconds_behind << " s after the end" << std::endl;
  return run;
}

LinkRun record_scene_over_link(const std::string& kind, double mbit, int seconds,
                               const std::vector<std::string>& capture_args) {
  Xvfb xvfb("1920x1080");
  Process scene({"/bin/bash", std::string(SCREENREEL_SOURCE_DIR) + "/tests/support/scene.sh", kind},
                {{"DISPLAY", xvfb.display()}});
  if (!scene.wait_for_stderr("scene ready", 20s)) {
    ADD_FAILURE() << "the " << kind << " scene did not come up: " << scene.err();
    return {};
  }
  LinkRun run = record_over_link(xvfb.display(), mbit, seconds, kind, {}, capture_args);
  scene.signal(SIGTERM);
  scene.wait_for(10s);
  return run;
}

}  // namespace screenreel::test

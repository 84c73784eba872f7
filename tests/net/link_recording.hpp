// One recording over a shaped link, as the shaped-link tests need it: a 1920x1080 Xvfb showing a
// scene (tests/support/scene.sh), the receiver in the link's receiving namespace, the capture at
// 30 fps in the sending one for a fixed time, and what its summary line says.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace screenreel::test {

class Process;

struct LinkRun {
  bool ok = false;      // the programs ran and the capture printed its summary
  std::string summary;  // the capture's summary line
  double fps_achieved = 0;
  double stored_fps = 0;  // frames the receiver stored, a second
  std::int64_t ticks = 0, dropped = 0;
  double wire_mb = 0;
  double mbit_per_s = 0;  // wire bytes over the run's length
  // How long after the end of the recording the capture took to send its backlog and end: a
  // link too thin for the scene fills the spool instead of dropping ticks (until it is full),
  // so "no tick dropped" only means keeping up when this is small too.
  double seconds_behind = 0;
  std::filesystem::path archive;
};

// Records X display `display` at 30 fps for `seconds` over `mbit` Mbit/s into a fresh archive;
// `during` runs on the calling thread while the capture runs (a test painting the screen, or
// stopping the receiver it is given).
// `capture_args` are added to the capture's command line (--no-copies, ...).
LinkRun record_over_link(const std::string& display, double mbit, int seconds, const std::string& name,
                         const std::function<void(Process& receiver)>& during = {}, const std::vector<std::string>& capture_args = {});

// Records `kind` (terminal, desktop, video) at 30 fps for `seconds` over `mbit` Mbit/s into a
// fresh archive. Reports failures with ADD_FAILURE; prints the numbers on stdout.
LinkRun record_scene_over_link(const std::string& kind, double mbit, int seconds,
                               const std::vector<std::string>& capture_args = {});

// The run recorded every tick at 30 fps as it happened: none dropped, and the last frame sent
// within 2 s of the end (a link too thin would have left a backlog in the spool instead).
void expect_kept_up(const LinkRun& run, int seconds);

// The capture's "N frames sent, X MB (...) over S s: F ticks/s, R frames/s stored: ... changed on C
// of T ticks (U unchanged, D dropped)" line, parsed into `run` (F is its fps_achieved, R its
// stored_fps); false when it is not there.
bool parse_summary(const std::string& text, LinkRun& run, int seconds);

}  // namespace screenreel::test

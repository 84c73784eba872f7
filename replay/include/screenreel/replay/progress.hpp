// A progress bar on stderr for long commands (export, verify), drawn only when stderr is a
// terminal, so logs and pipes get no carriage-return noise.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace screenreel::replay {

class ProgressBar {
 public:
  explicit ProgressBar(std::string label);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // `done` of `total` steps; redraws at most ten times a second.
  void update(std::uint64_t done, std::uint64_t total);
  // A callback for the library's progress options.
  auto callback() {
    return [this](std::uint64_t done, std::uint64_t total) { update(done, total); };
  }
  // Clears the bar's line; the destructor does it too.
  void finish();

 private:
  void draw(std::uint64_t done);
  std::string label_;
  std::uint64_t total_ = 0;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace screenreel::replay

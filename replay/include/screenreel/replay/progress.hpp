// A progress bar on stderr for long commands (export, verify), drawn only when stderr is a
// terminal, so logs and pipes get no carriage-return noise.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace screenreel::replay {

class ProgressBar {
 public:
  ProgressBar(std::string label, std::uint64_t total);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // Redraws at most ten times a second.
  void update(std::uint64_t done);
  // Clears the bar's line; the destructor does it too.
  void finish();

 private:
  void draw(std::uint64_t done);
  std::string label_;
  std::uint64_t total_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace screenreel::replay

// Terminal progress bar (see progress.hpp).
#include "screenreel/replay/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "screenreel/replay/time_format.hpp"

namespace screenreel::replay {

ProgressBar::ProgressBar(std::string label)
    : label_(std::move(label)),
      enabled_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() {
  finish();
}

void ProgressBar::update(std::uint64_t done, std::uint64_t total) {
  if (!enabled_) return;
  total_ = total;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100) && done < total_) return;
  last_draw_ = now;
  draw(done);
}

void ProgressBar::draw(std::uint64_t done) {
  constexpr int kWidth = 30;
  const double fraction =
      total_ ? std::min(1.0, static_cast<double>(done) / static_cast<double>(total_)) : 1.0;
  const int filled = static_cast<int>(fraction * kWidth);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(kWidth - filled), '.');
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::string left = "--:--:--";
  if (fraction > 0.01)
    left = format_offset(static_cast<std::int64_t>(elapsed * (1 - fraction) / fraction * 1e6))
               .substr(0, 8);
  std::fprintf(stderr, "\r%s [%s] %3d%%  %llu/%llu  %s left ", label_.c_str(), bar.c_str(),
               static_cast<int>(fraction * 100), static_cast<unsigned long long>(done),
               static_cast<unsigned long long>(total_), left.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::finish() {
  if (!drawn_) return;
  std::fprintf(stderr, "\r\033[K");  // carriage return, erase the line
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace screenreel::replay

// A private Xvfb server for one test: started on a free display number (:150 to :199), stopped
// by the destructor. Tests that need a screen never depend on $DISPLAY.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace screenreel::test {

class Xvfb {
 public:
  // `geometry` is WxH (depth 24) or WxHxD; `extra` is more of Xvfb's options (for example
  // {"-extension", "DAMAGE"} for a server without DAMAGE). Returns once X clients can connect.
  // Throws std::runtime_error saying what to do when Xvfb is not installed, no display number is
  // free, or the server does not come up within 10 seconds (with the end of its log).
  explicit Xvfb(std::string geometry = "320x240", std::vector<std::string> extra = {});
  ~Xvfb();
  Xvfb(const Xvfb&) = delete;
  Xvfb& operator=(const Xvfb&) = delete;

  const std::string& display() const { return display_; }  // ":N"

  // Makes the screen W x H with RandR, as a user's `xrandr -s` would: Xvfb's one output
  // ("screen") gets a mode of that size (added the first time) and the screen takes its size.
  // Xvfb can shrink its screen and grow it back, never beyond the size it started with. Throws
  // std::runtime_error if xrandr fails.
  void resize(std::uint32_t width, std::uint32_t height) const;

 private:
  pid_t pid_ = -1;
  int number_ = -1;
  std::string display_;
  std::string log_;  // the server's stdout and stderr
};

}  // namespace screenreel::test

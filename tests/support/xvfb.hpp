// A private Xvfb server for one test: started on a free display number (:150 to :199), stopped
// by the destructor. Tests that need a screen never depend on $DISPLAY.
#pragma once

#include <sys/types.h>

#include <string>

namespace screenreel::test {

class Xvfb {
 public:
  // `geometry` is WxH (depth 24) or WxHxD. Returns once X clients can connect. Throws
  // std::runtime_error saying what to do when Xvfb is not installed, no display number is free,
  // or the server does not come up within 10 seconds (with the end of its log).
  explicit Xvfb(std::string geometry = "320x240");
  ~Xvfb();
  Xvfb(const Xvfb&) = delete;
  Xvfb& operator=(const Xvfb&) = delete;

  const std::string& display() const { return display_; }  // ":N"

 private:
  pid_t pid_ = -1;
  int number_ = -1;
  std::string display_;
  std::string log_;  // the server's stdout and stderr
};

}  // namespace screenreel::test

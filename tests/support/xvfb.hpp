// A private Xvfb server for one test: started on a free display number, stopped by the
// destructor. Tests that need a screen never depend on $DISPLAY.
#pragma once

#include <sys/types.h>

#include <string>

namespace screenreel::test {

class Xvfb {
 public:
  // `geometry` is WxH; depth 24. Throws (the test fails with the reason) when Xvfb is missing
  // or does not come up.
  explicit Xvfb(const std::string& geometry = "320x240");
  ~Xvfb();
  Xvfb(const Xvfb&) = delete;
  Xvfb& operator=(const Xvfb&) = delete;
  const std::string& display() const { return display_; }

 private:
  pid_t pid_ = -1;
  std::string display_;
};

}  // namespace screenreel::test

// Sets (or, with nullopt, removes) an environment variable for one scope, for tests of code that
// reads the environment ($DISPLAY, SCREENREEL_NO_SHM, XDG_STATE_HOME, ...).
#pragma once

#include <cstdlib>
#include <optional>
#include <string>

namespace screenreel::test {

class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    set(value);
  }
  ~ScopedEnv() { set(old_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  void set(const std::optional<std::string>& v) {
    if (v)
      ::setenv(name_, v->c_str(), 1);
    else
      ::unsetenv(name_);
  }
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace screenreel::test

// Starts a real program for an integration test, with its output captured to files, and lets
// the test signal it, write to its stdin and wait for it with a deadline. The destructor kills
// what is still running, so a failing test leaves no process behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace screenreel::test {

class Process {
 public:
  // argv[0] is the program's path. `env` adds or overrides environment variables.
  Process(std::vector<std::string> argv, std::map<std::string, std::string> env = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig) const;
  void write_stdin(const std::string& text) const;
  // Exit status (128 + signal number when killed by a signal); empty if still running at the deadline.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);
  bool running();
  std::string out() const;  // everything written to stdout so far
  std::string err() const;  // everything written to stderr so far
  // Waits until stderr contains `text`; false at the deadline or if the process ended first.
  bool wait_for_stderr(const std::string& text, std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  std::optional<int> status_;
  std::filesystem::path out_path_, err_path_;
};

std::string read_file(const std::filesystem::path& p);
// Waits (up to `timeout`) until process `pid` has a handler for `sig` (SigCgt in /proc): the
// moment a test can send it and know the program, not the default action, deals with it.
bool wait_until_catching(pid_t pid, int sig, std::chrono::milliseconds timeout);
// A fresh, empty directory under the system temp dir, named after the running test.
std::filesystem::path fresh_temp_dir(const std::string& tag);
// Runs a command line through /bin/sh and returns its exit status (tests' small helpers: xdotool).
int shell(const std::string& command);

}  // namespace screenreel::test

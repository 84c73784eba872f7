// Private Xvfb servers for tests (see xvfb.hpp).
#include "support/xvfb.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <thread>

namespace screenreel::test {

Xvfb::Xvfb(const std::string& geometry) {
  if (::access("/usr/bin/Xvfb", X_OK) != 0)
    throw std::runtime_error("Xvfb is not installed (apt-get install xvfb; scripts/install-deps.sh does it)");
  // Tests run in parallel (ctest -j): start from a random number and let Xvfb's own lock file
  // decide who gets a display; a loser tries the next one.
  std::mt19937 rng(static_cast<unsigned>(::getpid()) ^
                   static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count()));
  int num = 200 + static_cast<int>(rng() % 600);
  for (int attempt = 0; attempt < 20; ++attempt, ++num) {
    const std::string lock = "/tmp/.X" + std::to_string(num) + "-lock";
    const std::string sock = "/tmp/.X11-unix/X" + std::to_string(num);
    if (std::filesystem::exists(lock) || std::filesystem::exists(sock)) continue;
    const std::string disp = ":" + std::to_string(num);
    const std::string screen = geometry + "x24";
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      const int devnull = ::open("/dev/null", O_RDWR);
      ::dup2(devnull, STDIN_FILENO);
      ::dup2(devnull, STDOUT_FILENO);
      ::dup2(devnull, STDERR_FILENO);
      ::execl("/usr/bin/Xvfb", "Xvfb", disp.c_str(), "-screen", "0", screen.c_str(), "-nolisten", "tcp",
              "+extension", "RANDR", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    bool exited = false;
    while (std::chrono::steady_clock::now() < until) {
      int st;
      if (::waitpid(pid, &st, WNOHANG) == pid) {
        exited = true;  // lost the race for this number, or bad arguments
        break;
      }
      if (std::filesystem::exists(sock)) {
        pid_ = pid;
        display_ = disp;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!exited) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  throw std::runtime_error("could not start Xvfb " + geometry + " on any of 20 display numbers");
}

Xvfb::~Xvfb() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

}  // namespace screenreel::test

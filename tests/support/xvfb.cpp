// Private Xvfb servers for tests (see xvfb.hpp).
#include "support/xvfb.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xcb/xcb.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace screenreel::test {
namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Numbers well above what desktops and CI runners use themselves.
constexpr int kFirstDisplay = 150, kDisplays = 50;
constexpr auto kStartTimeout = 10s, kStopTimeout = 5s;

std::string find_in_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::string lock_file(int n) {
  return "/tmp/.X" + std::to_string(n) + "-lock";
}
std::string socket_file(int n) {
  return "/tmp/.X11-unix/X" + std::to_string(n);
}

bool exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

std::string tail_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  const std::string text = s.str();
  constexpr std::size_t kMax = 2000;
  return text.size() > kMax ? "..." + text.substr(text.size() - kMax) : text;
}

// The socket appears before the server serves it; a connection that completes its setup proves
// it is up. Cheap to repeat because the server runs with -noreset.
bool accepts_clients(const std::string& display) {
  xcb_connection_t* c = xcb_connect(display.c_str(), nullptr);
  const bool ok = xcb_connection_has_error(c) == 0;
  xcb_disconnect(c);
  return ok;
}

// Waits up to `timeout` for `pid` to end. True once it is reaped.
bool reap(pid_t pid, std::chrono::milliseconds timeout, int* status = nullptr) {
  const auto until = Clock::now() + timeout;
  for (;;) {
    int st = 0;
    const pid_t r = ::waitpid(pid, &st, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) {
      if (status) *status = st;
      return true;
    }
    if (Clock::now() >= until) return false;
    std::this_thread::sleep_for(10ms);
  }
}

// After a SIGKILL the server cannot clean up: remove its lock and socket, but only if the lock
// names our process, so a number never looks taken forever and nobody else's server is touched.
void remove_leftovers(int n, pid_t pid) {
  std::ifstream in(lock_file(n));
  long owner = 0;
  if (!(in >> owner) || owner != pid) return;
  std::error_code ec;
  fs::remove(lock_file(n), ec);
  fs::remove(socket_file(n), ec);
}

std::string status_text(int st) {
  if (WIFEXITED(st)) return "exit status " + std::to_string(WEXITSTATUS(st));
  if (WIFSIGNALED(st)) return std::string("signal ") + ::strsignal(WTERMSIG(st));
  return "status " + std::to_string(st);
}

}  // namespace

Xvfb::Xvfb(std::string geometry, std::vector<std::string> extra) {
  unsigned w = 0, h = 0, depth = 24;
  char x1 = 0, x2 = 0;
  const int fields = std::sscanf(geometry.c_str(), "%u%c%u%c%u", &w, &x1, &h, &x2, &depth);
  if (!((fields == 3 && x1 == 'x') || (fields == 5 && x1 == 'x' && x2 == 'x')) || w == 0 || h == 0)
    throw std::invalid_argument("Xvfb geometry '" + geometry +
                                "' is not WxH or WxHxD (for example 320x240)");
  const std::string screen =
      std::to_string(w) + "x" + std::to_string(h) + "x" + std::to_string(depth);
  const std::string xvfb = find_in_path("Xvfb");
  if (xvfb.empty())
    throw std::runtime_error(
        "Xvfb is not installed (not found in $PATH): apt-get install xvfb, or run "
        "scripts/install-deps.sh");

  // Test processes run in parallel (ctest -j): each starts at a different number, and Xvfb's own
  // lock file decides a race; the loser moves on to the next number.
  static std::atomic<int> started{0};
  const int offset = static_cast<int>((::getpid() + 7 * started++) % kDisplays);
  std::string refused;
  for (int i = 0; i < kDisplays; ++i) {
    const int n = kFirstDisplay + (offset + i) % kDisplays;
    if (exists(lock_file(n)) || exists(socket_file(n))) continue;
    const std::string display = ":" + std::to_string(n);
    const std::string log =
        (fs::temp_directory_path() /
         ("screenreel-xvfb-" + std::to_string(::getpid()) + "-" + std::to_string(n) + ".log"))
            .string();

    // Everything the child needs is built before fork: it may only make async-signal-safe calls.
    std::vector<std::string> args = {xvfb,   display,     "-screen", "0",
                                     screen, "-nolisten", "tcp",     "-noreset"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    int exec_pipe[2];  // closed by a successful exec; carries errno if exec fails
    const auto close_fds = [&](bool pipe_too) {
      for (const int fd : {log_fd, null_fd})
        if (fd >= 0) ::close(fd);
      if (pipe_too) {
        ::close(exec_pipe[0]);
        ::close(exec_pipe[1]);
      }
    };
    if (log_fd < 0 || null_fd < 0 || ::pipe2(exec_pipe, O_CLOEXEC) != 0) {
      const std::string why = std::strerror(errno);
      close_fds(false);
      throw std::runtime_error("cannot prepare to start Xvfb (log " + log + "): " + why);
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
      const std::string why = std::strerror(errno);
      close_fds(true);
      throw std::runtime_error("cannot fork to start Xvfb: " + why);
    }
    if (pid == 0) {
      ::dup2(null_fd, STDIN_FILENO);
      ::dup2(log_fd, STDOUT_FILENO);
      ::dup2(log_fd, STDERR_FILENO);
      // The test may block or ignore signals; the server must still stop on our SIGTERM.
      sigset_t none;
      ::sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      ::signal(SIGTERM, SIG_DFL);
      ::signal(SIGINT, SIG_DFL);
      ::execv(argv[0], argv.data());
      const int e = errno;
      (void)!::write(exec_pipe[1], &e, sizeof e);
      ::_exit(127);
    }
    ::close(log_fd);
    ::close(null_fd);
    ::close(exec_pipe[1]);
    int exec_errno = 0;
    ssize_t got;
    do got = ::read(exec_pipe[0], &exec_errno, sizeof exec_errno);
    while (got < 0 && errno == EINTR);
    ::close(exec_pipe[0]);
    if (got == static_cast<ssize_t>(sizeof exec_errno)) {
      reap(pid, kStopTimeout);
      std::error_code ec;
      fs::remove(log, ec);
      throw std::runtime_error("cannot run " + xvfb + ": " + std::strerror(exec_errno) +
                               " (apt-get install --reinstall xvfb)");
    }

    const auto until = Clock::now() + kStartTimeout;
    int st = 0;
    bool ended = false;
    while (Clock::now() < until) {
      if (reap(pid, 0ms, &st)) {
        ended = true;
        break;
      }
      if (exists(socket_file(n)) && accepts_clients(display)) {
        pid_ = pid;
        number_ = n;
        display_ = display;
        log_ = log;
        return;
      }
      std::this_thread::sleep_for(20ms);
    }
    const std::string output = tail_of(log);
    std::error_code ec;
    fs::remove(log, ec);
    if (ended && output.find("already active") != std::string::npos) {
      refused += " " + display;  // someone else took this number first
      continue;
    }
    if (ended)
      throw std::runtime_error("Xvfb " + display + " -screen 0 " + screen + " ended (" +
                               status_text(st) + ") before accepting clients. Its output:\n" +
                               output);
    ::kill(pid, SIGKILL);
    reap(pid, kStopTimeout);
    remove_leftovers(n, pid);
    throw std::runtime_error("Xvfb " + display + " did not accept X clients within " +
                             std::to_string(std::chrono::seconds(kStartTimeout).count()) +
                             " s (is the machine overloaded?). Its output:\n" + output);
  }
  throw std::runtime_error(
      "no free X display number from :" + std::to_string(kFirstDisplay) +
      " to :" + std::to_string(kFirstDisplay + kDisplays - 1) +
      (refused.empty() ? "" : " (taken while starting:" + refused + ")") +
      ": too many servers, or stale /tmp/.X<N>-lock and /tmp/.X11-unix/X<N> files "
      "left by killed ones (remove those whose process is gone)");
}

void Xvfb::resize(std::uint32_t width, std::uint32_t height) const {
  const std::string size = std::to_string(width) + "x" + std::to_string(height);
  const std::string xrandr = "xrandr --display " + display_ + " ";
  // A mode needs timings; Xvfb ignores them. --newmode and --addmode fail harmlessly when the
  // mode exists already (the size Xvfb started with, or one added before).
  const std::string w = std::to_string(width), h = std::to_string(height);
  const std::string add = xrandr + "--newmode " + size + " 10 " + w + " " + w + " " + w + " " + w +
                          " " + h + " " + h + " " + h + " " + h + " >/dev/null 2>&1; " + xrandr +
                          "--addmode screen " + size + " >/dev/null 2>&1; ";
  const std::string set = xrandr + "--output screen --mode " + size;
  const std::string command = add + set + " 2>&1";
  if (std::system(command.c_str()) != 0)
    throw std::runtime_error("cannot resize Xvfb " + display_ + " to " + size +
                             " with xrandr (is x11-xserver-utils "
                             "installed? Xvfb cannot grow past the size it started with): " +
                             set);
}

Xvfb::~Xvfb() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  if (!reap(pid_, kStopTimeout)) {
    ::kill(pid_, SIGKILL);
    reap(pid_, kStopTimeout);
    remove_leftovers(number_, pid_);
  }
  std::error_code ec;
  fs::remove(log_, ec);
}

}  // namespace screenreel::test

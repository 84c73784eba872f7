// Shaped links for tests (see shaped_link.hpp): a thin owner of tests/support/shaped_link.sh.
#include "support/shaped_link.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <cerrno>
#include <cstring>

#include "support/process.hpp"

namespace screenreel::test {
namespace {

const std::string kScript = std::string(SCREENREEL_SOURCE_DIR) + "/tests/support/shaped_link.sh";

// Runs a command through the shell; its stdout and stderr together, and its exit status.
std::pair<int, std::string> run(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen((command + " 2>&1").c_str(), "r"), ::pclose);
  if (!pipe) return {-1, "popen failed"};
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, pipe.get())) out += buf;
  const int rc = ::pclose(pipe.release());
  return {rc, out};
}

}  // namespace

std::optional<std::string> ShapedLink::unavailable() {
  if (::geteuid() != 0) return "not root: a shaped link needs network namespaces and tc (CI runs as root)";
  if (shell("command -v ip >/dev/null && command -v tc >/dev/null") != 0)
    return "ip and tc not found (apt-get install iproute2, or scripts/install-deps.sh)";
  return std::nullopt;
}

ShapedLink::ShapedLink(double mbit, int delay_ms) {
  static std::atomic<int> made{0};
  name_ = "screenreel-" + std::to_string(::getpid()) + "-" + std::to_string(++made);
  std::ostringstream rate;
  rate << mbit;
  const auto [rc, out] = run("bash " + kScript + " up " + name_ + " " + rate.str() + " " + std::to_string(delay_ms));
  std::istringstream fields(out);
  if (rc != 0 || !(fields >> send_ns_ >> recv_ns_ >> send_addr_ >> recv_addr_)) {
    run("bash " + kScript + " down " + name_);
    throw std::runtime_error("cannot make a shaped link of " + rate.str() + " Mbit/s (" + kScript + "): " + out);
  }
}

ShapedLink::~ShapedLink() {
  const auto [rc, out] = run("bash " + kScript + " down " + name_);
  if (rc != 0) std::fprintf(stderr, "shaped link %s: teardown failed: %s\n", name_.c_str(), out.c_str());
}

void ShapedLink::run_in_sender(const std::function<void()>& work) const {
  std::string failed;
  // A network namespace belongs to a thread: joining it on a thread of its own leaves the test's
  // other threads where they were.
  std::thread t([&] {
    const std::string path = "/var/run/netns/" + send_ns_;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
      failed = "cannot join network namespace " + path + ": " + std::strerror(errno);
      if (fd >= 0) ::close(fd);
      return;
    }
    ::close(fd);
    work();
  });
  t.join();
  if (!failed.empty()) throw std::runtime_error(failed);
}

std::vector<std::string> ShapedLink::in_sender(const std::vector<std::string>& argv) const {
  std::vector<std::string> v = {"/bin/ip", "netns", "exec", send_ns_};
  v.insert(v.end(), argv.begin(), argv.end());
  return v;
}

std::vector<std::string> ShapedLink::in_receiver(const std::vector<std::string>& argv) const {
  std::vector<std::string> v = {"/bin/ip", "netns", "exec", recv_ns_};
  v.insert(v.end(), argv.begin(), argv.end());
  return v;
}

}  // namespace screenreel::test

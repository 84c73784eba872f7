// The portal session of the PipeWire capture tests (portal_session.hpp).
#include "support/portal_session.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace screenreel::test {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr uid_t kNobody = 65534;

bool root() { return ::geteuid() == 0; }

fs::path scripts() { return fs::path(SCREENREEL_SOURCE_DIR) / "tests" / "support" / "wayland"; }

void own(const fs::path& p) {
  if (root() && ::chown(p.c_str(), kNobody, kNobody) != 0)
    throw std::runtime_error("cannot give " + p.string() + " to nobody");
}

}  // namespace

std::string portal_session_missing() {
  const char* needed[] = {"/usr/bin/pipewire", "/usr/bin/wireplumber", "/usr/libexec/xdg-desktop-portal",
                          "/usr/bin/dbus-run-session", "/usr/bin/pw-dump",
                          "/usr/bin/gdbus", "/usr/bin/dbus-update-activation-environment", "/usr/bin/python3", "/usr/bin/setpriv", "/usr/bin/setsid"};
  std::string missing;
  for (const char* p : needed)
    if (::access(p, X_OK) != 0) missing += std::string(missing.empty() ? "" : ", ") + p;
  if (missing.empty() &&
      shell("/usr/bin/python3 -c \"import gi; gi.require_version('Gst', '1.0'); from gi.repository import Gio, Gst; "
            "Gst.init(None); assert Gst.ElementFactory.find('pipewiresink')\" >/dev/null 2>&1") != 0)
    missing = "python3-gi with GStreamer's introspection data and pipewiresink";
  if (missing.empty()) return "";
  return "needs " + missing + " (scripts/install-deps.sh installs them)";
}

PortalSession::PortalSession(const fs::path& dir) : dir_(dir) {
  for (const char* sub : {"home", "run", "state"}) fs::create_directories(dir_ / sub);
  fs::permissions(dir_ / "run", fs::perms::owner_all);
  share(SharedScreen{});
  for (const fs::path& p : {dir_, dir_ / "home", dir_ / "run", dir_ / "state", dir_ / "backend.json"}) own(p);
  // setsid: the session is one process group, ended as one by the destructor.
  std::vector<std::string> argv = as_user({"/usr/bin/dbus-run-session", "--", (scripts() / "session.sh").string(), dir_.string()});
  argv.insert(argv.begin(), "/usr/bin/setsid");
  auto e = env();
  e.erase("DBUS_SESSION_BUS_ADDRESS");
  session_ = std::make_unique<Process>(argv, e);
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!fs::exists(dir_ / "bus") && session_->running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  if (!fs::exists(dir_ / "bus"))
    throw std::runtime_error("the portal session did not come up\n" + session_->err() + logs());
  std::ifstream in(dir_ / "bus");
  std::getline(in, bus_);
}

PortalSession::~PortalSession() {
  if (!session_) return;
  const pid_t group = session_->pid();
  // session.sh ends its services; then dbus-run-session ends the bus and reaps what it started.
  std::ifstream pid_file(dir_ / "pid");
  pid_t script = 0;
  if (pid_file >> script && script > 0) ::kill(script, SIGTERM);
  if (!session_->wait_for(5s)) ::kill(-group, SIGTERM);
  if (!session_->wait_for(5s)) ::kill(-group, SIGKILL);
  std::this_thread::sleep_for(100ms);
  ::kill(-group, SIGKILL);  // whatever of the group is left (a stream the backend started)
}

void PortalSession::share(const SharedScreen& s) const {
  const fs::path tmp = dir_ / "backend.json.tmp";
  {
    std::ofstream out(tmp);
    out << "{\"width\": " << s.width << ", \"height\": " << s.height << ", \"format\": \"" << s.format
        << "\", \"colour\": \"" << s.colour << "\", \"refuse\": " << (s.refuse ? "true" : "false")
        << ", \"stopped\": " << (s.stopped ? "true" : "false") << "}\n";
  }
  fs::rename(tmp, dir_ / "backend.json");
  ::chmod((dir_ / "backend.json").c_str(), 0644);
}

std::map<std::string, std::string> PortalSession::env() const {
  return {{"HOME", (dir_ / "home").string()},
          {"XDG_RUNTIME_DIR", (dir_ / "run").string()},
          {"XDG_STATE_HOME", state_home().string()},
          {"DBUS_SESSION_BUS_ADDRESS", bus_}};
}

std::vector<std::string> PortalSession::as_user(std::vector<std::string> argv) const {
  if (root()) {
    const std::string id = std::to_string(kNobody);
    argv.insert(argv.begin(), {"/usr/bin/setpriv", "--reuid=" + id, "--regid=" + id, "--clear-groups"});
  }
  return argv;
}

std::string PortalSession::backend_log() const { return read_file(dir_ / "backend.log"); }

std::string PortalSession::logs() const {
  std::string out;
  for (const char* name : {"backend.log", "backend.err", "portal.log", "pipewire.log", "wireplumber.log"})
    out += std::string("--- ") + name + "\n" + read_file(dir_ / name);
  return out;
}

}  // namespace screenreel::test

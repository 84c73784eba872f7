// A desktop session that shares a screen through the ScreenCast portal, for the PipeWire capture
// tests: its own D-Bus session bus, PipeWire, wireplumber, xdg-desktop-portal and a stand-in
// ScreenCast backend (wayland/screencast_backend.py, which says why it stands in for
// xdg-desktop-portal-wlr) sharing a solid colour, all run as an unprivileged user (nobody when
// the test runs as root) with a private HOME, XDG_RUNTIME_DIR and XDG_STATE_HOME. The
// destructor ends every process of the session.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace screenreel::test {

// What the shared screen shows; read by the backend at each Start, and watched while it streams
// for `stopped`.
struct SharedScreen {
  unsigned width = 640, height = 360;
  std::string format = "BGRx";  // as GStreamer names it: BGRx, BGRA, RGBx, RGBA
  std::string colour = "0x2080c0";
  bool refuse = false;   // answer Start as a user pressing Cancel in the dialog would
  bool stopped = false;  // end the streams, as a user stopping the share would
};

// Empty when everything the session needs is installed; else one line naming what is missing.
std::string portal_session_missing();

class PortalSession {
 public:
  // Starts the session and returns once the portal answers. Throws std::runtime_error (with the
  // services' logs) when it does not come up within 20 seconds.
  explicit PortalSession(const std::filesystem::path& dir);
  ~PortalSession();
  PortalSession(const PortalSession&) = delete;
  PortalSession& operator=(const PortalSession&) = delete;

  void share(const SharedScreen& screen) const;
  // The environment a program of the session gets: HOME, XDG_RUNTIME_DIR, XDG_STATE_HOME and
  // DBUS_SESSION_BUS_ADDRESS.
  std::map<std::string, std::string> env() const;
  // `argv` run as the session's user (through setpriv when the test runs as root).
  std::vector<std::string> as_user(std::vector<std::string> argv) const;
  std::filesystem::path state_home() const { return dir_ / "state"; }
  std::string backend_log() const;  // a line a call the backend answered
  std::string logs() const;         // every service's log, for a failing test

 private:
  std::filesystem::path dir_;
  std::string bus_;
  std::unique_ptr<Process> session_;
};

}  // namespace screenreel::test

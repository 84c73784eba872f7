// The xdg-desktop-portal ScreenCast handshake (CreateSession, SelectSources, Start,
// OpenPipeWireRemote) through libportal, on the D-Bus session bus: what gives an unprivileged
// program a PipeWire stream of a Wayland desktop. The first run shows the desktop's dialog (pick
// a screen or window); the restore token asked for with persist_mode 2 is kept
// (restore_token.hpp) so later runs restore that choice without asking.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace screenreel::capture {

struct PortalRequest {
  bool window = false;  // a window source (the portal must offer them), else a monitor
  bool cursor = false;  // the cursor drawn into the stream, where the portal offers that
};

class PortalScreenCast {
 public:
  // Runs the handshake, waiting for the desktop's dialog if it shows one. Throws
  // std::runtime_error with one line that says what to do: no session bus, no portal on it, a
  // portal without ScreenCast or without window sources, the dialog refused, no PipeWire.
  explicit PortalScreenCast(const PortalRequest& request);
  ~PortalScreenCast();
  PortalScreenCast(const PortalScreenCast&) = delete;
  PortalScreenCast& operator=(const PortalScreenCast&) = delete;

  // The connection to PipeWire the portal opened for us; the caller owns it from then on (-1 once
  // taken).
  int take_pipewire_fd();
  std::uint32_t node() const { return node_; }          // the stream's PipeWire node
  const std::string& kind() const { return kind_; }     // "monitor" or "window"
  bool cursor_embedded() const { return cursor_embedded_; }

 private:
  struct Glib;
  std::unique_ptr<Glib> glib_;
  int fd_ = -1;
  std::uint32_t node_ = 0;
  std::string kind_;
  bool cursor_embedded_ = false;
};

}  // namespace screenreel::capture

// The live window: one X11 window a session, titled "Received Video Stream - <name> (session N)",
// showing the newest frame reduced to at most 1280 pixels wide. Frames arrive from the network
// thread; windows live on the thread that calls pump() (the main thread).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "screenreel/receiver/frame_sink.hpp"
#include "screenreel/receiver/window_image.hpp"

namespace screenreel::receiver {

class X11Windows;

class Display : public FrameSink {
 public:
  // `displayed` is told when a frame has been drawn (for latency measurements); may be empty.
  using Displayed = std::function<void(std::int64_t session_id, std::uint64_t frame_number, std::int64_t shown_us)>;
  // Opens $DISPLAY; throws std::runtime_error saying why not (and to use --no-display).
  explicit Display(Displayed displayed = {});
  ~Display() override;

  void session_started(std::int64_t session_id, const std::string& title) override;
  void show(std::int64_t session_id, std::uint64_t frame_number, SharedFrame frame,
            std::span<const PixelRect> changed) override;
  void session_ended(std::int64_t session_id) override;
  // A paused session's window says so in its title ("... - paused").
  void session_paused(std::int64_t session_id, bool paused) override;

  // Shows what arrived since the last call, handles window events for up to `wait_ms`, and
  // returns the key pressed in any window (-1 if none).
  int pump(int wait_ms);
  // Closes every window (at exit).
  void close_all();

 private:
  struct Window {
    std::string title;
    SharedFrame latest;
    std::uint64_t number = 0;
    // Where the frames shown since the window was last drawn changed, or everything (`whole`).
    std::vector<PixelRect> changed;
    bool whole = true;
    bool dirty = false;
    bool ended = false;
    bool closed = false;  // by the user: the session records on, without a window
    bool paused = false;
    bool retitle = false;  // paused changed since the title was set
    std::uint32_t id = 0;  // the X window, once created
  };
  Displayed displayed_;
  std::unique_ptr<X11Windows> x11_;  // used by pump() only (the main thread)
  std::mutex mutex_;
  std::condition_variable arrived_;  // show() wakes pump() at once instead of its timed wait
  std::map<std::int64_t, Window> windows_;
  std::map<std::int64_t, WindowImage> images_;  // each window's picture; pump() only (the main thread)
};

}  // namespace screenreel::receiver

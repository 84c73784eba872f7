// Global hotkeys for the capture client (--hotkey-marker, --hotkey-pause, --hotkey-save): one
// small interface, and the platform's implementation behind it (X11: XGrabKey, x11_hotkeys.cpp).
#pragma once

// clang-format off
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it (C++20)
// clang-format on
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace screenreel::capture {

enum class HotkeyAction { kMarker, kPause, kSave };

struct HotkeyBinding {
  HotkeyAction action;
  std::string spec;  // "ctrl+alt+m"; "none": not bound
};

class GlobalHotkeys {
 public:
  virtual ~GlobalHotkeys() = default;
  // What is bound, for the log: "marker ctrl+alt+m, pause ctrl+alt+p".
  virtual std::string describe() const = 0;
};

// Checks every spec (none, or a key combination); returns an error message for the first one
// that is neither, naming the option. Empty when all are good.
std::string check_hotkeys(const std::vector<HotkeyBinding>& bindings);

// Grabs the bindings that are not "none" on X display `display` (empty: $DISPLAY); `pressed`
// runs on `io`'s thread. Nothing (nullptr) when none is bound. Throws std::runtime_error when
// they cannot be had (no display, a key held by another program).
std::unique_ptr<GlobalHotkeys> make_global_hotkeys(boost::asio::io_context& io,
                                                   const std::string& display,
                                                   const std::vector<HotkeyBinding>& bindings,
                                                   std::function<void(HotkeyAction)> pressed);

}  // namespace screenreel::capture

// Global hotkeys on X11 (hotkeys.hpp): the grab is screenreel::x11::HotkeyGrab; its connection's
// descriptor is watched on the client's io_context, so a press is handled like a terminal key.
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>

#include "hotkeys.hpp"
#include "screenreel/common/log.hpp"
#include "screenreel/x11/hotkeys.hpp"

namespace screenreel::capture {
namespace {
namespace asio = boost::asio;

const char* option_of(HotkeyAction a) {
  switch (a) {
    case HotkeyAction::kMarker:
      return "--hotkey-marker";
    case HotkeyAction::kPause:
      return "--hotkey-pause";
    case HotkeyAction::kSave:
      return "--hotkey-save";
  }
  return "--hotkey";
}

const char* name_of(HotkeyAction a) {
  switch (a) {
    case HotkeyAction::kMarker:
      return "marker";
    case HotkeyAction::kPause:
      return "pause";
    case HotkeyAction::kSave:
      return "save buffer";
  }
  return "?";
}

class X11Hotkeys final : public GlobalHotkeys {
 public:
  X11Hotkeys(asio::io_context& io, const std::string& display, std::vector<HotkeyBinding> bound,
             std::function<void(HotkeyAction)> pressed)
      : bound_(std::move(bound)),
        grab_(display, grab_bindings(bound_)),
        fd_(io, ::dup(grab_.fd())),
        pressed_(std::move(pressed)) {
    wait();
  }
  // The wait is cancelled: its handler (run by io_ later, or destroyed with it) does nothing.
  ~X11Hotkeys() override { *alive_ = false; }
  std::string describe() const override {
    std::string out;
    for (const auto& b : bound_)
      out += (out.empty() ? "" : ", ") + std::string(name_of(b.action)) + " " + b.spec;
    return out;
  }

 private:
  static std::vector<x11::HotkeyGrab::Binding> grab_bindings(
      const std::vector<HotkeyBinding>& bound) {
    std::vector<x11::HotkeyGrab::Binding> out;
    for (const auto& b : bound) out.push_back({b.spec, *x11::parse_key_combo(b.spec)});
    return out;
  }
  void wait() {
    fd_.async_wait(asio::posix::stream_descriptor::wait_read,
                   [this, alive = alive_](const boost::system::error_code& ec) {
                     if (ec || !*alive) return;
                     try {
                       for (const std::size_t i : grab_.pressed()) pressed_(bound_[i].action);
                     } catch (const std::exception& e) {
                       log::warning(std::string("hotkeys stop working: ") + e.what());
                       return;
                     }
                     wait();
                   });
  }
  std::vector<HotkeyBinding> bound_;
  x11::HotkeyGrab grab_;
  asio::posix::stream_descriptor fd_;  // a duplicate of the grab's: closing it leaves XCB's alone
  std::function<void(HotkeyAction)> pressed_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

std::string check_hotkeys(const std::vector<HotkeyBinding>& bindings) {
  for (const auto& b : bindings) {
    if (b.spec == "none") continue;
    if (auto combo = x11::parse_key_combo(b.spec); !combo)
      return std::string(option_of(b.action)) + ": " + combo.error().message;
  }
  return {};
}

std::unique_ptr<GlobalHotkeys> make_global_hotkeys(asio::io_context& io, const std::string& display,
                                                   const std::vector<HotkeyBinding>& bindings,
                                                   std::function<void(HotkeyAction)> pressed) {
  std::vector<HotkeyBinding> bound;
  for (const auto& b : bindings)
    if (b.spec != "none") bound.push_back(b);
  if (bound.empty()) return nullptr;
  return std::make_unique<X11Hotkeys>(io, display, std::move(bound), std::move(pressed));
}

}  // namespace screenreel::capture

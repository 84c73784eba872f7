// The top-level windows of an X display (window_list.hpp): the root's PropertyNotify (the window
// manager's _NET_CLIENT_LIST_STACKING), its children's ConfigureNotify, MapNotify and
// UnmapNotify, and each listed window's PropertyNotify (its title) say that the list may have
// changed; it is then read again (top_level_windows, a few round trips) at most every 500 ms.
// A still desktop costs one xcb_poll_for_event a tick.
#include <xcb/xcb.h>

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <unordered_set>

#include "window_list.hpp"
#include "x11_names.hpp"
#include "x11_window.hpp"

namespace screenreel::capture {
namespace {

using Clock = std::chrono::steady_clock;

std::int32_t clamp32(std::int64_t v) {
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(v, std::numeric_limits<std::int32_t>::min(),
                                                             std::numeric_limits<std::int32_t>::max()));
}

class X11WindowList final : public WindowList {
 public:
  explicit X11WindowList(const std::string& display) : display_(display, "Use --display") {
    watch(display_.root(), XCB_EVENT_MASK_PROPERTY_CHANGE | XCB_EVENT_MASK_SUBSTRUCTURE_NOTIFY);
  }

  std::optional<std::vector<wire::WindowInfo>> changed(std::int64_t origin_x, std::int64_t origin_y,
                                                       bool again) override {
    xcb_connection_t* c = display_.conn();
    while (Reply<xcb_generic_event_t> e{xcb_poll_for_event(c)})
      if (e->response_type != 0) dirty_ = true;  // an error is an answer to a select on a window gone since
    if (display_.broken()) throw std::runtime_error(display_.closed_message());
    const auto now = Clock::now();
    if (dirty_ && now >= next_read_) {
      windows_ = top_level_windows(display_);
      std::unordered_set<xcb_window_t> listed;
      for (const auto& w : windows_) {
        listed.insert(w.id);
        if (!watched_.count(w.id)) watch(w.id, XCB_EVENT_MASK_PROPERTY_CHANGE | XCB_EVENT_MASK_STRUCTURE_NOTIFY);
      }
      watched_ = std::move(listed);
      dirty_ = false;
      next_read_ = now + kMinInterval;
    }
    std::vector<wire::WindowInfo> out;
    out.reserve(windows_.size());
    for (const auto& w : windows_)
      out.push_back({w.id, clamp32(w.place.area.x - origin_x), clamp32(w.place.area.y - origin_y),
                     static_cast<std::uint32_t>(w.place.area.width), static_cast<std::uint32_t>(w.place.area.height),
                     w.place.viewable, w.title});
    if (!again && sent_ && out == *sent_) return std::nullopt;
    sent_ = out;
    return out;
  }

 private:
  // Events of `window` for this connection (each client has its own selection: the window's
  // owner and the window manager keep theirs). Unchecked: a window gone meanwhile answers with an
  // error event, which changed() ignores.
  void watch(xcb_window_t window, std::uint32_t mask) {
    xcb_change_window_attributes(display_.conn(), window, XCB_CW_EVENT_MASK, &mask);
    xcb_flush(display_.conn());
  }

  X11Display display_;
  std::vector<TopLevelWindow> windows_;
  std::unordered_set<xcb_window_t> watched_;
  std::optional<std::vector<wire::WindowInfo>> sent_;
  bool dirty_ = true;  // nothing read yet
  Clock::time_point next_read_{};
};

}  // namespace

std::unique_ptr<WindowList> make_x11_window_list(const std::string& display) {
  return std::make_unique<X11WindowList>(display);
}

}  // namespace screenreel::capture

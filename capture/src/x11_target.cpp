// Resolving --region, --monitor and --window against the display (see x11_target.hpp).
#include "x11_target.hpp"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "screenreel/capture/exclusions.hpp"
#include "screenreel/protocol/wire.hpp"
#include "x11_monitors.hpp"
#include "x11_window.hpp"

namespace screenreel::capture {
namespace {

std::string size_text(const Rect& r) {
  return std::to_string(r.width) + "x" + std::to_string(r.height);
}

// The frame limits of the wire protocol, so that a bad region fails here with the option's name
// and not later at the receiver.
void check_frame_size(const std::string& option, std::int64_t w, std::int64_t h) {
  const auto min = static_cast<std::int64_t>(wire::kMinDimension);
  const auto max = static_cast<std::int64_t>(wire::kMaxDimension);
  if (w < min || h < min || w > max || h > max ||
      static_cast<std::uint64_t>(w * h) > wire::kMaxPixels)
    throw std::invalid_argument(option + " is " + std::to_string(w) + "x" + std::to_string(h) +
                                " pixels; frames must be " + std::to_string(min) + " to " +
                                std::to_string(max) + " pixels wide and high, and at most " +
                                std::to_string(wire::kMaxPixels) + " pixels in all");
}

Rect parse_region(const X11Display& d, const std::string& spec) {
  const std::string option = "--region " + spec;
  const std::optional<PixelRect> v = parse_rect_spec(spec);
  if (!v)
    throw std::invalid_argument(option +
                                ": want X,Y,W,H in screen pixels, for example 0,0,1280,720 (the "
                                "top left corner, then the width and height)");
  const Rect r{v->x, v->y, v->w, v->h};
  const Rect screen = d.screen_rect();
  if (r.width <= 0 || r.height <= 0)
    throw std::invalid_argument(option + ": the width and height must be positive");
  if (!screen.contains(r))
    throw std::invalid_argument(
        option + " reaches outside the screen of X display " + d.name() + ", which is " +
        size_text(screen) + ": X and Y must be 0 or more, X + W at most " +
        std::to_string(screen.width) + " and Y + H at most " + std::to_string(screen.height));
  check_frame_size(option, r.width, r.height);
  return r;
}

// At most `max` bytes of `s`, not cutting a UTF-8 character in two.
std::string shortened(const std::string& s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n) + "...";
}

}  // namespace

Target choose_target(const X11Display& d, const SourceOptions& o) {
  const int chosen = !o.region.empty() + !o.monitor.empty() + !o.window.empty();
  if (chosen > 1)
    throw std::invalid_argument(
        "--region, --monitor and --window each choose what to record: give "
        "only one of them");
  Target t;
  if (!o.region.empty()) {
    t.kind = Target::Kind::kRegion;
    t.area = parse_region(d, o.region);
    t.label = "region " + t.area.geometry();
  } else if (!o.monitor.empty()) {
    const MonitorInfo m = pick_monitor(d, o.monitor);
    t.kind = Target::Kind::kMonitor;
    t.monitor = m.name;
    t.area = Rect{m.x, m.y, m.width, m.height};
    check_frame_size("--monitor " + o.monitor, t.area.width, t.area.height);
    t.label = "monitor " + m.name + " " + t.area.geometry();
  } else if (!o.window.empty()) {
    const FoundWindow w = find_window(d, o.window);
    const auto place = locate_window(d, w.id);
    if (!place)
      throw std::invalid_argument("--window " + o.window + ": window " + hex_id(w.id) +
                                  " closed before the recording started");
    t.kind = Target::Kind::kWindow;
    t.area = place->area;
    t.window = w.id;
    t.label =
        "window " + hex_id(w.id) + (w.title.empty() ? "" : " \"" + shortened(w.title, 40) + "\"");
    // A window smaller or larger than any frame may be is recorded padded or cropped.
    const auto min = static_cast<std::int64_t>(wire::kMinDimension);
    const auto max = static_cast<std::int64_t>(wire::kMaxDimension);
    t.area.width = std::clamp(t.area.width, min, max);
    t.area.height = std::clamp(t.area.height, min, max);
    check_frame_size("--window " + o.window, t.area.width, t.area.height);
  } else {
    t.area = d.screen_rect();
  }
  t.width = static_cast<std::uint32_t>(t.area.width);
  t.height = static_cast<std::uint32_t>(t.area.height);
  return t;
}

Target refit_target(const X11Display& d, const Target& old) {
  Target t = old;
  const Rect screen = d.screen_rect();
  switch (old.kind) {
    case Target::Kind::kScreen:
      t.area = screen;
      check_frame_size("the resized screen", t.area.width, t.area.height);
      break;
    case Target::Kind::kMonitor: {
      const std::vector<MonitorInfo> monitors = query_monitors(d);
      const auto m = std::find_if(monitors.begin(), monitors.end(),
                                  [&](const MonitorInfo& i) { return i.name == old.monitor; });
      if (m == monitors.end())
        throw SourceGone("monitor " + old.monitor + " is gone (the X screen was reconfigured)");
      t.area = Rect{m->x, m->y, m->width, m->height};
      check_frame_size("monitor " + old.monitor, t.area.width, t.area.height);
      t.label = "monitor " + m->name + " " + t.area.geometry();
      break;
    }
    case Target::Kind::kRegion:
      if (intersect(old.area, screen).empty())
        throw SourceGone("the region " + old.area.geometry() + " is outside the " +
                         size_text(screen) + " screen it was resized to");
      return t;
    case Target::Kind::kWindow:
      return t;
  }
  t.width = static_cast<std::uint32_t>(t.area.width);
  t.height = static_cast<std::uint32_t>(t.area.height);
  return t;
}

}  // namespace screenreel::capture

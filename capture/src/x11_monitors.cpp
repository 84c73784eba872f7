// RandR 1.5 monitors (see x11_monitors.hpp). GetMonitors is what xrandr --listmonitors shows:
// the outputs in use plus any defined with xrandr --setmonitor, each with an atom for a name.
#include "x11_monitors.hpp"

#include <xcb/randr.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace screenreel::capture {
namespace {

std::string atom_name(const X11Display& d, xcb_get_atom_name_cookie_t cookie) {
  Reply<xcb_get_atom_name_reply_t> r(xcb_get_atom_name_reply(d.conn(), cookie, nullptr));
  if (!r) return "";
  return std::string(xcb_get_atom_name_name(r.get()),
                     static_cast<std::size_t>(xcb_get_atom_name_name_length(r.get())));
}

std::string names_of(const std::vector<MonitorInfo>& monitors) {
  std::string out;
  for (const auto& m : monitors)
    out += (out.empty() ? "" : ", ") + std::to_string(m.index) + " " + m.name + " " +
           Rect{m.x, m.y, m.width, m.height}.geometry();
  return out;
}

}  // namespace

std::vector<MonitorInfo> query_monitors(const X11Display& d) {
  xcb_connection_t* c = d.conn();
  const xcb_query_extension_reply_t* ext = xcb_get_extension_data(c, &xcb_randr_id);
  const std::string no_randr = "X display " + d.name() +
                               " does not list monitors (it needs RandR 1.5); use --region "
                               "X,Y,W,H instead";
  if (!ext || !ext->present) throw std::runtime_error(no_randr);
  Reply<xcb_randr_query_version_reply_t> version(
      xcb_randr_query_version_reply(c, xcb_randr_query_version(c, 1, 5), nullptr));
  if (!version || (version->major_version == 1 && version->minor_version < 5))
    throw std::runtime_error(no_randr);
  xcb_generic_error_t* e = nullptr;
  Reply<xcb_randr_get_monitors_reply_t> reply(
      xcb_randr_get_monitors_reply(c, xcb_randr_get_monitors(c, d.root(), 1), &e));
  Reply<xcb_generic_error_t> err(e);
  if (!reply) {
    if (d.broken()) throw std::runtime_error(d.closed_message());
    throw std::runtime_error("X display " + d.name() + " refused RandR GetMonitors (X error " +
                             std::to_string(err ? err->error_code : 0) + ")");
  }
  // All the names are asked for before any answer is read: one round trip, not one each.
  std::vector<MonitorInfo> out;
  std::vector<xcb_get_atom_name_cookie_t> names;
  for (auto it = xcb_randr_get_monitors_monitors_iterator(reply.get()); it.rem;
       xcb_randr_monitor_info_next(&it)) {
    const xcb_randr_monitor_info_t& m = *it.data;
    MonitorInfo info;
    info.index = static_cast<std::uint32_t>(out.size());
    info.x = m.x;
    info.y = m.y;
    info.width = m.width;
    info.height = m.height;
    info.primary = m.primary != 0;
    out.push_back(info);
    names.push_back(xcb_get_atom_name(c, m.name));
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i].name = atom_name(d, names[i]);
    if (out[i].name.empty()) out[i].name = "monitor-" + std::to_string(i);
  }
  return out;
}

MonitorInfo pick_monitor(const X11Display& d, const std::string& spec) {
  const std::vector<MonitorInfo> monitors = query_monitors(d);
  const MonitorInfo* found = nullptr;
  std::uint32_t index = 0;
  const char* end = spec.data() + spec.size();
  const bool numeric = !spec.empty() && std::all_of(spec.begin(), spec.end(),
                                                    [](char ch) { return ch >= '0' && ch <= '9'; });
  if (numeric) {
    if (std::from_chars(spec.data(), end, index).ptr == end && index < monitors.size())
      found = &monitors[index];
  } else {
    for (const auto& m : monitors)
      if (m.name == spec) found = &m;
  }
  if (!found)
    throw std::invalid_argument("--monitor " + spec + ": X display " + d.name() + " has no " +
                                (numeric ? "monitor number " : "monitor named ") + spec +
                                "; it has " + std::to_string(monitors.size()) + ": " +
                                names_of(monitors) + " (see --list-monitors)");
  const Rect r{found->x, found->y, found->width, found->height};
  if (!d.screen_rect().contains(r) || r.empty())
    throw std::invalid_argument("--monitor " + spec + ": monitor " + found->name + " is " +
                                r.geometry() + ", which reaches outside the " +
                                std::to_string(d.screen_rect().width) + "x" +
                                std::to_string(d.screen_rect().height) + " screen of X display " +
                                d.name() + "; use --region for the part inside it");
  return *found;
}

std::vector<MonitorInfo> list_x11_monitors(const std::string& display) {
  return query_monitors(X11Display(display));
}

std::string format_monitors(const std::vector<MonitorInfo>& monitors) {
  // Columns padded to their widest entry, so the list reads as a table.
  std::size_t index_width = 0, name_width = 0, geometry_width = 0;
  const auto geometry = [](const MonitorInfo& m) {
    return Rect{m.x, m.y, m.width, m.height}.geometry();
  };
  for (const auto& m : monitors) {
    index_width = std::max(index_width, std::to_string(m.index).size());
    name_width = std::max(name_width, m.name.size());
    geometry_width = std::max(geometry_width, geometry(m).size());
  }
  const auto padded = [](std::string s, std::size_t width) {
    s.append(width - s.size() + 2, ' ');
    return s;
  };
  std::string out;
  for (const auto& m : monitors) {
    std::string line = padded(std::to_string(m.index), index_width) + padded(m.name, name_width);
    line += m.primary ? padded(geometry(m), geometry_width) + "primary" : geometry(m);
    out += line + "\n";
  }
  return out;
}

}  // namespace screenreel::capture

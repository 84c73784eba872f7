// Finding and following an X window (see x11_window.hpp).
#include "x11_window.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace screenreel::capture {
namespace {

// A window id as typed: 0x-prefixed hex (xwininfo, xdotool, wmctrl) or decimal (xdotool
// search). nullopt when `spec` is not a number, so it is taken as a title.
std::optional<xcb_window_t> parse_id(const std::string& spec) {
  const bool hex = spec.size() > 2 && spec[0] == '0' && (spec[1] == 'x' || spec[1] == 'X');
  const char* begin = spec.data() + (hex ? 2 : 0);
  const char* end = spec.data() + spec.size();
  xcb_window_t id = 0;
  const auto [ptr, ec] = std::from_chars(begin, end, id, hex ? 16 : 10);
  if (ec != std::errc() || ptr != end || begin == end) return std::nullopt;
  return id;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return s;
}

std::string property_text(xcb_connection_t* c, xcb_get_property_cookie_t cookie) {
  xcb_generic_error_t* e = nullptr;  // collected here, not left in the event queue
  Reply<xcb_get_property_reply_t> r(xcb_get_property_reply(c, cookie, &e));
  Reply<xcb_generic_error_t> error(e);
  if (!r || r->format != 8) return "";
  return std::string(static_cast<const char*>(xcb_get_property_value(r.get())),
                     static_cast<std::size_t>(xcb_get_property_value_length(r.get())));
}

constexpr std::uint32_t kMaxTitle = 1024;  // in 4-byte units; titles are far shorter

// A window's title requests: _NET_WM_NAME (UTF-8) when the server has the atoms, and WM_NAME.
struct TitleAsked {
  std::optional<xcb_get_property_cookie_t> net_name;
  xcb_get_property_cookie_t name;
};

// The atoms a title is read with, asked once per walk (each is a round trip).
struct TitleAtoms {
  explicit TitleAtoms(const X11Display& d) : net_wm_name(d.atom("_NET_WM_NAME")), utf8(d.atom("UTF8_STRING")) {}
  xcb_atom_t net_wm_name, utf8;
};

TitleAsked ask_title(xcb_connection_t* c, const TitleAtoms& atoms, xcb_window_t w) {
  TitleAsked a{std::nullopt, xcb_get_property(c, 0, w, XCB_ATOM_WM_NAME, XCB_GET_PROPERTY_TYPE_ANY, 0, kMaxTitle)};
  if (atoms.net_wm_name != XCB_ATOM_NONE && atoms.utf8 != XCB_ATOM_NONE)
    a.net_name = xcb_get_property(c, 0, w, atoms.net_wm_name, atoms.utf8, 0, kMaxTitle);
  return a;
}

// _NET_WM_NAME, else WM_NAME (both answers are read, so none stays queued).
std::string title_of(xcb_connection_t* c, const TitleAsked& a) {
  const std::string wm_name = property_text(c, a.name);
  std::string title = a.net_name ? property_text(c, *a.net_name) : std::string();
  return title.empty() ? wm_name : title;
}

// The titles of all shown windows, breadth first from the root. Each level's requests are all
// sent before any answer is read, so a desktop of a few hundred windows takes a few round trips.
// `parents`, if given, gets each visited window's parent.
std::vector<FoundWindow> shown_windows(const X11Display& d,
                                       std::unordered_map<xcb_window_t, xcb_window_t>* parents) {
  xcb_connection_t* c = d.conn();
  const TitleAtoms atoms(d);
  std::vector<FoundWindow> out;
  std::vector<xcb_window_t> level{d.root()};
  while (!level.empty()) {
    struct Asked {
      xcb_query_tree_cookie_t tree;
      xcb_get_window_attributes_cookie_t attributes;
      TitleAsked title;
    };
    std::vector<Asked> asked;
    for (const xcb_window_t w : level)
      asked.push_back({xcb_query_tree(c, w), xcb_get_window_attributes(c, w), ask_title(c, atoms, w)});
    std::vector<xcb_window_t> next;
    for (std::size_t i = 0; i < level.size(); ++i) {
      // A window may vanish while we walk: its requests then just fail, and it is left out.
      Reply<xcb_query_tree_reply_t> tree(xcb_query_tree_reply(c, asked[i].tree, nullptr));
      Reply<xcb_get_window_attributes_reply_t> attributes(
          xcb_get_window_attributes_reply(c, asked[i].attributes, nullptr));
      std::string title = title_of(c, asked[i].title);
      if (!tree || !attributes || attributes->map_state != XCB_MAP_STATE_VIEWABLE) continue;
      if (level[i] != d.root() && !title.empty()) out.push_back({level[i], std::move(title)});
      const xcb_window_t* children = xcb_query_tree_children(tree.get());
      for (int k = 0; k < xcb_query_tree_children_length(tree.get()); ++k) {
        next.push_back(children[k]);
        if (parents) (*parents)[children[k]] = level[i];
      }
    }
    level = std::move(next);
  }
  return out;
}

std::string listed(const std::vector<FoundWindow>& windows) {
  std::string out;
  constexpr std::size_t kShown = 8;
  for (std::size_t i = 0; i < windows.size() && i < kShown; ++i)
    out += (i ? ", " : "") + hex_id(windows[i].id) + " \"" + windows[i].title + "\"";
  if (windows.size() > kShown) out += ", ...";
  return out;
}

}  // namespace

FoundWindow find_window(const X11Display& d, const std::string& spec, const std::string& option) {
  xcb_connection_t* c = d.conn();
  const std::string how =
      " (xwininfo, or xdotool search --name TEXT, prints window ids; xwininfo -root -tree lists "
      "them all)";
  if (spec.empty()) throw std::invalid_argument(option + " needs a window id or part of a title");
  if (const auto id = parse_id(spec)) {
    // GetWindowAttributes, unlike GetGeometry, fails for a pixmap id: only a window passes.
    Reply<xcb_get_window_attributes_reply_t> attributes(
        xcb_get_window_attributes_reply(c, xcb_get_window_attributes(c, *id), nullptr));
    if (!attributes) {
      if (d.broken()) throw std::runtime_error(d.closed_message());
      throw std::invalid_argument(option + " " + spec + ": X display " + d.name() +
                                  " has no window " + hex_id(*id) + how);
    }
    const xcb_atom_t net_wm_name = d.atom("_NET_WM_NAME");
    std::string title;
    if (net_wm_name != XCB_ATOM_NONE)
      title = property_text(
          c, xcb_get_property(c, 0, *id, net_wm_name, XCB_GET_PROPERTY_TYPE_ANY, 0, 1024));
    if (title.empty())
      title = property_text(
          c, xcb_get_property(c, 0, *id, XCB_ATOM_WM_NAME, XCB_GET_PROPERTY_TYPE_ANY, 0, 1024));
    return {*id, title};
  }
  const std::string want = lower(spec);
  std::unordered_map<xcb_window_t, xcb_window_t> parents;
  std::vector<FoundWindow> matches;
  for (auto& w : shown_windows(d, &parents))
    if (lower(w.title).find(want) != std::string::npos) matches.push_back(std::move(w));
  // A window manager's frame may carry its client's title: keep the innermost window, the
  // client's own area, and drop every match that contains another.
  std::unordered_set<xcb_window_t> ancestors;
  for (const auto& m : matches)
    for (auto it = parents.find(m.id); it != parents.end(); it = parents.find(it->second))
      ancestors.insert(it->second);
  std::erase_if(matches, [&](const FoundWindow& w) { return ancestors.count(w.id) > 0; });
  if (matches.empty())
    throw std::invalid_argument(option + " " + spec + ": no window shown on X display " + d.name() +
                                " has a title containing '" + spec + "'" + how);
  if (matches.size() == 1) return matches[0];
  // Several titles contain it, but one is exactly it: that one was meant.
  std::vector<FoundWindow> exact;
  for (const auto& w : matches)
    if (w.title == spec) exact.push_back(w);
  if (exact.size() == 1) return exact[0];
  throw std::invalid_argument(
      option + " " + spec + ": " + std::to_string(matches.size()) + " windows on X display " +
      d.name() + " have a title containing '" + spec + "': " + listed(matches) +
      "; give more of the title, or the id (" + option + " " + hex_id(matches[0].id) + ")");
}

std::optional<WindowPlace> locate_window(const X11Display& d, xcb_window_t window) {
  xcb_connection_t* c = d.conn();
  const auto where = xcb_translate_coordinates(c, window, d.root(), 0, 0);
  const auto size = xcb_get_geometry(c, window);
  const auto attributes = xcb_get_window_attributes(c, window);
  xcb_generic_error_t* e1 = nullptr;
  xcb_generic_error_t* e2 = nullptr;
  xcb_generic_error_t* e3 = nullptr;
  // Every reply is collected, even after a failure, so none is left queued in XCB.
  Reply<xcb_translate_coordinates_reply_t> origin(xcb_translate_coordinates_reply(c, where, &e1));
  Reply<xcb_get_geometry_reply_t> geometry(xcb_get_geometry_reply(c, size, &e2));
  Reply<xcb_get_window_attributes_reply_t> attrs(
      xcb_get_window_attributes_reply(c, attributes, &e3));
  Reply<xcb_generic_error_t> err1(e1), err2(e2), err3(e3);
  if (origin && geometry && attrs) {
    WindowPlace place;
    place.area = Rect{origin->dst_x, origin->dst_y, geometry->width, geometry->height};
    place.viewable = attrs->map_state == XCB_MAP_STATE_VIEWABLE;
    return place;
  }
  if (d.broken()) throw std::runtime_error(d.closed_message());
  for (const auto* err : {err1.get(), err2.get(), err3.get()})
    if (err && err->error_code != kBadWindow && err->error_code != kBadDrawable)
      throw std::runtime_error("cannot follow window " + hex_id(window) + " on X display " +
                               d.name() + " (X error " + std::to_string(err->error_code) + ")");
  return std::nullopt;
}

std::vector<TopLevelWindow> top_level_windows(const X11Display& d) {
  xcb_connection_t* c = d.conn();
  std::vector<xcb_window_t> ids;
  if (const xcb_atom_t stacking = d.atom("_NET_CLIENT_LIST_STACKING"); stacking != XCB_ATOM_NONE) {
    Reply<xcb_get_property_reply_t> list(xcb_get_property_reply(
        c, xcb_get_property(c, 0, d.root(), stacking, XCB_ATOM_WINDOW, 0, 4096), nullptr));
    if (list && list->format == 32) {
      const auto* w = static_cast<const xcb_window_t*>(xcb_get_property_value(list.get()));
      ids.assign(w, w + xcb_get_property_value_length(list.get()) / 4);
    }
  }
  const bool managed = !ids.empty();
  if (!managed) {  // no window manager's list: the root's children, bottom first as QueryTree gives them
    Reply<xcb_query_tree_reply_t> tree(xcb_query_tree_reply(c, xcb_query_tree(c, d.root()), nullptr));
    if (!tree) throw std::runtime_error(d.closed_message());
    const xcb_window_t* children = xcb_query_tree_children(tree.get());
    ids.assign(children, children + xcb_query_tree_children_length(tree.get()));
  }
  struct Asked {
    xcb_translate_coordinates_cookie_t origin;
    xcb_get_geometry_cookie_t geometry;
    xcb_get_window_attributes_cookie_t attributes;
    TitleAsked title;
  };
  const TitleAtoms atoms(d);
  std::vector<Asked> asked;
  asked.reserve(ids.size());
  for (const xcb_window_t w : ids)
    asked.push_back({xcb_translate_coordinates(c, w, d.root(), 0, 0), xcb_get_geometry(c, w),
                     xcb_get_window_attributes(c, w), ask_title(c, atoms, w)});
  std::vector<TopLevelWindow> out;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    xcb_generic_error_t *e1 = nullptr, *e2 = nullptr, *e3 = nullptr;
    Reply<xcb_translate_coordinates_reply_t> origin(xcb_translate_coordinates_reply(c, asked[i].origin, &e1));
    Reply<xcb_get_geometry_reply_t> geometry(xcb_get_geometry_reply(c, asked[i].geometry, &e2));
    Reply<xcb_get_window_attributes_reply_t> attrs(xcb_get_window_attributes_reply(c, asked[i].attributes, &e3));
    Reply<xcb_generic_error_t> err1(e1), err2(e2), err3(e3);
    std::string title = title_of(c, asked[i].title);
    if (!origin || !geometry || !attrs) continue;  // gone meanwhile
    const bool viewable = attrs->map_state == XCB_MAP_STATE_VIEWABLE;
    if (!managed && (!viewable || attrs->override_redirect)) continue;  // unmapped, or a menu or tooltip
    out.push_back({ids[i], WindowPlace{Rect{origin->dst_x, origin->dst_y, geometry->width, geometry->height}, viewable},
                   std::move(title)});
  }
  if (d.broken()) throw std::runtime_error(d.closed_message());
  return out;
}

}  // namespace screenreel::capture

// Global hotkeys on X11 (see hotkeys.hpp).
#include "screenreel/x11/hotkeys.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <stdexcept>
#include <utility>

namespace screenreel::x11 {
namespace {

// The X keysyms of the named keys (X11/keysymdef.h); letters and digits are their ASCII codes.
struct NamedKey {
  const char* name;
  std::uint32_t keysym;
};
constexpr NamedKey kNamedKeys[] = {
    {"space", 0x20},   {"escape", 0xff1b},    {"tab", 0xff09},        {"return", 0xff0d},
    {"enter", 0xff0d}, {"backspace", 0xff08}, {"delete", 0xffff},     {"insert", 0xff63},
    {"home", 0xff50},  {"end", 0xff57},       {"pageup", 0xff55},     {"pagedown", 0xff56},
    {"left", 0xff51},  {"up", 0xff52},        {"right", 0xff53},      {"down", 0xff54},
    {"print", 0xff61}, {"pause", 0xff13},     {"scrolllock", 0xff14},
};
constexpr std::uint32_t kF1 = 0xffbe;

struct NamedModifier {
  const char* name;
  std::uint16_t mask;
};
constexpr NamedModifier kModifiers[] = {
    {"ctrl", XCB_MOD_MASK_CONTROL}, {"control", XCB_MOD_MASK_CONTROL}, {"alt", XCB_MOD_MASK_1},
    {"shift", XCB_MOD_MASK_SHIFT},  {"super", XCB_MOD_MASK_4},         {"win", XCB_MOD_MASK_4}};
// Caps Lock and Num Lock (Mod2 on every common layout) change nothing about a hotkey.
constexpr std::uint16_t kIgnored[] = {0, XCB_MOD_MASK_LOCK, XCB_MOD_MASK_2,
                                      XCB_MOD_MASK_LOCK | XCB_MOD_MASK_2};
constexpr std::uint16_t kRelevant =
    XCB_MOD_MASK_SHIFT | XCB_MOD_MASK_CONTROL | XCB_MOD_MASK_1 | XCB_MOD_MASK_4;
constexpr std::uint8_t kBadAccess = 10;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::optional<std::uint32_t> keysym_of(const std::string& key) {
  if (key.size() == 1 && std::isalnum(static_cast<unsigned char>(key[0])))
    return static_cast<std::uint32_t>(key[0]);
  if (key.size() >= 2 && key[0] == 'f' &&
      std::all_of(key.begin() + 1, key.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
      key.size() <= 3) {
    const int n = std::stoi(key.substr(1));
    if (n >= 1 && n <= 24) return kF1 + static_cast<std::uint32_t>(n - 1);
  }
  for (const auto& k : kNamedKeys)
    if (key == k.name) return k.keysym;
  return std::nullopt;
}

}  // namespace

Result<KeyCombo> parse_key_combo(const std::string& spec) {
  const auto refuse = [&](const std::string& why) {
    return Error{
        "hotkey '" + spec + "': " + why +
        " (write modifiers ctrl, alt, shift, super and one key, joined by '+': ctrl+alt+m, "
        "ctrl+shift+f5; keys: a-z, 0-9, f1-f24, space, escape, tab, return, backspace, delete, "
        "insert, home, end, pageup, pagedown, left, up, right, down, print, pause, scrolllock; "
        "or none)"};
  };
  std::vector<std::string> parts;
  std::string part;
  for (const char c : lower(spec) + "+") {
    if (c != '+') {
      if (!std::isspace(static_cast<unsigned char>(c))) part += c;
      continue;
    }
    if (part.empty()) return refuse("an empty part");
    parts.push_back(std::exchange(part, {}));
  }
  KeyCombo combo;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    const auto m = std::find_if(std::begin(kModifiers), std::end(kModifiers),
                                [&](const NamedModifier& n) { return parts[i] == n.name; });
    if (m == std::end(kModifiers)) return refuse("'" + parts[i] + "' is not a modifier");
    combo.modifiers |= m->mask;
  }
  const auto key = keysym_of(parts.back());
  if (!key) return refuse("'" + parts.back() + "' is not a key name");
  if (combo.modifiers == 0)
    return refuse("a key without a modifier would be taken from every program");
  combo.keysym = *key;
  return combo;
}

HotkeyGrab::HotkeyGrab(const std::string& display, std::vector<Binding> bindings)
    : display_(connect_display(
          display, "Use --display, or --hotkey-marker none (and the others) for no hotkeys")),
      bindings_(std::move(bindings)) {
  xcb_connection_t* c = display_.conn.get();
  const xcb_setup_t* setup = xcb_get_setup(c);
  auto screen = xcb_setup_roots_iterator(setup);
  for (int i = 0; i < display_.screen_number && screen.rem; ++i) xcb_screen_next(&screen);
  if (!screen.rem) throw std::runtime_error("X display '" + display_.name + "' has no such screen");
  root_ = screen.data->root;
  const std::uint8_t first = setup->min_keycode;
  const int count = setup->max_keycode - setup->min_keycode + 1;
  Reply<xcb_get_keyboard_mapping_reply_t> map(xcb_get_keyboard_mapping_reply(
      c, xcb_get_keyboard_mapping(c, first, static_cast<std::uint8_t>(count)), nullptr));
  if (!map)
    throw std::runtime_error("X display '" + display_.name + "': cannot read the keyboard mapping");
  const xcb_keysym_t* syms = xcb_get_keyboard_mapping_keysyms(map.get());
  const int per = map->keysyms_per_keycode;
  for (const auto& b : bindings_) {
    std::optional<std::uint8_t> keycode;
    for (int k = 0; k < count && !keycode; ++k)
      for (int j = 0; j < std::min(per, 2); ++j)
        if (syms[k * per + j] == b.combo.keysym) keycode = static_cast<std::uint8_t>(first + k);
    if (!keycode)
      throw std::runtime_error("hotkey '" + b.spec +
                               "': its key is not on the keyboard of X display '" + display_.name +
                               "'");
    grabs_.push_back({*keycode, b.combo.modifiers});
  }
  for (std::size_t i = 0; i < grabs_.size(); ++i) {
    for (const std::uint16_t extra : kIgnored) {
      Reply<xcb_generic_error_t> error(xcb_request_check(
          c,
          xcb_grab_key_checked(c, 1, root_, static_cast<std::uint16_t>(grabs_[i].modifiers | extra),
                               grabs_[i].keycode, XCB_GRAB_MODE_ASYNC, XCB_GRAB_MODE_ASYNC)));
      if (error)
        throw std::runtime_error(
            "hotkey '" + bindings_[i].spec + "' cannot be had on X display '" + display_.name +
            "': " +
            (error->error_code == kBadAccess
                 ? std::string("another program holds it already (choose another key)")
                 : "X error " + std::to_string(error->error_code)));
    }
  }
  xcb_flush(c);
}

HotkeyGrab::~HotkeyGrab() {
  xcb_connection_t* c = display_.conn.get();
  for (const auto& g : grabs_)
    for (const std::uint16_t extra : kIgnored)
      xcb_ungrab_key(c, g.keycode, root_, static_cast<std::uint16_t>(g.modifiers | extra));
  xcb_flush(c);
}

int HotkeyGrab::fd() const {
  return xcb_get_file_descriptor(display_.conn.get());
}

std::vector<std::size_t> HotkeyGrab::pressed() {
  xcb_connection_t* c = display_.conn.get();
  std::vector<std::size_t> out;
  while (Reply<xcb_generic_event_t> event{xcb_poll_for_event(c)}) {
    if ((event->response_type & 0x7f) != XCB_KEY_PRESS) continue;
    const auto* press = reinterpret_cast<const xcb_key_press_event_t*>(event.get());
    const std::uint16_t mods = press->state & kRelevant;
    for (std::size_t i = 0; i < grabs_.size(); ++i)
      if (grabs_[i].keycode == press->detail && grabs_[i].modifiers == mods) out.push_back(i);
  }
  if (xcb_connection_has_error(c))
    throw std::runtime_error("X display '" + display_.name +
                             "' closed the connection of the hotkeys");
  return out;
}

}  // namespace screenreel::x11

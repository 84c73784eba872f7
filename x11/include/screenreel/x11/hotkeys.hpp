// Global hotkeys on X11: key combinations ("ctrl+alt+m") grabbed on the root window (XGrabKey,
// through XCB), so that they reach this program whichever window has the focus.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "screenreel/common/result.hpp"
#include "screenreel/x11/display.hpp"

namespace screenreel::x11 {

// A key with its modifiers, as X names them: `modifiers` an XCB_MOD_MASK_* set (Shift, Control,
// Mod1 = Alt, Mod4 = Super), `keysym` the key's X keysym (lower case for letters).
struct KeyCombo {
  std::uint16_t modifiers = 0;
  std::uint32_t keysym = 0;
  bool operator==(const KeyCombo&) const = default;
};

// "ctrl+alt+m", "Ctrl+Shift+F5", "super+1": modifiers (ctrl/control, alt, shift, super/win),
// then one key (a letter, a digit, F1..F24, space, or one of the names in hotkeys.cpp),
// joined by '+', any case. An error names the part it cannot read and what it takes.
Result<KeyCombo> parse_key_combo(const std::string& spec);

// The combos grabbed on `display`'s root window, for as long as this object lives; also with
// Caps Lock and Num Lock on, which X counts as modifiers. The connection is its own (its fd to
// wait on). Throws std::runtime_error when the display cannot be opened, a key is not on its
// keyboard, or another client holds a combo already (the message names it).
class HotkeyGrab {
 public:
  struct Binding {
    std::string spec;  // as the user wrote it, for messages
    KeyCombo combo;
  };
  HotkeyGrab(const std::string& display, std::vector<Binding> bindings);
  ~HotkeyGrab();
  HotkeyGrab(const HotkeyGrab&) = delete;
  HotkeyGrab& operator=(const HotkeyGrab&) = delete;

  // The connection's file descriptor: readable when pressed() may have something.
  int fd() const;
  // The bindings (their indices) pressed since the last call, in order; never blocks.
  // Throws std::runtime_error when the X server went away.
  std::vector<std::size_t> pressed();

 private:
  struct Grab {
    std::uint8_t keycode = 0;
    std::uint16_t modifiers = 0;
  };
  DisplayConnection display_;
  xcb_window_t root_ = 0;
  std::vector<Binding> bindings_;
  std::vector<Grab> grabs_;  // bindings_[i] pressed is grabs_[i]'s keycode with its modifiers
};

}  // namespace screenreel::x11

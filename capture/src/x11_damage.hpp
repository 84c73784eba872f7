// X DAMAGE on the root window: which parts of the screen were drawn since the last grab, so that
// a tick on a still screen neither reads the screen nor compares it, and a tick after a small
// change compares only where it happened.
//
// The protocol, race-free: the damage object reports at level NonEmpty (one DamageNotify each
// time its region goes from empty to not empty). Before each grab the region is moved into an
// XFixes region (DamageSubtract with parts) and fetched, in the same round trip as the grab, so
// the grab shows at least everything in the fetched rectangles, and anything drawn after the
// subtract makes a new DamageNotify for the next tick. Nothing is ever lost; at worst a
// DamageNotify from before a subtract costs one grab that finds nothing.
#pragma once

#include <xcb/damage.h>
#include <xcb/xfixes.h>

#include <optional>
#include <string>
#include <vector>

#include "screenreel/common/result.hpp"
#include "x11_names.hpp"

namespace screenreel::capture {

class DamageTracker {
 public:
  explicit DamageTracker(const X11Display& display) : display_(display) {}
  ~DamageTracker();
  DamageTracker(const DamageTracker&) = delete;
  DamageTracker& operator=(const DamageTracker&) = delete;

  // Returns why damage cannot be tracked (no DAMAGE 1.1 or no XFixes 2 on the server), or ""
  // once it is tracked (from now on: the first grab reads everything anyway).
  Result<void> start();
  bool active() const { return damage_ != 0; }

  // Looks at one event from the connection's queue; true if it was ours (a DamageNotify).
  bool handle(const xcb_generic_event_t* event);
  // Something was drawn since the last request(), as far as the events read so far tell.
  bool dirty() const { return dirty_; }

  // Empties the damage region into ours and asks for its rectangles. Send it just before the
  // grab's request: the grab then shows everything collect() will return.
  void request();
  // The rectangles of request(), in root coordinates; nullopt if the server did not answer (then
  // anything may have changed).
  std::optional<std::vector<Rect>> collect();

 private:
  void forget();  // drops an unread reply, so XCB does not keep it queued

  const X11Display& display_;
  xcb_damage_damage_t damage_ = 0;
  xcb_xfixes_region_t parts_ = 0;
  std::uint8_t notify_type_ = 0;  // the DamageNotify event's response_type
  bool dirty_ = false;
  std::optional<xcb_xfixes_fetch_region_cookie_t> pending_;
};

}  // namespace screenreel::capture

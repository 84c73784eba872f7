// Watching for screen changes (see x11_screen_watch.hpp).
#include "x11_screen_watch.hpp"

#include <xcb/randr.h>

namespace screenreel::capture {

void ScreenWatch::start() {
  xcb_connection_t* c = display_.conn();
  // StructureNotify on the root concerns the root itself only (not its children): rare events.
  const std::uint32_t structure = XCB_EVENT_MASK_STRUCTURE_NOTIFY;
  xcb_change_window_attributes(c, display_.root(), XCB_CW_EVENT_MASK, &structure);
  const xcb_query_extension_reply_t* ext = xcb_get_extension_data(c, &xcb_randr_id);
  if (!ext || !ext->present) return;
  Reply<xcb_randr_query_version_reply_t> version(
      xcb_randr_query_version_reply(c, xcb_randr_query_version(c, 1, 2), nullptr));
  if (!version) return;
  std::uint16_t mask = XCB_RANDR_NOTIFY_MASK_SCREEN_CHANGE;
  if (version->major_version > 1 || version->minor_version >= 2)
    mask |= XCB_RANDR_NOTIFY_MASK_CRTC_CHANGE;
  xcb_randr_select_input(c, display_.root(), mask);
  randr_events_ = ext->first_event;
}

bool ScreenWatch::handle(const xcb_generic_event_t* e) {
  const auto type = static_cast<std::uint8_t>(e->response_type & 0x7f);
  const bool ours =
      (randr_events_ && (type == randr_events_ + XCB_RANDR_SCREEN_CHANGE_NOTIFY ||
                         type == randr_events_ + XCB_RANDR_NOTIFY)) ||
      (type == XCB_CONFIGURE_NOTIFY &&
       reinterpret_cast<const xcb_configure_notify_event_t*>(e)->window == display_.root());
  changed_ = changed_ || ours;
  return ours;
}

}  // namespace screenreel::capture

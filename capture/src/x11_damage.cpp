// Tracking what was drawn on the root window with X DAMAGE (see x11_damage.hpp).
#include "x11_damage.hpp"

namespace screenreel::capture {

DamageTracker::~DamageTracker() {
  forget();
  xcb_connection_t* c = display_.conn();
  if (xcb_connection_has_error(c)) return;
  if (damage_) xcb_damage_destroy(c, damage_);
  if (parts_) xcb_xfixes_destroy_region(c, parts_);
  xcb_flush(c);
}

Result<void> DamageTracker::start() {
  xcb_connection_t* c = display_.conn();
  const xcb_query_extension_reply_t* damage = xcb_get_extension_data(c, &xcb_damage_id);
  if (!damage || !damage->present) return Error{"the X server has no DAMAGE extension"};
  const xcb_query_extension_reply_t* xfixes = xcb_get_extension_data(c, &xcb_xfixes_id);
  if (!xfixes || !xfixes->present) return Error{"the X server has no XFIXES extension"};
  // Both extensions refuse requests until the client has said which version it speaks.
  const auto damage_cookie =
      xcb_damage_query_version(c, XCB_DAMAGE_MAJOR_VERSION, XCB_DAMAGE_MINOR_VERSION);
  const auto xfixes_cookie =
      xcb_xfixes_query_version(c, XCB_XFIXES_MAJOR_VERSION, XCB_XFIXES_MINOR_VERSION);
  Reply<xcb_damage_query_version_reply_t> dv(
      xcb_damage_query_version_reply(c, damage_cookie, nullptr));
  Reply<xcb_xfixes_query_version_reply_t> xv(
      xcb_xfixes_query_version_reply(c, xfixes_cookie, nullptr));
  if (!dv || (dv->major_version == 1 && dv->minor_version < 1) || dv->major_version < 1)
    return Error{"the X server's DAMAGE is older than version 1.1"};
  if (!xv || xv->major_version < 2)
    return Error{"the X server's XFIXES is older than version 2 (regions)"};
  const xcb_damage_damage_t damage_id = xcb_generate_id(c);
  const xcb_xfixes_region_t region_id = xcb_generate_id(c);
  const auto made =
      xcb_damage_create_checked(c, damage_id, display_.root(), XCB_DAMAGE_REPORT_LEVEL_NON_EMPTY);
  const auto region = xcb_xfixes_create_region_checked(c, region_id, 0, nullptr);
  Reply<xcb_generic_error_t> e1(xcb_request_check(c, made));
  Reply<xcb_generic_error_t> e2(xcb_request_check(c, region));
  if (!e1) damage_ = damage_id;
  if (!e2) parts_ = region_id;
  if (e1 || e2) {
    const std::uint8_t code = e1 ? e1->error_code : e2->error_code;
    if (damage_) xcb_damage_destroy(c, damage_);
    if (parts_) xcb_xfixes_destroy_region(c, parts_);
    damage_ = parts_ = 0;
    return Error{"the X server refused DAMAGE on the root window (X error " + std::to_string(code) + ")"};
  }
  notify_type_ = static_cast<std::uint8_t>(damage->first_event + XCB_DAMAGE_NOTIFY);
  dirty_ = true;
  return {};
}

bool DamageTracker::handle(const xcb_generic_event_t* event) {
  if (!active() || (event->response_type & 0x7f) != notify_type_) return false;
  dirty_ = true;
  return true;
}

void DamageTracker::request() {
  forget();
  xcb_connection_t* c = display_.conn();
  xcb_damage_subtract(c, damage_, XCB_NONE, parts_);
  pending_ = xcb_xfixes_fetch_region(c, parts_);
  dirty_ = false;
}

std::optional<std::vector<Rect>> DamageTracker::collect() {
  if (!pending_) return std::nullopt;
  const auto cookie = *pending_;
  pending_.reset();
  Reply<xcb_xfixes_fetch_region_reply_t> r(
      xcb_xfixes_fetch_region_reply(display_.conn(), cookie, nullptr));
  if (!r) return std::nullopt;
  std::vector<Rect> out;
  const xcb_rectangle_t* rects = xcb_xfixes_fetch_region_rectangles(r.get());
  const int n = xcb_xfixes_fetch_region_rectangles_length(r.get());
  out.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i)
    out.push_back(Rect{rects[i].x, rects[i].y, rects[i].width, rects[i].height});
  return out;
}

void DamageTracker::forget() {
  if (pending_) xcb_discard_reply(display_.conn(), pending_->sequence);
  pending_.reset();
}

}  // namespace screenreel::capture

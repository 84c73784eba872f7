// The live window's X11 windows (see x11_windows.hpp).
#include "x11_windows.hpp"

#include <xcb/shm.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace screenreel::receiver {
namespace {

constexpr std::uint32_t kEvents = XCB_EVENT_MASK_EXPOSURE | XCB_EVENT_MASK_KEY_PRESS | XCB_EVENT_MASK_STRUCTURE_NOTIFY;
constexpr std::uint32_t kShiftMask = XCB_MOD_MASK_SHIFT;

using x11::Reply;

}  // namespace

X11Windows::X11Windows()
    : display_("", "Run the receiver with --no-display, or set $DISPLAY to a display it can open") {
  xcb_connection_t* c = display_.conn();
  gc_ = xcb_generate_id(c);
  xcb_create_gc(c, gc_, display_.root(), 0, nullptr);
  wm_protocols_ = display_.atom("WM_PROTOCOLS", true);
  wm_delete_window_ = display_.atom("WM_DELETE_WINDOW", true);
  net_wm_name_ = display_.atom("_NET_WM_NAME", true);
  utf8_string_ = display_.atom("UTF8_STRING", true);
  // In 4-byte units; the PutImage header aside.
  max_request_bytes_ = std::size_t{xcb_get_maximum_request_length(c)} * 4 - 64;
  load_keymap();
}

X11Windows::~X11Windows() {
  for (auto& [id, w] : windows_) {
    w.shm.reset();
    xcb_destroy_window(display_.conn(), id);
  }
  windows_.clear();
  xcb_free_gc(display_.conn(), gc_);
  xcb_flush(display_.conn());
}

void X11Windows::load_keymap() {
  const xcb_setup_t* setup = xcb_get_setup(display_.conn());
  min_keycode_ = setup->min_keycode;
  const auto count = static_cast<std::uint8_t>(setup->max_keycode - setup->min_keycode + 1);
  Reply<xcb_get_keyboard_mapping_reply_t> r(xcb_get_keyboard_mapping_reply(
      display_.conn(), xcb_get_keyboard_mapping(display_.conn(), min_keycode_, count), nullptr));
  keysyms_.clear();
  keysyms_per_keycode_ = 0;
  if (!r) return;
  keysyms_per_keycode_ = r->keysyms_per_keycode;
  const xcb_keysym_t* syms = xcb_get_keyboard_mapping_keysyms(r.get());
  keysyms_.assign(syms, syms + xcb_get_keyboard_mapping_keysyms_length(r.get()));
}

X11Windows::Id X11Windows::create(const std::string& title, int width, int height) {
  xcb_connection_t* c = display_.conn();
  const Id id = xcb_generate_id(c);
  const std::uint32_t values[] = {display_.screen()->black_pixel, kEvents};
  xcb_create_window(c, XCB_COPY_FROM_PARENT, id, display_.root(), 0, 0, static_cast<std::uint16_t>(width),
                    static_cast<std::uint16_t>(height), 0, XCB_WINDOW_CLASS_INPUT_OUTPUT, display_.screen()->root_visual,
                    XCB_CW_BACK_PIXEL | XCB_CW_EVENT_MASK, values);
  set_title(id, title);
  static constexpr char kClass[] = "screenreel-receiver\0screenreel-receiver";
  xcb_change_property(c, XCB_PROP_MODE_REPLACE, id, XCB_ATOM_WM_CLASS, XCB_ATOM_STRING, 8, sizeof kClass, kClass);
  xcb_change_property(c, XCB_PROP_MODE_REPLACE, id, wm_protocols_, XCB_ATOM_ATOM, 32, 1, &wm_delete_window_);
  auto [it, inserted] = windows_.try_emplace(id);
  allocate(id, it->second, width, height);
  xcb_map_window(c, id);
  return id;
}

void X11Windows::set_title(Id id, const std::string& title) {
  xcb_connection_t* c = display_.conn();
  xcb_change_property(c, XCB_PROP_MODE_REPLACE, id, XCB_ATOM_WM_NAME, XCB_ATOM_STRING, 8,
                      static_cast<std::uint32_t>(title.size()), title.data());
  xcb_change_property(c, XCB_PROP_MODE_REPLACE, id, net_wm_name_, utf8_string_, 8,
                      static_cast<std::uint32_t>(title.size()), title.data());
}

// The picture's memory, and the window's size hints: it shows the picture at its own size.
void X11Windows::allocate(Id id, Window& w, int width, int height) {
  w.width = width;
  w.height = height;
  // WM_SIZE_HINTS: flags (PMinSize | PMaxSize), then x, y, width, height (unused), min and max.
  std::uint32_t hints[18] = {};
  hints[0] = (1u << 4) | (1u << 5);
  hints[5] = hints[7] = static_cast<std::uint32_t>(width);
  hints[6] = hints[8] = static_cast<std::uint32_t>(height);
  xcb_change_property(display_.conn(), XCB_PROP_MODE_REPLACE, id, XCB_ATOM_WM_NORMAL_HINTS, XCB_ATOM_WM_SIZE_HINTS,
                      32, 18, hints);
  const std::size_t bytes = std::size_t(width) * static_cast<std::size_t>(height) * 4;
  w.unshared.clear();
  if (!w.shm.attach(display_.conn(), std::max<std::size_t>(bytes, 4))) w.unshared.assign(bytes, 0);
}

void X11Windows::draw(Id id, const cv::Mat& picture, std::span<const PixelRect> rects) {
  auto it = windows_.find(id);
  if (it == windows_.end()) return;
  Window& w = it->second;
  const PixelRect all{0, 0, picture.cols, picture.rows};
  if (picture.cols != w.width || picture.rows != w.height) {
    allocate(id, w, picture.cols, picture.rows);
    const std::uint32_t size[] = {static_cast<std::uint32_t>(picture.cols), static_cast<std::uint32_t>(picture.rows)};
    xcb_configure_window(display_.conn(), id, XCB_CONFIG_WINDOW_WIDTH | XCB_CONFIG_WINDOW_HEIGHT, size);
    rects = std::span(&all, 1);
  }
  const std::size_t stride = std::size_t(w.width) * 4;
  for (const PixelRect& given : rects) {
    const PixelRect r = given.intersected(all);
    if (r.empty()) continue;
    for (int y = r.y; y < r.bottom(); ++y)
      std::memcpy(w.pixels() + static_cast<std::size_t>(y) * stride + static_cast<std::size_t>(r.x) * 4,
                  picture.ptr<std::uint8_t>(y) + static_cast<std::size_t>(r.x) * 4, static_cast<std::size_t>(r.w) * 4);
    put(id, w, r);
  }
}

void X11Windows::put(Id id, Window& w, const PixelRect& r) {
  xcb_connection_t* c = display_.conn();
  if (w.shm.attached()) {
    xcb_shm_put_image(c, id, gc_, static_cast<std::uint16_t>(w.width), static_cast<std::uint16_t>(w.height),
                      static_cast<std::uint16_t>(r.x), static_cast<std::uint16_t>(r.y), static_cast<std::uint16_t>(r.w),
                      static_cast<std::uint16_t>(r.h), static_cast<std::int16_t>(r.x), static_cast<std::int16_t>(r.y),
                      display_.screen()->root_depth, XCB_IMAGE_FORMAT_Z_PIXMAP, 0, w.shm.seg(), 0);
    return;
  }
  // Through the socket: as many rows a request as the server takes.
  const std::size_t row_bytes = static_cast<std::size_t>(r.w) * 4;
  const int rows_per_request = static_cast<int>(std::max<std::size_t>(1, max_request_bytes_ / row_bytes));
  std::vector<std::uint8_t> rows;
  for (int y = r.y; y < r.bottom(); y += rows_per_request) {
    const int n = std::min(rows_per_request, r.bottom() - y);
    rows.resize(row_bytes * static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i)
      std::memcpy(rows.data() + row_bytes * static_cast<std::size_t>(i),
                  w.pixels() + (static_cast<std::size_t>(y + i) * static_cast<std::size_t>(w.width) +
                                static_cast<std::size_t>(r.x)) * 4,
                  row_bytes);
    xcb_put_image(c, XCB_IMAGE_FORMAT_Z_PIXMAP, id, gc_, static_cast<std::uint16_t>(r.w), static_cast<std::uint16_t>(n),
                  static_cast<std::int16_t>(r.x), static_cast<std::int16_t>(y), 0, display_.screen()->root_depth,
                  static_cast<std::uint32_t>(rows.size()), rows.data());
  }
}

void X11Windows::destroy(Id id) {
  auto it = windows_.find(id);
  if (it == windows_.end()) return;
  it->second.shm.reset();
  windows_.erase(it);
  xcb_destroy_window(display_.conn(), id);
}

void X11Windows::flush() {
  xcb_flush(display_.conn());
  if (display_.broken()) throw std::runtime_error(display_.closed_message());
}

int X11Windows::poll() {
  int key = -1;
  while (xcb_generic_event_t* raw = xcb_poll_for_event(display_.conn())) {
    const Reply<xcb_generic_event_t> event(raw);
    switch (event->response_type & 0x7f) {
      case XCB_EXPOSE: {
        const auto* e = reinterpret_cast<const xcb_expose_event_t*>(raw);
        if (auto it = windows_.find(e->window); it != windows_.end()) {
          const PixelRect r = PixelRect{e->x, e->y, e->width, e->height}.intersected(
              {0, 0, it->second.width, it->second.height});
          if (!r.empty()) put(e->window, it->second, r);
        }
        break;
      }
      case XCB_KEY_PRESS: {
        const auto* e = reinterpret_cast<const xcb_key_press_event_t*>(raw);
        const std::size_t at = std::size_t(e->detail - min_keycode_) * keysyms_per_keycode_ +
                               ((e->state & kShiftMask) && keysyms_per_keycode_ > 1 ? 1 : 0);
        if (e->detail >= min_keycode_ && at < keysyms_.size() && keysyms_[at] >= 0x20 && keysyms_[at] <= 0x7e)
          key = static_cast<int>(keysyms_[at]);  // Latin-1 keysyms are their characters
        break;
      }
      case XCB_CLIENT_MESSAGE: {
        const auto* e = reinterpret_cast<const xcb_client_message_event_t*>(raw);
        if (e->type == wm_protocols_ && e->data.data32[0] == wm_delete_window_) {
          destroy(e->window);
          closed_.push_back(e->window);
        }
        break;
      }
      case XCB_MAPPING_NOTIFY:
        load_keymap();
        break;
      default:
        break;  // errors (a request for a window just closed) and events of no interest
    }
  }
  if (display_.broken()) throw std::runtime_error(display_.closed_message());
  xcb_flush(display_.conn());
  return key;
}

std::vector<X11Windows::Id> X11Windows::take_closed() {
  return std::exchange(closed_, {});
}

}  // namespace screenreel::receiver

// X11 capture through XCB: the whole screen, a region, a RandR monitor or one window (followed
// as it moves), with the cursor drawn in if asked. With MIT-SHM the server copies the pixels into
// one SysV shared memory segment, sized to the frame and reused for every grab (no per-frame
// allocation, no copy through the socket); frames are handed out straight from it unless part of
// the frame is off screen (a window partly outside it, or hidden), when they are assembled in a
// buffer padded with black. Without MIT-SHM (a remote display, a server without the extension) it
// says so once on stderr and falls back to plain GetImage.
//
// With X DAMAGE (x11_damage.hpp) a grab reads the screen only when something was drawn or the
// cursor moved since the last one, and tells the encoder where (FrameRef::changed); a still
// screen costs a round trip a tick. RandR's notes that the screen changed are read from the same
// event queue, and the next grab follows the new size (x11_target.hpp, refit_target).
//
// Environment: SCREENREEL_NO_SHM=1 (any value but empty or "0") forces the GetImage fallback,
// so that path can be tested on a server that has MIT-SHM, and used where SHM misbehaves.
// SCREENREEL_NO_DAMAGE=1 likewise turns the damage gate off (every frame read and compared
// whole, as on a server without DAMAGE): for tests, benchmarks, and a server that misreports.
#include <xcb/shm.h>
#include <xcb/xcb.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "screenreel/capture/source.hpp"
#include "x11_cursor.hpp"
#include "x11_damage.hpp"
#include "x11_names.hpp"
#include "x11_screen_watch.hpp"
#include "x11_target.hpp"
#include "screenreel/common/log.hpp"
#include "x11_window.hpp"

namespace screenreel::capture {
namespace {

void notice(const std::string& line) { log::info(line); }

// Said when a grab finds the screen resized under it (its read failed, the size is new): the
// grab starts again at the new size.
struct ScreenResized {};

bool env_set(const char* name) {
  const char* v = std::getenv(name);
  return v && *v && std::strcmp(v, "0") != 0;
}

class X11Source : public FrameSource {
 public:
  explicit X11Source(const SourceOptions& options)
      : display_(options.display),
        target_(choose_target(display_, options)),
        damage_(display_),
        screen_(display_) {
    width_ = target_.width;
    height_ = target_.height;
    last_window_ = target_.area;
    if (options.cursor) {
      cursor_.emplace(display_);
      if (const auto started = cursor_->start(); !started) {
        notice("cannot draw the cursor on display " + display_.name() + " (" + started.error().message +
               "); recording without it");
        cursor_.reset();
      }
    }
    const Result<void> shm = env_set("SCREENREEL_NO_SHM") ? Error{"SCREENREEL_NO_SHM is set"} : try_shm();
    if (!shm)
      notice("MIT-SHM not available on display " + display_.name() + " (" + shm.error().message +
             "); using xcb_get_image (slower)");
    const Result<void> damage = env_set("SCREENREEL_NO_DAMAGE") ? Error{"SCREENREEL_NO_DAMAGE is set"} : damage_.start();
    if (!damage)
      notice("X DAMAGE not used on display " + display_.name() + " (" + damage.error().message +
             "); reading and comparing every frame whole");
    screen_.start();
  }

  std::uint32_t width() const override { return width_; }
  std::uint32_t height() const override { return height_; }
  std::string describe() const override {
    const std::string size = std::to_string(width_) + "x" + std::to_string(height_);
    std::string what = target_.label.empty() ? size : target_.label;
    if (target_.window) what += " " + size;
    return "x11 " + display_.name() + " " + what + (shm_.attached() ? " shm" : " get-image") +
           (cursor_ ? " cursor" : "");
  }

  FrameRef grab(std::uint64_t /*tick*/) override {
    try {
      return grab_once();
    } catch (const ScreenResized&) {
      return grab_once();  // at the new size; a second failure is an error
    }
  }

 private:
  FrameRef grab_once() {
    if (display_.broken()) throw std::runtime_error(display_.closed_message());
    // The cursor's answer (or, without it, a bare round trip when damage is tracked) comes after
    // every event the server sent before it: DamageNotify for all drawing done so far, RandR
    // changes. So a still screen is recognised as still without reading it.
    if (cursor_) {
      cursor_->request();
      cursor_->fetch();
    } else if (damage_.active()) {
      std::free(xcb_get_input_focus_reply(display_.conn(), xcb_get_input_focus(display_.conn()),
                                          nullptr));
    }
    read_events();
    if (display_.broken()) throw std::runtime_error(display_.closed_message());
    if (screen_.take()) follow_screen();

    // Where the frame's top left corner is now, and the part of it that shows what we record.
    Rect frame{target_.area.x, target_.area.y, width_, height_};
    Rect content = frame;
    if (target_.window) {
      const std::optional<WindowPlace> place = locate_window(display_, *target_.window);
      if (!place) throw SourceGone("window " + hex_id(*target_.window) + " closed");
      follow(*place);
      frame.x = content.x = place->area.x;
      frame.y = content.y = place->area.y;
      content.width = place->viewable ? std::min(place->area.width, frame.width) : 0;
      content.height = place->viewable ? std::min(place->area.height, frame.height) : 0;
    }
    const Rect visible = intersect(content, display_.screen_rect());
    // Everything may have changed when there is no earlier frame of this size at this place.
    const bool whole = !have_frame_ || frame != last_frame_ || visible != last_visible_ ||
                       !damage_.active() || Clock::now() >= recheck_at_;
    // A cursor moving elsewhere on the screen leaves a region's frames as they are.
    const bool cursor_moved = cursor_ && cursor_->changed() &&
                              (!intersect(cursor_->drawn_area(), frame).empty() ||
                               !intersect(cursor_->fetched_area(), frame).empty());
    if (!whole && !damage_.dirty() && !cursor_moved) {
      last_.changed = std::span<const PixelRect>();  // a still screen: not read, not compared
      return last_;
    }

    if (damage_.active()) damage_.request();  // answered with the pixels, in the same round trip
    std::uint8_t* pixels = nullptr;
    if (visible == frame) {
      pixels = read(visible);  // the common case: straight from the segment, no copy
    } else {
      canvas_.assign(stride() * height_, 0);
      if (!visible.empty()) {
        const std::uint8_t* src = read(visible);
        const auto row_bytes = static_cast<std::size_t>(visible.width) * 4;
        std::uint8_t* dst = canvas_.data() +
                            static_cast<std::size_t>(visible.y - frame.y) * stride() +
                            static_cast<std::size_t>(visible.x - frame.x) * 4;
        for (std::int64_t y = 0; y < visible.height; ++y)
          std::memcpy(dst + static_cast<std::size_t>(y) * stride(),
                      src + static_cast<std::size_t>(y) * row_bytes, row_bytes);
      }
      pixels = canvas_.data();
    }
    std::optional<std::vector<Rect>> damaged = damage_.active() ? damage_.collect() : std::nullopt;
    if (cursor_) {
      if (damaged && cursor_moved) {
        damaged->push_back(cursor_->drawn_area());
        damaged->push_back(cursor_->fetched_area());
      }
      cursor_->draw(pixels, stride(), width_, height_, frame.x, frame.y);
    }

    last_ = FrameRef{pixels, width_, height_, stride(), std::nullopt, frame.x, frame.y};
    if (whole) {
      recheck_at_ = Clock::now() + kRecheckEvery;
    } else if (damaged) {
      in_frame(*damaged, frame);
      last_.changed = std::span<const PixelRect>(changed_);
    }
    have_frame_ = true;
    last_frame_ = frame;
    last_visible_ = visible;
    return last_;
  }

  // `damaged` (root coordinates) clipped to `frame` and moved into its coordinates, as the
  // frame's changed rectangles.
  void in_frame(const std::vector<Rect>& damaged, const Rect& frame) {
    changed_.clear();
    for (const Rect& r : damaged) {
      const Rect c = intersect(r, frame);
      if (c.empty()) continue;
      changed_.push_back(PixelRect{
          static_cast<std::int32_t>(c.x - frame.x), static_cast<std::int32_t>(c.y - frame.y),
          static_cast<std::int32_t>(c.width), static_cast<std::int32_t>(c.height)});
    }
  }

  // Drains the events that have arrived, without waiting: DamageNotify, and the notes that the
  // screen or a monitor changed. Nothing else is selected; X errors of requests sent without a
  // reply (DamageSubtract) are not expected and only cost a grab that reads everything.
  void read_events() {
    while (Reply<xcb_generic_event_t> e{xcb_poll_for_event(display_.conn())}) {
      if (damage_.handle(e.get()) || screen_.handle(e.get())) continue;
      if (e->response_type == 0) have_frame_ = false;
    }
  }

  // RandR changed the screen: takes its new size, finds what is recorded on it now, and makes the
  // shared memory segment fit a frame of a new size.
  void follow_screen() {
    display_.refresh_screen_size();
    const Target now = refit_target(display_, target_);
    const Rect screen = display_.screen_rect();
    const std::string screen_size =
        std::to_string(screen.width) + "x" + std::to_string(screen.height);
    const bool resized = now.width != width_ || now.height != height_;
    const bool moved = now.area != target_.area;
    target_ = now;
    if (resized) {
      width_ = now.width;
      height_ = now.height;
      if (shm_.attached()) {
        if (const auto attached = shm_.attach(display_.conn(), stride() * height_); !attached)
          notice("MIT-SHM not available for the new frame size (" + attached.error().message +
                 "); using xcb_get_image (slower)");
      }
      canvas_.clear();
    }
    have_frame_ = false;
    std::string what = "the screen of X display " + display_.name() + " is now " + screen_size;
    if (target_.kind == Target::Kind::kMonitor && (resized || moved))
      what += "; monitor " + target_.monitor + " is now " + target_.area.geometry();
    if (resized)
      what += "; frames are now " + std::to_string(width_) + "x" + std::to_string(height_);
    if (target_.kind == Target::Kind::kRegion && !screen.contains(target_.area))
      what +=
          "; the part of the region " + target_.area.geometry() + " outside it is recorded black";
    if (resized || moved || target_.kind != Target::Kind::kWindow) notice(what);
  }

  std::size_t stride() const { return std::size_t{width_} * 4; }

  // Reads `r` (inside the screen, at most the frame's size) from the root window. The pixels,
  // r.width * 4 bytes a row, stay ours until the next read.
  std::uint8_t* read(const Rect& r) {
    xcb_connection_t* c = display_.conn();
    if (shm_.attached()) {
      shm_grab(r);
      return shm_.data();
    }
    image_.reset();  // the previous frame is no longer promised to anyone
    have_frame_ = false;
    xcb_generic_error_t* e = nullptr;
    image_.reset(xcb_get_image_reply(
        c,
        xcb_get_image(c, XCB_IMAGE_FORMAT_Z_PIXMAP, display_.root(), static_cast<std::int16_t>(r.x),
                      static_cast<std::int16_t>(r.y), static_cast<std::uint16_t>(r.width),
                      static_cast<std::uint16_t>(r.height), ~0u),
        &e));
    Reply<xcb_generic_error_t> err(e);
    if (!image_) throw failed(err.get());
    const auto need = static_cast<std::size_t>(r.width * r.height * 4);
    if (static_cast<std::size_t>(xcb_get_image_data_length(image_.get())) < need)
      throw std::runtime_error("X display " + display_.name() + " sent a short image (" +
                               std::to_string(xcb_get_image_data_length(image_.get())) +
                               " bytes for " + std::to_string(r.width) + "x" +
                               std::to_string(r.height) + ")");
    return xcb_get_image_data(image_.get());
  }

  void shm_grab(const Rect& r) {
    xcb_connection_t* c = display_.conn();
    have_frame_ = false;  // until it worked: the segment may hold part of a frame
    xcb_generic_error_t* e = nullptr;
    Reply<xcb_shm_get_image_reply_t> reply(xcb_shm_get_image_reply(
        c,
        xcb_shm_get_image(c, display_.root(), static_cast<std::int16_t>(r.x),
                          static_cast<std::int16_t>(r.y), static_cast<std::uint16_t>(r.width),
                          static_cast<std::uint16_t>(r.height), ~0u, XCB_IMAGE_FORMAT_Z_PIXMAP,
                          shm_.seg(), 0),
        &e));
    Reply<xcb_generic_error_t> err(e);
    if (!reply) throw failed(err.get());
  }

  // A read failed: the screen was resized under it (then ScreenResized is thrown, after the
  // source has followed the change), or the error to throw.
  std::runtime_error failed(const xcb_generic_error_t* err) {
    if (display_.broken()) return std::runtime_error(display_.closed_message());
    if (display_.refresh_screen_size()) {
      follow_screen();
      throw ScreenResized{};
    }
    const Rect screen = display_.screen_rect();
    return std::runtime_error("cannot read the screen of X display " + display_.name() +
                              " (X error " + std::to_string(err ? err->error_code : 0) +
                              "; did its size change from " + std::to_string(screen.width) + "x" +
                              std::to_string(screen.height) + "? Restart the capture)");
  }

  // Says when the followed window changes size or is hidden or shown; the frames keep the size it
  // had at the start (its top left part, padded with black where it is smaller).
  void follow(const WindowPlace& place) {
    const std::string id = hex_id(*target_.window);
    if (place.viewable != window_shown_) {
      window_shown_ = place.viewable;
      notice(window_shown_ ? "window " + id + " is shown again"
                           : "window " + id +
                                 " is hidden (unmapped or minimized): black frames until it is "
                                 "shown again");
    }
    if (place.area.width != last_window_.width || place.area.height != last_window_.height) {
      last_window_ = place.area;
      const std::string now =
          std::to_string(place.area.width) + "x" + std::to_string(place.area.height);
      const std::string kept = std::to_string(width_) + "x" + std::to_string(height_);
      notice("window " + id + " is now " + now + "; frames stay " + kept +
             (place.area.width == width_ && place.area.height == height_
                  ? ""
                  : " (its top left part, black where it is smaller)"));
    }
  }

  // Succeeds once a grab through MIT-SHM has worked; otherwise says why it cannot be used.
  Result<void> try_shm() {
    xcb_connection_t* c = display_.conn();
    const xcb_query_extension_reply_t* ext = xcb_get_extension_data(c, &xcb_shm_id);
    if (!ext || !ext->present) return Error{"the X server has no MIT-SHM extension"};
    Reply<xcb_shm_query_version_reply_t> version(
        xcb_shm_query_version_reply(c, xcb_shm_query_version(c), nullptr));
    if (!version) return Error{"MIT-SHM QueryVersion failed"};
    if (auto attached = shm_.attach(c, stride() * height_); !attached) return attached;
    // One grab now, so a server that attaches but cannot fill the segment shows up here, where
    // falling back is still possible, and not in the middle of a recording. What it reads is the
    // frame's part on screen, or (a window off screen) as much of the screen as fits.
    const Rect screen = display_.screen_rect();
    Rect probe = intersect(Rect{target_.area.x, target_.area.y, width_, height_}, screen);
    if (probe.empty())
      probe = Rect{0, 0, std::min<std::int64_t>(width_, screen.width),
                   std::min<std::int64_t>(height_, screen.height)};
    shm_.mark();
    try {
      shm_grab(probe);
    } catch (const std::runtime_error& e) {
      if (display_.broken()) throw;
      shm_.reset();
      return Error{std::string("a first ShmGetImage failed: ") + e.what()};
    }
    if (shm_.still_marked()) {
      shm_.reset();
      return Error{"the X server's copy never reached our shared memory; a container without --ipc=host?"};
    }
    return {};
  }

  using Clock = std::chrono::steady_clock;
  // A change the server never reported (a driver drawing behind X's back) would otherwise stay
  // out of the recording until the screen changes size: read and compare everything this often.
  static constexpr auto kRecheckEvery = std::chrono::seconds(5);

  X11Display display_;
  Target target_;
  ShmSegment shm_;                       // after display_: destroyed first
  std::optional<CursorOverlay> cursor_;  // after display_: may discard a reply on destruction
  DamageTracker damage_;                 // after display_: destroys its objects on the server
  Reply<xcb_get_image_reply_t> image_;   // the fallback's last read, alive until the next one
  std::vector<std::uint8_t> canvas_;     // frames partly off screen, padded with black
  std::uint32_t width_ = 0, height_ = 0;
  FrameRef last_;                   // the frame handed out last, handed out again while still
  bool have_frame_ = false;         // last_ shows the screen as it was at the last read
  Rect last_frame_, last_visible_;  // where last_ was read from
  std::vector<PixelRect> changed_;  // last_.changed, when it lists rectangles
  Clock::time_point recheck_at_;
  ScreenWatch screen_;        // RandR's changes, followed at the next grab
  Rect last_window_;          // the followed window's last size, to say when it changes
  bool window_shown_ = true;  // and whether it was viewable
};

}  // namespace

std::unique_ptr<FrameSource> make_x11_source(const SourceOptions& options) {
  return std::make_unique<X11Source>(options);
}

std::unique_ptr<FrameSource> make_x11_source(const std::string& display) {
  SourceOptions options;
  options.display = display;
  return make_x11_source(options);
}

}  // namespace screenreel::capture

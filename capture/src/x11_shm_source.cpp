// X11 capture through XCB. MIT-SHM: the server copies the root window into one shared memory
// segment that is reused for every grab (no per-frame allocation, no copy through the socket).
// Where MIT-SHM is missing (a remote display) it says so once and falls back to GetImage.
// SCREENREEL_NO_SHM=1 forces the fallback, so that path can be tested.
#include <sys/ipc.h>
#include <sys/shm.h>
#include <xcb/shm.h>
#include <xcb/xcb.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>

#include "screenreel/capture/source.hpp"

namespace screenreel::capture {
namespace {

struct ConnectionCloser {
  void operator()(xcb_connection_t* c) const { xcb_disconnect(c); }
};
struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};
template <typename T>
using XcbReply = std::unique_ptr<T, FreeDeleter>;

class X11Source : public FrameSource {
 public:
  explicit X11Source(const std::string& display_name) {
    const char* env = std::getenv("DISPLAY");
    name_ = !display_name.empty() ? display_name : (env ? env : "");
    if (name_.empty())
      throw std::runtime_error("no X display to capture: $DISPLAY is not set. Use --display :N, or --source test-pattern");
    int screen_num = 0;
    conn_.reset(xcb_connect(name_.c_str(), &screen_num));
    if (xcb_connection_has_error(conn_.get()))
      throw std::runtime_error("cannot open X display '" + name_ +
                               "': is an X server running there? Use --display, or --source test-pattern");
    auto it = xcb_setup_roots_iterator(xcb_get_setup(conn_.get()));
    for (int i = 0; i < screen_num && it.rem; ++i) xcb_screen_next(&it);
    xcb_screen_t* screen = it.data;
    root_ = screen->root;
    width_ = screen->width_in_pixels;
    height_ = screen->height_in_pixels;
    check_pixel_format(screen);
    const char* no_shm = std::getenv("SCREENREEL_NO_SHM");
    std::string why;
    if (no_shm && *no_shm && std::string(no_shm) != "0")
      why = "SCREENREEL_NO_SHM is set";
    else
      why = attach_shm();
    if (!why.empty())
      std::cerr << "screenreel-capture: MIT-SHM not available on display " << name_ << " (" << why
                << "); using xcb_get_image (slower)" << std::endl;
  }

  ~X11Source() override {
    if (shm_seg_) xcb_shm_detach(conn_.get(), shm_seg_);
    if (shm_addr_) shmdt(shm_addr_);
    if (conn_) xcb_flush(conn_.get());
  }

  std::uint32_t width() const override { return width_; }
  std::uint32_t height() const override { return height_; }
  std::string describe() const override {
    return "x11 " + name_ + " " + std::to_string(width_) + "x" + std::to_string(height_) + (shm_addr_ ? " shm" : " get-image");
  }

  FrameRef grab(std::uint64_t) override {
    xcb_connection_t* c = conn_.get();
    if (xcb_connection_has_error(c)) throw std::runtime_error("X display " + name_ + " closed");
    const auto w = static_cast<std::uint16_t>(width_), h = static_cast<std::uint16_t>(height_);
    xcb_generic_error_t* err = nullptr;
    if (shm_addr_) {
      XcbReply<xcb_shm_get_image_reply_t> r(xcb_shm_get_image_reply(
          c, xcb_shm_get_image(c, root_, 0, 0, w, h, ~0u, XCB_IMAGE_FORMAT_Z_PIXMAP, shm_seg_, 0), &err));
      if (!r) return fail(err);
      return FrameRef{static_cast<const std::uint8_t*>(shm_addr_), width_, height_, std::size_t{width_} * 4};
    }
    image_.reset(xcb_get_image_reply(c, xcb_get_image(c, XCB_IMAGE_FORMAT_Z_PIXMAP, root_, 0, 0, w, h, ~0u), &err));
    if (!image_) return fail(err);
    if (static_cast<std::size_t>(xcb_get_image_data_length(image_.get())) < std::size_t{width_} * height_ * 4)
      throw std::runtime_error("X server sent a short image");
    return FrameRef{xcb_get_image_data(image_.get()), width_, height_, std::size_t{width_} * 4};
  }

 private:
  [[noreturn]] FrameRef fail(xcb_generic_error_t* err) {
    const int code = err ? err->error_code : 0;
    std::free(err);
    if (xcb_connection_has_error(conn_.get())) throw std::runtime_error("X display " + name_ + " closed");
    throw std::runtime_error("cannot read the screen of " + name_ + " (X error " + std::to_string(code) +
                             "; did the screen size change?)");
  }

  void check_pixel_format(xcb_screen_t* screen) {
    if (screen->root_depth != 24 && screen->root_depth != 32)
      throw std::runtime_error("display " + name_ + " has depth " + std::to_string(screen->root_depth) +
                               "; screenreel captures 24- and 32-bit screens only");
    const xcb_setup_t* setup = xcb_get_setup(conn_.get());
    if (setup->image_byte_order != XCB_IMAGE_ORDER_LSB_FIRST)
      throw std::runtime_error("display " + name_ + " is big-endian; not supported");
    for (auto f = xcb_setup_pixmap_formats_iterator(setup); f.rem; xcb_format_next(&f)) {
      if (f.data->depth == screen->root_depth && f.data->bits_per_pixel != 32)
        throw std::runtime_error("display " + name_ + " stores " + std::to_string(f.data->bits_per_pixel) +
                                 " bits a pixel; screenreel needs 32 (BGRX)");
    }
  }

  // Returns why MIT-SHM cannot be used, or "" once the segment is attached.
  std::string attach_shm() {
    xcb_connection_t* c = conn_.get();
    const xcb_query_extension_reply_t* ext = xcb_get_extension_data(c, &xcb_shm_id);
    if (!ext || !ext->present) return "the X server has no MIT-SHM extension";
    XcbReply<xcb_shm_query_version_reply_t> v(xcb_shm_query_version_reply(c, xcb_shm_query_version(c), nullptr));
    if (!v) return "MIT-SHM version query failed";
    const int id = shmget(IPC_PRIVATE, std::size_t{width_} * height_ * 4, IPC_CREAT | 0600);
    if (id < 0) return std::string("shmget failed: ") + std::strerror(errno);
    void* addr = shmat(id, nullptr, 0);
    if (addr == reinterpret_cast<void*>(-1)) {
      shmctl(id, IPC_RMID, nullptr);
      return std::string("shmat failed: ") + std::strerror(errno);
    }
    const xcb_shm_seg_t seg = xcb_generate_id(c);
    xcb_generic_error_t* err = xcb_request_check(c, xcb_shm_attach_checked(c, seg, static_cast<std::uint32_t>(id), 0));
    // Marked for removal at once: the segment lives while attached, and cannot leak if we crash.
    shmctl(id, IPC_RMID, nullptr);
    if (err) {
      std::free(err);
      shmdt(addr);
      return "the X server cannot attach our segment (a remote display?)";
    }
    shm_addr_ = addr;
    shm_seg_ = seg;
    return "";
  }

  std::unique_ptr<xcb_connection_t, ConnectionCloser> conn_;
  std::string name_;
  xcb_window_t root_ = 0;
  std::uint32_t width_ = 0, height_ = 0;
  void* shm_addr_ = nullptr;
  xcb_shm_seg_t shm_seg_ = 0;
  XcbReply<xcb_get_image_reply_t> image_;
};

}  // namespace

std::unique_ptr<FrameSource> make_x11_source(const std::string& display) { return std::make_unique<X11Source>(display); }

}  // namespace screenreel::capture

// X11 capture of the root window through XCB. With MIT-SHM the server copies the screen into
// one SysV shared memory segment that is reused for every grab (no per-frame allocation, no
// copy through the socket). Without it (a remote display, a server without the extension) it
// says so once on stderr and falls back to plain GetImage.
//
// Environment: SCREENREEL_NO_SHM=1 (any value but empty or "0") forces the GetImage fallback,
// so that path can be tested on a server that has MIT-SHM, and used where SHM misbehaves.
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

struct Disconnect {
  void operator()(xcb_connection_t* c) const { xcb_disconnect(c); }
};
using Connection = std::unique_ptr<xcb_connection_t, Disconnect>;

// XCB replies and errors are malloc'd.
struct Free {
  void operator()(void* p) const { std::free(p); }
};
template <typename T>
using Reply = std::unique_ptr<T, Free>;

// Why xcb_connect failed, as advice. XCB_CONN_ERROR covers both "nothing listens there" and
// "the server refused us", which XCB does not tell apart.
std::string connection_problem(int code) {
  switch (code) {
    case XCB_CONN_ERROR:
      return "is an X server running there (and does $XAUTHORITY let you in)?";
    case XCB_CONN_CLOSED_PARSE_ERR:
      return "that is not a display name like :0, :0.0 or host:0.";
    case XCB_CONN_CLOSED_INVALID_SCREEN:
      return "the display has no such screen.";
    case XCB_CONN_CLOSED_MEM_INSUFFICIENT:
      return "out of memory.";
    default:
      return "XCB connection error " + std::to_string(code) + ".";
  }
}

// One SysV segment attached both here and in the X server. Declared after the connection that
// it was attached through, so it is destroyed first and can still tell the server to let go.
class ShmSegment {
 public:
  ShmSegment() = default;
  ShmSegment(const ShmSegment&) = delete;
  ShmSegment& operator=(const ShmSegment&) = delete;
  ~ShmSegment() { reset(); }

  // Returns why the server cannot share memory with us, or "" once it can.
  std::string attach(xcb_connection_t* conn, std::size_t bytes) {
    reset();
    // 0600: only our user (and a root X server) can attach. A remote X server cannot prove it
    // is us, so it is refused instead of attaching some unrelated segment with the same id.
    id_ = shmget(IPC_PRIVATE, bytes, IPC_CREAT | 0600);
    if (id_ < 0)
      return std::string("shmget of ") + std::to_string(bytes) +
             " bytes failed: " + std::strerror(errno);
    void* addr = shmat(id_, nullptr, 0);
    if (addr == reinterpret_cast<void*>(-1)) {
      const std::string why = std::string("shmat failed: ") + std::strerror(errno);
      reset();
      return why;
    }
    addr_ = static_cast<std::uint8_t*>(addr);
    bytes_ = bytes;
    const xcb_shm_seg_t seg = xcb_generate_id(conn);
    Reply<xcb_generic_error_t> err(xcb_request_check(
        conn, xcb_shm_attach_checked(conn, seg, static_cast<std::uint32_t>(id_), 0)));
    // Both sides are attached (or the server never will be): mark the segment for removal now,
    // so the kernel frees it when the last side detaches, even if we crash.
    shmctl(id_, IPC_RMID, nullptr);
    id_ = -1;
    if (err) {
      reset();
      return "the X server cannot attach our shared memory (X error " +
             std::to_string(err->error_code) + "; a remote display?)";
    }
    conn_ = conn;
    seg_ = seg;
    return "";
  }

  void reset() {
    if (conn_ && !xcb_connection_has_error(conn_)) {
      xcb_shm_detach(conn_, seg_);
      xcb_flush(conn_);
    }
    conn_ = nullptr;
    if (addr_) shmdt(addr_);
    addr_ = nullptr;
    bytes_ = 0;
    if (id_ >= 0) shmctl(id_, IPC_RMID, nullptr);
    id_ = -1;
  }

  // A server in another IPC namespace (a container without --ipc=host) can attach a different
  // segment that happens to have our id, and the grabs never reach us. So the segment is filled
  // with a marker before the first grab, and a grab that leaves it all marker did not arrive.
  void mark() { std::memset(addr_, kMarker, bytes_); }
  bool still_marked() const {
    for (std::size_t i = 0; i < bytes_; ++i)
      if (addr_[i] != kMarker) return false;
    return true;
  }

  bool attached() const { return conn_ != nullptr; }
  xcb_shm_seg_t seg() const { return seg_; }
  const std::uint8_t* data() const { return addr_; }

 private:
  xcb_connection_t* conn_ = nullptr;  // set once the server has attached
  xcb_shm_seg_t seg_ = 0;
  int id_ = -1;  // until marked for removal
  std::uint8_t* addr_ = nullptr;
  std::size_t bytes_ = 0;
  static constexpr std::uint8_t kMarker = 0xA5;
};

class X11Source : public FrameSource {
 public:
  explicit X11Source(const std::string& display) {
    const char* env = std::getenv("DISPLAY");
    name_ = !display.empty() ? display : (env ? env : "");
    if (name_.empty())
      throw std::runtime_error(
          "no X display to capture: $DISPLAY is not set. Use --display :N, or --source "
          "test-pattern");
    int screen_number = 0;
    conn_.reset(xcb_connect(name_.c_str(), &screen_number));  // never null; errors are in-band
    if (const int code = xcb_connection_has_error(conn_.get()))
      throw std::runtime_error("cannot open X display '" + name_ +
                               "': " + connection_problem(code) +
                               " Use --display, or --source test-pattern");
    const xcb_setup_t* setup = xcb_get_setup(conn_.get());
    auto it = xcb_setup_roots_iterator(setup);
    for (int i = 0; i < screen_number && it.rem; ++i) xcb_screen_next(&it);
    if (!it.rem)
      throw std::runtime_error("X display '" + name_ + "' has no screen " +
                               std::to_string(screen_number) +
                               ": use a display name like :0 or :0.0");
    const xcb_screen_t* screen = it.data;
    root_ = screen->root;
    width_ = screen->width_in_pixels;
    height_ = screen->height_in_pixels;
    check_bgrx(setup, screen);

    const char* no_shm = std::getenv("SCREENREEL_NO_SHM");
    const std::string why =
        no_shm && *no_shm && std::strcmp(no_shm, "0") != 0 ? "SCREENREEL_NO_SHM is set" : try_shm();
    if (!why.empty())
      std::cerr << "screenreel-capture: MIT-SHM not available on display " << name_ << " (" << why
                << "); using xcb_get_image (slower)" << std::endl;
  }

  std::uint32_t width() const override { return width_; }
  std::uint32_t height() const override { return height_; }
  std::string describe() const override {
    return "x11 " + name_ + " " + std::to_string(width_) + "x" + std::to_string(height_) +
           (shm_.attached() ? " shm" : " get-image");
  }

  FrameRef grab(std::uint64_t /*tick*/) override {
    xcb_connection_t* c = conn_.get();
    if (xcb_connection_has_error(c)) throw closed();
    if (shm_.attached()) {
      shm_grab();
      return FrameRef{shm_.data(), width_, height_, stride()};
    }
    image_.reset();  // the previous frame is no longer promised to anyone
    xcb_generic_error_t* e = nullptr;
    image_.reset(xcb_get_image_reply(
        c, xcb_get_image(c, XCB_IMAGE_FORMAT_Z_PIXMAP, root_, 0, 0, w16(), h16(), ~0u), &e));
    Reply<xcb_generic_error_t> err(e);
    if (!image_) throw failed(err.get());
    if (static_cast<std::size_t>(xcb_get_image_data_length(image_.get())) < stride() * height_)
      throw std::runtime_error("X display " + name_ + " sent a short image (" +
                               std::to_string(xcb_get_image_data_length(image_.get())) +
                               " bytes for " + std::to_string(width_) + "x" +
                               std::to_string(height_) + ")");
    return FrameRef{xcb_get_image_data(image_.get()), width_, height_, stride()};
  }

 private:
  std::size_t stride() const { return std::size_t{width_} * 4; }
  std::uint16_t w16() const { return static_cast<std::uint16_t>(width_); }
  std::uint16_t h16() const { return static_cast<std::uint16_t>(height_); }

  std::runtime_error closed() const {
    return std::runtime_error("X display " + name_ + " closed the connection (X server gone?)");
  }

  std::runtime_error failed(const xcb_generic_error_t* err) const {
    if (xcb_connection_has_error(conn_.get())) return closed();
    return std::runtime_error("cannot read the screen of X display " + name_ + " (X error " +
                              std::to_string(err ? err->error_code : 0) +
                              "; did its size change from " + std::to_string(width_) + "x" +
                              std::to_string(height_) + "? Restart the capture)");
  }

  void shm_grab() {
    xcb_connection_t* c = conn_.get();
    xcb_generic_error_t* e = nullptr;
    Reply<xcb_shm_get_image_reply_t> reply(
        xcb_shm_get_image_reply(c,
                                xcb_shm_get_image(c, root_, 0, 0, w16(), h16(), ~0u,
                                                  XCB_IMAGE_FORMAT_Z_PIXMAP, shm_.seg(), 0),
                                &e));
    Reply<xcb_generic_error_t> err(e);
    if (!reply) throw failed(err.get());
  }

  // The frame format promised to everything above is BGRX in 4 bytes; refuse anything else
  // rather than hand out garbled pixels.
  void check_bgrx(const xcb_setup_t* setup, const xcb_screen_t* screen) const {
    const std::string hint =
        "; screenreel captures 24/32-bit little-endian (BGRX) screens only. Run the X server "
        "at depth 24 (for Xvfb: -screen 0 WxHx24), or use --source test-pattern";
    const int depth = screen->root_depth;
    if (depth != 24 && depth != 32)
      throw std::runtime_error("X display '" + name_ + "' has depth " + std::to_string(depth) +
                               hint);
    if (setup->image_byte_order != XCB_IMAGE_ORDER_LSB_FIRST)
      throw std::runtime_error("X display '" + name_ + "' sends images big-endian" + hint);
    int bpp = 0;
    for (auto f = xcb_setup_pixmap_formats_iterator(setup); f.rem; xcb_format_next(&f))
      if (f.data->depth == depth) bpp = f.data->bits_per_pixel;
    if (bpp != 32)
      throw std::runtime_error("X display '" + name_ + "' stores depth " + std::to_string(depth) +
                               " in " + std::to_string(bpp) + " bits a pixel" + hint);
    for (auto d = xcb_screen_allowed_depths_iterator(screen); d.rem; xcb_depth_next(&d))
      for (auto v = xcb_depth_visuals_iterator(d.data); v.rem; xcb_visualtype_next(&v))
        if (v.data->visual_id == screen->root_visual &&
            (v.data->red_mask != 0xff0000 || v.data->green_mask != 0xff00 ||
             v.data->blue_mask != 0xff))
          throw std::runtime_error("X display '" + name_ +
                                   "' has colour masks other than 8 bits each as R, G, B" + hint);
  }

  // Returns why MIT-SHM cannot be used, or "" once a grab through it has worked.
  std::string try_shm() {
    xcb_connection_t* c = conn_.get();
    const xcb_query_extension_reply_t* ext = xcb_get_extension_data(c, &xcb_shm_id);
    if (!ext || !ext->present) return "the X server has no MIT-SHM extension";
    Reply<xcb_shm_query_version_reply_t> version(
        xcb_shm_query_version_reply(c, xcb_shm_query_version(c), nullptr));
    if (!version) return "MIT-SHM QueryVersion failed";
    if (std::string why = shm_.attach(c, stride() * height_); !why.empty()) return why;
    // One grab now, so a server that attaches but cannot fill the segment shows up here, where
    // falling back is still possible, and not in the middle of a recording.
    shm_.mark();
    try {
      shm_grab();
    } catch (const std::runtime_error& e) {
      if (xcb_connection_has_error(c)) throw;
      shm_.reset();
      return std::string("a first ShmGetImage failed: ") + e.what();
    }
    if (shm_.still_marked()) {
      shm_.reset();
      return "the X server's copy never reached our shared memory; a container without --ipc=host?";
    }
    return "";
  }

  Connection conn_;
  ShmSegment shm_;                      // after conn_: destroyed first
  Reply<xcb_get_image_reply_t> image_;  // the fallback's last frame, alive until the next grab
  std::string name_;
  xcb_window_t root_ = 0;
  std::uint32_t width_ = 0, height_ = 0;
};

}  // namespace

std::unique_ptr<FrameSource> make_x11_source(const std::string& display) {
  return std::make_unique<X11Source>(display);
}

}  // namespace screenreel::capture

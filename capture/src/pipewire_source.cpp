// The PipeWire capture source: a Wayland desktop (or one window) through the ScreenCast portal
// (portal_screencast.hpp) and a pw_stream on the PipeWire connection the portal opened.
//
// The stream runs on PipeWire's own thread (pw_thread_loop); its process callback keeps the
// newest buffer the compositor sent and gives older ones straight back. grab() lends that newest
// buffer to the encoder until the next grab(), and gives the one lent before back: BGRx and BGRA
// frames are handed out in place, in the buffer's own memory (no copy); RGBx and RGBA, which the
// encoder does not take, are converted into a frame of our own, only where they changed.
//
// What changed: a grab with no new buffer since the last one hands out the same frame with an
// empty change list (the compositor sends a buffer only when it drew something: a still screen
// costs nothing). Otherwise the buffers' SPA_META_VideoDamage rectangles, summed over every
// buffer since the last grab (those given back unread too), say where; a buffer without them, a
// new format or size, says anything may have changed.
//
// Buffers arrive as memfd shared memory or DMA-BUF; both are mapped here (not by PipeWire), so a
// mapping lent to the encoder outlives a renegotiation that takes its buffer away (a resized
// output): it is unmapped at the next grab. A new size (an output's mode changed, a window
// resized) makes frames of the new size, which the capture loop follows with a key frame.
//
// One file on purpose (about 490 lines): the stream's callbacks run on PipeWire's thread and
// share the buffer hand-over state with grab(); keeping them together keeps that locking in view.
// The portal's D-Bus side is portal_screencast.cpp.
#include <linux/dma-buf.h>
#include <pipewire/pipewire.h>
#include <spa/buffer/meta.h>
#include <spa/param/video/format-utils.h>
#include <spa/pod/builder.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "portal_screencast.hpp"
#include "screenreel/capture/source.hpp"
#include "screenreel/common/log.hpp"

namespace screenreel::capture {
namespace {

constexpr auto kFirstFrameWithin = std::chrono::seconds(10);
constexpr std::uint32_t kMaxSide = 16384;
constexpr std::int32_t kSide = kMaxSide;
constexpr std::uint32_t kDamageRegions = 16;  // room asked for in each buffer's damage metadata

bool bgr_order(std::uint32_t format) {
  return format == SPA_VIDEO_FORMAT_BGRx || format == SPA_VIDEO_FORMAT_BGRA;
}

const char* format_name(std::uint32_t format) {
  switch (format) {
    case SPA_VIDEO_FORMAT_BGRx: return "BGRx";
    case SPA_VIDEO_FORMAT_BGRA: return "BGRA";
    case SPA_VIDEO_FORMAT_RGBx: return "RGBx";
    case SPA_VIDEO_FORMAT_RGBA: return "RGBA";
    default: return "?";
  }
}

// What we take: 32-bit RGB in either byte order, any size and rate the producer has.
const spa_pod* enum_format(spa_pod_builder& b) {
  spa_pod_frame object, choice;
  spa_pod_builder_push_object(&b, &object, SPA_TYPE_OBJECT_Format, SPA_PARAM_EnumFormat);
  spa_pod_builder_prop(&b, SPA_FORMAT_mediaType, 0);
  spa_pod_builder_id(&b, SPA_MEDIA_TYPE_video);
  spa_pod_builder_prop(&b, SPA_FORMAT_mediaSubtype, 0);
  spa_pod_builder_id(&b, SPA_MEDIA_SUBTYPE_raw);
  spa_pod_builder_prop(&b, SPA_FORMAT_VIDEO_format, 0);
  spa_pod_builder_push_choice(&b, &choice, SPA_CHOICE_Enum, 0);
  spa_pod_builder_id(&b, SPA_VIDEO_FORMAT_BGRx);  // the default: what the encoder takes as it is
  for (const std::uint32_t f : {SPA_VIDEO_FORMAT_BGRx, SPA_VIDEO_FORMAT_BGRA, SPA_VIDEO_FORMAT_RGBx,
                                SPA_VIDEO_FORMAT_RGBA})
    spa_pod_builder_id(&b, f);
  spa_pod_builder_pop(&b, &choice);
  spa_pod_builder_prop(&b, SPA_FORMAT_VIDEO_size, 0);
  spa_pod_builder_push_choice(&b, &choice, SPA_CHOICE_Range, 0);
  spa_pod_builder_rectangle(&b, 1920, 1080);
  spa_pod_builder_rectangle(&b, 1, 1);
  spa_pod_builder_rectangle(&b, kMaxSide, kMaxSide);
  spa_pod_builder_pop(&b, &choice);
  spa_pod_builder_prop(&b, SPA_FORMAT_VIDEO_framerate, 0);
  spa_pod_builder_push_choice(&b, &choice, SPA_CHOICE_Range, 0);
  spa_pod_builder_fraction(&b, 30, 1);
  spa_pod_builder_fraction(&b, 0, 1);
  spa_pod_builder_fraction(&b, 1000, 1);
  spa_pod_builder_pop(&b, &choice);
  return static_cast<const spa_pod*>(spa_pod_builder_pop(&b, &object));
}

// Once the format is set: buffers in shared memory or DMA-BUF, with a header and damage.
std::vector<const spa_pod*> buffer_params(spa_pod_builder& b) {
  std::vector<const spa_pod*> params;
  spa_pod_frame object, choice;
  spa_pod_builder_push_object(&b, &object, SPA_TYPE_OBJECT_ParamBuffers, SPA_PARAM_Buffers);
  spa_pod_builder_prop(&b, SPA_PARAM_BUFFERS_dataType, 0);
  spa_pod_builder_push_choice(&b, &choice, SPA_CHOICE_Flags, 0);
  spa_pod_builder_int(&b, (1 << SPA_DATA_MemFd) | (1 << SPA_DATA_DmaBuf) | (1 << SPA_DATA_MemPtr));
  spa_pod_builder_pop(&b, &choice);
  params.push_back(static_cast<const spa_pod*>(spa_pod_builder_pop(&b, &object)));

  spa_pod_builder_push_object(&b, &object, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta);
  spa_pod_builder_prop(&b, SPA_PARAM_META_type, 0);
  spa_pod_builder_id(&b, SPA_META_Header);
  spa_pod_builder_prop(&b, SPA_PARAM_META_size, 0);
  spa_pod_builder_int(&b, sizeof(spa_meta_header));
  params.push_back(static_cast<const spa_pod*>(spa_pod_builder_pop(&b, &object)));

  constexpr int kRegion = sizeof(spa_meta_region);
  spa_pod_builder_push_object(&b, &object, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta);
  spa_pod_builder_prop(&b, SPA_PARAM_META_type, 0);
  spa_pod_builder_id(&b, SPA_META_VideoDamage);
  spa_pod_builder_prop(&b, SPA_PARAM_META_size, 0);
  spa_pod_builder_push_choice(&b, &choice, SPA_CHOICE_Range, 0);
  spa_pod_builder_int(&b, kRegion * kDamageRegions);
  spa_pod_builder_int(&b, kRegion);
  spa_pod_builder_int(&b, kRegion * kDamageRegions);
  spa_pod_builder_pop(&b, &choice);
  params.push_back(static_cast<const spa_pod*>(spa_pod_builder_pop(&b, &object)));
  return params;
}

// One buffer's memory, mapped by us (read-only) for as long as we may read it.
struct Mapping {
  void* base = MAP_FAILED;
  std::size_t size = 0;
  int dmabuf_fd = -1;  // a DMA-BUF's fd, for the CPU-access syncs around reading it

  void unmap() {
    if (base != MAP_FAILED) ::munmap(base, size);
    base = MAP_FAILED;
  }
};

void dmabuf_sync(int fd, std::uint64_t flags) {
  if (fd < 0) return;
  dma_buf_sync sync{};
  sync.flags = flags | DMA_BUF_SYNC_READ;
  ::ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
}

// A buffer of ours: where its pixels are and what they are.
struct Frame {
  pw_buffer* buffer = nullptr;
  const std::uint8_t* pixels = nullptr;
  std::uint32_t width = 0, height = 0, format = 0;
  std::size_t stride = 0;
  int dmabuf_fd = -1;
};

class PipeWireSource : public FrameSource {
 public:
  explicit PipeWireSource(const SourceOptions& options)
      : portal_(PortalRequest{options.window == "ask", options.cursor}) {
    try {
      start();
    } catch (...) {
      stop();  // PipeWire's thread must not outlive a source that was never made
      throw;
    }
  }

  ~PipeWireSource() override { stop(); }

 private:
  // Connects to PipeWire through the portal's connection and waits for the first frame.
  void start() {
    pw_init(nullptr, nullptr);
    loop_ = pw_thread_loop_new("screenreel-pw", nullptr);
    context_ = loop_ ? pw_context_new(pw_thread_loop_get_loop(loop_), nullptr, 0) : nullptr;
    if (!context_) throw std::runtime_error("cannot start PipeWire's client library (out of memory?)");
    if (pw_thread_loop_start(loop_) < 0) throw std::runtime_error("cannot start PipeWire's thread");
    pw_thread_loop_lock(loop_);
    core_ = pw_context_connect_fd(context_, portal_.take_pipewire_fd(), nullptr, 0);
    if (!core_) {
      const int err = errno;
      pw_thread_loop_unlock(loop_);
      throw std::runtime_error(std::string("cannot connect to PipeWire through the portal (") +
                               std::strerror(err) +
                               "): is PipeWire running? (systemctl --user start pipewire wireplumber)");
    }
    stream_ = pw_stream_new(core_, "screenreel-capture",
                            pw_properties_new(PW_KEY_MEDIA_TYPE, "Video", PW_KEY_MEDIA_CATEGORY, "Capture",
                                              PW_KEY_MEDIA_ROLE, "Screen", nullptr));
    static const pw_stream_events events = [] {
      pw_stream_events e{};
      e.version = PW_VERSION_STREAM_EVENTS;
      e.state_changed = [](void* self, pw_stream_state, pw_stream_state state, const char* error) {
        static_cast<PipeWireSource*>(self)->on_state(state, error);
      };
      e.param_changed = [](void* self, std::uint32_t id, const spa_pod* param) {
        static_cast<PipeWireSource*>(self)->on_param(id, param);
      };
      e.add_buffer = [](void* self, pw_buffer* b) { static_cast<PipeWireSource*>(self)->on_add(b); };
      e.remove_buffer = [](void* self, pw_buffer* b) { static_cast<PipeWireSource*>(self)->on_remove(b); };
      e.process = [](void* self) { static_cast<PipeWireSource*>(self)->on_process(); };
      return e;
    }();
    std::uint8_t buf[1024];
    spa_pod_builder b;
    spa_pod_builder_init(&b, buf, sizeof buf);
    const spa_pod* params[] = {enum_format(b)};
    // The shared node leaving the registry is the screen cast's end (the user stopped sharing):
    // the stream itself only pauses.
    static const pw_registry_events registry_events = [] {
      pw_registry_events e{};
      e.version = PW_VERSION_REGISTRY_EVENTS;
      e.global_remove = [](void* self, std::uint32_t id) { static_cast<PipeWireSource*>(self)->on_global_remove(id); };
      return e;
    }();
    registry_ = pw_core_get_registry(core_, PW_VERSION_REGISTRY, 0);
    if (registry_) pw_registry_add_listener(registry_, &registry_listener_, &registry_events, this);
    int connected = -1;
    if (stream_) {
      pw_stream_add_listener(stream_, &listener_, &events, this);
      connected = pw_stream_connect(stream_, PW_DIRECTION_INPUT, portal_.node(), PW_STREAM_FLAG_AUTOCONNECT,
                                    params, 1);
    }
    // The first frame gives the size that width() and height() report before any grab.
    const auto deadline = std::chrono::steady_clock::now() + kFirstFrameWithin;
    while (connected >= 0 && !pending_.buffer && failure_.empty() && !ended_ &&
           std::chrono::steady_clock::now() < deadline)
      pw_thread_loop_timed_wait(loop_, 1);
    const Frame first = pending_;
    const std::string failure = failure_;
    pw_thread_loop_unlock(loop_);
    if (connected < 0) throw std::runtime_error("cannot open the PipeWire stream of node " + std::to_string(portal_.node()));
    if (!failure.empty()) throw std::runtime_error(failure);
    if (!first.buffer)
      throw std::runtime_error("PipeWire sent no frame of the screen cast (node " + std::to_string(portal_.node()) +
                               ") within 10 s: is the compositor drawing? (check pipewire and the "
                               "desktop portal's backend, xdg-desktop-portal-gnome, -kde or -wlr)");
    width_ = first.width;
    height_ = first.height;
    lent_or_first_format_ = first.format;
  }

  // Ends PipeWire's thread, the stream and the connection (also after a failed start).
  void stop() {
    if (loop_) pw_thread_loop_stop(loop_);
    if (stream_) pw_stream_destroy(stream_);  // removes its buffers: on_remove unmaps them
    if (registry_) {
      spa_hook_remove(&registry_listener_);
      pw_proxy_destroy(reinterpret_cast<pw_proxy*>(registry_));
    }
    if (core_) pw_core_disconnect(core_);
    if (context_) pw_context_destroy(context_);
    if (loop_) pw_thread_loop_destroy(loop_);
    stream_ = nullptr;
    registry_ = nullptr;
    core_ = nullptr;
    context_ = nullptr;
    loop_ = nullptr;
    for (Mapping& m : retired_) m.unmap();
    retired_.clear();
  }

 public:
  std::uint32_t width() const override { return width_; }
  std::uint32_t height() const override { return height_; }
  std::string describe() const override {
    return "pipewire portal " + portal_.kind() + " node " + std::to_string(portal_.node()) + " " +
           std::to_string(width_) + "x" + std::to_string(height_) + " " + format_name(lent_or_first_format_) +
           (dmabuf_ ? " dmabuf" : " shm") + (portal_.cursor_embedded() ? " cursor" : "");
  }

  FrameRef grab(std::uint64_t /*tick*/) override {
    pw_thread_loop_lock(loop_);
    struct Unlock {
      pw_thread_loop* loop;
      ~Unlock() { pw_thread_loop_unlock(loop); }
    } unlock{loop_};
    if (!failure_.empty()) throw std::runtime_error(failure_);
    for (Mapping& m : retired_) m.unmap();  // the encoder is done with the frame lent from them
    retired_.clear();
    if (!pending_.buffer) {
      if (ended_) throw SourceGone("the screen cast was stopped (its portal session or stream closed)");
      last_.changed = std::span<const PixelRect>();  // nothing new was drawn: not read, not compared
      return last_;
    }
    if (lent_.buffer) {
      dmabuf_sync(lent_.dmabuf_fd, DMA_BUF_SYNC_END);
      pw_stream_queue_buffer(stream_, lent_.buffer);
    }
    lent_ = pending_;
    pending_ = Frame{};
    dmabuf_sync(lent_.dmabuf_fd, DMA_BUF_SYNC_START);
    const bool whole = whole_ || lent_.width != width_ || lent_.height != height_ || !handed_out_;
    width_ = lent_.width;
    height_ = lent_.height;
    lent_or_first_format_ = lent_.format;
    changed_.swap(damage_);
    damage_.clear();
    whole_ = false;
    handed_out_ = true;

    last_ = FrameRef{lent_.pixels, width_, height_, lent_.stride, std::nullopt};
    if (!whole) last_.changed = std::span<const PixelRect>(changed_);
    if (!bgr_order(lent_.format)) convert(whole);
    return last_;
  }

 private:
  // RGBx/RGBA into our own BGRX frame: the changed rectangles (all of it when `whole`).
  void convert(bool whole) {
    const std::size_t stride = std::size_t{width_} * 4;
    if (canvas_.size() != stride * height_) {
      canvas_.assign(stride * height_, 0);
      whole = true;
    }
    const PixelRect all{0, 0, static_cast<std::int32_t>(width_), static_cast<std::int32_t>(height_)};
    const std::span<const PixelRect> rects = whole ? std::span<const PixelRect>(&all, 1) : std::span<const PixelRect>(changed_);
    for (const PixelRect& r : rects) {
      for (std::int32_t y = r.y; y < r.bottom(); ++y) {
        const std::uint8_t* src = lent_.pixels + static_cast<std::size_t>(y) * lent_.stride + std::size_t(r.x) * 4;
        std::uint8_t* dst = canvas_.data() + static_cast<std::size_t>(y) * stride + std::size_t(r.x) * 4;
        for (std::int32_t x = 0; x < r.w; ++x, src += 4, dst += 4) {
          dst[0] = src[2];
          dst[1] = src[1];
          dst[2] = src[0];
          dst[3] = 0;
        }
      }
    }
    last_.pixels = canvas_.data();
    last_.stride = stride;
  }

  // The callbacks below run on PipeWire's thread, with the loop locked.
  void on_state(pw_stream_state state, const char* error) {
    if (state == PW_STREAM_STATE_ERROR)
      failure_ = std::string("the PipeWire stream failed: ") + (error ? error : "no reason given");
    if (state == PW_STREAM_STATE_STREAMING) streaming_ = true;
    if (state == PW_STREAM_STATE_UNCONNECTED && streaming_) ended_ = true;
    pw_thread_loop_signal(loop_, false);
  }

  void on_global_remove(std::uint32_t id) {
    if (id != portal_.node()) return;
    ended_ = true;
    pw_thread_loop_signal(loop_, false);
  }

  void on_param(std::uint32_t id, const spa_pod* param) {
    if (id != SPA_PARAM_Format || !param) return;
    std::uint32_t media_type = 0, media_subtype = 0;
    spa_video_info_raw info{};
    if (spa_format_parse(param, &media_type, &media_subtype) < 0 || media_type != SPA_MEDIA_TYPE_video ||
        media_subtype != SPA_MEDIA_SUBTYPE_raw || spa_format_video_raw_parse(param, &info) < 0)
      return;
    format_ = info.format;
    size_ = info.size;
    whole_ = true;
    std::uint8_t buf[1024];
    spa_pod_builder b;
    spa_pod_builder_init(&b, buf, sizeof buf);
    std::vector<const spa_pod*> params = buffer_params(b);
    pw_stream_update_params(stream_, params.data(), static_cast<std::uint32_t>(params.size()));
  }

  void on_add(pw_buffer* b) {
    spa_data& d = b->buffer->datas[0];
    if (d.type != SPA_DATA_MemFd && d.type != SPA_DATA_DmaBuf) return;
    Mapping m;
    m.size = std::size_t{d.mapoffset} + d.maxsize;
    m.base = ::mmap(nullptr, m.size, PROT_READ, MAP_SHARED, static_cast<int>(d.fd), 0);
    if (m.base == MAP_FAILED) {
      log::warning(std::string("cannot map a PipeWire buffer: ") + std::strerror(errno));
      return;
    }
    if (d.type == SPA_DATA_DmaBuf) m.dmabuf_fd = static_cast<int>(d.fd);
    mappings_[b] = m;
  }

  void on_remove(pw_buffer* b) {
    const auto it = mappings_.find(b);
    if (pending_.buffer == b) pending_ = Frame{};
    if (lent_.buffer == b) {
      lent_.buffer = nullptr;  // gone from the stream, its memory still lent to the encoder
      lent_.dmabuf_fd = -1;
      if (it != mappings_.end()) retired_.push_back(it->second);
    } else if (it != mappings_.end()) {
      it->second.unmap();
    }
    if (it != mappings_.end()) mappings_.erase(it);
  }

  void on_process() {
    while (pw_buffer* b = pw_stream_dequeue_buffer(stream_)) {
      Frame f;
      if (!take(b, f)) {
        pw_stream_queue_buffer(stream_, b);
        continue;
      }
      if (pending_.buffer) pw_stream_queue_buffer(stream_, pending_.buffer);  // never read
      pending_ = f;
      pw_thread_loop_signal(loop_, false);
    }
  }

  // Whether `b` holds a whole frame we can read, and where; adds its damage to damage_.
  bool take(pw_buffer* b, Frame& f) {
    spa_buffer* sb = b->buffer;
    const auto* header = static_cast<const spa_meta_header*>(
        spa_buffer_find_meta_data(sb, SPA_META_Header, sizeof(spa_meta_header)));
    if (header && (header->flags & SPA_META_HEADER_FLAG_CORRUPTED)) return false;
    if (sb->n_datas < 1) return false;
    const spa_data& d = sb->datas[0];
    if (!d.chunk || d.chunk->size == 0 || (d.chunk->flags & SPA_CHUNK_FLAG_CORRUPTED)) return false;
    const std::uint8_t* base = nullptr;
    if (d.type == SPA_DATA_MemPtr) {
      base = static_cast<const std::uint8_t*>(d.data);
    } else if (const auto it = mappings_.find(b); it != mappings_.end()) {
      base = static_cast<const std::uint8_t*>(it->second.base) + d.mapoffset;
      f.dmabuf_fd = it->second.dmabuf_fd;
      dmabuf_ = f.dmabuf_fd >= 0;
    }
    if (!base || size_.width == 0 || size_.height == 0) return false;
    f.buffer = b;
    f.width = size_.width;
    f.height = size_.height;
    f.format = format_;
    f.stride = d.chunk->stride > 0 ? static_cast<std::size_t>(d.chunk->stride) : std::size_t{f.width} * 4;
    const std::size_t offset = d.chunk->offset % std::max<std::uint32_t>(d.maxsize, 1);
    const std::size_t need = offset + f.stride * (f.height - 1) + std::size_t{f.width} * 4;
    if (f.stride < std::size_t{f.width} * 4 || need > d.maxsize) {
      if (!warned_size_)
        log::warning("PipeWire sent a buffer too small for a " + std::to_string(f.width) + "x" +
                     std::to_string(f.height) + " frame; skipping such buffers");
      warned_size_ = true;
      return false;
    }
    f.pixels = base + offset;
    add_damage(sb, f);
    return true;
  }

  void add_damage(spa_buffer* sb, const Frame& f) {
    const spa_meta* meta = spa_buffer_find_meta(sb, SPA_META_VideoDamage);
    if (!meta) {
      whole_ = true;  // a producer that does not say: compare everything
      return;
    }
    const auto* regions = static_cast<const spa_meta_region*>(meta->data);
    const std::size_t n = meta->size / sizeof(spa_meta_region);
    for (std::size_t i = 0; i < n; ++i) {
      const spa_region& r = regions[i].region;
      if (r.size.width == 0 || r.size.height == 0) break;  // the list ends here
      const PixelRect frame{0, 0, static_cast<std::int32_t>(f.width), static_cast<std::int32_t>(f.height)};
      const PixelRect c = PixelRect{std::clamp<std::int32_t>(r.position.x, -kSide, kSide), std::clamp<std::int32_t>(r.position.y, -kSide, kSide), static_cast<std::int32_t>(std::min<std::uint32_t>(r.size.width, kMaxSide)),
                                    static_cast<std::int32_t>(std::min<std::uint32_t>(r.size.height, kMaxSide))}
                              .intersected(frame);
      if (!c.empty()) damage_.push_back(c);
    }
  }

  PortalScreenCast portal_;  // first made, last gone: closing it ends the screen cast
  pw_thread_loop* loop_ = nullptr;
  pw_context* context_ = nullptr;
  pw_core* core_ = nullptr;
  pw_stream* stream_ = nullptr;
  spa_hook listener_{};
  pw_registry* registry_ = nullptr;
  spa_hook registry_listener_{};
  // Shared with PipeWire's thread, under the loop's lock.
  std::uint32_t format_ = 0;
  spa_rectangle size_{0, 0};
  std::map<pw_buffer*, Mapping> mappings_;
  std::vector<Mapping> retired_;  // of buffers removed while lent: unmapped at the next grab
  Frame pending_;                 // the newest buffer, not handed out yet
  Frame lent_;                    // the buffer the last grab() handed out
  std::vector<PixelRect> damage_;  // where buffers since the last grab changed
  bool whole_ = true;              // ... or anywhere
  std::string failure_;
  bool streaming_ = false, ended_ = false, warned_size_ = false;
  std::atomic<bool> dmabuf_{false};  // also read by describe(), on any thread
  // The capture thread's.
  std::uint32_t width_ = 0, height_ = 0, lent_or_first_format_ = 0;
  bool handed_out_ = false;
  FrameRef last_;
  std::vector<PixelRect> changed_;  // last_.changed
  std::vector<std::uint8_t> canvas_;  // RGBx/RGBA frames converted to BGRX
};

}  // namespace

std::unique_ptr<FrameSource> make_pipewire_source(const SourceOptions& options) {
  return std::make_unique<PipeWireSource>(options);
}

}  // namespace screenreel::capture

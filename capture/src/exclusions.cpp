// Blacking excluded windows and regions out of every frame (see
// screenreel/capture/exclusions.hpp). The wrapped source's pixels are never written: the frame
// handed on is a copy kept up to date only where the source says it changed, plus the excluded
// areas, so a still screen costs no copy and the encoder still compares only what changed.
#include "screenreel/capture/exclusions.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "screenreel/common/log.hpp"
#include "x11_names.hpp"
#include "x11_window.hpp"

namespace screenreel::capture {
namespace {

std::string counted(std::size_t n, const char* what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

class ExcludingSource : public FrameSource {
 public:
  ExcludingSource(std::unique_ptr<FrameSource> source, const Exclusions& exclusions,
                  const SourceOptions& options)
      : source_(std::move(source)), exclusions_(exclusions) {
    if (exclusions.windows.empty()) return;
    if (resolve_source_kind(options) != "x11")
      throw std::invalid_argument(
          "--exclude-window goes with --source x11 (windows are found on an X display); "
          "--exclude-region works with every source");
    display_ = std::make_unique<X11Display>(options.display, "Use --display");
    for (const std::string& spec : exclusions.windows)
      windows_.push_back({spec, find_window(*display_, spec, "--exclude-window").id});
  }

  std::uint32_t width() const override { return source_->width(); }
  std::uint32_t height() const override { return source_->height(); }
  std::string describe() const override {
    return source_->describe() + ", " + exclusions_.describe();
  }

  FrameRef grab(std::uint64_t tick) override {
    // Where each window is just before and just after the grab: a window moved in between is
    // blacked over both places and the way between them.
    const std::vector<x11::Rect> before = window_areas();
    const FrameRef in = source_->grab(tick);
    const std::vector<x11::Rect> after = window_areas();
    black_.clear();
    const PixelRect frame{0, 0, static_cast<std::int32_t>(in.width), static_cast<std::int32_t>(in.height)};
    const auto add = [&](std::int64_t x, std::int64_t y, std::int64_t w, std::int64_t h) {
      const x11::Rect r = x11::intersect(x11::Rect{x - in.screen_x, y - in.screen_y, w, h},
                                         x11::Rect{0, 0, frame.w, frame.h});
      if (!r.empty())
        black_.push_back(PixelRect{static_cast<std::int32_t>(r.x), static_cast<std::int32_t>(r.y),
                                   static_cast<std::int32_t>(r.width), static_cast<std::int32_t>(r.height)});
    };
    for (const PixelRect& r : exclusions_.regions) add(r.x, r.y, r.w, r.h);
    for (std::size_t i = 0; i < before.size(); ++i) {
      const x11::Rect &a = before[i], &b = after[i];
      if (a.empty() || b.empty()) {
        const x11::Rect& r = a.empty() ? b : a;
        if (!r.empty()) add(r.x, r.y, r.width, r.height);
        continue;
      }
      const std::int64_t x0 = std::min(a.x, b.x), y0 = std::min(a.y, b.y);
      add(x0, y0, std::max(a.x + a.width, b.x + b.width) - x0, std::max(a.y + a.height, b.y + b.height) - y0);
    }
    if (black_.empty() && last_black_.empty()) {
      stale_ = true;  // nothing to hide: the source's frame as it is, and our copy falls behind
      return in;
    }

    const bool whole = stale_ || !in.changed || in.width != width_ || in.height != height_;
    width_ = in.width;
    height_ = in.height;
    const std::size_t stride = std::size_t{width_} * 4;
    changed_.clear();
    if (whole) {
      pixels_.resize(stride * height_);
      copy(in, frame);
    } else {
      for (const PixelRect& r : *in.changed) {
        const PixelRect c = r.intersected(frame);
        if (c.empty()) continue;
        copy(in, c);
        changed_.push_back(c);
      }
      if (black_ != last_black_) {
        for (const PixelRect& r : last_black_) {  // uncovered again: the screen's pixels
          copy(in, r);
          changed_.push_back(r);
        }
        changed_.insert(changed_.end(), black_.begin(), black_.end());
      }
    }
    for (const PixelRect& r : black_)
      for (std::int32_t y = r.y; y < r.bottom(); ++y)
        std::memset(pixels_.data() + std::size_t(y) * stride + std::size_t(r.x) * 4, 0, std::size_t(r.w) * 4);
    last_black_ = black_;
    stale_ = false;
    FrameRef out = in;
    out.pixels = pixels_.data();
    out.stride = stride;
    out.changed = whole ? std::nullopt : std::optional(std::span<const PixelRect>(changed_));
    return out;
  }

 private:
  struct Window {
    std::string spec;  // as given: an id, or part of a title to look for again once it closed
    xcb_window_t id = 0;
    bool gone = false;
    std::chrono::steady_clock::time_point look_again{};
  };

  // Copies the rectangle `r` (inside the frame) of `in` into our frame.
  void copy(const FrameRef& in, const PixelRect& r) {
    const std::size_t stride = std::size_t{width_} * 4, bytes = std::size_t(r.w) * 4;
    for (std::int32_t y = r.y; y < r.bottom(); ++y)
      std::memcpy(pixels_.data() + std::size_t(y) * stride + std::size_t(r.x) * 4,
                  in.pixels + std::size_t(y) * in.stride + std::size_t(r.x) * 4, bytes);
  }

  // Each excluded window's inside on the screen now (empty while it is not shown). A window
  // given by title that closed is looked for again once a second, so one opened again with that
  // title is hidden too.
  std::vector<x11::Rect> window_areas() {
    std::vector<x11::Rect> out;
    const auto now = std::chrono::steady_clock::now();
    for (Window& w : windows_) {
      if (w.gone && now >= w.look_again) {
        w.look_again = now + std::chrono::seconds(1);
        try {
          w.id = find_window(*display_, w.spec, "--exclude-window").id;
          w.gone = false;
        } catch (const std::invalid_argument&) {
        }
      }
      std::optional<WindowPlace> place;
      if (!w.gone) place = locate_window(*display_, w.id);
      if (!w.gone && !place) {
        w.gone = true;
        w.look_again = now + std::chrono::seconds(1);
        log::info("excluded window " + hex_id(w.id) + " (--exclude-window " + w.spec + ") closed");
      }
      out.push_back(place && place->viewable ? place->area : x11::Rect{});
    }
    return out;
  }

  std::unique_ptr<FrameSource> source_;
  Exclusions exclusions_;
  std::unique_ptr<X11Display> display_;  // our own connection, only for finding windows
  std::vector<Window> windows_;
  std::vector<PixelRect> black_, last_black_, changed_;  // in frame pixels
  std::vector<std::uint8_t> pixels_;                     // the frame handed on
  std::uint32_t width_ = 0, height_ = 0;
  bool stale_ = true;  // pixels_ is not the source's last frame (none yet, or passed through)
};

}  // namespace

std::string Exclusions::describe() const {
  std::string out;
  if (!windows.empty()) out = counted(windows.size(), "window");
  if (!regions.empty()) out += (out.empty() ? "" : " and ") + counted(regions.size(), "region");
  return out + " excluded";
}

std::optional<PixelRect> parse_rect_spec(std::string_view spec) {
  std::int32_t v[4] = {};
  const char* p = spec.data();
  const char* end = spec.data() + spec.size();
  for (int i = 0; i < 4; ++i) {
    const auto [next, ec] = std::from_chars(p, end, v[i]);
    const bool last = i == 3;
    if (ec != std::errc() || next == p || (last ? next != end : next == end || *next != ','))
      return std::nullopt;
    p = next + (last ? 0 : 1);
  }
  return PixelRect{v[0], v[1], v[2], v[3]};
}

std::unique_ptr<FrameSource> exclude_from(std::unique_ptr<FrameSource> source, const Exclusions& exclusions,
                                          const SourceOptions& options) {
  if (exclusions.empty()) return source;
  return std::make_unique<ExcludingSource>(std::move(source), exclusions, options);
}

}  // namespace screenreel::capture

// The live window (see display.hpp): frames handed over by the network thread, reduced
// (WindowImage) and drawn in X11 windows (X11Windows) where they changed.
#include "screenreel/receiver/display.hpp"

#include <opencv2/core.hpp>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "screenreel/archive/archive.hpp"
#include "x11_windows.hpp"

namespace screenreel::receiver {

Display::Display(Displayed displayed) : displayed_(std::move(displayed)), x11_(std::make_unique<X11Windows>()) {
  // OpenCV's own threads off: it would split the reduction of each frame (WindowImage) over TBB
  // workers that then spin on the cores the JPEG encoders need (1.4% of the receiver's CPU was
  // in TBB alone, perf on the video scene). The window is the only OpenCV work in the receiver.
  cv::setNumThreads(0);
}

Display::~Display() = default;

void Display::session_started(std::int64_t session_id, const std::string& title) {
  std::lock_guard lock(mutex_);
  auto& w = windows_[session_id];
  w.title = title;
  w.whole = true;  // a session that continues: frames between its connections were not shown
}

void Display::show(std::int64_t session_id, std::uint64_t frame_number, SharedFrame frame,
                   std::span<const PixelRect> changed) {
  // Beyond this many rectangles, reducing the whole frame is as cheap.
  constexpr std::size_t kMaxChanged = 512;
  std::lock_guard lock(mutex_);
  auto& w = windows_[session_id];
  if (!w.whole) w.changed.insert(w.changed.end(), changed.begin(), changed.end());
  if (w.changed.size() > kMaxChanged) w.whole = true;
  if (w.whole) w.changed.clear();
  w.number = frame_number;
  w.latest = std::move(frame);  // only the newest frame is kept: a slow window skips, never queues
  w.dirty = true;
  arrived_.notify_one();
}

void Display::session_ended(std::int64_t session_id) {
  std::lock_guard lock(mutex_);
  windows_[session_id].ended = true;
}

void Display::session_paused(std::int64_t session_id, bool paused) {
  std::lock_guard lock(mutex_);
  auto& w = windows_[session_id];
  w.paused = paused;
  w.retitle = true;
  arrived_.notify_one();
}

namespace {
std::string shown_title(const std::string& title, bool paused) { return paused ? title + " - paused" : title; }
}  // namespace

int Display::pump(int wait_ms) {
  struct Draw {
    std::int64_t session_id;
    std::uint64_t number;
    std::string title;
    SharedFrame frame;
    std::vector<PixelRect> changed;
    bool whole;
    std::uint32_t id;  // 0: create the window
  };
  std::vector<Draw> draws;
  std::vector<std::uint32_t> to_destroy;
  std::vector<std::pair<std::uint32_t, std::string>> titles;
  {
    std::lock_guard lock(mutex_);
    for (auto it = windows_.begin(); it != windows_.end();) {
      auto& w = it->second;
      if (w.ended) {
        if (w.id) to_destroy.push_back(w.id);
        images_.erase(it->first);
        it = windows_.erase(it);
        continue;
      }
      if (w.retitle && w.id) titles.emplace_back(w.id, shown_title(w.title, w.paused));
      w.retitle = false;
      if (w.dirty && w.latest && !w.closed) {
        // Taken, not kept: once drawn, the frame goes back to the decoder's pool.
        draws.push_back({it->first, w.number, shown_title(w.title, w.paused), std::move(w.latest),
                         std::move(w.changed), w.whole, w.id});
        w.changed.clear();
        w.whole = false;
        w.dirty = false;
      }
      if (w.closed) w.latest.reset();  // it keeps no frame
      ++it;
    }
  }
  for (auto& d : draws) {
    // Reduced here, once, and only what changed since the last draw; then only that is drawn.
    auto& image = images_[d.session_id];
    const cv::Mat& picture = image.update(*d.frame, d.changed, d.whole || !d.id);
    if (!d.id) {
      d.id = x11_->create(d.title, picture.cols, picture.rows);
      std::lock_guard lock(mutex_);
      windows_[d.session_id].id = d.id;
    }
    x11_->draw(d.id, picture, image.updated());
  }
  for (const auto& [id, title] : titles) x11_->set_title(id, title);
  for (const auto id : to_destroy) x11_->destroy(id);
  x11_->flush();
  if (!draws.empty() && displayed_) {
    const std::int64_t now = wall_clock_us();
    for (const auto& d : draws) displayed_(d.session_id, d.number, now);
  }
  const int key = x11_->poll();
  if (const auto closed = x11_->take_closed(); !closed.empty()) {
    std::lock_guard lock(mutex_);
    for (auto& [session, w] : windows_)
      if (std::find(closed.begin(), closed.end(), w.id) != closed.end()) {
        w.closed = true;
        w.id = 0;
        images_.erase(session);
      }
  }
  if (key >= 0 || !draws.empty()) return key;  // a busy stream is shown as fast as frames come
  std::unique_lock lock(mutex_);  // wait for a frame, drawn as soon as it comes
  arrived_.wait_for(lock, std::chrono::milliseconds(std::max(1, wait_ms)), [&] {
    for (const auto& [id, w] : windows_)
      if ((w.dirty && !w.closed) || w.ended || w.retitle) return true;
    return false;
  });
  return -1;
}

void Display::close_all() {
  std::lock_guard lock(mutex_);
  for (auto& [session, w] : windows_)
    if (w.id) {
      x11_->destroy(w.id);
      w.id = 0;
    }
  x11_->flush();
}

}  // namespace screenreel::receiver

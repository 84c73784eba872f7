// The live window (see display.hpp), drawn with OpenCV's highgui.
#include "screenreel/receiver/display.hpp"

#include "screenreel/archive.hpp"

#include <opencv2/core.hpp>
#include <opencv2/highgui.hpp>
#include <opencv2/imgproc.hpp>
#include <chrono>
#include <thread>
#include <vector>

namespace screenreel::receiver {

Display::Display(Displayed displayed) : displayed_(std::move(displayed)) {
  // OpenCV's own threads off: it would split the 0.35 ms reduction of each frame (below) over TBB
  // workers that then spin on the cores the JPEG encoders need (1.4% of the receiver's CPU was
  // in TBB alone, perf on the video scene). The window is the only OpenCV work in the receiver.
  cv::setNumThreads(0);
}

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

int Display::pump(int wait_ms) {
  struct Draw {
    std::int64_t session_id;
    std::uint64_t number;
    std::string title;
    SharedFrame frame;
    std::vector<PixelRect> changed;
    bool whole;
    bool create;
  };
  std::vector<Draw> draws;
  std::vector<std::string> to_destroy;
  {
    std::lock_guard lock(mutex_);
    for (auto it = windows_.begin(); it != windows_.end();) {
      auto& w = it->second;
      if (w.ended) {
        if (w.created) to_destroy.push_back(w.title);
        images_.erase(it->first);
        it = windows_.erase(it);
        continue;
      }
      if (w.dirty && w.latest) {
        // Taken, not kept: once drawn, the frame goes back to the decoder, which then draws the
        // next one into it in place (FrameDecoder::share).
        draws.push_back({it->first, w.number, w.title, std::move(w.latest), std::move(w.changed), w.whole, !w.created});
        w.changed.clear();
        w.whole = false;
        w.created = true;
        w.dirty = false;
      }
      ++it;
    }
  }
  for (auto& d : draws) {
    if (d.create) cv::namedWindow(d.title, cv::WINDOW_NORMAL | cv::WINDOW_KEEPRATIO | cv::WINDOW_GUI_NORMAL);
    // Reduced here, once, so the toolkit converts and paints window-sized pixels instead of
    // scaling the whole frame itself; only what changed since the last draw is reduced again.
    const cv::Mat& image = images_[d.session_id].update(*d.frame, d.changed, d.whole || d.create);
    if (d.create) cv::resizeWindow(d.title, image.cols, image.rows);
    cv::imshow(d.title, image);  // BGRX as is: highgui takes the 4th channel as alpha and ignores it
  }
  for (const auto& t : to_destroy) cv::destroyWindow(t);
  if (!draws.empty()) {
    // imshow hands the image over; the window is painted inside waitKey. Return right after, so a
    // busy stream is shown as fast as frames come.
    const int key = cv::waitKey(1);
    if (displayed_) {
      const std::int64_t now = wall_clock_us();
      for (const auto& d : draws) displayed_(d.session_id, d.number, now);
    }
    return key;
  }
  bool any_window = false;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, w] : windows_) any_window = any_window || w.created;
  }
  if (!any_window) {  // waitKey needs a window to wait on
    std::this_thread::sleep_for(std::chrono::milliseconds(std::max(1, wait_ms)));
    return -1;
  }
  const int key = cv::waitKey(1);  // window events
  if (key >= 0) return key;
  std::unique_lock lock(mutex_);  // then wait for a frame, drawn as soon as it comes
  arrived_.wait_for(lock, std::chrono::milliseconds(std::max(1, wait_ms - 1)), [&] {
    for (const auto& [id, w] : windows_)
      if (w.dirty || w.ended) return true;
    return false;
  });
  return -1;
}

void Display::close_all() {
  cv::destroyAllWindows();
  cv::waitKey(1);
}

}  // namespace screenreel::receiver

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
  windows_[session_id].title = title;
}

void Display::show(std::int64_t session_id, std::uint64_t frame_number, SharedFrame frame) {
  std::lock_guard lock(mutex_);
  auto& w = windows_[session_id];
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
        it = windows_.erase(it);
        continue;
      }
      if (w.dirty && w.latest) {
        // Taken, not kept: once drawn, the frame goes back to the decoder, which then draws the
        // next one into it in place (FrameDecoder::share).
        draws.push_back({it->first, w.number, w.title, std::move(w.latest), !w.created});
        w.created = true;
        w.dirty = false;
      }
      ++it;
    }
  }
  for (auto& d : draws) {
    if (d.create) cv::namedWindow(d.title, cv::WINDOW_NORMAL | cv::WINDOW_KEEPRATIO | cv::WINDOW_GUI_NORMAL);
    const FrameBuffer& f = *d.frame;
    // BGRX shown as is: highgui treats the 4th channel as alpha and ignores it.
    const cv::Mat view(static_cast<int>(f.height), static_cast<int>(f.width), CV_8UC4,
                       const_cast<std::uint8_t*>(f.pixels.data()), f.stride());
    // An integer reduction (1/2 for 1080p) to at most 1280 pixels wide: the fast area path.
    const int k = (view.cols + 1279) / 1280, ww = view.cols / k, wh = view.rows / k;
    if (d.create) cv::resizeWindow(d.title, ww, wh);
    // Scale to the window here, once, so the toolkit converts and paints window-sized pixels
    // instead of scaling the whole frame itself.
    if (ww != view.cols) {
      cv::resize(view, scaled_, cv::Size(ww, wh), 0, 0, cv::INTER_AREA);
      cv::imshow(d.title, scaled_);
    } else {
      cv::imshow(d.title, view);
    }
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

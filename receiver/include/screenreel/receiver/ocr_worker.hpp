// The receiver's OCR worker (--ocr): one low-priority thread that reads the text of each
// session's screen into the catalog's text index, never holding back the recording.
//
// The network thread hands it every frame's changed rectangles and pixels (frame()): that only
// marks tiles and keeps a reference to the newest frame, under a mutex held for microseconds.
// At most every `interval`, the worker reads the regions of a session's newest frame that
// changed since its last pass (screenreel::ocr::run_pass). When a pass takes longer than the
// interval, the changes of the frames meanwhile simply accumulate and the next pass covers them
// all (ocr_passes.frames > 1); no frame waits for OCR and none is dropped because of it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>

#include "screenreel/archive/catalog.hpp"
#include "screenreel/protocol/frame_codec.hpp"
#include "screenreel/ocr/dirty_tiles.hpp"
#include "screenreel/protocol/wire.hpp"

namespace screenreel::receiver {

struct OcrOptions {
  bool enabled = false;
  std::string lang = "eng";
  std::int64_t interval_us = 1'000'000;  // at most one pass a session this often
};

class OcrWorker {
 public:
  // Loads the language model at once, so that a missing one fails the receiver's start
  // (std::runtime_error saying which package to install), not a session.
  OcrWorker(CatalogLocation catalog, OcrOptions options);
  // Finishes the sessions that ended (their last pass), then stops.
  ~OcrWorker();
  OcrWorker(const OcrWorker&) = delete;
  OcrWorker& operator=(const OcrWorker&) = delete;

  // Frame `number` of a session, with the rectangles that changed since the frame before.
  void frame(std::int64_t session_id, std::uint64_t number, std::int64_t capture_us,
             std::shared_ptr<const FrameBuffer> pixels, std::span<const wire::RectView> changed);
  // No more frames: a last pass over what changed, then the session's index is complete.
  void session_ended(std::int64_t session_id);
  // The receiver made a new catalog (the old one was deleted): open it before the next pass, and
  // begin the live sessions' text index in it again.
  void catalog_replaced() { catalog_replaced_ = true; }

 private:
  struct Session {
    std::shared_ptr<const FrameBuffer> newest;
    std::uint64_t number = 0;
    std::int64_t capture_us = 0;
    std::optional<ocr::DirtyTiles> dirty;
    std::int64_t frames = 0;     // frames since the last pass
    std::int64_t last_pass = 0;  // steady clock, microseconds
    bool ended = false;
    std::int64_t ended_us = 0;
    // Worker thread only.
    bool begun = false;
    std::int64_t passes = 0, lines = 0, max_lag_us = 0;
  };
  void run();
  void pass(std::int64_t session_id, Session& s, std::unique_lock<std::mutex>& lock);

  CatalogLocation where_;
  OcrOptions options_;
  std::unique_ptr<ocr::Engine> engine_;
  std::unique_ptr<CatalogWriter> catalog_;  // the worker thread's own connection
  std::atomic<bool> catalog_replaced_{false};
  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::int64_t, Session> sessions_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace screenreel::receiver

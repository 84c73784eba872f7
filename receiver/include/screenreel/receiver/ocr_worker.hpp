// The receiver's OCR worker (--ocr): one low-priority thread that reads the text of each
// session's screen into the catalog's text index, never holding back the recording.
//
// The network thread hands it every frame's changed rectangles and pixels (frame()): that only
// marks tiles and keeps a reference to the newest frame, under a mutex held for microseconds.
// Which frames are read is decided there, in capture time, by the rule `screenreel-replay index`
// follows too (ocr::PassSchedule: the frame on screen at each due time, `interval` apart): such
// a frame is queued with the tiles changed since the last one queued, and the worker reads the
// queue in order (screenreel::ocr::run_pass). A worker that falls behind (it runs at the lowest
// priority) reads the same frames later, so a busy machine delays the index but does not thin
// it out; the frames a session has queued beyond kHeldFrames are let go and read back from
// their JPEGs, so memory stays bounded. No frame waits for OCR. A still screen's newest frame is
// read once it has been on screen until its due time.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
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
#include "screenreel/ocr/engine.hpp"
#include "screenreel/ocr/pass_schedule.hpp"
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
  // A frame to read, with what changed since the one read before it.
  struct Due {
    std::shared_ptr<const FrameBuffer> pixels;  // null: read it from its JPEG
    std::uint64_t number = 0;
    std::int64_t capture_us = 0;
    ocr::DirtyTiles dirty;
    std::int64_t frames = 0;  // frames whose changes `dirty` holds
  };
  // Frames queued with their pixels, per session; beyond that they are read from the archive.
  static constexpr std::size_t kHeldFrames = 1;
  struct Session {
    explicit Session(std::int64_t interval_us) : schedule(interval_us) {}
    std::shared_ptr<const FrameBuffer> newest;
    std::uint64_t number = 0;
    std::int64_t capture_us = 0;
    std::int64_t arrived = 0;              // steady clock, microseconds
    std::optional<ocr::DirtyTiles> dirty;  // changed since the last frame queued
    std::int64_t frames = 0;               // frames since the last frame queued
    ocr::PassSchedule schedule;
    std::deque<Due> due;
    bool ended = false;
    std::int64_t ended_us = 0;
    // Worker thread only.
    bool begun = false;
    std::int64_t passes = 0, lines = 0, max_lag_us = 0;
    std::int64_t last_seq = 0, last_capture_us = 0;  // the last frame read
  };
  void run();
  // Queues the session's newest frame with the changes since the last one queued.
  void queue_newest(Session& s);
  // The receiver is stopping: what is queued becomes one read of the newest frame, over all the
  // changes since the last read, as fast to stop as before; `screenreel-replay index --again`
  // rereads the session frame by frame.
  void collapse(Session& s);
  void pass(std::int64_t session_id, Session& s, std::unique_lock<std::mutex>& lock);
  // The pixels of a frame let go while queued, from its JPEG; nullopt when it cannot be read.
  std::optional<ocr::GrayImage> read_back(std::int64_t session_id, std::uint64_t number);

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

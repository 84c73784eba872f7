// The receiver's OCR worker (see ocr_worker.hpp).
#include "screenreel/receiver/ocr_worker.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "screenreel/archive/catalog.hpp"
#include "screenreel/common/clock.hpp"
#include "screenreel/common/log.hpp"
#include "screenreel/ocr/pass.hpp"
#include "screenreel/archive/text_index.hpp"

namespace screenreel::receiver {
namespace {

std::int64_t steady_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The worker runs under SCHED_IDLE: any recording thread that wakes up preempts it at once
// (at nice 19 it would still get its time slice first, and the client's ticks came late:
// docs/benchmarks.md, OCR). It is not starved for ever on a busy machine: CFS still gives idle
// threads a small share, so the index falls behind and catches up when the load drops.
void lower_this_threads_priority() {
  sched_param param{};
  if (::pthread_setschedparam(::pthread_self(), SCHED_IDLE, &param) != 0)
    ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 19);
}

}  // namespace

OcrWorker::OcrWorker(CatalogLocation catalog, OcrOptions options)
    : where_(std::move(catalog)),
      options_(std::move(options)),
      engine_(std::make_unique<ocr::Engine>(ocr::EngineOptions{options_.lang})) {
  thread_ = std::thread([this] { run(); });
}

OcrWorker::~OcrWorker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void OcrWorker::frame(std::int64_t session_id, std::uint64_t number, std::int64_t capture_us,
                      std::shared_ptr<const FrameBuffer> pixels,
                      std::span<const wire::RectView> changed) {
  std::lock_guard lock(mutex_);
  Session& s = sessions_[session_id];
  const auto w = static_cast<std::int32_t>(pixels->width),
             h = static_cast<std::int32_t>(pixels->height);
  if (!s.dirty || s.dirty->width() != w || s.dirty->height() != h) {
    s.dirty.emplace(w, h);  // a new size comes with a key frame: all of it is new
    s.dirty->mark_all();
  }
  // The frame before this one is the last on which these rectangles were unchanged.
  std::optional<FrameMoment> before;
  if (s.number) before = FrameMoment{static_cast<std::int64_t>(s.number), s.capture_us};
  for (const auto& r : changed) s.dirty->mark(r.area(), before);
  s.newest = std::move(pixels);
  s.number = number;
  s.capture_us = capture_us;
  ++s.frames;
  // Nothing to notify: the worker looks again when the session's interval is over.
}

void OcrWorker::session_ended(std::int64_t session_id) {
  {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(session_id);
    if (it == sessions_.end()) return;  // it never had a frame
    it->second.ended = true;
    it->second.ended_us = wall_clock_us();
  }
  cv_.notify_all();
}

void OcrWorker::run() {
  lower_this_threads_priority();
  std::unique_lock lock(mutex_);
  for (;;) {
    // The session whose pass is due first: one that ended, else the one waiting longest.
    const std::int64_t now = steady_us();
    std::int64_t due_id = 0, wait_us = options_.interval_us;
    bool due = false;
    for (auto& [id, s] : sessions_) {
      if (s.ended || (stopping_ && s.frames > 0)) {
        due_id = id, due = true;
        break;
      }
      if (s.frames == 0) continue;
      const std::int64_t left = s.last_pass + options_.interval_us - now;
      if (left <= 0 && (!due || s.last_pass < sessions_[due_id].last_pass)) due_id = id, due = true;
      if (left > 0) wait_us = std::min(wait_us, left);
    }
    if (due) {
      pass(due_id, sessions_[due_id], lock);
      continue;
    }
    if (stopping_) break;
    cv_.wait_for(lock, std::chrono::microseconds(wait_us));
  }
}

void OcrWorker::pass(std::int64_t session_id, Session& s, std::unique_lock<std::mutex>& lock) {
  // Take what the pass needs and let the network thread go on marking a fresh set of tiles.
  const auto pixels = s.newest;
  const ocr::PassInput in{session_id, static_cast<std::int64_t>(s.number), s.capture_us, s.frames};
  std::optional<ocr::DirtyTiles> dirty;
  if (s.dirty) {
    dirty = *s.dirty;
    s.dirty->clear();
  }
  const bool ended = s.ended;
  const std::int64_t ended_us = s.ended_us;
  s.frames = 0;
  s.last_pass = steady_us();
  lock.unlock();

  std::string error;
  try {
    if (catalog_replaced_.exchange(false)) {
      catalog_.reset();
      std::lock_guard relock(mutex_);
      for (auto& [id, other] : sessions_) other.begun = false;
    }
    // Deleted under us: the recorder makes a new one at its next commit and says so.
    if (catalog_ && catalog_->storage_lost()) throw std::runtime_error("the catalog was deleted; waiting for the new one");
    if (!catalog_) catalog_ = open_catalog_writer(where_);
    TextIndex index(*catalog_);
    if (!s.begun) {
      index.begin(session_id, "receiver", options_.lang, options_.interval_us);
      s.begun = true;
    }
    if (pixels && dirty && in.frames > 0) {
      const auto gray =
          ocr::gray_from_bgrx(pixels->pixels.data(), static_cast<std::int32_t>(pixels->width),
                              static_cast<std::int32_t>(pixels->height), pixels->stride());
      const auto report = ocr::run_pass(*engine_, index, in, gray, *dirty);
      ++s.passes;
      s.lines += static_cast<std::int64_t>(report.pass.lines.size());
      s.max_lag_us = std::max(s.max_lag_us, wall_clock_us() - in.capture_us);
    }
    if (ended) index.finish(session_id, in.seq, std::max(in.capture_us, ended_us));
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (!error.empty())
    log::info("session " + std::to_string(session_id) +
        ": OCR pass failed (recording goes on): " + error);
  if (ended)
    log::info("session " + std::to_string(session_id) + ": text index complete: " +
        std::to_string(s.passes) + " OCR passes, " + std::to_string(s.lines) +
        " lines read, at most " + std::to_string((s.max_lag_us + 500) / 1000) + " ms behind live");

  lock.lock();
  if (ended) sessions_.erase(session_id);
}

}  // namespace screenreel::receiver

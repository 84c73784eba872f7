// The receiver's OCR worker (see ocr_worker.hpp).
#include "screenreel/receiver/ocr_worker.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <numeric>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/catalog.hpp"
#include "screenreel/archive/jpeg.hpp"
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
  bool queued = false;
  {
    std::lock_guard lock(mutex_);
    Session& s = sessions_.try_emplace(session_id, options_.interval_us).first->second;
    // The frame before this one was on screen at the due time: that is the one to read.
    if (s.schedule.next_frame(capture_us) && s.frames > 0) queue_newest(s), queued = true;
    const auto w = static_cast<std::int32_t>(pixels->width),
               h = static_cast<std::int32_t>(pixels->height);
    if (!s.dirty || s.dirty->width() != w || s.dirty->height() != h) {
      if (s.frames > 0) queue_newest(s), queued = true;  // changes of another size: read them now
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
    s.arrived = steady_us();
    ++s.frames;
  }
  if (queued) cv_.notify_all();
}

void OcrWorker::queue_newest(Session& s) {
  Due d{s.newest, s.number, s.capture_us, *s.dirty, s.frames};
  // Beyond kHeldFrames the pixels are let go (the frame pool gets its buffer back): the worker
  // reads this frame from its JPEG, which is on disk long before the worker comes to it.
  if (s.due.size() >= kHeldFrames) d.pixels.reset();
  s.due.push_back(std::move(d));
  s.dirty->clear();
  s.frames = 0;
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
    // The first session with a frame due; else one that ended (its newest frame, then done);
    // else a still screen whose newest frame has been on screen until its due time (a little
    // later, so that a frame captured before that and still on its way counts first).
    const std::int64_t now = steady_us();
    std::int64_t wait_us = options_.interval_us;
    Session* found = nullptr;
    std::int64_t found_id = 0;
    for (auto& [id, s] : sessions_) {
      if (stopping_ && (s.due.size() > 1 || (!s.due.empty() && s.frames > 0))) collapse(s);
      if (!s.due.empty()) {
        found = &s, found_id = id;
        break;
      }
      if (s.frames == 0 && !s.ended) continue;
      if (s.ended || stopping_) {
        if (s.frames > 0) queue_newest(s);
        found = &s, found_id = id;
        break;
      }
      const std::int64_t read_at = s.arrived + (s.schedule.due_at() - s.capture_us) + options_.interval_us / 4;
      if (read_at <= now) {
        queue_newest(s);
        found = &s, found_id = id;
        break;
      }
      wait_us = std::min(wait_us, read_at - now);
    }
    if (found) {
      pass(found_id, *found, lock);
      continue;
    }
    if (stopping_) break;
    cv_.wait_for(lock, std::chrono::microseconds(wait_us));
  }
}

void OcrWorker::collapse(Session& s) {
  if (s.frames > 0) queue_newest(s);
  Due last = std::move(s.due.back());
  s.due.pop_back();
  ocr::DirtyTiles all = s.due.front().dirty;  // the oldest first: each tile keeps its first change
  for (const Due& d : s.due) all.merge(d.dirty);
  all.merge(last.dirty);
  last.frames += std::accumulate(s.due.begin(), s.due.end(), std::int64_t{0},
                                 [](std::int64_t n, const Due& d) { return n + d.frames; });
  last.dirty = std::move(all);
  s.due.clear();
  s.due.push_back(std::move(last));
}

std::optional<ocr::GrayImage> OcrWorker::read_back(std::int64_t session_id, std::uint64_t number) {
  const auto session = catalog_->session(session_id);
  if (!session) return std::nullopt;
  const auto file = ArchivePaths(where_.file.parent_path()).session(session->folder) / frame_file_name(number);
  std::ifstream in(file, std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  auto image = decode_jpeg_bgr(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  if (!in || !image) return std::nullopt;
  return ocr::gray_from_bgr(image->bgr.data(), static_cast<std::int32_t>(image->width),
                            static_cast<std::int32_t>(image->height), std::size_t{image->width} * 3);
}

void OcrWorker::pass(std::int64_t session_id, Session& s, std::unique_lock<std::mutex>& lock) {
  // Take the frame to read and let the network thread go on.
  std::optional<Due> due;
  if (!s.due.empty()) {
    due.emplace(std::move(s.due.front()));
    s.due.pop_front();
  }
  const bool ended = (s.ended || stopping_) && s.due.empty() && s.frames == 0;
  const std::int64_t ended_us = s.ended_us;
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
    if (due) {
      const ocr::PassInput in{session_id, static_cast<std::int64_t>(due->number), due->capture_us, due->frames};
      std::optional<ocr::GrayImage> gray;
      if (due->pixels)
        gray = ocr::gray_from_bgrx(due->pixels->pixels.data(), static_cast<std::int32_t>(due->pixels->width),
                                   static_cast<std::int32_t>(due->pixels->height), due->pixels->stride());
      else
        gray = read_back(session_id, due->number);
      due->pixels.reset();
      if (!gray) throw std::runtime_error("frame " + std::to_string(due->number) + " cannot be read back from its JPEG");
      const auto report = ocr::run_pass(*engine_, index, in, *gray, due->dirty);
      ++s.passes;
      s.lines += static_cast<std::int64_t>(report.pass.lines.size());
      s.max_lag_us = std::max(s.max_lag_us, wall_clock_us() - in.capture_us);
      s.last_seq = in.seq;
      s.last_capture_us = in.capture_us;
    }
    if (ended) index.finish(session_id, s.last_seq, std::max(s.last_capture_us, ended_us));
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

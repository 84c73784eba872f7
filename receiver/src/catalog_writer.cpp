// The recorder's catalog writer (see recorder.hpp): the one thread that writes frame rows and
// session ends to the catalog, in batches, and the disk reserve that lets it finish on a full disk.
#include "screenreel/receiver/recorder.hpp"

#include <chrono>

#include "screenreel/archive/session_files.hpp"
#include "screenreel/archive/rebuild.hpp"
#include "screenreel/archive/session_events.hpp"
#include "screenreel/archive/session_manifest.hpp"
#include "screenreel/common/log.hpp"

namespace screenreel::receiver {
namespace fs = std::filesystem;

namespace {
constexpr std::size_t kBatchRows = 64;
constexpr auto kBatchWait = std::chrono::milliseconds(100);
constexpr std::int64_t kDisplayedKeepUs = 10'000'000;
constexpr std::size_t kReserveBytes = 2u << 20;
constexpr std::int64_t kRetentionEveryUs = 2'000'000;
}  // namespace

// A full disk must not keep the catalog from recording what was written and how each session
// ended: the receiver keeps a small file it deletes to make room for those last commits.
void Recorder::make_reserve() {
  std::error_code ec;
  if (fs::exists(paths_.reserve(), ec)) return;
  try {
    write_file_atomic(paths_.root(), paths_.reserve().filename().string(), std::vector<std::uint8_t>(kReserveBytes));
  } catch (const std::exception&) {
    // No room even for this: recording will stop at once anyway, with the disk's own error.
  }
}

bool Recorder::release_reserve() {
  std::error_code ec;
  disk_full_ = true;  // no more frames: what room there is goes to the catalog
  if (!fs::remove(paths_.reserve(), ec)) return false;
  log::info("the disk is full: recording stops; released the " + std::to_string(kReserveBytes >> 20) +
            " MB reserve so that the catalog records the frames written and how the sessions ended");
  return true;
}

void Recorder::with_reserve(const std::function<void()>& write) {
  try {
    write();
  } catch (const CatalogError&) {
    if (!release_reserve()) throw;
    write();
  }
}

void Recorder::update_manifest(const fs::path& dir, const SessionRecord& s) {
  try {
    write_session_manifest(dir, s);
  } catch (const std::exception& e) {
    log::warning("session " + std::to_string(s.id) + "'s manifest was not updated (" + e.what() +
                 "): a catalog rebuilt from the folders would take it as crashed");
  }
}

void Recorder::keep_events(const SessionEvents& events) {
  std::map<std::int64_t, SessionEvents> by_session;
  for (const auto& m : events.markers) by_session[m.session_id].markers.push_back(m);
  for (const auto& p : events.pauses) by_session[p.session_id].pauses.push_back(p);
  for (const auto& e : events.pause_ends) by_session[e.session_id].pause_ends.push_back(e);
  for (const auto& [id, kept] : by_session) {
    try {
      std::optional<fs::path> dir;
      {
        std::lock_guard lock(mutex_);
        if (const auto it = active_.find(id); it != active_.end())
          if (const auto s = it->second.lock()) dir = s->dir_;
      }
      if (!dir) {  // it ended before its last events came
        const auto s = catalog_->session(id);
        if (!s || !is_plain_file_name(s->folder)) continue;
        dir = paths_.session(s->folder);
      }
      append_session_events(*dir, kept);
    } catch (const std::exception& e) {
      log::warning("session " + std::to_string(id) + "'s markers or pauses were not kept in its folder (" + e.what() +
                   "): a catalog rebuilt from the folders would not have them");
    }
  }
}

void Recorder::rebuild_lost_catalog() {
  const std::string path = paths_.catalog().string();
  log::error("the catalog " + path + " was deleted or replaced while recording; making a new one from the "
             "session folders (their manifests and frame stamps). Recording goes on");
  RebuildOptions options;
  options.lock_held = true;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, weak] : active_) {
      const auto s = weak.lock();
      if (!s) continue;
      // The rows already committed: an unbroken run, and some past a gap. The rest come in
      // later batches.
      std::set<std::int64_t> stored;
      for (const auto& later : s->stored_later_) stored.insert(static_cast<std::int64_t>(later.first));
      const auto through = static_cast<std::int64_t>(s->stored_through_);
      options.live[id] = [through, stored](std::int64_t seq) { return seq <= through || stored.count(seq) > 0; };
    }
  }
  catalog_.reset();
  if (ocr_) ocr_->catalog_replaced();
  const RebuildReport report = rebuild_catalog(paths_, options);
  catalog_ = open_catalog_writer(paths_.catalog());
  for (const auto& w : report.warnings) log::warning("catalog rebuild: " + w);
  log::error("the catalog " + path + " was made again: " + std::to_string(report.sessions) + " sessions, " +
             std::to_string(report.frames) + " frames" +
             (report.kept_aside.empty() ? std::string() : "; what was left of the old one is " + report.kept_aside) +
             ". Frame display times and the text index of earlier sessions are not in it: run "
             "'screenreel-replay index --all' to read their text again");
}

std::vector<Recorder::Done> Recorder::chain_in_order(std::deque<Done> batch) {
  for (auto& d : held_) batch.push_back(std::move(d));
  held_.clear();
  std::stable_sort(batch.begin(), batch.end(), [](const Done& a, const Done& b) {
    return a.session != b.session ? a.session < b.session : a.number < b.number;
  });
  std::vector<Done> ready;
  for (auto& d : batch) {
    SessionWriter& s = *d.session;
    if (d.number != s.chain_seq_ + 1) {
      held_.push_back(std::move(d));  // a frame before it has not finished yet
      continue;
    }
    s.chain_seq_ = d.number;
    // A frame that failed has no row and no link: the chain goes on over the rows there are,
    // as verify --integrity walks them.
    if (d.row && d.row->sha256) {
      s.chain_ = chain_link(s.chain_, *d.row->sha256, d.row->seq, d.row->capture_us);
      d.row->chain = s.chain_;
    }
    ready.push_back(std::move(d));
  }
  return ready;
}

void Recorder::seal(SessionWriter& s) {
  if (!options_.chain || s.chain_broken_ || s.stored_ == 0) return;
  try {
    const auto statement = head_statement(s.record_.id, s.stored_, s.chain_);
    catalog_->seal_session(s.record_.id, s.chain_, s.stored_, signing_key_->sign(statement),
                           signing_key_->public_key());
  } catch (const std::exception& e) {
    log::warning("session " + std::to_string(s.record_.id) + "'s chain of frames was not signed: " + e.what());
  }
}

void Recorder::catalog_loop() {
  std::int64_t next_retention_us = 0;
  for (;;) {
    std::deque<Done> batch;
    std::vector<DisplayedAt> displayed;
    SessionEvents events;
    std::vector<std::shared_ptr<SessionWriter>> to_end;
    bool exit = false;
    {
      std::unique_lock lock(mutex_);
      done_cv_.wait_for(lock, kBatchWait, [&] {
        return finished_.size() >= kBatchRows || !closing_.empty() || encoders_running_ == 0;
      });
      batch.swap(finished_);
      displayed.swap(displayed_);
      std::swap(events, events_);
      exit = encoders_running_ == 0 && finished_.empty();
    }
    if (exit && !held_.empty()) {
      // Never the case in practice (every number gets a Done); if it were, the rows go in
      // without their links rather than not at all.
      log::warning(std::to_string(held_.size()) + " frame rows reached the catalog without their chain links");
      for (auto& d : held_) batch.push_back(std::move(d));
      held_.clear();
    } else {
      batch = [&] {
        auto ready = chain_in_order(std::move(batch));
        return std::deque<Done>(std::make_move_iterator(ready.begin()), std::make_move_iterator(ready.end()));
      }();
    }
    std::vector<FrameRecord> rows;
    rows.reserve(batch.size());
    for (const auto& d : batch)
      if (d.row) rows.push_back(*d.row);
    std::string commit_error;
    std::vector<DisplayedAt> later;
    try {
      std::lock_guard lock(catalog_mutex_);
      if (catalog_->storage_lost()) rebuild_lost_catalog();
      if (disk_limits().retention.any() && wall_clock_us() >= next_retention_us) {
        next_retention_us = wall_clock_us() + kRetentionEveryUs;
        // Retention reads the catalog: one that does not answer (its rows journaled meanwhile)
        // postpones it, never costs the batch its rows.
        try {
          apply_retention();
        } catch (const CatalogError& e) {
          if (e.kind() != CatalogError::Kind::kUnreachable) throw;
        }
      }
      // Markers and ledger runs are few and small; one that cannot be written costs the session
      // its record of that moment, never its frames. The folder's copy first: a rebuild (above,
      // or later) finds there what the catalog holds.
      keep_events(events);
      try {
        with_reserve([&] { catalog_->add_events(events); });
      } catch (const std::exception& e) {
        log::warning(std::string("markers, pauses or the drop ledger were not written: ") + e.what());
      }
      const auto commit_start = std::chrono::steady_clock::now();
      with_reserve([&] { later = catalog_->add_frames(rows, displayed); });
      if (!rows.empty())
        commit_times_.add(std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                                commit_start)
                              .count());
    } catch (const std::exception& e) {
      commit_error = std::string("catalog write failed: ") + e.what();
    }
    // A frame can be shown before its row exists; its display time waits for the row, but not
    // for ever (a frame that failed to write never gets one).
    const std::int64_t too_old = wall_clock_us() - kDisplayedKeepUs;
    std::erase_if(later, [&](const DisplayedAt& d) { return d.displayed_us < too_old; });
    {
      std::lock_guard lock(mutex_);
      displayed_.insert(displayed_.end(), later.begin(), later.end());
      for (const auto& d : batch) {
        auto& s = *d.session;
        ++s.finished_;
        if (d.row && commit_error.empty()) {
          ++s.stored_;
          // Frames finish out of order (several encoders): stored_tick covers only an unbroken run.
          s.stored_later_.emplace(static_cast<std::uint64_t>(d.row->seq), d.row->tick);
          while (!s.stored_later_.empty() && s.stored_later_.begin()->first == s.stored_through_ + 1) {
            s.stored_tick_ = s.stored_later_.begin()->second;
            ++s.stored_through_;
            s.stored_later_.erase(s.stored_later_.begin());
          }
        }
        if (!commit_error.empty() && !s.error_) s.error_ = commit_error;
      }
      for (auto it = closing_.begin(); it != closing_.end();) {
        if ((*it)->finished_ == (*it)->submitted_) {
          to_end.push_back(*it);
          it = closing_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (const auto& s : to_end) {
      auto& c = *s->close_;
      std::string reason = c.reason, error = c.error;
      if (auto e = s->storage_error(); e && error.empty()) {
        reason = "error";
        error = *e;
      }
      try {
        std::lock_guard lock(catalog_mutex_);
        with_reserve([&] { catalog_->end_session(s->record_.id, wall_clock_us(), reason, error, c.dropped); });
        seal(*s);
      } catch (const std::exception& e) {
        log::info("cannot mark session " + std::to_string(s->record_.id) + " ended: " + e.what());
      }
      try {
        std::lock_guard lock(catalog_mutex_);
        if (const auto ended = catalog_->session(s->record_.id)) update_manifest(s->dir_, *ended);
      } catch (const std::exception& e) {
        // Its end is journaled (the database does not answer): the manifest says so next time.
        log::warning("session " + std::to_string(s->record_.id) + "'s manifest was not updated (" + e.what() + ")");
      }
      bool none_left = false;
      {
        std::lock_guard lock(mutex_);
        active_.erase(s->record_.id);  // it can be resumed from now on
        none_left = active_.empty();
      }
      if (none_left) give_back_memory();
      if (c.done) c.done(s->stored_);
    }
    if (exit) {
      std::lock_guard lock(mutex_);
      if (closing_.empty() || encoders_running_ == 0) break;
    }
  }
}

void Recorder::add_events(SessionEvents events) {
  if (events.empty()) return;
  {
    std::lock_guard lock(mutex_);
    append_events(events_, events);
  }
  done_cv_.notify_all();
}

}  // namespace screenreel::receiver

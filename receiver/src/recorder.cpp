// The receiver's storage pipeline (see recorder.hpp).
#include "screenreel/receiver/recorder.hpp"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <system_error>

#include "screenreel/archive/activity.hpp"
#include "screenreel/archive/catalog_journal.hpp"
#include "screenreel/archive/integrity.hpp"
#include "screenreel/archive/jpeg.hpp"
#include "screenreel/archive/retention.hpp"
#include "resume_secret.hpp"
#include "screenreel/archive/session_files.hpp"
#include "screenreel/archive/session_manifest.hpp"
#include "screenreel/common/log.hpp"

namespace screenreel::receiver {
namespace fs = std::filesystem;

void Recorder::give_back_memory() { pool_->release_all(); }

std::shared_ptr<FrameBuffer> Recorder::acquire_buffer(std::uint32_t width, std::uint32_t height) {
  return pool_->acquire(width, height);
}

Recorder::Recorder(const ArchivePaths& paths, RecorderOptions options)
    : paths_(paths),
      options_(options),
      where_(options.catalog.value_or(CatalogLocation(paths.catalog()))),
      limits_{options.min_free_bytes, options.retention},
      catalog_((fs::create_directories(paths.sessions()), open_writer())),
      pool_(FramePool::create()) {
  // Session folders are made inside the archive, never through a link planted in it.
  if (fs::is_symlink(paths_.sessions()))
    throw std::runtime_error(paths_.sessions().string() +
                             " is a symbolic link: the receiver writes only inside the archive (remove the link, or "
                             "give --archive the folder it points to)");
  resume_secret_ = load_or_create_resume_secret(paths_.resume_secret());
  signing_key_ = std::make_unique<SigningKey>(SigningKey::load_or_create(paths_.signing_key()));
  if (!options_.chain)
    log::warning("SCREENREEL_BENCH_NO_CHAIN is set (a benchmark hook): the sessions recorded now have no "
                 "tamper-evidence chain and no signed head");
  // A damaged catalog is reported before anything is written into it.
  if (const std::string check = catalog_->integrity_check(true); check != "ok")
    throw std::runtime_error("the catalog " + where_.describe() + " is damaged (" + check +
                             "): the receiver does not write into it. See what is wrong with 'screenreel-replay "
                             "--archive " + paths_.root().string() + " verify', repair it with 'recover', or make a "
                             "new one from the session folders with 'rebuild' (it keeps the damaged one aside)");
  make_reserve();
  recovered_ = recover_open_sessions(paths_, *catalog_);
  unsigned n = options_.encoder_threads ? options_.encoder_threads : std::max(1u, std::thread::hardware_concurrency());
  capacity_ = options_.queue_frames ? options_.queue_frames : 2 * n;
  JpegEncoder probe(options_.jpeg_quality);  // rejects a bad quality here, not in a worker
  // Before any thread starts: a missing language model stops the receiver here.
  if (options_.ocr.enabled) ocr_ = std::make_unique<OcrWorker>(where_, options_.ocr);
  encoders_running_ = n;
  for (unsigned i = 0; i < n; ++i) encoders_.emplace_back([this] { encoder_loop(); });
  catalog_thread_ = std::thread([this] { catalog_loop(); });
}

// The seam where catalog writes leave the receiver: a catalog on a server gets the archive's
// journal in front of it, so that a database that does not answer never stops a recording.
std::unique_ptr<CatalogWriter> Recorder::open_writer() const {
  if (!where_.postgresql()) return open_catalog_writer(where_);
  return open_journaled_catalog_writer(where_, catalog_journal_path(paths_.root()), options_.catalog_journal_bytes);
}

Recorder::~Recorder() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  done_cv_.notify_all();
  for (auto& t : encoders_) t.join();
  catalog_thread_.join();
}

void Recorder::check_free_space(const fs::path& dir) {
  const std::int64_t now = wall_clock_us();
  if (now - free_checked_us_.load() < 500'000) return;
  free_checked_us_ = now;
  struct statvfs st {};
  if (::statvfs(dir.c_str(), &st) != 0) return;  // cannot tell: the writes themselves will say
  std::uint64_t free_bytes = std::uint64_t{st.f_bavail} * st.f_frsize;
  const DiskLimits limits = disk_limits();
  if (free_bytes < limits.min_free_bytes && limits.retention.any()) {
    // Retention first: old sessions make room, and recording goes on.
    {
      std::lock_guard lock(catalog_mutex_);
      apply_retention(static_cast<std::int64_t>(limits.min_free_bytes - free_bytes) + (16 << 20),
                      "min-free " + std::to_string(limits.min_free_bytes >> 20) + " MB");
    }
    if (::statvfs(dir.c_str(), &st) == 0) free_bytes = std::uint64_t{st.f_bavail} * st.f_frsize;
  }
  if (free_bytes < limits.min_free_bytes) {
    free_checked_us_ = 0;  // check again next time: space may come back
    throw std::runtime_error("only " + std::to_string(free_bytes >> 20) + " MB free where the archive is, below --min-free " +
                             std::to_string(limits.min_free_bytes >> 20) +
                             " MB: recording stopped before the disk fills (free some space, or use another --archive)");
  }
}

void Recorder::ensure_room(const fs::path& dir) {
  if (disk_full_)
    throw std::runtime_error("No space left on device: the archive's disk is full (free some space, or use "
                             "another --archive)");
  check_free_space(dir);
}

void Recorder::set_disk_limits(const DiskLimits& limits) {
  std::lock_guard lock(limits_mutex_);
  limits_ = limits;
}

DiskLimits Recorder::disk_limits() const {
  std::lock_guard lock(limits_mutex_);
  return limits_;
}

void Recorder::apply_retention(std::int64_t free_bytes, const std::string& why) {
  std::set<std::int64_t> live;
  {
    std::lock_guard lock(mutex_);
    for (const auto& entry : active_) live.insert(entry.first);
  }
  for (const auto& p : sessions_to_prune(catalog_->sessions(), disk_limits().retention, wall_clock_us(), live, free_bytes, why)) {
    try {
      delete_session_safely(paths_, *catalog_, p.session, p.reason);
      log::info("retention (" + p.reason + "): deleted session " + std::to_string(p.session.id) + " '" + p.session.name +
                "', " + std::to_string(p.session.frame_count) + " frames, " + std::to_string(p.session.bytes >> 20) +
                " MB freed");
    } catch (const std::exception& e) {
      log::warning("retention (" + p.reason + "): session " + std::to_string(p.session.id) + " not deleted: " + e.what());
    }
  }
}

// The archive's sessions folder, made again when someone removed it while the receiver ran
// (never through a link: whatever stands there instead is an error to report).
void Recorder::ensure_sessions_folder() {
  const fs::path dir = paths_.sessions();
  if (::mkdir(dir.c_str(), 0755) == 0) {
    log::warning(dir.string() + " was removed while recording; made it again (sessions recorded before are gone)");
    return;
  }
  if (errno != EEXIST)
    throw std::runtime_error("cannot make " + dir.string() + ": " + std::strerror(errno) + " (check the archive folder)");
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw std::runtime_error(dir.string() + " is not a folder (a link or a file stands there): the receiver writes "
                             "only inside the archive; remove it");
}

std::shared_ptr<SessionWriter> Recorder::open_session(const NewSession& s) {
  if (disk_full_) {  // room again (someone freed some)? then the reserve comes first
    make_reserve();
    std::error_code ec;
    if (!fs::exists(paths_.reserve(), ec))
      throw std::runtime_error("No space left on device: the archive's disk is full (free some space)");
    disk_full_ = false;
  }
  free_checked_us_ = 0;
  check_free_space(paths_.root());
  ensure_sessions_folder();
  SessionRecord rec;
  {
    std::lock_guard lock(catalog_mutex_);
    rec = catalog_->create_session(s);
  }
  const fs::path dir = paths_.session(rec.folder);
  // The folder name is ours and new: anything already there (a folder, or a link to one planted
  // by someone who guessed the name) is an error, and so is any failure to make it. Either way
  // the session's row goes again: it holds nothing, and an empty error row helps nobody.
  std::error_code ec;
  if (!fs::create_directory(dir, ec)) {
    const std::string why = ec ? ec.message() : "it already exists";
    {
      std::lock_guard lock(catalog_mutex_);
      catalog_->forget_empty_session(rec.id);
    }
    throw std::runtime_error("cannot create session folder " + dir.string() + ": " + why);
  }
  // The catalog is never the only copy of the session. Not written (a full disk): the session
  // starts all the same, and its first frame meets the same disk with the usual clean end.
  update_manifest(dir, rec);
  std::shared_ptr<SessionWriter> writer(new SessionWriter(*this, std::move(rec), dir));
  {
    std::lock_guard lock(mutex_);
    active_[writer->record_.id] = writer;
  }
  return writer;
}

std::shared_ptr<SessionWriter> Recorder::open_buffer(const NewSession& s) {
  SessionRecord rec;
  rec.name = s.name;
  rec.client_address = s.client_address;
  rec.source = s.source;
  rec.width = s.width;
  rec.height = s.height;
  rec.fps = s.fps;
  rec.started_us = s.started_us;
  {
    std::lock_guard lock(mutex_);
    rec.id = -++buffers_opened_;
  }
  return std::shared_ptr<SessionWriter>(new SessionWriter(*this, std::move(rec), {}, 1, 0, true));
}

void Recorder::keep_in_buffer(SessionWriter& s, std::shared_ptr<const BufferedFrame> frame) {
  s.stored_tick_ = frame->tick;  // held here: the client need not keep it (a kill loses it, as it would the buffer)
  s.buffer_bytes_ += frame->jpeg.size();
  const std::int64_t newest = frame->capture_us;
  s.buffer_.push_back(std::move(frame));
  const ReplayBufferLimits& limits = options_.buffer;
  while (s.buffer_.size() > 1 &&
         ((limits.keep_us > 0 && s.buffer_.front()->capture_us < newest - limits.keep_us) ||
          (limits.max_bytes > 0 && s.buffer_bytes_ > limits.max_bytes))) {
    s.buffer_bytes_ -= s.buffer_.front()->jpeg.size();
    s.buffer_.pop_front();
    ++s.buffer_dropped_;
  }
}

Recorder::Saved Recorder::save_buffer(const std::shared_ptr<SessionWriter>& buffer, const NewSession& s) {
  std::deque<std::shared_ptr<const BufferedFrame>> frames;
  std::int64_t stored_tick = 0, dropped = 0;
  {
    // Every frame submitted to it is encoded (into the buffer) first: the encoders never wait
    // for this thread, so this is a wait of a few frames at most.
    std::unique_lock lock(mutex_);
    written_cv_.wait(lock, [&] { return buffer->strips_frame_ + 1 == buffer->next_number_ || buffer->error_; });
    frames.swap(buffer->buffer_);
    buffer->buffer_bytes_ = 0;
    dropped = std::exchange(buffer->buffer_dropped_, 0);
    stored_tick = buffer->stored_tick_.load();
  }
  Saved saved;
  saved.session = open_session(s);
  saved.session->stored_tick_ = stored_tick;  // what ACKs said is held stays held
  saved.frames = frames.size();
  saved.dropped = dropped;
  if (!frames.empty()) {
    saved.first_tick = frames.front()->tick;
    saved.last_tick = frames.back()->tick;
    saved.first_number = frames.front()->number;
  }
  for (auto& f : frames) {
    FrameJob job{f->tick, f->capture_us, f->receive_us, nullptr, false, {}, nullptr, f};
    submit(saved.session, std::move(job), [](std::uint64_t) {});
  }
  return saved;
}

std::size_t Recorder::discard_buffer(SessionWriter& buffer) {
  std::lock_guard lock(mutex_);
  const std::size_t n = buffer.buffer_.size();
  buffer.buffer_.clear();
  buffer.buffer_bytes_ = 0;
  buffer.buffer_dropped_ = 0;
  return n;
}

wire::ResumeKey Recorder::resume_key(std::int64_t session_id) const {
  return screenreel::resume_key(resume_secret_, static_cast<std::uint64_t>(session_id));
}

Recorder::Resume Recorder::resume_session(std::int64_t id, const wire::ResumeKey& key,
                                          std::shared_ptr<SessionWriter>& out, std::string& why) {
  // The key first, so that an unknown id and a wrong key look the same from outside.
  if (!resume_keys_equal(key, resume_key(id))) {
    why = "wrong resume key or unknown session";
    return Resume::kRefused;
  }
  {
    std::lock_guard lock(mutex_);
    if (active_.count(id)) return Resume::kBusy;
  }
  free_checked_us_ = 0;
  check_free_space(paths_.root());  // before the catalog's lock: it may prune (retention)
  std::lock_guard lock(catalog_mutex_);
  const auto rec = catalog_->session(id);
  if (!rec) {
    why = "no such session in this archive";
    return Resume::kRefused;
  }
  if (rec->end_reason != "disconnected" && rec->end_reason != "crashed") {
    why = "it ended as '" + (rec->end_reason.empty() ? std::string("recording") : rec->end_reason) +
          "', not by a lost connection";
    return Resume::kRefused;
  }
  const fs::path dir = paths_.session(rec->folder);
  std::error_code ec;
  if (!is_plain_file_name(rec->folder) || fs::is_symlink(dir, ec) || !fs::is_directory(dir, ec)) {
    why = "its folder sessions/" + rec->folder + " is gone";
    return Resume::kRefused;
  }
  const auto reopened = catalog_->reopen_session(id);
  for (const auto& file : reopened.removed_files) fs::remove(dir / file, ec);  // sent again by the client
  const SessionRecord now = *catalog_->session(id);
  update_manifest(dir, now);
  out.reset(new SessionWriter(*this, now, dir, static_cast<std::uint64_t>(reopened.last_seq) + 1, reopened.last_tick));
  out->resumed_accounted_tick_ = std::max(reopened.last_tick, reopened.last_ledger_tick);
  // The chain goes on from the last frame kept; a session recorded before chains starts one.
  if (reopened.last_chain) out->chain_ = *reopened.last_chain;
  else if (reopened.last_seq > 0) out->chain_broken_ = true;
  {
    std::lock_guard lock2(mutex_);
    active_[id] = out;
  }
  if (!reopened.removed_files.empty())
    why = std::to_string(reopened.removed_files.size()) + " frame file(s) after a missing one removed, to be sent again";
  return Resume::kResumed;
}

std::optional<std::uint64_t> SessionWriter::submit(FrameJob job, Accepted accepted) {
  return recorder_.submit(shared_from_this(), std::move(job), std::move(accepted));
}

std::optional<std::string> SessionWriter::storage_error() const {
  std::lock_guard lock(recorder_.mutex_);
  return error_;
}

void SessionWriter::close(std::string reason, std::string error, std::int64_t dropped,
                          std::function<void(std::int64_t)> done) {
  {
    std::lock_guard lock(recorder_.mutex_);
    close_ = Close{std::move(reason), std::move(error), dropped, std::move(done)};
    recorder_.closing_.push_back(shared_from_this());
  }
  recorder_.done_cv_.notify_all();
  if (recorder_.ocr_) recorder_.ocr_->session_ended(record_.id);
}

std::optional<std::uint64_t> Recorder::submit(const std::shared_ptr<SessionWriter>& s, FrameJob job,
                                              SessionWriter::Accepted accepted) {
  std::uint64_t number, repeat_of = 0, builds_on = 0;
  bool whole = false;
  {
    std::lock_guard lock(mutex_);
    if (s->error_ || s->close_) return std::nullopt;
    number = s->next_number_++;
    ++s->submitted_;
    if (job.saved) {
      // A saved buffer's JPEG, written as it is: the next encoded frame starts the strips afresh.
    } else if (job.repeat && s->last_encoded_ != 0 && !s->buffering_) {
      repeat_of = s->last_encoded_;
    } else {  // a buffering session's repeats are encoded too: its buffer keeps no links
      builds_on = s->last_encoded_;
      whole = builds_on == 0 || s->last_width_ != job.pixels->width || s->last_height_ != job.pixels->height;
      s->last_encoded_ = number;
      s->last_width_ = job.pixels->width;
      s->last_height_ = job.pixels->height;
    }
    if (queue_.size() >= capacity_ || !parked_.empty()) {
      parked_.push_back(Pending{s, number, repeat_of, builds_on, whole, std::move(job), std::move(accepted)});
      return number;
    }
    queue_.push_back(Pending{s, number, repeat_of, builds_on, whole, std::move(job), nullptr});
  }
  work_cv_.notify_one();
  accepted(number);
  return number;
}

void Recorder::note_changes(std::int64_t session_id, std::uint64_t number, std::int64_t capture_us,
                            const SharedFrame& pixels, std::span<const wire::RectView> changed) {
  if (ocr_) ocr_->frame(session_id, number, capture_us, pixels, changed);
}

void Recorder::note_displayed(std::int64_t session_id, std::uint64_t number, std::int64_t displayed_us) {
  std::lock_guard lock(mutex_);
  displayed_.push_back(DisplayedAt{session_id, static_cast<std::int64_t>(number), displayed_us});
}

// Encodes (or links) one frame into its file; returns its row, or nothing when it failed.
std::optional<FrameRecord> Recorder::store(Pending& p, JpegEncoder& jpeg, std::vector<std::uint8_t>& out) {
  SessionWriter& s = *p.session;
  const std::string name = frame_file_name(p.number);
  FrameRecord row;
  row.session_id = s.record_.id;
  row.seq = static_cast<std::int64_t>(p.number);
  row.tick = p.job.tick;
  row.capture_us = p.job.capture_us;
  row.receive_us = p.job.receive_us;
  row.file = name;
  try {
    if (const auto& saved = p.job.saved) {
      ensure_room(s.dir_);
      write_file_atomic(s.dir_, name, saved->jpeg);
      row.width = saved->width;
      row.height = saved->height;
      row.jpeg_bytes = static_cast<std::int64_t>(saved->jpeg.size());
      if (options_.chain) row.sha256 = sha256(saved->jpeg);
      row.activity = saved->activity;
      row.written_us = wall_clock_us();
      return row;
    }
    const FrameBuffer& f = *p.job.pixels;
    row.width = f.width;
    row.height = f.height;
    if (p.repeat_of) {
      // The frame it repeats was taken from the queue before this one, so it is finished or
      // being finished by another encoder: wait for that, never for anything later.
      {
        std::unique_lock lock(mutex_);
        written_cv_.wait(lock, [&] { return !s.being_written_.count(p.repeat_of) || s.error_; });
        if (s.error_) return std::nullopt;
      }
      // One repeat of a session at a time: the link count checked is the one linked to.
      std::lock_guard links(s.links_);
      const std::string source = frame_file_name(s.copied_frame_ == p.repeat_of ? s.copy_ : p.repeat_of);
      if (!link_file_atomic(s.dir_, source, name, options_.max_links)) {
        // A still screen with --every-frame: one JPEG cannot have more links (ext4: 65,000).
        // This frame gets a copy, and the repeats after it link to that.
        copy_file_atomic(s.dir_, source, name);
        s.copied_frame_ = p.repeat_of;
        s.copy_ = p.number;
      }
      // The same bytes as the frame it repeats (a link, or a copy past the link limit).
      std::optional<std::pair<std::int64_t, std::optional<Digest>>> same;
      {
        std::lock_guard lock(mutex_);
        if (const auto it = s.encoded_.find(p.repeat_of); it != s.encoded_.end()) same = it->second;
      }
      if (!same) {
        std::ifstream in(s.dir_ / name, std::ios::binary);
        const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        same.emplace(static_cast<std::int64_t>(bytes.size()), options_.chain ? std::optional(sha256(bytes)) : std::nullopt);
      }
      row.jpeg_bytes = same->first;
      row.sha256 = same->second;
      row.same_as = static_cast<std::int64_t>(p.repeat_of);
      row.activity = FrameActivity{};  // the same pixels: nothing changed
    } else {
      if (!s.buffering_) ensure_room(s.dir_);  // a buffer writes nothing
      // The strips first, in parallel with the other encoders; then, in frame order, the JPEG.
      // A frame that needs every strip codes those the client did not send.
      const PixelRect all{0, 0, static_cast<std::int32_t>(f.width), static_cast<std::int32_t>(f.height)};
      // What changed, from the FRAME's rectangles (no pixel is looked at); the first frame of a
      // size changed entirely.
      row.activity = activity_of_rects(f.width, f.height, p.whole ? std::span(&all, 1) : std::span(p.job.changed));
      const CodedStrips* client = p.job.client_strips.get();
      std::span<const PixelRect> own = p.whole ? std::span(&all, 1) : std::span(p.job.changed);
      std::vector<PixelRect> rest;
      std::vector<std::uint8_t> header;
      if (p.whole && client) {
        std::vector<std::uint8_t> theirs(client->grid.size(), 0);
        for (const std::uint32_t i : client->strips) theirs[i] = 1;
        for (std::size_t i = 0; i < theirs.size(); ++i)
          if (!theirs[i]) rest.push_back(client->grid.strip(i));
        own = rest;
        const auto h = jpeg.header(f.width, f.height);
        header.assign(h.begin(), h.end());
      }
      // A session of 4:2:0 tiles keeps the planes the client sent (FrameDecoder::keep_planes):
      // coded as they are, not from the pixels they were converted to for the window and OCR.
      const CodedStrips& coded = f.yuv420.empty()
                                     ? jpeg.encode_strips(f.pixels.data(), f.width, f.height, f.stride(), own)
                                     : jpeg.encode_strips_yuv420(f.yuv420.data(), f.width, f.height, own);
      if (!f.yuv420.empty()) ++s.coded_from_planes_;
      {
        // builds_on was taken from the queue before this frame: it is done or being done by
        // another encoder, which never waits for a later frame.
        std::unique_lock lock(mutex_);
        written_cv_.wait(lock, [&] { return s.strips_frame_ == p.builds_on || s.error_; });
        if (s.error_) return std::nullopt;
      }
      if (!header.empty()) s.strips_.start(client->grid, header);
      s.strips_.update(coded, own);
      if (client) s.strips_.update(*client);
      s.strips_.write(format_frame_stamp({p.job.tick, p.job.capture_us, p.job.receive_us}), out);
      std::shared_ptr<BufferedFrame> kept;
      if (s.buffering_)
        kept = std::make_shared<BufferedFrame>(BufferedFrame{p.number, p.job.tick, p.job.capture_us, p.job.receive_us,
                                                             f.width, f.height, *row.activity, out});
      {
        std::lock_guard lock(mutex_);
        s.strips_frame_ = p.number;
        if (kept) keep_in_buffer(s, std::move(kept));
      }
      written_cv_.notify_all();
      if (s.buffering_) return std::nullopt;  // in memory only: no file, no row
      write_file_atomic(s.dir_, name, out);
      row.jpeg_bytes = static_cast<std::int64_t>(out.size());
      if (options_.chain) row.sha256 = sha256(out);  // tamper evidence, here in the encoder threads
      std::lock_guard lock(mutex_);
      s.encoded_.emplace(p.number, std::pair(row.jpeg_bytes, row.sha256));
      if (s.encoded_.size() > SessionWriter::kEncodedKept) s.encoded_.erase(s.encoded_.begin());
    }
    row.written_us = wall_clock_us();
    return row;
  } catch (const std::exception& e) {
    if (const auto* se = dynamic_cast<const std::system_error*>(&e); se && se->code().value() == ENOSPC)
      release_reserve();
    std::lock_guard lock(mutex_);
    if (!s.error_) s.error_ = e.what();
    return std::nullopt;
  }
}

void Recorder::encoder_loop() {
  JpegEncoder jpeg(options_.jpeg_quality);
  std::vector<std::uint8_t> jpeg_bytes;
  for (;;) {
    Pending p;
    std::optional<Pending> unparked;
    bool failed = false;
    {
      std::unique_lock lock(mutex_);
      work_cv_.wait(lock, [&] { return !queue_.empty() || (stopping_ && parked_.empty()); });
      if (queue_.empty()) break;
      p = std::move(queue_.front());
      queue_.pop_front();
      // Marked in the same step as the pop, so a later repeat of it always finds it here.
      failed = p.session->error_.has_value();
      if (!failed) p.session->being_written_.insert(p.number);
      // The slot just freed goes to the longest-waiting parked frame.
      if (!parked_.empty()) {
        unparked = std::move(parked_.front());
        parked_.pop_front();
        queue_.push_back(Pending{unparked->session, unparked->number, unparked->repeat_of, unparked->builds_on,
                                 unparked->whole, std::move(unparked->job), nullptr});
      }
    }
    if (unparked) {
      work_cv_.notify_one();
      unparked->accepted(unparked->number);
    }

    Done done{p.session, p.number, std::nullopt};
    if (!failed) done.row = store(p, jpeg, jpeg_bytes);
    {
      std::lock_guard lock(mutex_);
      p.session->being_written_.erase(p.number);
    }
    written_cv_.notify_all();
    p.job.pixels.reset();
    {
      std::lock_guard lock(mutex_);
      finished_.push_back(std::move(done));
    }
    done_cv_.notify_all();
  }
  {
    std::lock_guard lock(mutex_);
    --encoders_running_;
  }
  done_cv_.notify_all();
}

}  // namespace screenreel::receiver

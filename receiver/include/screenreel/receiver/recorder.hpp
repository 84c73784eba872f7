// The receiver's storage pipeline: frames in, numbered JPEGs and catalog rows out.
//
//   network thread --submit()--> [bounded job queue] --> JPEG encoder threads (one per core)
//        --> [finished frames] --> catalog thread: batched INSERTs, one transaction per batch
//
// An encoder codes only the JPEG strips that the frame's rectangles touch (JpegStrips, in
// jpeg.hpp), in parallel with the other encoders; then, in the session's frame order, adds them
// to the session's strips and writes the whole JPEG out of them.
//
// The queue is bounded: when it is full, submit() parks the frame and its callback, and the
// caller stops reading its socket until the callback runs (backpressure instead of memory
// growth when the disk is slower than the network).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "screenreel/archive/archive.hpp"
#include "screenreel/protocol/auth.hpp"
#include "screenreel/archive/catalog.hpp"
#include "screenreel/archive/integrity.hpp"
#include "screenreel/archive/recover.hpp"
#include "screenreel/archive/retention.hpp"
#include "screenreel/protocol/frame_codec.hpp"
#include "screenreel/archive/jpeg.hpp"
#include "screenreel/receiver/commit_times.hpp"
#include "screenreel/receiver/frame_pool.hpp"
#include "screenreel/receiver/ocr_worker.hpp"

namespace screenreel::receiver {

// Adds `later`'s rows after those of `events` (one batch of both, in their order): the
// recorder's batch for the catalog thread, and a connection's events held with its replay buffer.
inline void append_events(SessionEvents& events, const SessionEvents& later) {
  const auto add = [](auto& to, const auto& from) { to.insert(to.end(), from.begin(), from.end()); };
  add(events.markers, later.markers);
  add(events.pauses, later.pauses);
  add(events.pause_ends, later.pause_ends);
  add(events.ledger, later.ledger);
  add(events.windows, later.windows);
  add(events.window_ends, later.window_ends);
}

// The replay buffer's bounds. When a frame would pass either, the oldest frames go (and their
// ticks, once saved, are in the drop ledger): the buffer always holds the newest ones.
struct ReplayBufferLimits {
  std::int64_t keep_us = 0;     // frames captured at most this long before the newest one
  std::uint64_t max_bytes = 0;  // their JPEGs take at most this much memory
  bool on() const { return keep_us > 0 || max_bytes > 0; }
};

// One frame held by the replay buffer: the JPEG it would have been written as (its stamp in it).
struct BufferedFrame {
  std::uint64_t number = 0;  // its number in the buffering session
  std::int64_t tick = 0, capture_us = 0, receive_us = 0;
  std::uint32_t width = 0, height = 0;
  FrameActivity activity;
  std::vector<std::uint8_t> jpeg;
};

struct RecorderOptions {
  int jpeg_quality = 90;
  unsigned encoder_threads = 0;  // 0: one per core
  std::size_t queue_frames = 0;  // 0: 2 per encoder thread
  std::uint64_t min_free_bytes = 200ull << 20;  // stop a session before the disk has less free
  unsigned max_links = kMaxLinksPerFile;  // hard links to one JPEG before a repeat makes a copy
  OcrOptions ocr;  // --ocr: the text index, on its own low-priority thread
  RetentionLimits retention;  // --keep-days, --max-archive-gb: checked every few seconds, and
                              // before --min-free stops a session
  // The tamper-evidence chain (SHA-256 of every JPEG, links, signed head). Off only to measure
  // what it costs: a benchmark hook (SCREENREEL_BENCH_NO_CHAIN=1 in the receiver's environment,
  // scripts/bench.sh BENCH_CHAIN), not an option; sessions recorded so have no chain.
  bool chain = true;
  // --catalog, --receiver-name: a catalog shared by a fleet (with this receiver's name and archive
  // root); empty: the archive's own catalog.db.
  std::optional<CatalogLocation> catalog;
  // --buffer, --buffer-mb: new sessions are kept in memory (a replay buffer) until a save; 0: off.
  ReplayBufferLimits buffer;
  // --catalog-journal-mb: with a PostgreSQL catalog, the rows that wait in the archive's catalog
  // journal while the database does not answer (catalog_journal.hpp) take at most this.
  std::uint64_t catalog_journal_bytes = 256ull << 20;
};

// What a running receiver changes without a restart (SIGHUP re-reads its configuration).
struct DiskLimits {
  std::uint64_t min_free_bytes = 200ull << 20;
  RetentionLimits retention;
};

// A frame buffer shared between the storage pipeline and the display; it returns to the
// recorder's pool when both are done with it, so steady-state recording allocates nothing.
using SharedFrame = std::shared_ptr<const FrameBuffer>;

struct FrameJob {
  std::int64_t tick = 0;
  std::int64_t capture_us = 0;
  std::int64_t receive_us = 0;
  SharedFrame pixels;
  bool repeat = false;  // same pixels as the session's previous frame: link its JPEG, do not encode
  // Where the pixels may differ from the session's previous frame (a key frame: all of it),
  // but for client_strips.
  std::vector<PixelRect> changed;
  // Strips the client coded as JPEG (protocol 4) that nothing after them in the FRAME touched:
  // spliced into the file as they are, never coded again (no second generation of loss).
  std::shared_ptr<const CodedStrips> client_strips{};
  // A frame of a saved replay buffer: its JPEG is written as it is (pixels is empty).
  std::shared_ptr<const BufferedFrame> saved{};
};

class Recorder;

// One recording session's handle. All methods are thread-safe.
//
// A connection sees only the public part. The private part is the recorder's bookkeeping for the
// session (numbers, what is stored, the JPEG strips, the chain), guarded by the Recorder's mutex
// and changed only on the Recorder's threads; hence the two friend declarations: they are one
// component's state split by lifetime (per session / per receiver), not a reach across a seam.
class SessionWriter : public std::enable_shared_from_this<SessionWriter> {
 public:
  const SessionRecord& record() const { return record_; }
  // Called with the frame's number once it is queued for the disk.
  using Accepted = std::function<void(std::uint64_t frame_number)>;
  // Queues the frame, or parks it until there is room; `accepted` runs on a pipeline thread
  // (or at once, on the caller's). Returns the frame's number, or nothing when the session can
  // no longer record (storage error): the caller should end the session.
  std::optional<std::uint64_t> submit(FrameJob job, Accepted accepted);
  // Ends the session once every submitted frame is written and in the catalog; `done` runs on
  // the catalog thread with the number of frames stored.
  void close(std::string reason, std::string error, std::int64_t dropped, std::function<void(std::int64_t)> done);
  std::optional<std::string> storage_error() const;
  // Every frame of the session up to this client tick is written and in the catalog (ACK's
  // stored_tick): a crash of the receiver can no longer lose it.
  std::int64_t stored_tick() const { return stored_tick_.load(); }
  // Frames whose JPEG was coded from the 4:2:0 planes the client sent (FrameBuffer::yuv420).
  std::int64_t coded_from_planes() const { return coded_from_planes_.load(); }
  // The newest tick the session held when it was opened (0 for a new session).
  std::int64_t resumed_after_tick() const { return resumed_after_tick_; }
  // The newest tick its frames and its drop ledger accounted for when it was opened (0 for a new
  // session): ticks after it are the ones still to account for.
  std::int64_t resumed_accounted_tick() const { return resumed_accounted_tick_; }
  // Kept in the replay buffer, in memory only: record() has a negative id of this receiver's
  // run, no folder and no catalog row (Recorder::open_buffer).
  bool buffering() const { return buffering_; }

 private:
  friend class Recorder;
  SessionWriter(Recorder& recorder, SessionRecord record, std::filesystem::path dir, std::uint64_t next_number = 1,
                std::int64_t last_tick = 0, bool buffering = false)
      : recorder_(recorder),
        buffering_(buffering),
        record_(std::move(record)),
        dir_(std::move(dir)),
        next_number_(next_number),
        stored_through_(next_number - 1),
        resumed_after_tick_(last_tick),
        stored_tick_(last_tick),
        stored_(static_cast<std::int64_t>(next_number - 1)),
        chain_seq_(next_number - 1),
        chain_(chain_start(record_.id)) {}
  Recorder& recorder_;
  const bool buffering_;
  SessionRecord record_;
  std::filesystem::path dir_;
  // Guarded by Recorder::mutex_.
  std::uint64_t next_number_ = 1;
  std::uint64_t stored_through_ = 0;                      // frames 1..this are in the catalog
  std::map<std::uint64_t, std::int64_t> stored_later_;    // number -> tick, stored past a gap
  const std::int64_t resumed_after_tick_ = 0;
  std::int64_t resumed_accounted_tick_ = 0;  // set once, by Recorder::resume_session
  std::atomic<std::int64_t> stored_tick_{0};
  std::atomic<std::int64_t> coded_from_planes_{0};
  std::uint64_t last_encoded_ = 0;            // the newest number that is not a repeat
  std::uint32_t last_width_ = 0, last_height_ = 0;  // its size
  // The JPEG strips of frame strips_frame_ (the newest encoded one whose strips are in): the
  // encoder of the next one updates them, in number order. Only the encoder whose turn it is
  // (strips_frame_ is the frame before its own) touches strips_.
  std::uint64_t strips_frame_ = 0;
  JpegStrips strips_;
  std::set<std::uint64_t> being_written_;     // numbers an encoder is working on
  // The JPEG size and SHA-256 of the newest encoded frames, for the repeats linked to them (the
  // same bytes: nothing to read or hash again). A few only: a repeat of an older one, which
  // more than that many frames overtook, reads its file.
  static constexpr std::size_t kEncodedKept = 8;
  std::map<std::uint64_t, std::pair<std::int64_t, std::optional<Digest>>> encoded_;
  // A frame repeated past RecorderOptions::max_links: later repeats link to this copy of it.
  std::mutex links_;  // held while a repeat is linked (guards the two below)
  std::uint64_t copied_frame_ = 0, copy_ = 0;
  std::uint64_t submitted_ = 0;
  std::uint64_t finished_ = 0;  // written (or failed) and through the catalog thread
  std::int64_t stored_ = 0;     // rows in the catalog (a resumed session's earlier ones too)
  std::optional<std::string> error_;
  // The replay buffer (buffering_ only), oldest first; what its frames' JPEGs take.
  std::deque<std::shared_ptr<const BufferedFrame>> buffer_;
  std::uint64_t buffer_bytes_ = 0;
  std::int64_t buffer_dropped_ = 0;  // frames that left it at its bounds
  // The chain (catalog thread only): the link through frame chain_seq_.
  std::uint64_t chain_seq_ = 0;
  Digest chain_{};
  bool chain_broken_ = false;  // resumed from frames without a chain: it is not sealed
  struct Close {
    std::string reason, error;
    std::int64_t dropped = 0;
    std::function<void(std::int64_t)> done;
  };
  std::optional<Close> close_;
};

class Recorder {
 public:
  Recorder(const ArchivePaths& paths, RecorderOptions options);
  ~Recorder();  // finishes everything queued, then stops the threads
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Creates the catalog row and the session's folder.
  std::shared_ptr<SessionWriter> open_session(const NewSession& s);

  // Continues an ended session (a client reconnecting, schemas/wire-protocol.md "Resuming a
  // session"). kBusy: the session is still open here (its old connection has not ended yet).
  // kRefused: unknown, wrong key, not ended by a lost connection, or its folder is gone; `why`
  // says which, and the client gets a new session instead.
  enum class Resume { kResumed, kBusy, kRefused };
  Resume resume_session(std::int64_t id, const wire::ResumeKey& key, std::shared_ptr<SessionWriter>& out,
                        std::string& why);
  wire::ResumeKey resume_key(std::int64_t session_id) const;

  // --buffer: a session kept in memory (SessionWriter::buffering); nothing is written for it
  // until save_buffer().
  bool buffers() const { return options_.buffer.on(); }
  std::shared_ptr<SessionWriter> open_buffer(const NewSession& s);
  // Makes the session `s` (open_session) and queues the frames `buffer` holds into it, numbered
  // from 1 with their ticks and times, once every frame submitted to `buffer` is encoded; the
  // caller records into the returned writer from then on. Throws what open_session throws.
  struct Saved {
    std::shared_ptr<SessionWriter> session;
    std::size_t frames = 0;
    std::int64_t first_tick = 0, last_tick = 0;  // of the frames saved (0 when none)
    std::uint64_t first_number = 0;             // the first one's number in `buffer`
    std::int64_t dropped = 0;                   // frames that left the buffer at its bounds
  };
  Saved save_buffer(const std::shared_ptr<SessionWriter>& buffer, const NewSession& s);
  // Forgets what `buffer` holds; returns how many frames that was. It goes on buffering.
  std::size_t discard_buffer(SessionWriter& buffer);
  // What the start-up recovery did to sessions a killed receiver left open (for the log).
  const RecoverReport& recovered() const { return recovered_; }
  // A buffer for one frame of this size, from the pool when one is free.
  std::shared_ptr<FrameBuffer> acquire_buffer(std::uint32_t width, std::uint32_t height);

  std::size_t queue_capacity() const { return capacity_; }
  // The quality of the JPEGs it writes (WELCOME tells protocol-4 clients, for their JPEG strips).
  int jpeg_quality() const { return options_.jpeg_quality; }
  // Records when the live window showed a frame (stored with the frame's row; for latency).
  void note_displayed(std::int64_t session_id, std::uint64_t number, std::int64_t displayed_us);
  // Frame `number` (as submit() numbered it) and the rectangles that changed in it, for the OCR
  // worker when --ocr is on; returns at once.
  void note_changes(std::int64_t session_id, std::uint64_t number, std::int64_t capture_us, const SharedFrame& pixels,
                    std::span<const wire::RectView> changed);

  // Markers, pauses, ledger runs and windows for the catalog: written by the catalog thread with
  // its next batch (before that batch's frames; the markers and pauses also to each session's
  // events file, session_events.hpp); returns at once.
  void add_events(SessionEvents events);

  // --min-free, --keep-days and --max-archive-gb from now on (a reload); from any thread.
  void set_disk_limits(const DiskLimits& limits);
  DiskLimits disk_limits() const;

  // How long each batch of frame rows took to commit to the catalog (app.cpp logs it at exit).
  const CommitTimes& commit_times() const { return commit_times_; }

 private:
  friend class SessionWriter;
  struct Pending {
    std::shared_ptr<SessionWriter> session;
    std::uint64_t number;
    std::uint64_t repeat_of;  // 0, or the frame whose JPEG this one links
    std::uint64_t builds_on;  // the previous encoded frame: its strips come before this one's
    bool whole;               // code every strip: there is no previous frame of this size
    FrameJob job;
    SessionWriter::Accepted accepted;
  };
  struct Done {
    std::shared_ptr<SessionWriter> session;
    std::uint64_t number = 0;
    std::optional<FrameRecord> row;  // empty when writing failed
  };
  // The finished frames that can be committed now, in each session's frame order, with their
  // chain links (integrity.hpp); the others wait in held_ for the frames before them.
  std::vector<Done> chain_in_order(std::deque<Done> batch);
  std::deque<Done> held_;  // catalog thread only
  // Signs a session's chain head as it ends. Called with catalog_mutex_ held.
  void seal(SessionWriter& s);
  std::unique_ptr<SigningKey> signing_key_;
  std::optional<std::uint64_t> submit(const std::shared_ptr<SessionWriter>& s, FrameJob job,
                                      SessionWriter::Accepted accepted);
  void encoder_loop();
  std::optional<FrameRecord> store(Pending& p, JpegEncoder& jpeg, std::vector<std::uint8_t>& out);
  // A buffering session's encoded frame: into its buffer, the oldest out past the bounds.
  // Called with mutex_ held, in the session's frame order.
  void keep_in_buffer(SessionWriter& s, std::shared_ptr<const BufferedFrame> frame);
  std::int64_t buffers_opened_ = 0;  // guarded by mutex_: the buffering sessions' ids are -1, -2, ...
  // Throws when the archive's file system has less than min_free_bytes free (checked at most
  // every half second; statvfs is cheap but not free).
  void check_free_space(const std::filesystem::path& dir);
  std::atomic<std::int64_t> free_checked_us_{0};
  // Throws when the disk is full (release_reserve) or check_free_space says so.
  void ensure_room(const std::filesystem::path& dir);
  void catalog_loop();
  // No session is left: empties the frame pool and returns freed heap to the system.
  void give_back_memory();
  void make_reserve();
  // The disk is full: deletes the reserve (false when it was gone already) and stops new frames.
  bool release_reserve();
  void ensure_sessions_folder();
  std::atomic<bool> disk_full_{false};
  // Runs a catalog write; when it fails (the disk is full), deletes the reserve and tries again.
  void with_reserve(const std::function<void()>& write);
  // Writes a session's manifest again (resumed, ended); a failure is logged, not thrown.
  void update_manifest(const std::filesystem::path& dir, const SessionRecord& s);
  // Appends the markers and pauses of `events` to their sessions' events files, so that a
  // rebuilt catalog has them; a failure is logged, not thrown. Called with catalog_mutex_ held.
  void keep_events(const SessionEvents& events);
  // catalog.db was deleted or replaced under the receiver: says so, makes a new one from the
  // session folders (rebuild_catalog), the live sessions' stored frames included, and goes on
  // with it. Called with catalog_mutex_ held.
  void rebuild_lost_catalog();
  // The catalog writer for where_: with a PostgreSQL catalog, behind the archive's journal.
  std::unique_ptr<CatalogWriter> open_writer() const;
  // Deletes the ended sessions the retention limits (and `free_bytes` more, for `why`) say to,
  // oldest first, never a live or kept one. Called with catalog_mutex_ held.
  void apply_retention(std::int64_t free_bytes = 0, const std::string& why = {});

  ArchivePaths paths_;
  RecorderOptions options_;  // its min_free_bytes and retention only through disk_limits()
  CatalogLocation where_;    // the catalog: options_.catalog, or the archive's catalog.db
  mutable std::mutex limits_mutex_;
  DiskLimits limits_;  // guarded by limits_mutex_
  ResumeSecret resume_secret_;
  RecoverReport recovered_;
  // Sessions open or still being written, by id; guarded by mutex_.
  std::map<std::int64_t, std::weak_ptr<SessionWriter>> active_;
  std::size_t capacity_;
  std::mutex catalog_mutex_;
  std::unique_ptr<CatalogWriter> catalog_;
  CommitTimes commit_times_;

  mutable std::mutex mutex_;
  std::condition_variable work_cv_, done_cv_, written_cv_;
  std::deque<Pending> queue_;    // at most capacity_
  std::deque<Pending> parked_;   // waiting for room: at most one per connection
  std::deque<Done> finished_;
  std::vector<DisplayedAt> displayed_;
  SessionEvents events_;
  std::vector<std::shared_ptr<SessionWriter>> closing_;
  std::shared_ptr<FramePool> pool_;
  bool stopping_ = false;
  std::vector<std::thread> encoders_;
  std::thread catalog_thread_;
  unsigned encoders_running_ = 0;
  std::unique_ptr<OcrWorker> ocr_;  // --ocr; last, so that it is stopped first
};

}  // namespace screenreel::receiver

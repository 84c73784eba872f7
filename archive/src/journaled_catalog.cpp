// The receiver's catalog writer over a PostgreSQL catalog with a local journal
// (catalog_journal.hpp): the one place where a write that the database cannot take now waits.
#include <chrono>

#include "screenreel/archive/catalog_journal.hpp"
#include "screenreel/common/clock.hpp"
#include "screenreel/common/log.hpp"

namespace screenreel {
namespace {

// How often, at most, a write while rows are journaled first tries the database again.
constexpr std::int64_t kRetryUs = 1'000'000;

std::int64_t rows_of(const JournalRecord& r) {
  struct Count {
    std::int64_t operator()(const JournalFrames& f) const { return static_cast<std::int64_t>(f.frames.size()); }
    std::int64_t operator()(const SessionEvents& e) const {
      return static_cast<std::int64_t>(e.markers.size() + e.pauses.size() + e.pause_ends.size() + e.ledger.size() +
                                       e.windows.size() + e.window_ends.size());
    }
    std::int64_t operator()(const JournalSessionEnd&) const { return 1; }
    std::int64_t operator()(const JournalSeal&) const { return 1; }
    std::int64_t operator()(const JournalActivity& a) const { return static_cast<std::int64_t>(a.rows.size()); }
  };
  return std::visit(Count{}, r);
}

class JournaledCatalog final : public CatalogWriter {
 public:
  JournaledCatalog(const CatalogLocation& where, const std::filesystem::path& journal, std::uint64_t bytes)
      : db_(open_catalog_writer(where)), journal_(journal, bytes) {
    if (!journal_.empty()) {
      log::info("the catalog journal " + journal_.path().string() + " holds rows from before: writing them to " +
                db_->location());
      if (!catch_up()) throw CatalogError("the catalog " + db_->location() + " stopped answering while the journal "
                                          "was written to it: start the receiver again when it answers",
                                          CatalogError::Kind::kUnreachable);
    }
  }

  // ---- Journaled writes ----
  std::vector<DisplayedAt> add_frames(std::span<const FrameRecord> frames,
                                      std::span<const DisplayedAt> displayed) override {
    std::vector<DisplayedAt> later;
    write([&] { later = db_->add_frames(frames, displayed); },
          [&] {
            // Display times of rows not written yet are not journaled: they would only wait.
            return JournalFrames{{frames.begin(), frames.end()}, {displayed.begin(), displayed.end()}};
          },
          !frames.empty());
    return later;
  }
  void add_events(const SessionEvents& events) override {
    write([&] { db_->add_events(events); }, [&] { return events; }, !events.empty());
  }
  void end_session(std::int64_t id, std::int64_t ended_us, const std::string& reason, const std::string& error,
                   std::int64_t dropped) override {
    write([&] { db_->end_session(id, ended_us, reason, error, dropped); },
          [&] { return JournalSessionEnd{id, ended_us, reason, error, dropped}; });
  }
  void seal_session(std::int64_t id, const Digest& head, std::int64_t frames, std::span<const std::uint8_t> signature,
                    std::span<const std::uint8_t> signer) override {
    write([&] { db_->seal_session(id, head, frames, signature, signer); },
          [&] {
            return JournalSeal{id, head, frames, {signature.begin(), signature.end()}, {signer.begin(), signer.end()}};
          });
  }
  void set_frame_activity(std::int64_t session_id,
                          std::span<const std::pair<std::int64_t, FrameActivity>> rows) override {
    write([&] { db_->set_frame_activity(session_id, rows); },
          [&] { return JournalActivity{session_id, {rows.begin(), rows.end()}}; });
  }

  // ---- Everything else needs the database ----
  std::string location() const override { return db_->location(); }
  int schema_version() override { return db_->schema_version(); }
  std::string integrity_check(bool quick) override { return db_->integrity_check(quick); }
  bool snapshot() const override { return db_->snapshot(); }
  std::vector<SessionRecord> sessions() override { return db_->sessions(); }
  std::optional<SessionRecord> session(std::int64_t id) override { return db_->session(id); }
  SessionPage session_page(std::int64_t offset, std::int64_t limit, const std::string& name) override {
    return db_->session_page(offset, limit, name);
  }
  std::vector<DeletionRecord> deletions() override { return db_->deletions(); }
  void for_each_frame(std::int64_t id, const std::function<void(const FrameRecord&)>& visit) override {
    db_->for_each_frame(id, visit);
  }
  std::optional<FrameRecord> frame(std::int64_t id, std::int64_t seq) override { return db_->frame(id, seq); }
  std::optional<FrameRecord> frame_at(std::int64_t id, std::int64_t t_us) override { return db_->frame_at(id, t_us); }
  std::vector<FrameRecord> frames_captured_between(std::int64_t id, std::int64_t after_us,
                                                   std::int64_t until_us) override {
    return db_->frames_captured_between(id, after_us, until_us);
  }
  void for_each_frame_activity(std::int64_t id, const std::function<void(const FrameActivityRow&)>& visit) override {
    db_->for_each_frame_activity(id, visit);
  }
  std::optional<FrameRecord> next_change(std::int64_t id, std::int64_t seq, bool forward) override {
    return db_->next_change(id, seq, forward);
  }
  std::optional<std::int64_t> first_frame_without_activity(std::int64_t id) override {
    return db_->first_frame_without_activity(id);
  }
  FrameTimes frame_times(std::int64_t id) override { return db_->frame_times(id); }
  std::vector<FrameTimes> frame_times_of(std::span<const std::int64_t> ids) override { return db_->frame_times_of(ids); }
  std::optional<std::int64_t> latest_write_us(std::int64_t id) override { return db_->latest_write_us(id); }
  FrameTotals frame_totals(std::int64_t id) override { return db_->frame_totals(id); }
  std::vector<MarkerRecord> markers(std::int64_t id) override { return db_->markers(id); }
  std::vector<PauseRecord> pauses(std::int64_t id) override { return db_->pauses(id); }
  std::vector<LedgerRun> ledger(std::int64_t id) override { return db_->ledger(id); }
  std::vector<WindowRecord> windows(std::int64_t id) override { return db_->windows(id); }
  std::optional<OcrSessionState> text_state(std::int64_t id) override { return db_->text_state(id); }
  std::vector<OpenSpan> open_spans(std::int64_t id) override { return db_->open_spans(id); }
  std::vector<TextHit> find_text(const TextSearch& search) override { return db_->find_text(search); }
  std::vector<TextSpanWords> text_on_frame(std::int64_t id, std::int64_t seq, const std::string& words) override {
    return db_->text_on_frame(id, seq, words);
  }
  std::optional<TextIndexSummary> text_index_summary(std::int64_t id) override { return db_->text_index_summary(id); }
  void for_each_text_span(std::int64_t id, const std::function<void(const TextSpanRow&)>& visit) override {
    db_->for_each_text_span(id, visit);
  }
  std::vector<std::int64_t> sessions_without_text_index() override { return db_->sessions_without_text_index(); }
  SessionRecord create_session(const NewSession& s) override { return db_->create_session(s); }
  void restore_session(const SessionRecord& s) override { db_->restore_session(s); }
  void forget_empty_session(std::int64_t id) override { db_->forget_empty_session(id); }
  Reopened reopen_session(std::int64_t id) override {
    // A resumed session's rows must all be in the database before it is numbered again.
    if (!journal_.empty() && !catch_up())
      throw CatalogError("session " + std::to_string(id) + " cannot be resumed while its rows wait in the catalog "
                         "journal (the database does not answer)", CatalogError::Kind::kUnreachable);
    return db_->reopen_session(id);
  }
  bool storage_lost() override { return db_->storage_lost(); }
  void set_keep(std::int64_t id, bool keep) override { db_->set_keep(id, keep); }
  void mark_deleting(std::int64_t id, const std::string& reason, std::int64_t deleted_us) override {
    db_->mark_deleting(id, reason, deleted_us);
  }
  void set_session_totals(std::int64_t id, const FrameTotals& totals) override { db_->set_session_totals(id, totals); }
  void delete_session(std::int64_t id, const std::function<void(const std::optional<SessionRecord>&)>& check,
                      const std::string& reason) override {
    db_->delete_session(id, check, reason);
  }
  void begin_text_index(std::int64_t id, const std::string& indexer, const std::string& lang,
                        std::int64_t interval_us) override {
    db_->begin_text_index(id, indexer, lang, interval_us);
  }
  std::int64_t apply_text_pass(std::int64_t id,
                               const std::function<TextPassChanges(const std::vector<OpenSpan>&)>& decide) override {
    return db_->apply_text_pass(id, decide);
  }
  void finish_text_index(std::int64_t id, std::int64_t last_seq, std::int64_t until_us) override {
    db_->finish_text_index(id, last_seq, until_us);
  }
  void erase_text_index(std::int64_t id) override { db_->erase_text_index(id); }

 private:
  // Writes through while the database answers and nothing waits before this write; else appends
  // it to the journal. `worth_journaling` false: an empty call (the catalog thread's idle turn)
  // that only gives the journal a chance to be written out.
  template <class Direct, class Record>
  void write(Direct direct, Record record, bool worth_journaling = true) {
    if (!journal_.empty() && wall_clock_us() >= next_try_us_) catch_up();
    if (journal_.empty()) {
      try {
        direct();
        return;
      } catch (const CatalogError& e) {
        if (e.kind() != CatalogError::Kind::kUnreachable) throw;
        outage(e.what());
      }
    }
    if (worth_journaling) journal_.append(record());
  }

  void outage(const std::string& why) {
    next_try_us_ = wall_clock_us() + kRetryUs;
    if (outage_since_us_) return;
    outage_since_us_ = wall_clock_us();
    log::error(why + ". Recording goes on: the catalog rows wait in " + journal_.path().string() + " (at most " +
               std::to_string(journal_.max_bytes() >> 20) + " MB, --catalog-journal-mb) and are written when the "
               "database answers again; new sessions are refused until then. Check that PostgreSQL is running and "
               "reachable from this host");
  }

  // Writes the journal's records in order and empties it; false when the database stopped
  // answering on the way (what was written stays journaled too: writing it again is a no-op).
  bool catch_up() {
    next_try_us_ = wall_clock_us() + kRetryUs;
    const auto started = std::chrono::steady_clock::now();
    const JournalContents contents = journal_.read();
    std::int64_t rows = 0;
    for (const auto& r : contents.records) {
      try {
        apply_journal_record(*db_, r);
      } catch (const CatalogError& e) {
        if (e.kind() == CatalogError::Kind::kUnreachable) return false;
        // The database refuses this record for good: waiting would block every later one. Its
        // frames' files are in the archive, where recover finds them.
        log::error("a journaled catalog record was refused (" + std::string(e.what()) + "); it is skipped: run "
                   "'screenreel-replay recover' to index the frames whose rows are missing");
      }
      rows += rows_of(r);
    }
    if (!contents.problem.empty()) {
      const auto aside = journal_.set_aside();
      log::error("the catalog journal is damaged: " + contents.problem + ". It was moved to " + aside.string() +
                 "; run 'screenreel-replay recover' to index the frames whose rows are missing");
    } else {
      journal_.clear();
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    char took[32];
    std::snprintf(took, sizeof took, "%.1f", seconds);
    const std::string outage =
        outage_since_us_ ? " after " + std::to_string((wall_clock_us() - outage_since_us_) / 1'000'000) + " s" : "";
    log::info("the catalog " + db_->location() + " answers again" + outage + ": wrote " + std::to_string(rows) +
              " journaled rows (" + std::to_string(contents.records.size()) + " records) in " + took +
              " s; the journal is empty");
    outage_since_us_ = 0;
    return true;
  }

  std::unique_ptr<CatalogWriter> db_;
  CatalogJournal journal_;
  std::int64_t next_try_us_ = 0;
  std::int64_t outage_since_us_ = 0;  // 0: the database answers
};

}  // namespace

std::unique_ptr<CatalogWriter> open_journaled_catalog_writer(const CatalogLocation& where,
                                                             const std::filesystem::path& journal,
                                                             std::uint64_t journal_bytes) {
  return std::make_unique<JournaledCatalog>(where, journal, journal_bytes);
}

}  // namespace screenreel

// Copying a catalog between backends (see catalog_copy.hpp).
#include "screenreel/archive/catalog_copy.hpp"

#include <cstring>
#include <map>
#include <tuple>

#include "screenreel/archive/integrity.hpp"
#include "screenreel/archive/pg_catalog.hpp"
#include "screenreel/archive/sqlite_catalog.hpp"

namespace screenreel {
namespace {

// A fixed byte encoding of the rows for the checksum: integers 8 bytes little-endian, texts and
// blobs with their length first, optionals with a presence byte.
class Encoder {
 public:
  Encoder& i(std::int64_t v) {
    for (int b = 0; b < 8; ++b) out_.push_back(static_cast<std::uint8_t>(static_cast<std::uint64_t>(v) >> (8 * b)));
    return *this;
  }
  Encoder& d(double v) {
    std::int64_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    return i(bits);
  }
  Encoder& o(const std::optional<std::int64_t>& v) {
    out_.push_back(v ? 1 : 0);
    return v ? i(*v) : *this;
  }
  Encoder& s(std::string_view v) {
    i(static_cast<std::int64_t>(v.size()));
    out_.insert(out_.end(), v.begin(), v.end());
    return *this;
  }
  Encoder& b(std::span<const std::uint8_t> v) {
    i(static_cast<std::int64_t>(v.size()));
    out_.insert(out_.end(), v.begin(), v.end());
    return *this;
  }
  Encoder& od(const std::optional<Digest>& v) {
    out_.push_back(v ? 1 : 0);
    return v ? b(*v) : *this;
  }
  const std::vector<std::uint8_t>& bytes() const { return out_; }

 private:
  std::vector<std::uint8_t> out_;
};

// The backends' copy methods, by the backend's name (catalog_copy.hpp).
template <typename Call>
auto on_backend(CatalogReader& catalog, Call call) {
  if (auto* s = dynamic_cast<SqliteCatalog*>(&catalog)) return call(*s);
  if (auto* p = dynamic_cast<PgCatalog*>(&catalog)) return call(*p);
  throw CatalogError("the catalog " + catalog.location() + " is neither SQLite nor PostgreSQL: it cannot be copied",
                     CatalogError::Kind::kOther);
}

bool selected(const SessionRecord& s, const CatalogCopyOptions& options) {
  return options.only_receiver.empty() || s.receiver == options.only_receiver;
}

// The source's record as the target keeps it: with a receiver and archive root when it had none.
SessionRows source_rows(CatalogReader& from, const SessionRecord& s, const CatalogCopyOptions& options) {
  SessionRows rows = read_session_rows(from, s);
  if (rows.session.receiver.empty()) {
    rows.session.receiver = options.receiver;
    rows.session.archive_root = options.archive_root.string();
  }
  return rows;
}

// Whether the deletion history goes with this copy: not with one receiver's sessions, since its
// rows do not say which receiver deleted them.
bool copies_deletions(const CatalogCopyOptions& options) { return options.only_receiver.empty(); }

// The source's deletion history rows that the target does not hold (equal in every column; as
// many times as the source holds them), in the source's order: the order they were made.
std::vector<DeletionRecord> deletions_missing(CatalogReader& from, CatalogReader& to) {
  const auto key = [](const DeletionRecord& d) {
    return std::make_tuple(d.session_id, d.name, d.folder, d.started_us, d.ended_us, d.frames, d.bytes, d.deleted_us,
                           d.reason);
  };
  std::map<decltype(key(DeletionRecord{})), std::size_t> held;
  for (const auto& d : to.deletions()) ++held[key(d)];
  std::vector<DeletionRecord> missing;
  for (auto& d : from.deletions()) {
    if (const auto it = held.find(key(d)); it != held.end() && it->second > 0) --it->second;
    else missing.push_back(std::move(d));
  }
  return missing;
}

}  // namespace


SessionRows read_session_rows(CatalogReader& reader, const SessionRecord& session) {
  SessionRows rows;
  rows.session = session;
  rows.frames = reader.frames(session.id);
  if (reader.has_ledger()) {
    rows.markers = reader.markers(session.id);
    rows.pauses = reader.pauses(session.id);
    rows.ledger = reader.ledger(session.id);
  }
  if (reader.has_windows()) rows.windows = reader.windows(session.id);
  if (reader.has_text_index()) {
    rows.ocr = reader.text_state(session.id);
    rows.passes = on_backend(reader, [&](auto& b) { return b.text_passes(session.id); });
    rows.spans = on_backend(reader, [&](auto& b) { return b.text_spans(session.id); });
  }
  return rows;
}

Digest session_rows_checksum(const SessionRows& rows) {
  Encoder e;
  const SessionRecord& s = rows.session;
  e.i(s.id).s(s.name).s(s.folder).s(s.client_address).s(s.source).i(s.width).i(s.height).d(s.fps);
  e.i(s.started_us).o(s.ended_us).s(s.end_reason).s(s.error).i(s.frame_count).i(s.bytes).i(s.dropped);
  e.od(s.head).i(s.head ? s.head_frames : 0).b(s.signature).b(s.signer).i(s.keep).i(s.deleting);
  e.i(static_cast<std::int64_t>(rows.frames.size()));
  for (const auto& f : rows.frames) {
    e.i(f.seq).i(f.tick).i(f.capture_us).i(f.receive_us).i(f.written_us).o(f.displayed_us).s(f.file);
    e.i(f.width).i(f.height).i(f.jpeg_bytes).o(f.same_as).od(f.sha256).od(f.chain);
    e.o(f.activity ? std::optional<std::int64_t>(f.activity->changed_tiles) : std::nullopt);
    if (f.activity) e.d(f.activity->changed_share);
  }
  e.i(static_cast<std::int64_t>(rows.markers.size()));
  for (const auto& m : rows.markers) e.i(m.time_us).i(m.tick).o(m.frame).s(m.label).s(m.source);
  e.i(static_cast<std::int64_t>(rows.pauses.size()));
  for (const auto& p : rows.pauses) e.i(p.from_tick).i(p.from_us).o(p.to_tick).o(p.to_us).s(p.reason);
  e.i(static_cast<std::int64_t>(rows.ledger.size()));
  for (const auto& l : rows.ledger) e.i(l.first_tick).i(l.last_tick).s(l.cause);
  e.i(static_cast<std::int64_t>(rows.windows.size()));
  for (const auto& w : rows.windows)
    e.i(w.from_tick).i(w.from_us).o(w.to_tick).o(w.to_us).i(w.window_id).s(w.title).i(w.x).i(w.y).i(w.width).i(w.height);
  e.i(rows.ocr.has_value());
  if (rows.ocr) e.s(rows.ocr->indexer).s(rows.ocr->lang).i(rows.ocr->interval_us).i(rows.ocr->through_seq).i(rows.ocr->complete);
  e.i(static_cast<std::int64_t>(rows.passes.size()));
  for (const auto& p : rows.passes)
    e.i(p.seq).i(p.capture_us).i(p.done_us).i(p.frames).i(p.regions).i(p.pixels).i(p.ocr_us).i(p.lines).i(p.opened).i(p.closed);
  e.i(static_cast<std::int64_t>(rows.spans.size()));
  for (const auto& t : rows.spans)
    e.s(t.text).i(t.box.x).i(t.box.y).i(t.box.w).i(t.box.h).s(t.words).d(t.confidence).i(t.first_seq).i(t.first_us)
        .i(t.last_seq).i(t.last_us).i(t.open);
  return sha256(e.bytes());
}

CatalogCopyReport copy_catalog(CatalogReader& from, CatalogWriter& to, const CatalogCopyOptions& options) {
  CatalogCopyReport report;
  std::vector<SessionRecord> sessions;
  for (auto& s : from.sessions())
    if (selected(s, options)) sessions.push_back(std::move(s));
  report.sessions = sessions.size();
  for (std::size_t i = 0; i < sessions.size(); ++i) {
    const SessionRecord& s = sessions[i];
    const SessionRows rows = source_rows(from, s, options);
    const auto there = to.session(s.id);
    // The same session: the same folder and start, and (where the target keeps them: PostgreSQL)
    // the same receiver and archive. Anything else with this id is another archive's session.
    const bool same_session =
        there && there->folder == s.folder && there->started_us == s.started_us &&
        (there->receiver.empty() ||
         (there->receiver == rows.session.receiver && there->archive_root == rows.session.archive_root));
    if (there && !same_session)
      throw CatalogError("session " + std::to_string(s.id) + " (" + s.folder + ") of " + from.location() +
                             " cannot be copied: " + to.location() + " holds another session with that id (" +
                             there->folder + (there->receiver.empty() ? "" : ", receiver " + there->receiver) +
                             (there->archive_root.empty() ? "" : " in " + there->archive_root) +
                             "); copy into an empty catalog, or one whose ids do not overlap",
                         CatalogError::Kind::kOther);
    const Digest want = session_rows_checksum(rows);
    if (same_session && session_rows_checksum(read_session_rows(to, *there)) == want) {
      ++report.skipped;
    } else {
      on_backend(to, [&](auto& b) { b.replace_session(rows); });
      ++report.copied;
      report.frames += static_cast<std::int64_t>(rows.frames.size());
    }
    if (options.after_session) options.after_session(s, i + 1, sessions.size());
  }
  report.deletions_left = !copies_deletions(options);
  if (!report.deletions_left) {
    const auto missing = deletions_missing(from, to);
    if (!missing.empty()) on_backend(to, [&](auto& b) { b.add_deletions(missing); });
    report.deletions = missing.size();
  }
  return report;
}

CatalogVerifyReport verify_catalog_copy(CatalogReader& from, CatalogReader& to, const CatalogCopyOptions& options) {
  CatalogVerifyReport report;
  for (const auto& s : from.sessions()) {
    if (!selected(s, options)) continue;
    ++report.sessions;
    const SessionRows rows = read_session_rows(from, s);
    report.frames += static_cast<std::int64_t>(rows.frames.size());
    const auto there = to.session(s.id);
    if (!there) {
      report.problems.push_back("session " + std::to_string(s.id) + " (" + s.folder + ") is missing at the target");
      continue;
    }
    const SessionRows copied = read_session_rows(to, *there);
    report.target_frames += static_cast<std::int64_t>(copied.frames.size());
    if (session_rows_checksum(copied) != session_rows_checksum(rows))
      report.problems.push_back("session " + std::to_string(s.id) + " (" + s.folder + "): " +
                                std::to_string(copied.frames.size()) + " frame rows at the target, " +
                                std::to_string(rows.frames.size()) + " at the source, and the rows differ");
  }
  if (copies_deletions(options)) {
    report.deletions = from.deletions().size();
    if (const auto missing = deletions_missing(from, to); !missing.empty())
      report.problems.push_back(std::to_string(missing.size()) + " of the source's " +
                                std::to_string(report.deletions) +
                                " deletion history rows are missing at the target (the first: session " +
                                std::to_string(missing.front().session_id) + ", " + missing.front().folder + ")");
  }
  return report;
}

}  // namespace screenreel

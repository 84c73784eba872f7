// The catalog journal's bytes and file (catalog_journal.hpp; the format is specified in
// schemas/archive-layout.md "catalog-journal").
#include "screenreel/archive/catalog_journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "screenreel/common/clock.hpp"

namespace screenreel {
namespace fs = std::filesystem;

namespace {

constexpr std::array<char, 8> kMagic = {'S', 'R', 'J', 'O', 'U', 'R', 'N', '1'};
// A record body is at most this long: a frame batch is a few hundred rows.
constexpr std::uint32_t kMaxBody = 64u << 20;

enum class Type : std::uint8_t { kFrames = 1, kEvents = 2, kSessionEnd = 3, kSeal = 4, kActivity = 5 };

std::uint32_t crc32(std::span<const std::uint8_t> bytes) {
  // CRC-32 (IEEE 802.3, zlib's crc32): reflected polynomial 0xEDB88320.
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t c = 0xFFFFFFFFu;
  for (const auto b : bytes) c = table[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

CatalogError journal_error(const std::string& what, CatalogError::Kind kind = CatalogError::Kind::kCorrupt) {
  return CatalogError(what, kind);
}

class Out {
 public:
  void u8(std::uint8_t v) { b_.push_back(v); }
  void u32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void i64(std::int64_t v) {
    const auto u = static_cast<std::uint64_t>(v);
    for (int i = 0; i < 8; ++i) b_.push_back(static_cast<std::uint8_t>(u >> (8 * i)));
  }
  void f64(double v) {
    std::uint64_t u;
    std::memcpy(&u, &v, sizeof u);
    i64(static_cast<std::int64_t>(u));
  }
  void bytes(std::span<const std::uint8_t> v) {
    u32(static_cast<std::uint32_t>(v.size()));
    b_.insert(b_.end(), v.begin(), v.end());
  }
  void str(const std::string& s) { bytes({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}); }
  void opt(const std::optional<std::int64_t>& v) {
    u8(v ? 1 : 0);
    if (v) i64(*v);
  }
  void opt(const std::optional<Digest>& v) {
    u8(v ? 1 : 0);
    if (v) b_.insert(b_.end(), v->begin(), v->end());
  }
  std::vector<std::uint8_t> take() { return std::move(b_); }

 private:
  std::vector<std::uint8_t> b_;
};

class In {
 public:
  explicit In(std::span<const std::uint8_t> b) : b_(b) {}
  std::span<const std::uint8_t> take(std::size_t n, const char* field) {
    if (b_.size() - at_ < n) throw journal_error(std::string("journal record ends inside its ") + field);
    const auto out = b_.subspan(at_, n);
    at_ += n;
    return out;
  }
  std::uint8_t u8(const char* f) { return take(1, f)[0]; }
  std::uint32_t u32(const char* f) {
    const auto s = take(4, f);
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | s[static_cast<std::size_t>(i)];
    return v;
  }
  std::int64_t i64(const char* f) {
    const auto s = take(8, f);
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | s[static_cast<std::size_t>(i)];
    return static_cast<std::int64_t>(v);
  }
  double f64(const char* f) {
    const auto u = static_cast<std::uint64_t>(i64(f));
    double v;
    std::memcpy(&v, &u, sizeof v);
    return v;
  }
  std::vector<std::uint8_t> bytes(const char* f) {
    const auto n = u32(f);
    const auto s = take(n, f);  // checked against what is left before anything is allocated
    return {s.begin(), s.end()};
  }
  std::string str(const char* f) {
    const auto v = bytes(f);
    return {v.begin(), v.end()};
  }
  std::optional<std::int64_t> opt_i64(const char* f) {
    if (!flag(f)) return std::nullopt;
    return i64(f);
  }
  std::optional<Digest> opt_digest(const char* f) {
    if (!flag(f)) return std::nullopt;
    return digest(f);
  }
  Digest digest(const char* f) {
    const auto s = take(Digest{}.size(), f);
    Digest d;
    std::copy(s.begin(), s.end(), d.begin());
    return d;
  }
  // A count of items each at least `min_bytes` long: checked against what is left.
  std::uint32_t count(std::size_t min_bytes, const char* f) {
    const auto n = u32(f);
    if (static_cast<std::uint64_t>(n) * min_bytes > b_.size() - at_)
      throw journal_error(std::string("journal record's count of ") + f + " is larger than the record");
    return n;
  }
  bool done() const { return at_ == b_.size(); }

 private:
  bool flag(const char* f) {
    const auto v = u8(f);
    if (v > 1) throw journal_error(std::string("journal record's ") + f + " presence flag is " + std::to_string(v));
    return v == 1;
  }
  std::span<const std::uint8_t> b_;
  std::size_t at_ = 0;
};

struct Encoder {
  Out& o;
  void operator()(const JournalFrames& r) {
    o.u8(static_cast<std::uint8_t>(Type::kFrames));
    o.u32(static_cast<std::uint32_t>(r.frames.size()));
    for (const auto& f : r.frames) {
      o.i64(f.session_id);
      o.i64(f.seq);
      o.i64(f.tick);
      o.i64(f.capture_us);
      o.i64(f.receive_us);
      o.i64(f.written_us);
      o.opt(f.displayed_us);
      o.str(f.file);
      o.u32(f.width);
      o.u32(f.height);
      o.i64(f.jpeg_bytes);
      o.opt(f.same_as);
      o.opt(f.sha256);
      o.opt(f.chain);
      o.u8(f.activity ? 1 : 0);
      if (f.activity) {
        o.f64(f.activity->changed_share);
        o.i64(f.activity->changed_tiles);
      }
    }
    o.u32(static_cast<std::uint32_t>(r.displayed.size()));
    for (const auto& d : r.displayed) {
      o.i64(d.session_id);
      o.i64(d.seq);
      o.i64(d.displayed_us);
    }
  }
  void operator()(const SessionEvents& r) {
    o.u8(static_cast<std::uint8_t>(Type::kEvents));
    o.u32(static_cast<std::uint32_t>(r.markers.size()));
    for (const auto& m : r.markers) {
      o.i64(m.session_id);
      o.i64(m.time_us);
      o.i64(m.tick);
      o.opt(m.frame);
      o.str(m.label);
      o.str(m.source);
    }
    o.u32(static_cast<std::uint32_t>(r.pauses.size()));
    for (const auto& p : r.pauses) {
      o.i64(p.session_id);
      o.i64(p.from_tick);
      o.i64(p.from_us);
      o.opt(p.to_tick);
      o.opt(p.to_us);
      o.str(p.reason);
    }
    o.u32(static_cast<std::uint32_t>(r.pause_ends.size()));
    for (const auto& e : r.pause_ends) {
      o.i64(e.session_id);
      o.i64(e.to_tick);
      o.i64(e.to_us);
    }
    o.u32(static_cast<std::uint32_t>(r.ledger.size()));
    for (const auto& l : r.ledger) {
      o.i64(l.session_id);
      o.i64(l.first_tick);
      o.i64(l.last_tick);
      o.str(l.cause);
    }
    // Appended with catalog schema 6: a journal written before has no more bytes here.
    o.u32(static_cast<std::uint32_t>(r.windows.size()));
    for (const auto& w : r.windows) {
      o.i64(w.session_id);
      o.i64(w.from_tick);
      o.i64(w.from_us);
      o.opt(w.to_tick);
      o.opt(w.to_us);
      o.i64(w.window_id);
      o.str(w.title);
      o.i64(w.x);
      o.i64(w.y);
      o.i64(w.width);
      o.i64(w.height);
    }
    o.u32(static_cast<std::uint32_t>(r.window_ends.size()));
    for (const auto& e : r.window_ends) {
      o.i64(e.session_id);
      o.opt(e.window_id);
      o.i64(e.to_tick);
      o.i64(e.to_us);
    }
  }
  void operator()(const JournalSessionEnd& r) {
    o.u8(static_cast<std::uint8_t>(Type::kSessionEnd));
    o.i64(r.id);
    o.i64(r.ended_us);
    o.str(r.reason);
    o.str(r.error);
    o.i64(r.dropped);
  }
  void operator()(const JournalSeal& r) {
    o.u8(static_cast<std::uint8_t>(Type::kSeal));
    o.i64(r.id);
    o.opt(std::optional<Digest>(r.head));
    o.i64(r.frames);
    o.bytes(r.signature);
    o.bytes(r.signer);
  }
  void operator()(const JournalActivity& r) {
    o.u8(static_cast<std::uint8_t>(Type::kActivity));
    o.i64(r.session_id);
    o.u32(static_cast<std::uint32_t>(r.rows.size()));
    for (const auto& [seq, a] : r.rows) {
      o.i64(seq);
      o.f64(a.changed_share);
      o.i64(a.changed_tiles);
    }
  }
};

JournalRecord decode_body(In& in) {
  const auto type = in.u8("type");
  switch (static_cast<Type>(type)) {
    case Type::kFrames: {
      JournalFrames r;
      const auto n = in.count(64, "frames");
      r.frames.reserve(n);
      for (std::uint32_t i = 0; i < n; ++i) {
        FrameRecord f;
        f.session_id = in.i64("session_id");
        f.seq = in.i64("seq");
        f.tick = in.i64("tick");
        f.capture_us = in.i64("capture_us");
        f.receive_us = in.i64("receive_us");
        f.written_us = in.i64("written_us");
        f.displayed_us = in.opt_i64("displayed_us");
        f.file = in.str("file");
        f.width = in.u32("width");
        f.height = in.u32("height");
        f.jpeg_bytes = in.i64("jpeg_bytes");
        f.same_as = in.opt_i64("same_as");
        f.sha256 = in.opt_digest("sha256");
        f.chain = in.opt_digest("chain");
        if (const auto has = in.u8("activity"); has == 1)
          f.activity = FrameActivity{in.f64("changed_share"), in.i64("changed_tiles")};
        else if (has != 0)
          throw journal_error("journal record's activity presence flag is " + std::to_string(has));
        r.frames.push_back(std::move(f));
      }
      const auto d = in.count(24, "displayed");
      for (std::uint32_t i = 0; i < d; ++i)
        r.displayed.push_back({in.i64("session_id"), in.i64("seq"), in.i64("displayed_us")});
      return r;
    }
    case Type::kEvents: {
      SessionEvents r;
      for (auto n = in.count(33, "markers"); n > 0; --n) {
        MarkerRecord m;
        m.session_id = in.i64("session_id");
        m.time_us = in.i64("time_us");
        m.tick = in.i64("tick");
        m.frame = in.opt_i64("frame");
        m.label = in.str("label");
        m.source = in.str("source");
        r.markers.push_back(std::move(m));
      }
      for (auto n = in.count(30, "pauses"); n > 0; --n) {
        PauseRecord p;
        p.session_id = in.i64("session_id");
        p.from_tick = in.i64("from_tick");
        p.from_us = in.i64("from_us");
        p.to_tick = in.opt_i64("to_tick");
        p.to_us = in.opt_i64("to_us");
        p.reason = in.str("reason");
        r.pauses.push_back(std::move(p));
      }
      for (auto n = in.count(24, "pause_ends"); n > 0; --n)
        r.pause_ends.push_back({in.i64("session_id"), in.i64("to_tick"), in.i64("to_us")});
      for (auto n = in.count(28, "ledger"); n > 0; --n) {
        LedgerRun l;
        l.session_id = in.i64("session_id");
        l.first_tick = in.i64("first_tick");
        l.last_tick = in.i64("last_tick");
        l.cause = in.str("cause");
        r.ledger.push_back(std::move(l));
      }
      if (in.done()) return r;  // written before catalog schema 6: no windows
      for (auto n = in.count(70, "windows"); n > 0; --n) {
        WindowRecord w;
        w.session_id = in.i64("session_id");
        w.from_tick = in.i64("from_tick");
        w.from_us = in.i64("from_us");
        w.to_tick = in.opt_i64("to_tick");
        w.to_us = in.opt_i64("to_us");
        w.window_id = in.i64("window_id");
        w.title = in.str("title");
        w.x = in.i64("x");
        w.y = in.i64("y");
        w.width = in.i64("width");
        w.height = in.i64("height");
        r.windows.push_back(std::move(w));
      }
      for (auto n = in.count(25, "window_ends"); n > 0; --n) {
        WindowEnd e;
        e.session_id = in.i64("session_id");
        e.window_id = in.opt_i64("window_id");
        e.to_tick = in.i64("to_tick");
        e.to_us = in.i64("to_us");
        r.window_ends.push_back(e);
      }
      return r;
    }
    case Type::kSessionEnd: {
      JournalSessionEnd r;
      r.id = in.i64("id");
      r.ended_us = in.i64("ended_us");
      r.reason = in.str("reason");
      r.error = in.str("error");
      r.dropped = in.i64("dropped");
      return r;
    }
    case Type::kSeal: {
      JournalSeal r;
      r.id = in.i64("id");
      const auto head = in.opt_digest("head");
      if (!head) throw journal_error("journal seal record has no head");
      r.head = *head;
      r.frames = in.i64("frames");
      r.signature = in.bytes("signature");
      r.signer = in.bytes("signer");
      return r;
    }
    case Type::kActivity: {
      JournalActivity r;
      r.session_id = in.i64("session_id");
      for (auto n = in.count(24, "activity rows"); n > 0; --n) {
        const auto seq = in.i64("seq");
        const auto share = in.f64("changed_share");
        r.rows.push_back({seq, FrameActivity{share, in.i64("changed_tiles")}});
      }
      return r;
    }
  }
  throw journal_error("journal record of unknown type " + std::to_string(type) +
                      " (written by a newer screenreel: replay it with that version)");
}

std::uint32_t le32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

void write_all(int fd, std::span<const std::uint8_t> bytes, const fs::path& path) {
  while (!bytes.empty()) {
    const auto n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      throw CatalogError("cannot write the catalog journal " + path.string() + ": " + std::strerror(e),
                         e == ENOSPC || e == EDQUOT ? CatalogError::Kind::kFull : CatalogError::Kind::kOther);
    }
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
}

void sync(int fd, const fs::path& path) {
  if (::fdatasync(fd) != 0)
    throw CatalogError("cannot make the catalog journal " + path.string() + " durable: " + std::strerror(errno),
                       CatalogError::Kind::kOther);
}

}  // namespace

std::vector<std::uint8_t> encode_journal_record(const JournalRecord& record) {
  Out o;
  std::visit(Encoder{o}, record);
  return o.take();
}

JournalRecord decode_journal_record(std::span<const std::uint8_t> body) {
  In in(body);
  auto r = decode_body(in);
  // Bytes after the fields a reader knows are fields a newer writer appended: ignored.
  return r;
}

JournalContents read_catalog_journal(const fs::path& path) {
  JournalContents out;
  std::ifstream in(path, std::ios::binary);
  if (!in) return out;
  const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (bytes.empty()) return out;
  if (bytes.size() < kMagic.size() || !std::equal(kMagic.begin(), kMagic.end(), bytes.begin()))
    throw CatalogError(path.string() + " is not a screenreel catalog journal (its first bytes are not SRJOURN1)",
                       CatalogError::Kind::kCorrupt);
  std::size_t at = kMagic.size();
  for (std::size_t n = 1;; ++n) {
    out.good_bytes = at;
    const std::size_t left = bytes.size() - at;
    if (left == 0) break;
    const std::uint32_t length = left >= 8 ? le32(&bytes[at]) : 0;
    if (left < 8 || (length <= kMaxBody && left - 8 < length)) {
      out.torn_bytes = left;  // the last append was cut short by a crash: it was never acknowledged
      break;
    }
    const auto where = path.string() + " record " + std::to_string(n) + " at byte " + std::to_string(at);
    if (length > kMaxBody) {
      out.problem = where + ": length " + std::to_string(length) + " is over the limit; it and the records after it "
                    "are not replayed";
      break;
    }
    const std::span<const std::uint8_t> body(&bytes[at + 8], length);
    if (crc32(body) != le32(&bytes[at + 4])) {
      out.problem = where + ": checksum mismatch; it and the records after it are not replayed";
      break;
    }
    try {
      out.records.push_back(decode_journal_record(body));
    } catch (const CatalogError& e) {
      out.problem = where + ": " + e.what() + "; it and the records after it are not replayed";
      break;
    }
    at += 8 + length;
  }
  return out;
}

std::map<std::int64_t, JournaledSession> journaled_sessions(const JournalContents& contents) {
  std::map<std::int64_t, JournaledSession> out;
  for (const auto& r : contents.records) {
    if (const auto* f = std::get_if<JournalFrames>(&r))
      for (const auto& row : f->frames) ++out[row.session_id].frames;
    else if (const auto* e = std::get_if<JournalSessionEnd>(&r))
      out[e->id].ended = true;
    else if (const auto* ev = std::get_if<SessionEvents>(&r)) {
      for (const auto& m : ev->markers) out[m.session_id];
      for (const auto& l : ev->ledger) out[l.session_id];
    }
  }
  return out;
}

std::vector<std::string> journaled_session_notes(std::span<const SessionRecord> sessions,
                                                 const fs::path& archive_root) {
  std::map<fs::path, std::map<std::int64_t, JournaledSession>> by_root;
  std::vector<std::string> notes;
  for (const auto& s : sessions) {
    const fs::path root = s.archive_root.empty() ? archive_root : fs::path(s.archive_root);
    auto it = by_root.find(root);
    if (it == by_root.end()) {
      std::map<std::int64_t, JournaledSession> found;
      try {
        found = journaled_sessions(read_catalog_journal(catalog_journal_path(root)));
      } catch (const CatalogError& e) {
        notes.push_back(e.what());
      }
      it = by_root.emplace(root, std::move(found)).first;
    }
    const auto j = it->second.find(s.id);
    if (j == it->second.end()) continue;
    notes.push_back("session " + std::to_string(s.id) + " (" + s.name + "): " + std::to_string(j->second.frames) +
                    " frame rows" + (j->second.ended ? " and its end" : "") + " still wait in " +
                    catalog_journal_path(root).string() +
                    " (its receiver writes them to the catalog when the database answers again)");
  }
  return notes;
}

void apply_journal_record(CatalogWriter& catalog, const JournalRecord& record) {
  struct Apply {
    CatalogWriter& c;
    void operator()(const JournalFrames& r) {
      // A batch is one transaction: it is in the catalog whole or not at all (a commit whose
      // answer was lost, or a journal written out before a crash). Only the rows not there go
      // in, so that a duplicate stays an error for every other writer (the catalog contract).
      std::vector<FrameRecord> missing;
      for (const auto& f : r.frames)
        if (!c.frame(f.session_id, f.seq)) missing.push_back(f);
      c.add_frames(missing, r.displayed);
    }
    void operator()(const SessionEvents& r) { c.add_events(r); }
    void operator()(const JournalSessionEnd& r) { c.end_session(r.id, r.ended_us, r.reason, r.error, r.dropped); }
    void operator()(const JournalSeal& r) { c.seal_session(r.id, r.head, r.frames, r.signature, r.signer); }
    void operator()(const JournalActivity& r) { c.set_frame_activity(r.session_id, r.rows); }
  };
  std::visit(Apply{catalog}, record);
}

fs::path catalog_journal_path(const fs::path& archive_root) { return archive_root / "catalog-journal"; }

CatalogJournal::CatalogJournal(fs::path path, std::uint64_t max_bytes) : path_(std::move(path)), max_bytes_(max_bytes) {
  open_file();
}

void CatalogJournal::open_file() {
  const auto contents = read_catalog_journal(path_);  // throws when the file is not a journal
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd_ < 0)
    throw CatalogError("cannot open the catalog journal " + path_.string() + ": " + std::strerror(errno),
                       CatalogError::Kind::kOther);
  struct stat st{};
  ::fstat(fd_, &st);
  if (st.st_size == 0) {
    write_all(fd_, {reinterpret_cast<const std::uint8_t*>(kMagic.data()), kMagic.size()}, path_);
    sync(fd_, path_);
    size_ = kHeaderBytes;
  } else {
    // A torn tail goes: the next record follows the last whole one. A damaged record stays, for
    // the receiver to set aside once it has written what comes before it.
    size_ = contents.problem.empty() ? contents.good_bytes : static_cast<std::uint64_t>(st.st_size);
    if (contents.torn_bytes && ::ftruncate(fd_, static_cast<off_t>(size_)) == 0) sync(fd_, path_);
  }
  ::lseek(fd_, static_cast<off_t>(size_), SEEK_SET);
}

CatalogJournal::~CatalogJournal() {
  if (fd_ >= 0) ::close(fd_);
}

void CatalogJournal::append(const JournalRecord& record) {
  const auto body = encode_journal_record(record);
  if (body.size() > kMaxBody)
    throw CatalogError("a catalog journal record of " + std::to_string(body.size()) + " bytes is over the limit",
                       CatalogError::Kind::kOther);
  if (size_ + 8 + body.size() > max_bytes_)
    throw CatalogError("the catalog journal " + path_.string() + " is full (--catalog-journal-mb " +
                           std::to_string(max_bytes_ >> 20) +
                           "): the sessions stop; their clients keep what was not stored and send it again when "
                           "the catalog's database answers",
                       CatalogError::Kind::kFull);
  std::vector<std::uint8_t> framed(8);
  const auto length = static_cast<std::uint32_t>(body.size()), sum = crc32(body);
  for (int i = 0; i < 4; ++i) {
    framed[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(length >> (8 * i));
    framed[static_cast<std::size_t>(4 + i)] = static_cast<std::uint8_t>(sum >> (8 * i));
  }
  framed.insert(framed.end(), body.begin(), body.end());
  try {
    write_all(fd_, framed, path_);
    sync(fd_, path_);
  } catch (...) {
    // Nothing half-written stays for the next record to follow.
    if (::ftruncate(fd_, static_cast<off_t>(size_)) == 0) ::lseek(fd_, static_cast<off_t>(size_), SEEK_SET);
    throw;
  }
  size_ += framed.size();
}

void CatalogJournal::clear() {
  if (::ftruncate(fd_, static_cast<off_t>(kHeaderBytes)) != 0)
    throw CatalogError("cannot empty the catalog journal " + path_.string() + ": " + std::strerror(errno),
                       CatalogError::Kind::kOther);
  sync(fd_, path_);
  size_ = kHeaderBytes;
  ::lseek(fd_, static_cast<off_t>(size_), SEEK_SET);
}

JournalContents CatalogJournal::read() const { return read_catalog_journal(path_); }

fs::path CatalogJournal::set_aside() {
  const fs::path aside = path_.string() + ".damaged-" + std::to_string(wall_clock_us() / 1'000'000);
  ::close(fd_);
  fd_ = -1;
  fs::rename(path_, aside);
  open_file();
  return aside;
}

}  // namespace screenreel

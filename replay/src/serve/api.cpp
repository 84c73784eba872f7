// The JSON API (see api.hpp and schemas/http-api.md).
#include "api.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

#include "activity_timeline.hpp"
#include "screenreel/archive/session_files.hpp"
#include "screenreel/replay/archive_access.hpp"
#include "screenreel/replay/archive_roots.hpp"
#include "screenreel/replay/json.hpp"
#include "screenreel/replay/listing.hpp"
#include "screenreel/replay/session_events.hpp"
#include "screenreel/replay/session_summary.hpp"
#include "screenreel/replay/text_search.hpp"

namespace screenreel::replay::serve {
namespace {
namespace fs = std::filesystem;

constexpr int kDefaultSessions = 50, kMaxSessions = 500;
constexpr int kDefaultHits = 20, kMaxHits = 200;
constexpr std::size_t kMaxFramesPerAnswer = 200'000;  // about 20 MB of JSON: a long session is asked in parts
constexpr std::uint64_t kMaxFrameBytes = 64 << 20;  // far above any JPEG a receiver writes
constexpr std::int64_t kDefaultBucketUs = 1'000'000, kMinBucketUs = 10'000;
constexpr std::int64_t kDefaultGapUs = 2'000'000;
constexpr std::size_t kMaxBuckets = 100'000;

std::string text_param(const Query& q, const char* name) {
  const auto it = q.find(name);
  return it == q.end() ? std::string() : it->second;
}

SessionRecord session_or_404(CatalogReader& catalog, std::string_view id_text) {
  const auto id = parse_number(id_text, std::numeric_limits<std::int64_t>::max());
  std::optional<SessionRecord> s;
  if (id) s = catalog.session(*id);
  if (!s || s->deleting) throw ApiError(404, "no session " + std::string(id_text));
  return *s;
}

// list --json's object, with what the pages need besides.
Json session_api_json(CatalogReader& catalog, const SessionRecord& s, bool receiver_running) {
  const SessionSummary sum = summarize(catalog, s, receiver_running);
  Json j = session_json(sum);
  j["live"] = sum.status == "recording";
  j["duration_us"] = sum.duration_us;
  j["width"] = s.width;
  j["height"] = s.height;
  j["fps"] = s.fps;
  j["first_capture_us"] = json_or_null(sum.first_capture_us);
  j["last_capture_us"] = json_or_null(sum.last_capture_us);
  j["thumbnail"] = s.frame_count > 0 ? Json("/api/frames/" + std::to_string(s.id) + "/1.jpg") : Json();
  return j;
}

// Whether a receiver writes into the archive that holds the session's folder (on a catalog a
// fleet shares, each receiver's own: session_archive_root); `seen` keeps the answer per archive.
bool receiver_running(const ArchivePaths& paths, const SessionRecord& s, std::map<fs::path, bool>& seen) {
  const fs::path root = session_archive_root(paths, s);
  const auto it = seen.find(root);
  if (it != seen.end()) return it->second;
  return seen[root] = running_receiver_pid(ArchivePaths(root)).has_value();
}

ApiAnswer sessions(CatalogReader& catalog, const ArchivePaths& paths, const Query& q) {
  const auto offset = number_param(q, "offset", std::numeric_limits<std::int32_t>::max()).value_or(0);
  const auto limit = number_param(q, "limit", kMaxSessions).value_or(kDefaultSessions);
  std::map<fs::path, bool> running;
  const SessionPage page = catalog.session_page(offset, limit, text_param(q, "name"));
  Json list = Json::array();
  for (const auto& s : page.sessions)
    list.push_back(session_api_json(catalog, s, receiver_running(paths, s, running)));
  Json j;
  j["total"] = page.total;
  j["offset"] = offset;
  j["limit"] = limit;
  j["sessions"] = std::move(list);
  return {"application/json", json_text(j), {}};
}

ApiAnswer session(CatalogReader& catalog, const ArchivePaths& paths, std::string_view id) {
  const SessionRecord s = session_or_404(catalog, id);
  std::map<fs::path, bool> running;
  Json j = session_api_json(catalog, s, receiver_running(paths, s, running));
  j["client_address"] = s.client_address;
  j["source"] = s.source;
  j["error"] = json_or_null(s.error);
  return {"application/json", json_text(j), {}};
}

ApiAnswer frames(CatalogReader& catalog, std::string_view id, const Query& q) {
  const SessionRecord s = session_or_404(catalog, id);
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max() / 4;
  const auto from = number_param(q, "from", kMax).value_or(0);
  const auto to = number_param(q, "to", kMax).value_or(kMax);
  if (to < from) throw ApiError(400, "to (" + std::to_string(to) + ") is before from (" + std::to_string(from) + ")");
  const auto origin = catalog.frame_times(s.id).first_capture_us;
  Json list = Json::array();
  bool truncated = false;
  if (origin) {
    std::vector<FrameRecord> rows;
    if (auto first = catalog.frame_at(s.id, *origin + from)) rows.push_back(*first);
    auto rest = catalog.frames_captured_between(s.id, *origin + from, *origin + to);
    rows.insert(rows.end(), rest.begin(), rest.end());
    truncated = rows.size() > kMaxFramesPerAnswer;
    if (truncated) rows.resize(kMaxFramesPerAnswer);
    for (const auto& f : rows)
      list.push_back({{"number", f.seq},
                      {"offset_us", f.capture_us - *origin},
                      {"capture_us", f.capture_us},
                      {"file", f.file},
                      {"width", f.width},
                      {"height", f.height},
                      {"bytes", f.jpeg_bytes}});
  }
  Json j;
  j["session"] = s.id;
  j["origin_us"] = json_or_null(origin);
  j["frames"] = std::move(list);
  j["truncated"] = truncated;
  return {"application/json", json_text(j), {}};
}

// Offsets keep 4 decimals of a share: enough for a strip a few thousand pixels wide.
double rounded(double share) { return std::round(share * 10'000) / 10'000; }

ApiAnswer timeline(CatalogReader& catalog, std::string_view id, const Query& q) {
  const SessionRecord s = session_or_404(catalog, id);
  constexpr std::int64_t kHour = 3'600'000'000;
  const auto bucket = number_param(q, "bucket", kHour).value_or(kDefaultBucketUs);
  if (bucket < kMinBucketUs) throw ApiError(400, "parameter bucket must be at least " + std::to_string(kMinBucketUs));
  const auto gap = number_param(q, "gap", std::numeric_limits<std::int64_t>::max() / 4).value_or(kDefaultGapUs);
  ActivityTimeline t;
  try {
    t = activity_timeline(catalog, s.id, bucket, gap, kMaxBuckets);
  } catch (const std::invalid_argument& e) {
    throw ApiError(400, e.what());
  }
  Json activity = Json::array();
  for (double a : t.activity) activity.push_back(rounded(a));
  Json gaps = Json::array();
  for (const auto& g : t.gaps) gaps.push_back({{"from_us", g.from_us}, {"to_us", g.to_us}});
  Json j;
  j["session"] = s.id;
  j["origin_us"] = t.activity.empty() ? Json() : Json(t.origin_us);
  j["end_us"] = t.end_us;
  j["bucket_us"] = bucket;
  j["activity"] = std::move(activity);
  j["changed_tiles"] = t.tiles;
  j["frames"] = t.frames;
  j["skipped_ticks"] = t.skipped;
  j["gaps"] = std::move(gaps);
  j["dropped"] = s.dropped;
  j["unmeasured_frames"] = t.unmeasured;
  // What happened besides frames (schema 5): markers as `markers --json` gives them, pauses as
  // spans of offsets (an open one lasts to the last frame).
  const SessionEventsSummary events = session_events(catalog, s.id);
  j["markers"] = markers_json(catalog, s, events.markers);
  Json pauses = Json::array();
  for (const auto& p : events.pauses)
    pauses.push_back({{"from_us", p.from_us - t.origin_us},
                      {"to_us", p.to_us ? *p.to_us - t.origin_us : t.end_us},
                      {"open", !p.to_us.has_value()},
                      {"reason", p.reason}});
  j["pauses"] = std::move(pauses);
  return {"application/json", json_text(j), {}};
}

// The next (or previous) frame whose activity is above zero: the player's n and N keys.
ApiAnswer change(CatalogReader& catalog, std::string_view id, const Query& q) {
  const SessionRecord s = session_or_404(catalog, id);
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  const auto after = number_param(q, "after", kMax), before = number_param(q, "before", kMax);
  if (after.has_value() == before.has_value()) throw ApiError(400, "give one of the parameters after or before");
  const auto f = catalog.next_change(s.id, after ? *after : *before, after.has_value());
  const auto origin = catalog.frame_times(s.id).first_capture_us;
  Json j;
  j["session"] = s.id;
  j["frame"] = f && origin ? Json{{"number", f->seq},
                                  {"offset_us", f->capture_us - *origin},
                                  {"changed_share", rounded(f->activity ? f->activity->changed_share : 0)},
                                  {"changed_tiles", f->activity ? f->activity->changed_tiles : 0}}
                           : Json();
  return {"application/json", json_text(j), {}};
}

// A file descriptor closed when it goes out of scope.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// The frame's file, opened as the archive layout states: the session's folder inside sessions/ of
// the archive that holds it (session_archive_root) and the file inside it, each a plain name and
// neither a symbolic link. It is sent from the open descriptor (BodyFile), never read whole into
// memory.
std::optional<BodyFile> open_frame_file(const ArchivePaths& paths, const SessionRecord& s, const FrameRecord& f) {
  if (!is_plain_file_name(s.folder) || !is_plain_file_name(f.file)) return std::nullopt;
  const ArchivePaths holder(session_archive_root(paths, s));
  const Fd sessions{::open(holder.sessions().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (sessions.fd < 0) return std::nullopt;
  const Fd folder{::openat(sessions.fd, s.folder.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
  if (folder.fd < 0) return std::nullopt;
  auto file = BodyFile::open_at(folder.fd, f.file.c_str());
  if (!file || file->size() > kMaxFrameBytes) return std::nullopt;
  return file;
}

ApiAnswer frame_jpeg(CatalogReader& catalog, const ArchivePaths& paths, std::string_view id, std::string_view name,
                     const Query& q) {
  const SessionRecord s = session_or_404(catalog, id);
  std::optional<FrameRecord> f;
  if (name.ends_with(".jpg"))
    if (const auto seq = parse_number(name.substr(0, name.size() - 4), std::numeric_limits<std::int64_t>::max()))
      f = catalog.frame(s.id, *seq);
  if (!f) throw ApiError(404, "session " + std::to_string(s.id) + " has no frame " + std::string(name));
  auto file = open_frame_file(paths, s, *f);
  if (!file)
    throw ApiError(404, "frame " + std::to_string(f->seq) + " of session " + std::to_string(s.id) +
                            " is not in its session folder as the archive layout states (run verify)");
  // ?download: saved under a name that says which session and frame it is.
  return {"image/jpeg", {}, q.contains("download") ? s.folder + "-" + f->file : std::string(), std::move(*file)};
}

ApiAnswer search(CatalogReader& catalog, const Query& q) {
  TextQuery query;
  query.words = text_param(q, "q");
  if (query.words.empty()) throw ApiError(400, "parameter q (the words to search for) is missing");
  query.limit = static_cast<int>(number_param(q, "limit", kMaxHits).value_or(kDefaultHits));
  if (query.limit < 1) throw ApiError(400, "parameter limit must be at least 1");
  if (q.contains("session")) query.session_id = session_or_404(catalog, text_param(q, "session")).id;
  std::vector<TextHit> hits;
  try {
    hits = search_text(catalog, query);
  } catch (const Failure& e) {
    throw ApiError(400, e.what());
  } catch (const std::invalid_argument& e) {
    throw ApiError(400, e.what());
  }
  Json list = Json::array();
  for (const auto& h : hits) {
    // The matched words' boxes on the frame where the line was first seen (frame --highlight's).
    Json boxes = Json::array();
    for (const auto& b : highlight_boxes(catalog, h.session_id, h.first_seq, query.words))
      boxes.push_back({{"x", b.x}, {"y", b.y}, {"width", b.w}, {"height", b.h}});
    const auto f = catalog.frame(h.session_id, h.first_seq);
    list.push_back({{"session", h.session_id},
                    {"session_name", h.session_name},
                    {"number", h.first_seq},
                    {"offset_us", h.first_us - h.origin_us},
                    {"last_number", h.last_seq},
                    {"last_offset_us", h.last_us - h.origin_us},
                    {"text", h.text},
                    {"box", {{"x", h.box.x}, {"y", h.box.y}, {"width", h.box.w}, {"height", h.box.h}}},
                    {"highlights", std::move(boxes)},
                    {"thumbnail", "/api/frames/" + std::to_string(h.session_id) + "/" + std::to_string(h.first_seq) + ".jpg"},
                    {"width", f ? Json(f->width) : Json()},
                    {"height", f ? Json(f->height) : Json()}});
  }
  Json j;
  j["hits"] = std::move(list);
  j["unindexed_sessions"] = catalog.sessions_without_text_index().size();
  return {"application/json", json_text(j), {}};
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decoded(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%') {
      const int hi = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
      const int lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) throw ApiError(400, "malformed %-escape in the query");
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

std::optional<std::int64_t> parse_number(std::string_view text, std::int64_t max) {
  if (text.empty() || text.size() > 18 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  std::int64_t v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  if (v > max) return std::nullopt;
  return v;
}

std::optional<std::int64_t> number_param(const Query& q, const char* name, std::int64_t max) {
  const auto it = q.find(name);
  if (it == q.end()) return std::nullopt;
  const auto v = parse_number(it->second, max);
  if (!v)
    throw ApiError(400, std::string("parameter ") + name + " must be a whole number from 0 to " + std::to_string(max));
  return v;
}

std::string json_text(const Json& value) {
  std::ostringstream out;
  print_json(out, value);
  return out.str();
}

Query parse_query(std::string_view query) {
  Query out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    out[percent_decoded(pair.substr(0, eq))] =
        eq == std::string_view::npos ? std::string() : percent_decoded(pair.substr(eq + 1));
  }
  return out;
}

ApiAnswer answer_api(CatalogReader& catalog, const ArchivePaths& paths, std::string_view path, const Query& query) {
  std::vector<std::string_view> parts;
  for (std::string_view rest = path.substr(1); !rest.empty();) {
    const auto slash = rest.find('/');
    parts.push_back(rest.substr(0, slash));
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  }
  // parts[0] is "api"
  if (parts.size() == 2 && parts[1] == "sessions") return sessions(catalog, paths, query);
  if (parts.size() == 3 && parts[1] == "sessions") return session(catalog, paths, parts[2]);
  if (parts.size() == 4 && parts[1] == "sessions" && parts[3] == "frames") return frames(catalog, parts[2], query);
  if (parts.size() == 4 && parts[1] == "sessions" && parts[3] == "timeline") return timeline(catalog, parts[2], query);
  if (parts.size() == 4 && parts[1] == "sessions" && parts[3] == "change") return change(catalog, parts[2], query);
  if (parts.size() == 4 && parts[1] == "frames") return frame_jpeg(catalog, paths, parts[2], parts[3], query);
  if (parts.size() == 2 && parts[1] == "search") return search(catalog, query);
  throw ApiError(404, "no such API path (schemas/http-api.md lists them)");
}

}  // namespace screenreel::replay::serve

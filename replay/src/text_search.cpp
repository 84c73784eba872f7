// Searching the text index (see text_search.hpp).
#include "screenreel/replay/text_search.hpp"

#include <algorithm>
#include <cctype>

#include "screenreel/replay/archive_access.hpp"

namespace screenreel::replay {
namespace {

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    const std::size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) out.emplace_back(text.substr(start, i - start));
  }
  return out;
}

// Lower-case letters and digits only: how a word is compared for highlighting (FTS5's
// unicode61 tokenizer also ignores case and punctuation).
std::string folded(std::string_view word) {
  std::string out;
  for (const char c : word) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80 || std::isalnum(u)) out += static_cast<char>(std::tolower(u));
  }
  return out;
}

void require_text_index(Catalog& catalog) {
  if (!catalog.has_text_index())
    throw Failure(
        "this archive's catalog has no text index yet (catalog schema " +
        std::to_string(catalog.schema_version()) +
        "): run `screenreel-replay index --all`, which upgrades it and reads the recorded frames");
}

// text_spans.words: "[[x,y,w,h],...]".
std::vector<PixelRect> parse_word_boxes(std::string_view json) {
  std::vector<std::int32_t> numbers;
  for (std::size_t i = 0; i < json.size();) {
    if (std::isdigit(static_cast<unsigned char>(json[i])) || json[i] == '-') {
      std::size_t used = 0;
      numbers.push_back(
          static_cast<std::int32_t>(std::stol(std::string(json.substr(i, 12)), &used)));
      i += std::max<std::size_t>(used, 1);
    } else {
      ++i;
    }
  }
  std::vector<PixelRect> out;
  for (std::size_t i = 0; i + 3 < numbers.size(); i += 4)
    out.push_back({numbers[i], numbers[i + 1], numbers[i + 2], numbers[i + 3]});
  return out;
}

}  // namespace

std::string fts_query(std::string_view words) {
  std::string q;
  for (auto w : split_words(words)) {
    const bool prefix = w.size() > 1 && w.back() == '*';
    if (prefix) w.pop_back();
    std::string quoted = "\"";
    for (const char c : w) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    quoted += "\"";
    if (!q.empty()) q += ' ';
    q += quoted + (prefix ? "*" : "");
  }
  if (q.empty()) throw Failure("no words to search for");
  return q;
}

std::vector<TextHit> search_text(Catalog& catalog, const TextQuery& query) {
  require_text_index(catalog);
  std::string sql =
      "SELECT t.session_id, s.name, o.origin_us, t.first_seq, t.first_us, t.last_seq, t.last_us, "
      "t.text, "
      "highlight(text_fts, 0, char(2), char(3)), t.x, t.y, t.w, t.h, t.confidence, bm25(text_fts) "
      "FROM text_fts JOIN text_spans t ON t.id = text_fts.rowid JOIN sessions s ON s.id = "
      "t.session_id "
      "JOIN (SELECT id AS session_id, (SELECT min(capture_us) FROM frames f WHERE f.session_id = "
      "sessions.id) "
      "AS origin_us FROM sessions) o ON o.session_id = t.session_id "
      "WHERE text_fts MATCH ?1 AND (?2 IS NULL OR t.session_id = ?2) "
      "AND (?3 IS NULL OR t.last_us >= o.origin_us + ?3) AND (?4 IS NULL OR t.first_us <= "
      "o.origin_us + ?4) "
      "ORDER BY bm25(text_fts), t.first_us LIMIT ?5";
  auto s = catalog.db().prepare(sql);
  s.bind(1, fts_query(query.words));
  s.bind(2, query.session_id).bind(3, query.range.from_us).bind(4, query.range.to_us);
  s.bind(5, std::int64_t{query.limit});
  std::vector<TextHit> out;
  while (s.step()) {
    TextHit h;
    h.session_id = s.int64(0);
    h.session_name = s.text(1);
    h.origin_us = s.int64(2);
    h.first_seq = s.int64(3);
    h.first_us = s.int64(4);
    h.last_seq = s.int64(5);
    h.last_us = s.int64(6);
    h.text = s.text(7);
    h.marked = s.text(8);
    h.box = {static_cast<std::int32_t>(s.int64(9)), static_cast<std::int32_t>(s.int64(10)),
             static_cast<std::int32_t>(s.int64(11)), static_cast<std::int32_t>(s.int64(12))};
    h.confidence = s.real(13);
    h.rank = s.real(14);
    out.push_back(std::move(h));
  }
  return out;
}

std::vector<PixelRect> highlight_boxes(Catalog& catalog, std::int64_t session_id, std::int64_t seq,
                                       std::string_view words) {
  require_text_index(catalog);
  std::vector<std::string> wanted;
  for (const auto& w : split_words(words))
    if (auto f = folded(w); !f.empty()) wanted.push_back(f);
  auto s = catalog.db().prepare(
      "SELECT t.text, t.words, t.x, t.y, t.w, t.h FROM text_fts JOIN text_spans t ON t.id = "
      "text_fts.rowid "
      "WHERE text_fts MATCH ? AND t.session_id = ? AND t.first_seq <= ? AND t.last_seq >= ?");
  s.bind(1, fts_query(words)).bind(2, session_id).bind(3, seq).bind(4, seq);
  std::vector<PixelRect> out;
  while (s.step()) {
    const auto line_words = split_words(s.text(0));
    const auto boxes = parse_word_boxes(s.text(1));
    const auto before = out.size();
    for (std::size_t i = 0; i < line_words.size() && i < boxes.size(); ++i) {
      const std::string f = folded(line_words[i]);
      if (std::any_of(wanted.begin(), wanted.end(),
                      [&](const std::string& w) { return f.find(w) != std::string::npos; }))
        out.push_back(boxes[i]);
    }
    if (out.size() == before)
      out.push_back({static_cast<std::int32_t>(s.int64(2)), static_cast<std::int32_t>(s.int64(3)),
                     static_cast<std::int32_t>(s.int64(4)), static_cast<std::int32_t>(s.int64(5))});
  }
  return out;
}

std::optional<TextIndexSummary> text_index_summary(Catalog& catalog, std::int64_t session_id) {
  if (!catalog.has_text_index()) return std::nullopt;
  auto st = catalog.db().prepare(
      "SELECT indexer, lang, interval_us, through_seq, complete, "
      "(SELECT count(*) FROM text_spans WHERE session_id = ?1), "
      "(SELECT count(*) FROM ocr_passes WHERE session_id = ?1), "
      "(SELECT coalesce(max(done_us - capture_us), 0) FROM ocr_passes WHERE session_id = ?1), "
      "(SELECT coalesce(max(frames), 0) FROM ocr_passes WHERE session_id = ?1) "
      "FROM ocr_sessions WHERE session_id = ?1");
  st.bind(1, session_id);
  if (!st.step()) return std::nullopt;
  TextIndexSummary t;
  t.state = {st.text(0), st.text(1), st.int64(2), st.int64(3), st.int64(4) != 0};
  t.spans = st.int64(5);
  t.passes = st.int64(6);
  t.lag_max_us = st.int64(7);
  t.most_frames_merged = st.int64(8);
  auto median = catalog.db().prepare(
      "SELECT done_us - capture_us FROM ocr_passes WHERE session_id = ? ORDER BY 1 LIMIT 1 OFFSET "
      "?");
  median.bind(1, session_id).bind(2, t.passes / 2);
  if (median.step()) t.lag_median_us = median.int64(0);
  return t;
}

std::vector<std::int64_t> sessions_without_text_index(Catalog& catalog) {
  std::vector<std::int64_t> out;
  const char* sql = catalog.has_text_index()
                        ? "SELECT id FROM sessions WHERE frame_count > 0 AND id NOT IN "
                          "(SELECT session_id FROM ocr_sessions WHERE complete) ORDER BY id"
                        : "SELECT id FROM sessions WHERE frame_count > 0 ORDER BY id";
  auto s = catalog.db().prepare(sql);
  while (s.step()) out.push_back(s.int64(0));
  return out;
}

}  // namespace screenreel::replay

// `search`: the catalog's text index (text_spans, FTS5 text_fts) queried for words, and the
// boxes of those words on one frame (`frame --highlight`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "screenreel/archive/catalog.hpp"
#include "screenreel/replay/timeline.hpp"
#include "screenreel/archive/text_index.hpp"

namespace screenreel::replay {

// Words as typed ("disk full", "ERR*") as an FTS5 query: every word must appear, each one
// quoted so that punctuation and FTS5's operators are taken literally; a trailing * keeps its
// meaning (words starting with). Throws Failure when there is no word.
std::string fts_query(std::string_view words);

struct TextQuery {
  std::string words;
  std::optional<std::int64_t> session_id;
  TimeRange range;  // offsets from each session's first frame: spans on screen in [from, to]
  int limit = 20;
};

struct TextHit {
  std::int64_t session_id = 0;
  std::string session_name;
  std::int64_t origin_us = 0;  // the session's first capture time
  std::int64_t first_seq = 0, first_us = 0, last_seq = 0, last_us = 0;
  std::string text;
  // text with each matching word between kMarkOpen and kMarkClose
  std::string marked;
  PixelRect box;
  double confidence = 0;
  double rank = 0;  // FTS5 bm25: lower is better
};
inline constexpr char kMarkOpen = '\x02', kMarkClose = '\x03';

// Best first (bm25, then earliest). Throws Failure when the catalog has no text index yet.
std::vector<TextHit> search_text(Catalog& catalog, const TextQuery& query);

// The boxes of the words matching `words` in the text visible on frame `seq` of a session
// (spans with first_seq <= seq <= last_seq). A span matching as a whole but whose words do not
// (a phrase split differently) gives its line's box.
std::vector<PixelRect> highlight_boxes(Catalog& catalog, std::int64_t session_id, std::int64_t seq,
                                       std::string_view words);

// A session's text index for `info`: who built it, how far, and how far behind live it ran.
struct TextIndexSummary {
  OcrSessionState state;
  std::int64_t spans = 0, passes = 0;
  std::int64_t lag_median_us = 0, lag_max_us = 0;  // ocr_passes: done_us - capture_us
  std::int64_t most_frames_merged = 0;
};
// Empty when the session has no text index (or the catalog none at all).
std::optional<TextIndexSummary> text_index_summary(Catalog& catalog, std::int64_t session_id);

// The sessions that have frames but no complete text index ("index" would build it).
std::vector<std::int64_t> sessions_without_text_index(Catalog& catalog);

}  // namespace screenreel::replay

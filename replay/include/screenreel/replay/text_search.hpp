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

struct TextQuery {
  std::string words;
  std::optional<std::int64_t> session_id;
  TimeRange range;  // offsets from each session's first frame: spans on screen in [from, to]
  int limit = 20;
};


// Best first, then earliest (CatalogReader::find_text). Throws Failure when the catalog has no
// text index yet, or when there is no word to search for.
std::vector<TextHit> search_text(CatalogReader& catalog, const TextQuery& query);

// The boxes of the words matching `words` in the text visible on frame `seq` of a session
// (spans with first_seq <= seq <= last_seq). A span matching as a whole but whose words do not
// (a phrase split differently) gives its line's box.
std::vector<PixelRect> highlight_boxes(CatalogReader& catalog, std::int64_t session_id, std::int64_t seq,
                                       std::string_view words);

}  // namespace screenreel::replay

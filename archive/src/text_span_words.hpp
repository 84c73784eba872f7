// text_spans.words (schemas/catalog.sql): the boxes of a line's words as the JSON text
// "[[x,y,w,h],...]", written and read alike by every catalog backend.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "screenreel/common/pixel_rect.hpp"

namespace screenreel {

std::string words_json(const std::vector<PixelRect>& words);
std::vector<PixelRect> parse_word_boxes(std::string_view json);

// A session's spans with the passes around them (CatalogReader::for_each_text_span), for both
// backends: $1 is the session (SQLite takes it as a named parameter, bound by index 1).
inline constexpr std::string_view kTextSpanRows =
    "SELECT t.text, t.words, t.x, t.y, t.w, t.h, t.first_seq, t.last_seq, "
    "coalesce((SELECT max(p.seq) FROM ocr_passes p WHERE p.session_id = t.session_id AND p.seq < t.first_seq), 0), "
    "coalesce((SELECT min(p.seq) FROM ocr_passes p WHERE p.session_id = t.session_id AND p.seq > t.last_seq), 0) "
    "FROM text_spans t WHERE t.session_id = $1 ORDER BY t.first_seq, t.id";

}  // namespace screenreel

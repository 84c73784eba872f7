// text_spans.words, the JSON array of word boxes both catalog backends store (text_span_words.hpp).
#include "text_span_words.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace screenreel {

// text_spans.words: the JSON array [[x, y, w, h], ...] of the line's word boxes, in order
// (schemas/catalog.sql), written and read with nlohmann-json.
std::string words_json(const std::vector<PixelRect>& words) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& w : words) out.push_back({w.x, w.y, w.w, w.h});
  return out.dump();
}

// The boxes of a words value; a value that is not such an array (a row written by hand, a damaged
// catalog) gives no boxes rather than wrong ones: the line's text is still found, unboxed.
std::vector<PixelRect> parse_word_boxes(std::string_view text) {
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  std::vector<PixelRect> out;
  if (!json.is_array()) return out;
  for (const auto& box : json) {
    if (!box.is_array() || box.size() != 4 ||
        !std::all_of(box.begin(), box.end(), [](const nlohmann::json& v) { return v.is_number_integer(); }))
      return {};
    out.push_back({box[0].get<std::int32_t>(), box[1].get<std::int32_t>(), box[2].get<std::int32_t>(),
                   box[3].get<std::int32_t>()});
  }
  return out;
}

}  // namespace screenreel

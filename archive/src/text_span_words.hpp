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

}  // namespace screenreel

// Searching the text index (see text_search.hpp).
#include "screenreel/replay/text_search.hpp"

#include <algorithm>
#include <cctype>

#include "screenreel/replay/archive_access.hpp"

namespace screenreel::replay {
namespace {

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

void require_text_index(CatalogReader& catalog) {
  if (!catalog.has_text_index())
    throw Failure(
        "this archive's catalog has no text index yet (catalog schema " +
        std::to_string(catalog.schema_version()) +
        "): run `screenreel-replay index --all`, which upgrades it and reads the recorded frames");
}

// The words to look for, or Failure when there are none.
std::vector<std::string> words_to_find(std::string_view words) {
  auto out = split_words(words);
  if (out.empty()) throw Failure("no words to search for");
  return out;
}

}  // namespace

std::vector<TextHit> search_text(CatalogReader& catalog, const TextQuery& query) {
  require_text_index(catalog);
  words_to_find(query.words);
  return catalog.find_text({query.words, query.session_id, query.range.from_us, query.range.to_us, query.limit});
}

std::vector<PixelRect> highlight_boxes(CatalogReader& catalog, std::int64_t session_id, std::int64_t seq,
                                       std::string_view words) {
  require_text_index(catalog);
  std::vector<std::string> wanted;
  for (const auto& w : words_to_find(words))
    if (auto f = folded(w); !f.empty()) wanted.push_back(f);
  std::vector<PixelRect> out;
  for (const auto& span : catalog.text_on_frame(session_id, seq, std::string(words))) {
    const auto line_words = split_words(span.text);
    const auto before = out.size();
    for (std::size_t i = 0; i < line_words.size() && i < span.words.size(); ++i) {
      const std::string f = folded(line_words[i]);
      if (std::any_of(wanted.begin(), wanted.end(),
                      [&](const std::string& w) { return f.find(w) != std::string::npos; }))
        out.push_back(span.words[i]);
    }
    if (out.size() == before) out.push_back(span.box);
  }
  return out;
}

}  // namespace screenreel::replay

// The catalog's text index: spans of visible text, opened, extended and closed pass by pass.
// The rules are here; the catalog backend stores what they decide.
#include "screenreel/archive/text_index.hpp"

#include <cctype>

namespace screenreel {
namespace {

// Lines of the same text in boxes overlapping this much are the same line seen again.
constexpr double kSameBox = 0.5;

}  // namespace

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

double overlap_ratio(const PixelRect& a, const PixelRect& b) {
  const auto both = a.intersected(b).area();
  const auto either = a.area() + b.area() - both;
  return either > 0 ? static_cast<double>(both) / static_cast<double>(either) : 0.0;
}

std::optional<OcrSessionState> TextIndex::state(std::int64_t session_id) { return catalog_.text_state(session_id); }

void TextIndex::begin(std::int64_t session_id, const std::string& indexer, const std::string& lang,
                      std::int64_t interval_us) {
  catalog_.begin_text_index(session_id, indexer, lang, interval_us);
}

std::vector<OpenSpan> TextIndex::open_spans(std::int64_t session_id) { return catalog_.open_spans(session_id); }

PassResult TextIndex::apply(std::int64_t session_id, const OcrPass& pass, std::int64_t done_us) {
  PassResult r;
  r.extended = catalog_.apply_text_pass(session_id, [&](const std::vector<OpenSpan>& open) {
    TextPassChanges changes;
    std::vector<bool> line_matched(pass.lines.size(), false);
    for (const auto& span : open) {
      const bool touched = std::any_of(pass.regions.begin(), pass.regions.end(),
                                       [&](const PixelRect& region) { return region.intersects(span.box); });
      if (!touched) continue;
      bool found = false;
      for (std::size_t i = 0; i < pass.lines.size() && !found; ++i) {
        if (line_matched[i] || pass.lines[i].text != span.text) continue;
        if (overlap_ratio(pass.lines[i].box, span.box) > kSameBox) line_matched[i] = found = true;
      }
      if (found) continue;
      std::optional<FrameMoment> until;
      if (pass.unchanged_until) until = pass.unchanged_until(span.box);
      if (until && until->seq <= span.last_seq) until.reset();
      changes.close.push_back({span.id, until});
    }
    for (std::size_t i = 0; i < pass.lines.size(); ++i)
      if (!line_matched[i]) changes.open.push_back(pass.lines[i]);
    r.opened = static_cast<std::int64_t>(changes.open.size());
    r.closed = static_cast<std::int64_t>(changes.close.size());
    OcrPassRow& row = changes.pass;
    row.seq = pass.seq;
    row.capture_us = pass.capture_us;
    row.done_us = done_us;
    row.frames = pass.frames;
    row.regions = static_cast<std::int64_t>(pass.regions.size());
    for (const auto& region : pass.regions) row.pixels += region.area();
    row.ocr_us = pass.ocr_us;
    row.lines = static_cast<std::int64_t>(pass.lines.size());
    row.opened = r.opened;
    row.closed = r.closed;
    return changes;
  });
  return r;
}

void TextIndex::finish(std::int64_t session_id, std::int64_t last_seq, std::int64_t until_us) {
  catalog_.finish_text_index(session_id, last_seq, until_us);
}

void TextIndex::erase(std::int64_t session_id) { catalog_.erase_text_index(session_id); }

}  // namespace screenreel

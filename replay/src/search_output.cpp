// The output of `search` (see search_output.hpp).
#include "screenreel/replay/search_output.hpp"

#include <algorithm>

#include "screenreel/replay/json.hpp"
#include "screenreel/replay/text.hpp"
#include "screenreel/replay/time_format.hpp"

namespace screenreel::replay {

namespace {

std::int64_t first_seen_rounded_us(const TextHit& hit) { return (hit.first_us - hit.origin_us + 999) / 1000 * 1000; }

}  // namespace

std::string first_seen_text(const TextHit& hit) { return format_offset(first_seen_rounded_us(hit)); }

std::string last_seen_text(const TextHit& hit) {
  return format_offset(std::max(hit.last_us - hit.origin_us, first_seen_rounded_us(hit)));
}

std::string show_marks(const std::string& marked, bool terminal) {
  std::string out, part;
  for (const char c : marked) {
    if (c == kMarkOpen || c == kMarkClose) {
      out += terminal_safe(part);
      part.clear();
      out += c == kMarkOpen ? (terminal ? "\033[7m" : "[") : (terminal ? "\033[0m" : "]");
    } else {
      part += c;
    }
  }
  return out + terminal_safe(part);
}

void print_hits(std::ostream& out, const std::vector<TextHit>& hits, bool json, bool terminal) {
  if (json) {
    Json rows = Json::array();
    for (const auto& h : hits)
      rows.push_back({{"session", h.session_id},
                      {"name", h.session_name},
                      {"first_seen", first_seen_text(h)},
                      {"last_seen", last_seen_text(h)},
                      {"first_seen_clock", format_utc_iso(h.first_us)},
                      {"first_seen_us", h.first_us},
                      {"last_seen_us", h.last_us},
                      {"first_frame", h.first_seq},
                      {"last_frame", h.last_seq},
                      {"text", h.text},
                      {"highlighted", show_marks(h.marked, false)},
                      {"box", {{"x", h.box.x}, {"y", h.box.y}, {"w", h.box.w}, {"h", h.box.h}}},
                      {"confidence", h.confidence},
                      {"rank", h.rank}});
    print_json_lines(out, rows);
    return;
  }
  for (const auto& h : hits)
    out << "session " << h.session_id << " \"" << terminal_safe(h.session_name) << "\"  "
        << first_seen_text(h) << " -> " << last_seen_text(h) << " (" << format_local_time_ms(h.first_us)
        << ")  frame "
        << h.first_seq << "  at " << h.box.x << "," << h.box.y << " " << h.box.w << "x" << h.box.h
        << "\n  " << show_marks(h.marked, terminal) << "\n";
}

}  // namespace screenreel::replay

// Redaction at export (see redaction.hpp).
#include "screenreel/replay/redaction.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>
#include <tuple>
#include <opencv2/imgproc.hpp>

#include "screenreel/replay/archive_access.hpp"

namespace screenreel::replay {
namespace {

constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();
// OCR boxes hug the letters; anti-aliased edges and accents reach a little beyond them.
constexpr std::int32_t kLinePad = 4;

[[noreturn]] void bad_area(std::string_view text, const std::string& why) {
  throw BadOption("--redact " + std::string(text) + ": " + why +
                  "; the form is X,Y,W,H[@FROM-TO] (pixels of the recorded frame; times as --from/--to take "
                  "them, e.g. 10,20,300,40@+5s-+12s)");
}

std::optional<std::int32_t> whole_number(std::string_view s) {
  std::int32_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

PixelRect parse_box(std::string_view all, std::string_view box) {
  std::int32_t v[4] = {};
  for (int i = 0; i < 4; ++i) {
    const auto comma = i < 3 ? box.find(',') : box.size();
    if (comma == std::string_view::npos) bad_area(all, "the box needs four numbers");
    const auto n = whole_number(box.substr(0, comma));
    if (!n) bad_area(all, "\"" + std::string(box.substr(0, comma)) + "\" is not a whole number of pixels");
    v[i] = *n;
    box.remove_prefix(std::min(box.size(), comma + 1));
  }
  if (v[2] == 0 || v[3] == 0) bad_area(all, "the box has no area");
  return {v[0], v[1], v[2], v[3]};
}

// FROM-TO where a time may itself hold '-' (2026-12-05 14:05): the one split at a '-' whose two
// sides both read as times (or are empty).
std::pair<std::optional<TimeArgument>, std::optional<TimeArgument>> parse_range(std::string_view all,
                                                                                std::string_view range) {
  const auto side = [](std::string_view s, const char* what) -> std::optional<std::optional<TimeArgument>> {
    if (s.empty()) return std::optional<TimeArgument>();
    try {
      return std::optional(parse_time(s, what));
    } catch (const Failure&) {
      return std::nullopt;
    }
  };
  std::vector<std::pair<std::optional<TimeArgument>, std::optional<TimeArgument>>> readings;
  for (auto dash = range.find('-'); dash != std::string_view::npos; dash = range.find('-', dash + 1)) {
    const auto from = side(range.substr(0, dash), "--redact's FROM");
    const auto to = side(range.substr(dash + 1), "--redact's TO");
    if (from && to) readings.emplace_back(*from, *to);
  }
  if (readings.empty()) bad_area(all, "\"" + std::string(range) + "\" is not FROM-TO");
  if (readings.size() > 1) bad_area(all, "\"" + std::string(range) + "\" splits into FROM-TO in more than one way");
  return readings.front();
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

RedactStyle parse_redact_style(std::string_view text) {
  if (text == "black") return RedactStyle::kBlack;
  if (text == "blur") return RedactStyle::kBlur;
  throw BadOption("--redact-style " + std::string(text) + ": give black or blur");
}

RedactArea parse_redact_area(std::string_view text) {
  RedactArea a;
  a.text = text;
  const auto at = text.find('@');
  a.box = parse_box(text, text.substr(0, at));
  if (at != std::string_view::npos) std::tie(a.from, a.to) = parse_range(text, text.substr(at + 1));
  return a;
}

Redactor::Redactor(CatalogReader& catalog, const SessionRecord& session, const RedactionRequest& request)
    : style_(request.style), pattern_count_(request.text_patterns.size()), window_count_(request.window_titles.size()) {
  add_windows(catalog, session, request.window_titles);
  std::optional<SessionSpan> span;
  for (const auto& a : request.areas) {
    area_texts_.push_back(a.text.substr(0, a.text.find('@')) +
                          (a.from || a.to ? " from " + (a.from ? a.from->text : "the start") + " to " +
                                                (a.to ? a.to->text : "the end")
                                          : ""));
    if (!a.from && !a.to) {
      areas_.push_back({a.box, std::numeric_limits<std::int64_t>::min(), kNever});
      continue;
    }
    if (!span) span = session_span(catalog, session);
    if (!span) throw Failure("session " + std::to_string(session.id) + " has no frames");
    const auto r = range_in(a.from, a.to, *span);
    if (!r || (r->from_us && r->to_us && *r->to_us < *r->from_us))
      throw Failure("--redact " + a.text + ": its time range is outside " + span_text(*span));
    areas_.push_back({a.box, r->from_us ? span->first_us + *r->from_us : std::numeric_limits<std::int64_t>::min(),
                      r->to_us ? span->first_us + *r->to_us : kNever});
  }
  if (request.text_patterns.empty()) return;

  std::vector<std::regex> patterns;
  for (const auto& p : request.text_patterns) {
    try {
      patterns.emplace_back(p, std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error& e) {
      throw BadOption("--redact-text: \"" + p + "\" is not a regular expression (" + e.what() + ")");
    }
  }
  const std::string name = "session " + std::to_string(session.id);
  const auto state = catalog.has_text_index() ? catalog.text_state(session.id) : std::nullopt;
  if (!state)
    throw Failure("--redact-text needs the text index of " + name + ", which has none: record with "
                  "screenreel-receiver --ocr, or run `screenreel-replay index " + std::to_string(session.id) + "`");
  if (!state->complete) {
    const auto last = catalog.frame_at(session.id, kNever);
    if (last && state->through_seq < last->seq)
      throw Failure("--redact-text: the text index of " + name + " reaches frame " +
                    std::to_string(state->through_seq) + " of " + std::to_string(last->seq) +
                    ", so text on the later ones is unknown: wait for the receiver's --ocr to finish, or run "
                    "`screenreel-replay index " + std::to_string(session.id) + "`");
  }
  // A pass reads the frame it runs on: text first read at first_seq may have appeared on any frame
  // after the pass before, and stayed until the frame before the pass after its last sighting.
  catalog.for_each_text_span(session.id, [&](const TextSpanRow& row) {
    if (std::none_of(patterns.begin(), patterns.end(),
                     [&](const std::regex& re) { return std::regex_search(row.line.text, re); }))
      return;
    const PixelRect& b = row.line.box;
    lines_.push_back({{b.x - kLinePad, b.y - kLinePad, b.w + 2 * kLinePad, b.h + 2 * kLinePad},
                      row.pass_before ? row.pass_before + 1 : 0,
                      row.pass_after ? std::max(row.last_seq, row.pass_after - 1) : kNever});
  });
}

void Redactor::add_windows(CatalogReader& catalog, const SessionRecord& session, const std::vector<std::string>& titles) {
  if (titles.empty()) return;
  const std::string name = "session " + std::to_string(session.id);
  const auto rows = catalog.has_windows() ? catalog.windows(session.id) : std::vector<WindowRecord>{};
  if (rows.empty())
    throw Failure("--redact-window: " + name + " has no window geometry: it is recorded by screenreel-capture of an "
                  "X display (without --no-window-list) into a receiver of protocol 6 or later");
  // The capture reads the window list again at most every 500 ms after a change, and at a grab:
  // a window may have been on screen that long (and a tick) before the tick of the list that
  // first shows it there.
  const auto early = static_cast<std::int64_t>(std::ceil(0.5 * std::max(session.fps, 1.0))) + 1;
  for (const auto& t : titles) {
    const std::string want = lower(t);
    bool found = false;
    for (const auto& w : rows) {
      if (lower(w.title).find(want) == std::string::npos) continue;
      found = true;
      windows_.push_back({w.area(), w.from_tick - early, w.to_tick.value_or(kNever)});
    }
    if (found) continue;
    std::set<std::string> seen;
    for (const auto& w : rows) seen.insert("\"" + w.title + "\"");
    std::string list;
    for (const auto& s : seen) list += (list.empty() ? "" : ", ") + s;
    throw Failure("--redact-window " + t + ": no window of " + name + " has a title holding it (ignoring case); its "
                  "windows' titles: " + list);
  }
}

std::vector<PixelRect> Redactor::boxes(const FrameRecord& frame, std::int64_t until_us) const {
  std::vector<PixelRect> out;
  // A frame shown for no time (the last one, at the end of the range) is shown at its capture time.
  const std::int64_t until = std::max(until_us, frame.capture_us + 1);
  for (const auto& a : areas_)
    if (frame.capture_us <= a.to_us && until > a.from_us) out.push_back(a.box);
  for (const auto& l : lines_)
    if (l.first_seq <= frame.seq && frame.seq <= l.last_seq) out.push_back(l.box);
  for (const auto& w : windows_)
    if (w.first_tick <= frame.tick && frame.tick <= w.last_tick) out.push_back(w.box);
  return out;
}

void Redactor::cover(cv::Mat& bgr, const std::vector<PixelRect>& boxes) const {
  const PixelRect image{0, 0, bgr.cols, bgr.rows};
  for (const auto& b : boxes) {
    const PixelRect r = b.intersected(image);
    if (r.empty()) continue;
    cv::Mat roi = bgr(cv::Rect(r.x, r.y, r.w, r.h));
    if (style_ == RedactStyle::kBlack) {
      roi.setTo(cv::Scalar(0, 0, 0));
      continue;
    }
    // Blocks about half a text line high, averaged, then smoothed: no stroke of a letter is left
    // to read, only the colours of the area.
    const int block = std::max(8, std::min(r.w, r.h) / 2);
    cv::Mat small;
    cv::resize(roi, small, cv::Size(std::max(1, r.w / block), std::max(1, r.h / block)), 0, 0, cv::INTER_AREA);
    cv::resize(small, roi, roi.size(), 0, 0, cv::INTER_LINEAR);
    cv::GaussianBlur(roi, roi, cv::Size(0, 0), block / 2.0);
  }
}

std::string Redactor::note() const {
  const char* how = style_ == RedactStyle::kBlack ? "blacked out" : "blurred";
  std::string s = "redacted by screenreel-replay export (" + std::string(how) + "):";
  for (const auto& a : area_texts_) s += " area " + a + ";";
  if (pattern_count_)
    s += " the OCR lines matching " + std::to_string(pattern_count_) + " --redact-text pattern(s);";
  if (window_count_)
    s += " the windows whose titles hold " + std::to_string(window_count_) + " --redact-window text(s);";
  s.pop_back();
  return s + ". The recording in the archive is unchanged.";
}

}  // namespace screenreel::replay

// Redaction at export (`export --redact`, `--redact-text`, `--redact-window`): boxes covered in
// black or blurred in the exported frames, chosen per recorded frame, either given (X,Y,W,H over a
// time range), found in the session's text index (every OCR line whose text matches a pattern,
// on the frames where it may have been on screen), or found in its window geometry (every window
// whose title holds a text, where it was, on the frames where it may have been on screen). The archive is never changed: export applies the boxes to
// its decoded copy of each frame and says in the exported file that it did (note()).
#pragma once

#include <cstdint>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include <opencv2/core.hpp>

#include "screenreel/archive/catalog.hpp"
#include "screenreel/common/pixel_rect.hpp"
#include "screenreel/replay/time_argument.hpp"

namespace screenreel::replay {

enum class RedactStyle { kBlack, kBlur };
// "black" or "blur"; throws BadOption naming --redact-style.
RedactStyle parse_redact_style(std::string_view text);

// --redact X,Y,W,H[@FROM-TO]: a box in frame pixels, over the whole export or from FROM to TO
// (times as --from/--to take them; either may be left out: "@+5s-" is from +5s on).
struct RedactArea {
  std::string text;  // as written, for messages and the note
  PixelRect box;
  std::optional<TimeArgument> from, to;
};
// Throws BadOption saying what the form is.
RedactArea parse_redact_area(std::string_view text);

struct RedactionRequest {
  std::vector<RedactArea> areas;
  std::vector<std::string> text_patterns;  // ECMAScript regular expressions, searched in each line
  std::vector<std::string> window_titles;  // parts of window titles, ignoring ASCII case
  RedactStyle style = RedactStyle::kBlack;
  bool empty() const { return areas.empty() && text_patterns.empty() && window_titles.empty(); }
};

class Redactor {
 public:
  // Resolves the areas' times in the session and reads the text index for the patterns. Throws
  // BadOption for a pattern that is not a regular expression, Failure for an area whose time
  // range lies outside the session, and for patterns when the session has no text index or one
  // that does not reach its last frame yet; for window titles when the session has no window
  // geometry, or no window of it has a title holding one of them (a typo would leak the window).
  Redactor(CatalogReader& catalog, const SessionRecord& session, const RedactionRequest& request);

  // The boxes to cover on `frame`, shown from its capture time until `until_us` (the next
  // frame's capture time, or the end of the export): an area whose range meets that time, and
  // every matching line and window the frame may show.
  std::vector<PixelRect> boxes(const FrameRecord& frame, std::int64_t until_us) const;
  // Covers the boxes (clipped to the image) in the request's style.
  void cover(cv::Mat& bgr, const std::vector<PixelRect>& boxes) const;

  // What an exported file says of itself: "redacted by screenreel-replay export: ...". It names
  // the areas but not the patterns (a pattern may spell the secret it hides).
  std::string note() const;

 private:
  struct TimedBox {
    PixelRect box;
    std::int64_t from_us, to_us;  // capture times, inclusive
  };
  struct SeqBox {
    PixelRect box;
    std::int64_t first_seq, last_seq;  // inclusive
  };
  void add_windows(CatalogReader& catalog, const SessionRecord& session, const std::vector<std::string>& titles);

  std::vector<TimedBox> areas_;
  std::vector<SeqBox> lines_;
  struct TickBox {
    PixelRect box;
    std::int64_t first_tick, last_tick;  // inclusive
  };
  std::vector<TickBox> windows_;
  RedactStyle style_;
  std::size_t pattern_count_ = 0;
  std::size_t window_count_ = 0;
  std::vector<std::string> area_texts_;
};

}  // namespace screenreel::replay

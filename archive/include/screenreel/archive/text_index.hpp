// The catalog's text index (schemas/catalog.sql, schema 2: text_spans, text_fts, ocr_sessions,
// ocr_passes): what OCR read on screen, kept as "spans" of time during which a line was visible.
// The receiver (--ocr) and `screenreel-replay index` write it through this class, pass by pass;
// the span rules live here, above the catalog interface, so that both (and every catalog
// backend) build the same index.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "screenreel/archive/catalog.hpp"
#include "screenreel/common/pixel_rect.hpp"

namespace screenreel {

// The words of a text, split at white space (as searches and highlighting take them).
std::vector<std::string> split_words(std::string_view text);

// Intersection over union of two boxes, 0 to 1.
double overlap_ratio(const PixelRect& a, const PixelRect& b);

// What one OCR pass of a session read: the rectangles of frame `seq` it looked at (everything
// that changed since the previous pass, widened over the lines already there) and the lines it
// found in them.
struct OcrPass {
  std::int64_t seq = 0;
  std::int64_t capture_us = 0;
  std::vector<PixelRect> regions;
  std::vector<TextLine> lines;
  std::int64_t frames = 1;  // frames whose changes it covers (more than 1: merged, OCR was behind)
  std::int64_t ocr_us = 0;  // time spent recognising
  // When known (the receiver sees every frame's changes): the last frame on which the pixels
  // of a box had not changed yet since the previous pass. A span closed by this pass was on
  // screen until then, not only until the previous pass. Empty: the previous pass is all
  // that is known (the offline index compares only the frames it reads).
  std::function<std::optional<FrameMoment>(const PixelRect&)> unchanged_until = nullptr;
};

struct PassResult {
  std::int64_t opened = 0, closed = 0, extended = 0;
};

class TextIndex {
 public:
  // A writer's catalog has schema 2.
  explicit TextIndex(CatalogWriter& catalog) : catalog_(catalog) {}

  std::optional<OcrSessionState> state(std::int64_t session_id);
  // Starts (or, when the session has a row already, continues) a session's index; it is not
  // complete until finish() (a session the receiver resumes after a reconnection goes on).
  void begin(std::int64_t session_id, const std::string& indexer, const std::string& lang,
             std::int64_t interval_us);
  std::vector<OpenSpan> open_spans(std::int64_t session_id);

  // Records a pass, in one transaction. The session's open spans whose box meets a region are
  // compared with the lines found: a line with the same text in about the same box (more than
  // half overlapping) keeps the span going, the others close it (last seen: the frame before
  // its box changed, when pass.unchanged_until knows it). Open spans outside every region
  // were not touched by any change, so they are still on screen: all that stay open are
  // extended to this frame. Lines that match no open span open new spans.
  PassResult apply(std::int64_t session_id, const OcrPass& pass, std::int64_t done_us);

  // The session ended with frame last_seq, at until_us: its open spans are extended to that
  // frame and time (the text stayed on screen to the end) and closed, and its index is marked
  // complete.
  void finish(std::int64_t session_id, std::int64_t last_seq, std::int64_t until_us);

  // Removes a session's text index (spans, passes, state), to build it again.
  void erase(std::int64_t session_id);

 private:
  CatalogWriter& catalog_;
};

}  // namespace screenreel

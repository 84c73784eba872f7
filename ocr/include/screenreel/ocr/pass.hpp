// One OCR pass of a session, the same for the receiver (live, --ocr) and `screenreel-replay
// index` (offline): the regions that changed since the last pass are read by the engine and
// the lines found are recorded in the catalog's text index.
#pragma once

#include <cstdint>

#include "screenreel/ocr/dirty_tiles.hpp"
#include "screenreel/ocr/engine.hpp"
#include "screenreel/archive/text_index.hpp"

namespace screenreel::ocr {

struct PassInput {
  std::int64_t session_id = 0;
  std::int64_t seq = 0;         // the frame read
  std::int64_t capture_us = 0;  // its capture time
  std::int64_t frames = 1;      // frames whose changes `dirty` holds
};

struct PassReport {
  OcrPass pass;  // what was read
  PassResult result;
};

// Reads what `dirty` marks of `image` and records it (TextIndex::apply) with done_us = now.
// A pass with nothing marked reads nothing and only extends the open spans to this frame.
PassReport run_pass(Engine& engine, TextIndex& index, const PassInput& in, const GrayImage& image,
                    const DirtyTiles& dirty);

}  // namespace screenreel::ocr

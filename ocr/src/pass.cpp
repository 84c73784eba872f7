// One OCR pass (see pass.hpp).
#include "screenreel/ocr/pass.hpp"

#include <chrono>

#include "screenreel/archive/archive.hpp"

namespace screenreel::ocr {

PassReport run_pass(Engine& engine, TextIndex& index, const PassInput& in, const GrayImage& image,
                    const DirtyTiles& dirty) {
  PassReport r;
  r.pass.seq = in.seq;
  r.pass.capture_us = in.capture_us;
  r.pass.frames = in.frames;
  if (dirty.any()) {
    std::vector<PixelRect> lines;
    for (const auto& span : index.open_spans(in.session_id)) lines.push_back(span.box);
    r.pass.regions = dirty.regions(lines);
    const auto start = std::chrono::steady_clock::now();
    for (const auto& region : r.pass.regions) {
      auto found = engine.read(image, region);
      r.pass.lines.insert(r.pass.lines.end(), std::make_move_iterator(found.begin()),
                          std::make_move_iterator(found.end()));
    }
    r.pass.ocr_us = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
  }
  r.pass.unchanged_until = [&dirty](const PixelRect& box) { return dirty.unchanged_until(box); };
  r.result = index.apply(in.session_id, r.pass, wall_clock_us());
  r.pass.unchanged_until = nullptr;  // it refers to `dirty`, which the caller owns
  return r;
}

}  // namespace screenreel::ocr

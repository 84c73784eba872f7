// The deterministic test pattern: the same (size, fps, tick) always gives the same pixels, so a
// test can regenerate exactly what any recorded frame showed.
#pragma once

#include <cstdint>

namespace screenreel::capture {

// Renders tick `tick` into `out_bgrx` (width * height * 4 bytes, rows of width * 4, 4th byte 0).
// Layout, with the split at about half the width and half the height (on 8x16 text cells):
// - left half: a static "editor" full of text-like glyphs that never changes, except a small
//   tick counter in its top left corner (the tick mod 10^8 as 8 block digits, 101x23 pixels at
//   4,4);
// - top right: a "terminal" whose text lines scroll up one line every quarter second (every
//   round(fps / 4) ticks, at least 1) while its last line is being typed;
// - bottom right: a "video": a gradient drifting 90 px/s with a box bouncing across it.
// `fps` only sets how far things move per tick. Throws std::invalid_argument for a size outside
// 1..16384 or an fps that is not positive. Slower than the source's grab() because it builds
// the static parts on every call (about 2 ms at 1920x1080); tests do not mind.
void render_test_pattern(std::uint32_t width, std::uint32_t height, double fps, std::uint64_t tick,
                         std::uint8_t* out_bgrx);

}  // namespace screenreel::capture

// The deterministic test pattern: the same (size, fps, tick) always gives the same pixels, so a
// test can regenerate exactly what any recorded frame showed.
#pragma once

#include <cstdint>

namespace screenreel::capture {

// Renders tick `tick` into `out_bgrx` (width * height * 4 bytes, rows of width * 4, 4th byte 0):
// a static "desktop" with text-like detail, a terminal area that scrolls one line every half
// second, a box moving across a gradient (video-like), and a tick counter.
void render_test_pattern(std::uint32_t width, std::uint32_t height, double fps, std::uint64_t tick,
                         std::uint8_t* out_bgrx);

}  // namespace screenreel::capture

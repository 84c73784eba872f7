// A rectangle of frame pixels: how a capture source tells the frame encoder where a frame may
// differ from the one before (X DAMAGE), so that the encoder compares only there.
#pragma once

#include <cstdint>

namespace screenreel {

struct ChangedRect {
  std::uint32_t x = 0, y = 0;  // top left, in the frame's pixels
  std::uint32_t width = 0, height = 0;
  bool operator==(const ChangedRect&) const = default;
};

}  // namespace screenreel

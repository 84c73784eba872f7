// Text for a terminal: sizes and numbers printed for humans, and (from common) the terminal-safe
// form of text that came from clients and users.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "screenreel/common/terminal_text.hpp"

namespace screenreel::replay {

// "41.2 MB", "512 B" (powers of 1000, as file managers show sizes).
std::string format_bytes(std::int64_t bytes);
// "12.3" with `decimals` digits after the point.
std::string format_fixed(double value, int decimals);

}  // namespace screenreel::replay

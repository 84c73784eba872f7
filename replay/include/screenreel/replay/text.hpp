// Text for a terminal: session names and query results come from clients and users, so before
// they reach a terminal their control characters (escape sequences) are replaced; sizes are
// printed for humans.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace screenreel::replay {

// Replaces C0/C1 control characters and bytes that are not UTF-8 with '?'.
std::string terminal_safe(std::string_view text);
// Characters (code points) in UTF-8 text: the columns it takes, for the usual Latin text.
std::size_t display_width(std::string_view utf8);
// "41.2 MB", "512 B" (powers of 1000, as file managers show sizes).
std::string format_bytes(std::int64_t bytes);
// "12.3" with `decimals` digits after the point.
std::string format_fixed(double value, int decimals);

}  // namespace screenreel::replay

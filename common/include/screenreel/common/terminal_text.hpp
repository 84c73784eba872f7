// Text bound for a terminal or a log: session names, query results and peers' messages come from
// other people, so before they reach a terminal their control characters (escape sequences,
// OSC 52 clipboard writes, NUL) and bidirectional overrides (U+202E and its kin, which reorder
// what a reader sees) are replaced.
#pragma once

#include <string>
#include <string_view>

namespace screenreel {

// Replaces C0/C1 control characters, Unicode bidirectional controls and bytes that are not
// UTF-8 with '?'.
std::string terminal_safe(std::string_view text);
// The columns UTF-8 text takes on a terminal: 2 for CJK and wide emoji, 0 for combining marks
// (Unicode East Asian Width, by utf8proc); a byte that is not UTF-8 counts 1, as its "?".
std::size_t display_width(std::string_view utf8);

}  // namespace screenreel

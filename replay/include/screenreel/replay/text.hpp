// Text for a terminal: sizes and numbers printed for humans, and (from common) the terminal-safe
// form of text that came from clients and users.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "screenreel/common/format.hpp"
#include "screenreel/common/terminal_text.hpp"

namespace screenreel::replay {

// format_bytes, format_fixed: common/format.hpp, found from here as screenreel's.

}  // namespace screenreel::replay

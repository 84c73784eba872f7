// Terminal-safe text (see terminal_text.hpp).
#include "screenreel/common/terminal_text.hpp"

#include <utf8proc.h>

#include <algorithm>
#include <cstdint>

namespace screenreel {
namespace {

// Length of the UTF-8 sequence starting at s[i], 0 when it is not valid UTF-8.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  std::size_t n = b < 0x80           ? 1
                  : (b >> 5) == 0x6  ? 2
                  : (b >> 4) == 0xE  ? 3
                  : (b >> 3) == 0x1E ? 4
                                     : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  if (n == 2 && b < 0xC2) return 0;  // overlong
  return n;
}

std::uint32_t code_point(std::string_view s, std::size_t i, std::size_t n) {
  const auto b = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(s[i + k])); };
  switch (n) {
    case 1: return b(0);
    case 2: return (b(0) & 0x1F) << 6 | (b(1) & 0x3F);
    case 3: return (b(0) & 0x0F) << 12 | (b(1) & 0x3F) << 6 | (b(2) & 0x3F);
    default: return (b(0) & 0x07) << 18 | (b(1) & 0x3F) << 12 | (b(2) & 0x3F) << 6 | (b(3) & 0x3F);
  }
}

bool unsafe(std::uint32_t c) {
  return c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0)  // C0, DEL, C1
         || c == 0x061C || c == 0x200E || c == 0x200F      // bidi marks
         || (c >= 0x202A && c <= 0x202E)                   // embeddings and overrides
         || (c >= 0x2066 && c <= 0x2069);                  // isolates
}

}  // namespace

std::string terminal_safe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = utf8_length(text, i);
    if (n == 0 || unsafe(code_point(text, i, n))) {
      out += '?';
      i += n ? n : 1;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::size_t display_width(std::string_view utf8) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < utf8.size();) {
    const std::size_t n = utf8_length(utf8, i);
    if (n == 0) {  // not UTF-8: terminal_safe() shows it as one '?'
      ++width;
      ++i;
      continue;
    }
    // utf8proc's widths are Unicode's East Asian Width, the same in every locale: 2 for CJK and
    // wide emoji, 0 for combining marks.
    width += static_cast<std::size_t>(std::max(0, utf8proc_charwidth(static_cast<utf8proc_int32_t>(code_point(utf8, i, n)))));
    i += n;
  }
  return width;
}

}  // namespace screenreel

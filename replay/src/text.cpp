// Terminal text helpers (see text.hpp).
#include "screenreel/replay/text.hpp"

#include <cstdio>

namespace screenreel::replay {

std::string format_bytes(std::int64_t bytes) {
  static constexpr const char* kUnits[] = {"kB", "MB", "GB", "TB"};
  if (bytes < 1000) return std::to_string(bytes) + " B";
  double v = static_cast<double>(bytes);
  int unit = -1;
  while (v >= 1000 && unit < 3) {
    v /= 1000;
    ++unit;
  }
  return format_fixed(v, v < 100 ? 1 : 0) + " " + kUnits[unit];
}

std::string format_fixed(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

}  // namespace screenreel::replay

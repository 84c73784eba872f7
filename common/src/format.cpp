// Numbers, sizes and durations for people (see format.hpp).
#include "screenreel/common/format.hpp"

#include <cstdio>

namespace screenreel {

std::string format_fixed(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

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

std::string format_megabytes(std::uint64_t bytes) { return format_fixed(static_cast<double>(bytes) / 1e6, 1) + " MB"; }

std::string format_duration(std::int64_t us, bool millis) {
  const char* sign = us < 0 ? "-" : "";
  const std::int64_t a = us < 0 ? -us : us;
  const std::int64_t ms = millis ? (a + 500) / 1000 : a / 1'000'000 * 1000;
  char buf[48];
  const auto h = static_cast<long long>(ms / 3600000), m = static_cast<long long>(ms / 60000 % 60),
             s = static_cast<long long>(ms / 1000 % 60), f = static_cast<long long>(ms % 1000);
  if (millis)
    std::snprintf(buf, sizeof buf, "%s%02lld:%02lld:%02lld.%03lld", sign, h, m, s, f);
  else
    std::snprintf(buf, sizeof buf, "%s%02lld:%02lld:%02lld", sign, h, m, s);
  return buf;
}

}  // namespace screenreel

// Parsing and printing times (see time_format.hpp).
#include "screenreel/replay/time_format.hpp"

#include "screenreel/common/format.hpp"

#include <charconv>
#include <cmath>
#include <ctime>
#include <vector>

#include "screenreel/replay/archive_access.hpp"

namespace screenreel::replay {
namespace {

bool parse_number(std::string_view s, double& out) {
  if (s.empty() || s.front() == '+' || s.front() == '-') return false;
  const auto [end, ec] =
      std::from_chars(s.data(), s.data() + s.size(), out, std::chars_format::fixed);
  return ec == std::errc() && end == s.data() + s.size() && std::isfinite(out);
}

bool parse_count(std::string_view s, std::int64_t& out) {
  if (s.empty() || s.size() > 6) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && out >= 0;
}

}  // namespace

std::int64_t parse_offset(std::string_view text, std::string_view what) {
  const auto bad = [&] {
    return Failure(
        std::string(what) + " \"" + std::string(text) +
        "\" is not a time: give seconds (90, 90.5) or [HH:]MM:SS[.mmm] (1:30, 00:01:30.500), "
        "counted from the session's first frame");
  };
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const auto colon = text.find(':', start);
    parts.push_back(text.substr(
        start, colon == std::string_view::npos ? std::string_view::npos : colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  if (parts.size() > 3) throw bad();
  double seconds = 0;
  if (!parse_number(parts.back(), seconds)) throw bad();
  std::int64_t minutes = 0, hours = 0;
  if (parts.size() >= 2) {
    if (!parse_count(parts[parts.size() - 2], minutes) || seconds >= 60) throw bad();
  }
  if (parts.size() == 3) {
    if (!parse_count(parts[0], hours) || minutes >= 60) throw bad();
  }
  const double total =
      (static_cast<double>(hours) * 3600 + static_cast<double>(minutes) * 60 + seconds) * 1e6;
  if (total > 1e17) throw bad();  // far beyond any recording, and safe from overflow
  return std::llround(total);
}

std::string format_offset(std::int64_t us) { return format_duration(us); }

std::string format_local_time(std::int64_t epoch_us) {
  const std::time_t t = static_cast<std::time_t>(epoch_us / 1000000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %z", &tm);
  return buf;
}

std::string format_local_time_ms(std::int64_t epoch_us) {
  const std::int64_t ms = (epoch_us + 999) / 1000;
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char date[48], zone[16];
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &tm);
  std::strftime(zone, sizeof zone, "%z", &tm);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%s.%03lld %s", date, static_cast<long long>(ms % 1000), zone);
  return buf;
}

std::string format_utc_iso(std::int64_t epoch_us) {
  const std::time_t t = static_cast<std::time_t>(epoch_us / 1000000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03lldZ",
                static_cast<long long>(epoch_us % 1000000 / 1000));
  return buf;
}

}  // namespace screenreel::replay

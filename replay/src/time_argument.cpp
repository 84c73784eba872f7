// Times on the command line, parsed and resolved against a session (see time_argument.hpp).
#include "screenreel/replay/time_argument.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>

#include "screenreel/replay/archive_access.hpp"
#include "screenreel/replay/time_format.hpp"

namespace screenreel::replay {
namespace {

constexpr std::int64_t kSecond = 1'000'000;
constexpr std::int64_t kDay = 86'400 * kSecond;

// Reads exactly `digits` decimal digits at `pos`.
bool digits_at(std::string_view s, std::size_t pos, std::size_t digits, int& out) {
  if (pos + digits > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + digits; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// Non-negative decimal seconds ("30", "30.250"), no sign, no exponent.
bool seconds_value(std::string_view s, double& out) {
  if (s.empty() || s.front() == '+' || s.front() == '-') return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, std::chars_format::fixed);
  return ec == std::errc() && end == s.data() + s.size() && std::isfinite(out) && out < 1e11;
}

std::int64_t micros(double seconds) { return std::llround(seconds * 1e6); }

// "1m30s", "90s", "500ms", "2h": numbers each followed by a unit; empty when not that form.
std::optional<std::int64_t> with_units(std::string_view s) {
  double total = 0;
  bool any = false;
  while (!s.empty()) {
    std::size_t n = 0;
    while (n < s.size() && ((s[n] >= '0' && s[n] <= '9') || s[n] == '.')) ++n;
    std::size_t u = n;
    while (u < s.size() && s[u] >= 'a' && s[u] <= 'z') ++u;
    double v = 0;
    if (n == 0 || !seconds_value(s.substr(0, n), v)) return std::nullopt;
    const std::string_view unit = s.substr(n, u - n);
    if (unit == "h") v *= 3600;
    else if (unit == "m" || unit == "min") v *= 60;
    else if (unit == "ms") v /= 1000;
    else if (unit != "s") return std::nullopt;
    total += v;
    any = true;
    s.remove_prefix(u);
  }
  if (!any || total > 1e11) return std::nullopt;
  return micros(total);
}

// H:MM or HH:MM:SS[.fff] as a time of day, when it can be one.
std::optional<std::int64_t> time_of_day(std::string_view s) {
  const auto colon = s.find(':');
  int h = 0, m = 0;
  if (colon == 0 || colon > 2 || !digits_at(s, 0, colon, h) || h > 23) return std::nullopt;
  if (!digits_at(s, colon + 1, 2, m) || m > 59) return std::nullopt;
  std::int64_t us = (h * 3600 + m * 60) * kSecond;
  const std::string_view rest = s.substr(colon + 3);
  if (rest.empty()) return us;
  double sec = 0;
  if (rest.front() != ':' || !digits_at(rest, 1, 2, h) || (rest.size() > 3 && rest[3] != '.') ||
      !seconds_value(rest.substr(1), sec) || sec >= 60)
    return std::nullopt;
  return us + micros(sec);
}

// The local (or, with `utc_offset_s`, that zone's) date and time as epoch microseconds; none
// for a date that does not exist (2026-02-30).
std::optional<std::int64_t> epoch_of(int year, int month, int day, std::int64_t day_us,
                                     std::optional<int> utc_offset_s) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = static_cast<int>(day_us / kSecond / 3600);
  tm.tm_min = static_cast<int>(day_us / kSecond / 60 % 60);
  tm.tm_sec = static_cast<int>(day_us / kSecond % 60);
  tm.tm_isdst = -1;
  const std::time_t t = utc_offset_s ? timegm(&tm) - *utc_offset_s : std::mktime(&tm);
  if (tm.tm_mday != day || tm.tm_mon != month - 1) return std::nullopt;
  return static_cast<std::int64_t>(t) * kSecond + day_us % kSecond;
}

// YYYY-MM-DD[( |T)H:MM[:SS[.fff]]][[ ]Z|+HH|+HH:MM|+HHMM|-...]
std::optional<std::int64_t> date_time(std::string_view s) {
  int year = 0, month = 0, day = 0;
  if (!digits_at(s, 0, 4, year) || s.size() < 10 || s[4] != '-' || !digits_at(s, 5, 2, month) ||
      s[7] != '-' || !digits_at(s, 8, 2, day) || month < 1 || month > 12 || day < 1)
    return std::nullopt;
  s.remove_prefix(10);
  std::int64_t day_us = 0;
  std::optional<int> zone;
  if (!s.empty()) {
    if (s.front() != ' ' && s.front() != 'T') return std::nullopt;
    s.remove_prefix(1);
    const std::size_t end = s.find_first_of("Z+-");
    std::string_view clock = s.substr(0, end);
    // "2025-11-24 17:00:00.250 +0100", as the output writes it, is taken back as it is.
    if (end != std::string_view::npos && clock.ends_with(' ')) clock.remove_suffix(1);
    const auto tod = time_of_day(clock);
    if (!tod) return std::nullopt;
    day_us = *tod;
    s.remove_prefix(end == std::string_view::npos ? s.size() : end);
    if (s == "Z") {
      zone = 0;
    } else if (!s.empty()) {
      const int sign = s.front() == '-' ? -1 : 1;
      int zh = 0, zm = 0;
      s.remove_prefix(1);
      if (!digits_at(s, 0, 2, zh) || zh > 14) return std::nullopt;
      s.remove_prefix(2);
      if (!s.empty() && s.front() == ':') s.remove_prefix(1);
      if (!s.empty() && (s.size() != 2 || !digits_at(s, 0, 2, zm) || zm > 59)) return std::nullopt;
      zone = sign * (zh * 3600 + zm * 60);
    }
  }
  return epoch_of(year, month, day, day_us, zone);
}

// The local midnight of the day holding `epoch_us`, as year/month/day.
std::tm local_date(std::int64_t epoch_us) {
  const std::time_t t = static_cast<std::time_t>(epoch_us / kSecond);
  std::tm tm{};
  localtime_r(&t, &tm);
  return tm;
}

// Every moment `t` can name near the session: its offset, its moment, or its time of day on each
// local date from the day before the session to the day after.
std::vector<std::int64_t> candidates(const TimeArgument& t, const SessionSpan& span) {
  std::vector<std::int64_t> out;
  if (t.offset_us) out.push_back(span.first_us + *t.offset_us);
  if (t.moment_us) out.push_back(*t.moment_us);
  if (t.time_of_day_us)
    for (std::int64_t d = span.first_us - kDay; d <= span.end_us + kDay; d += kDay / 2) {
      const std::tm day = local_date(d);
      const auto m = epoch_of(day.tm_year + 1900, day.tm_mon + 1, day.tm_mday, *t.time_of_day_us, std::nullopt);
      if (m && std::find(out.begin(), out.end(), *m) == out.end()) out.push_back(*m);
    }
  return out;
}

bool inside(std::int64_t m, const SessionSpan& span) { return m >= span.first_us && m <= span.end_us; }

// The one candidate inside the session, none, or Failure for more than one.
std::optional<std::int64_t> the_one_inside(const TimeArgument& t, const SessionSpan& span) {
  std::vector<std::int64_t> in;
  for (const auto m : candidates(t, span))
    if (inside(m, span)) in.push_back(m);
  if (in.size() <= 1) return in.empty() ? std::nullopt : std::optional(in.front());
  const std::string head = t.what + " " + t.text + " is ambiguous in " + span_text(span) + ": ";
  if (t.offset_us && inside(span.first_us + *t.offset_us, span) && in.size() == 2)
    throw Failure(head + "it is both " + format_offset(*t.offset_us) + " from the start and the clock time " +
                  format_local_time(in.back()) + "; write +" + t.text + " for the offset, or the date and time");
  throw Failure(head + "the session holds that time of day more than once; give the date (YYYY-MM-DD HH:MM)");
}

}  // namespace

TimeArgument parse_time(std::string_view text, std::string_view what) {
  TimeArgument t{std::string(text), std::string(what), {}, {}, {}};
  const auto bad = [&] {
    return BadOption(
        std::string(what) + " \"" + std::string(text) +
        "\" is not a time: give a clock time (14:05, 14:05:30, \"2026-12-05 14:05:30\", "
        "2026-12-05T14:05:30+01:00, @EPOCH_SECONDS) or an offset from the session's first frame "
        "(+1:30, +90s, 90, [HH:]MM:SS[.mmm])");
  };
  if (text.starts_with('@')) {
    double s = 0;
    if (!seconds_value(text.substr(1), s)) throw bad();
    t.moment_us = micros(s);
  } else if (text.size() >= 10 && text[4] == '-') {
    t.moment_us = date_time(text);
    if (!t.moment_us) throw bad();
  } else {
    const bool plus = text.starts_with('+');
    const std::string_view rest = plus ? text.substr(1) : text;
    if (!rest.empty() && rest.back() >= 'a' && rest.back() <= 'z') {
      t.offset_us = with_units(rest);
      if (!t.offset_us) throw bad();
      return t;
    }
    try {
      t.offset_us = parse_offset(rest, what);
    } catch (const Failure&) {
      throw bad();
    }
    if (!plus && rest.find(':') != std::string_view::npos) t.time_of_day_us = time_of_day(rest);
  }
  return t;
}

std::optional<SessionSpan> session_span(CatalogReader& catalog, const SessionRecord& session) {
  const FrameTimes times = catalog.frame_times(session.id);
  if (!times.first_capture_us) return std::nullopt;
  return SessionSpan{session.id, *times.first_capture_us,
                     std::max(*times.last_capture_us, session.ended_us.value_or(*times.last_capture_us))};
}

std::string span_text(const SessionSpan& span) {
  return "session " + std::to_string(span.session_id) + ", which ran " + format_local_time(span.first_us) + " .. " +
         format_local_time(span.end_us) + " (offsets +" + format_offset(0) + " .. +" +
         format_offset(span.end_us - span.first_us) + ")";
}

std::optional<std::int64_t> moment_in(const TimeArgument& t, const SessionSpan& span) {
  const auto m = the_one_inside(t, span);
  if (!m) return std::nullopt;
  return *m - span.first_us;
}

std::int64_t offset_in(const TimeArgument& t, const SessionSpan& span) {
  if (const auto o = moment_in(t, span)) return *o;
  throw Failure(t.what + " " + t.text + " is outside " + span_text(span));
}

std::optional<TimeRange> range_in(const std::optional<TimeArgument>& from, const std::optional<TimeArgument>& to,
                                  const SessionSpan& span) {
  // An endpoint: the moment inside the session, else (a clock time) the candidate nearest to it.
  const auto endpoint = [&](const TimeArgument& t) -> std::int64_t {
    if (const auto m = the_one_inside(t, span)) return *m;
    if (!t.clock()) return span.first_us + *t.offset_us;
    const auto all = candidates(t, span);
    const auto distance = [&](std::int64_t m) { return m < span.first_us ? span.first_us - m : m - span.end_us; };
    return *std::min_element(all.begin(), all.end(),
                             [&](std::int64_t a, std::int64_t b) { return distance(a) < distance(b); });
  };
  TimeRange r;
  if (from) {
    const std::int64_t m = endpoint(*from);
    if (m > span.end_us) return std::nullopt;
    r.from_us = std::max(m, span.first_us) - span.first_us;
  }
  if (to) {
    const std::int64_t m = endpoint(*to);
    if (m < span.first_us) return std::nullopt;
    r.to_us = (to->clock() ? std::min(m, span.end_us) : m) - span.first_us;
  }
  return r;
}

std::int64_t moment_today(const TimeArgument& t) {
  if (t.moment_us) return *t.moment_us;
  if (!t.time_of_day_us)
    throw BadOption(t.what + " " + t.text + " is an offset, but there is no session to count it from: give a clock "
                    "time (14:05, \"2026-12-05 14:05\", @EPOCH_SECONDS)");
  const std::tm today = local_date(static_cast<std::int64_t>(std::time(nullptr)) * kSecond);
  return *epoch_of(today.tm_year + 1900, today.tm_mon + 1, today.tm_mday, *t.time_of_day_us, std::nullopt);
}

}  // namespace screenreel::replay

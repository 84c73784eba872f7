// A time on screenreel-replay's command line (--at, --from, --to, `at`, list --since/--until): an
// offset from a session's first frame or a moment by the clock, parsed by one parser for every
// command and then resolved against a session (or, with none to go by, against today).
//
// The forms (README "Times"):
//   offsets   +1:30, +90, +90s, +1m30s, +500ms, +1h; and, as before, 90, 12.5, [HH:]MM:SS[.mmm]
//   clock     @1796438641[.5] (epoch seconds), 2026-12-05, 2026-12-05 14:05[:30[.250]],
//             2026-12-05T14:05:30+01:00 (Z, +HH, +HH:MM, +HHMM), in $TZ unless an offset is given
//   either    a bare H:MM or HH:MM:SS[.mmm] (14:05, 03:18:00): a time of day on the session's
//             date(s), or the documented offset; whichever of the two lies inside the session.
//             When both do, it is ambiguous and refused (write +1:30, or the date).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "screenreel/archive/catalog.hpp"
#include "screenreel/replay/timeline.hpp"

namespace screenreel::replay {

struct TimeArgument {
  std::string text;  // as written
  std::string what;  // the option or argument ("--at"), for messages
  std::optional<std::int64_t> offset_us;       // from the session's first frame
  std::optional<std::int64_t> moment_us;       // microseconds since the epoch
  std::optional<std::int64_t> time_of_day_us;  // since local midnight, on any date

  bool clock() const { return moment_us || time_of_day_us; }
};

// Throws BadOption (a bad command line) naming `what` and the accepted forms.
TimeArgument parse_time(std::string_view text, std::string_view what);

// The clock range of a session: offset 0 is its first frame; it lasts until its last frame or its
// end, whichever is later (the last frame stays on screen until the end).
struct SessionSpan {
  std::int64_t session_id = 0;
  std::int64_t first_us = 0;
  std::int64_t end_us = 0;
};
// None when the session has no frames.
std::optional<SessionSpan> session_span(CatalogReader& catalog, const SessionRecord& session);

// "session 3 ran 2026-12-05 14:05:02 +0000 .. 2026-12-05 14:05:45 +0000 (offsets +00:00:00.000
// .. +00:00:43.120)", for the errors about times outside it.
std::string span_text(const SessionSpan& span);

// The offset of the one moment inside the session that `t` names. Throws Failure when it names
// none (the message states the session's range) or more than one (a time of day in a session
// longer than a day, or a bare 14:05 that is both an offset and a clock time inside it).
std::int64_t offset_in(const TimeArgument& t, const SessionSpan& span);
// The same, or none when `t` names no moment inside the session (ambiguity still throws).
std::optional<std::int64_t> moment_in(const TimeArgument& t, const SessionSpan& span);

// --from and --to for a session. A clock time outside the session is taken to its nearest end, so
// a range of clock times keeps the part of the session inside it; an offset is kept as given.
// None when the range and the session do not overlap.
std::optional<TimeRange> range_in(const std::optional<TimeArgument>& from,
                                  const std::optional<TimeArgument>& to, const SessionSpan& span);

// A clock time where there is no session to go by: a time of day is today's, in $TZ. Throws
// BadOption for an offset.
std::int64_t moment_today(const TimeArgument& t);

}  // namespace screenreel::replay

// Times in screenreel-replay's output, and the offset form of its command line (time_argument.hpp
// has all the forms). Offsets are relative to a session's first frame, written as seconds ("90",
// "90.5") or as [[HH:]MM:]SS[.mmm] ("1:30", "00:01:30.500"); catalog times are microseconds since
// the epoch.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace screenreel::replay {

// Microseconds. Throws Failure naming `what` (the option) and the accepted forms.
std::int64_t parse_offset(std::string_view text, std::string_view what);

// "HH:MM:SS.mmm" (hours grow past 99 when they must; negative offsets get a '-').
std::string format_offset(std::int64_t us);

// "2025-11-24 17:00:00 +0100", in the local time zone ($TZ).
std::string format_local_time(std::int64_t epoch_us);
// "2025-11-24 17:00:00.250 +0100": to the millisecond, rounded up, so that given back as --at it
// names the frame captured then (not the one before it).
std::string format_local_time_ms(std::int64_t epoch_us);
// "2025-11-24T16:00:00.000Z".
std::string format_utc_iso(std::int64_t epoch_us);

}  // namespace screenreel::replay

// Times on screenreel-replay's command line and in its output. Offsets (--from, --to, --at) are
// relative to a session's first frame, written as seconds ("90", "90.5") or as
// [[HH:]MM:]SS[.mmm] ("1:30", "00:01:30.500"); catalog times are microseconds since the epoch.
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
// "2025-11-24T16:00:00.000Z".
std::string format_utc_iso(std::int64_t epoch_us);

}  // namespace screenreel::replay

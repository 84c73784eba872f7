// `play`: shows a session's frames in an OpenCV window at their recorded timing (capture
// times), with keys to pause, step, change speed and quit.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/catalog.hpp"
#include "screenreel/replay/timeline.hpp"

namespace screenreel::replay {

struct PlayOptions {
  TimeRange range;
  double speed = 1;
  bool loop = false;
  std::optional<std::int64_t> idle_limit_us;
  std::optional<std::int64_t> at_us;  // start here (offset from the first frame), inside range
};

// Keys in the window: space pause/resume; right/left arrow 5 s forward/back while playing, one
// frame while paused; Page Up/Down 1 min; Home/End; digits 0-9 to 0-90% of the range; o toggles
// the overlay (clock time, offset, frame number; top left); + (or =) / - double/halve the speed;
// q or Esc quit. The window opens at the session's size when that fits the screen. Returns when the range has been played
// (unless loop), on q, or when the window is closed. Says what it does on `log`; a frame that
// cannot be read is reported once and the previous frame stays on screen.
void play(const ArchivePaths& paths, CatalogReader& catalog, const SessionRecord& session,
          const PlayOptions& options, std::ostream& log);

// The window's title, by which tests (xdotool search --name) and window managers find it.
std::string player_window_title(const SessionRecord& session);

}  // namespace screenreel::replay

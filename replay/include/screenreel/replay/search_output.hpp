// The output of `search`: one hit per two lines for people (the matches marked), or JSON.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "screenreel/replay/text_search.hpp"

namespace screenreel::replay {

// A hit's first-seen offset, rounded up to the millisecond: given back as --at (frame, play),
// it then names that frame, not the one before it.
std::string first_seen_text(const TextHit& hit);
// Its last-seen offset, to the nearest millisecond, but never before first_seen_text: a line
// seen on one frame only was shown ending a millisecond before it began
// (00:00:05.671 -> 00:00:05.670).
std::string last_seen_text(const TextHit& hit);

// The marked text of a hit with the matches shown: reverse video on a terminal, [brackets]
// elsewhere; everything else made terminal-safe.
std::string show_marks(const std::string& marked, bool terminal);

// A JSON array with one object per hit, or for people: session, first seen -> last seen (offsets,
// then the local clock time first seen), frame,
// box, and the line with the matches shown (reverse video when `terminal`).
void print_hits(std::ostream& out, const std::vector<TextHit>& hits, bool json, bool terminal);

}  // namespace screenreel::replay

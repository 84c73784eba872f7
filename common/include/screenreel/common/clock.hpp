// The wall clock every program stamps frames with: microseconds since the Unix epoch (UTC), the
// unit of the wire's capture times and the catalog's time columns.
#pragma once

#include <cstdint>

namespace screenreel {

std::int64_t wall_clock_us();

}  // namespace screenreel

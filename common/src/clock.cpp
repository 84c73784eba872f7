// The wall clock (see clock.hpp).
#include "screenreel/common/clock.hpp"

#include <chrono>

namespace screenreel {

std::int64_t wall_clock_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace screenreel

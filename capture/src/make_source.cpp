// Picks the capture backend named on the command line.
#include <stdexcept>

#include "screenreel/capture/source.hpp"

namespace screenreel::capture {

std::unique_ptr<FrameSource> make_source(const SourceOptions& o) {
  if (o.kind == "x11") return make_x11_source(o.display);
  if (o.kind == "test-pattern") return make_test_pattern(o.width, o.height, o.fps);
  throw std::invalid_argument("unknown --source '" + o.kind + "': use x11 or test-pattern");
}

}  // namespace screenreel::capture

// Picks the capture backend that --source names; the only place that knows them all.
#include <stdexcept>

#include "screenreel/capture/source.hpp"

namespace screenreel::capture {

std::unique_ptr<FrameSource> make_source(const SourceOptions& options) {
  if (options.kind == "x11") return make_x11_source(options);
  if (options.kind == "test-pattern") {
    if (!options.region.empty() || !options.monitor.empty() || !options.window.empty())
      throw std::invalid_argument(
          "--region, --monitor and --window choose part of a screen: they go with --source x11");
    return make_test_pattern(options.width, options.height, options.fps);
  }
  throw std::invalid_argument("unknown --source '" + options.kind + "': use x11 or test-pattern");
}

}  // namespace screenreel::capture

// Picks the capture backend that --source names; the only place that knows them all.
#include <cstdlib>
#include <stdexcept>

#include "screenreel/capture/source.hpp"

namespace screenreel::capture {
namespace {

bool wayland_session() {
  const char* type = std::getenv("XDG_SESSION_TYPE");
  const char* display = std::getenv("WAYLAND_DISPLAY");
  return (type && std::string(type) == "wayland") || (display && *display);
}

}  // namespace

std::string resolve_source_kind(const SourceOptions& options) {
  if (options.kind != "auto") return options.kind;
  return options.display.empty() && wayland_session() ? "pipewire" : "x11";
}

std::unique_ptr<FrameSource> make_source(const SourceOptions& options) {
  const std::string kind = resolve_source_kind(options);
  if (kind == "x11") return make_x11_source(options);
  if (kind == "pipewire") {
    if (!options.region.empty())
      throw std::invalid_argument(
          "--region goes with --source x11: on Wayland the desktop shares whole monitors or "
          "windows (--monitor ask, --window ask)");
    for (const auto& [flag, value] : {std::pair{"--monitor", &options.monitor}, std::pair{"--window", &options.window}})
      if (!value->empty() && *value != "ask")
        throw std::invalid_argument(std::string("with --source pipewire the desktop's dialog chooses what to share: give ") +
                                    flag + " ask (not '" + *value + "')");
    return make_pipewire_source(options);
  }
  if (kind == "test-pattern") {
    if (!options.region.empty() || !options.monitor.empty() || !options.window.empty())
      throw std::invalid_argument(
          "--region, --monitor and --window choose part of a screen: they go with --source x11 or pipewire");
    return make_test_pattern(options.width, options.height, options.fps);
  }
  throw std::invalid_argument("unknown --source '" + options.kind + "': use auto, x11, pipewire or test-pattern");
}

}  // namespace screenreel::capture

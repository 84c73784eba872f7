// Keeping windows and rectangles of the screen out of a recording (--exclude-window,
// --exclude-region): a FrameSource that wraps another and blacks those areas out of every frame
// before the encoder compares, sends or spools anything, so their pixels never leave the client.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "screenreel/capture/source.hpp"
#include "screenreel/common/pixel_rect.hpp"

namespace screenreel::capture {

struct Exclusions {
  // Window ids (0x1a00003 or decimal) or parts of titles, found as --window finds its window;
  // each is followed as it moves and resizes (its inside, in screen coordinates, every frame).
  std::vector<std::string> windows;
  // Rectangles in screen pixels (X, Y from the screen's top left corner, as --region), fixed.
  std::vector<PixelRect> regions;

  bool empty() const { return windows.empty() && regions.empty(); }
  // For the session's source text: "1 window and 2 regions excluded".
  std::string describe() const;
};

// "X,Y,W,H": four integers (of any sign: the caller checks them). nullopt when `spec` is anything
// else. --region and --exclude-region read their values with it.
std::optional<PixelRect> parse_rect_spec(std::string_view spec);

// `source` with `exclusions` black in every frame; its describe() ends with ", 1 window
// excluded". Windows need an X display (options.display, else $DISPLAY) and a source whose
// frames are of that screen (x11). Throws std::invalid_argument naming the option when a window
// is not found or a source cannot have windows excluded, std::runtime_error when the display
// cannot be used.
std::unique_ptr<FrameSource> exclude_from(std::unique_ptr<FrameSource> source, const Exclusions& exclusions,
                                          const SourceOptions& options);

}  // namespace screenreel::capture

// The interface every screen capture backend implements (X11 MIT-SHM today; PipeWire, DXGI or
// ScreenCaptureKit later; the test pattern always). Nothing above it knows which one runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace screenreel::capture {

// One grabbed frame, BGRX8888 (4 bytes a pixel, blue first, 4th byte unspecified). The pixels
// belong to the source and stay valid until its next grab().
struct FrameRef {
  const std::uint8_t* pixels = nullptr;
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::size_t stride = 0;  // bytes from one row to the next
};

class FrameSource {
 public:
  virtual ~FrameSource() = default;
  virtual std::uint32_t width() const = 0;
  virtual std::uint32_t height() const = 0;
  // What is captured, for the session's catalog row and the user ("x11 :0 1920x1080 shm").
  virtual std::string describe() const = 0;
  // Reads the current pixels. `tick` is the capture tick number (0, 1, 2, ...); only
  // deterministic sources use it. Throws std::runtime_error when the source is gone.
  virtual FrameRef grab(std::uint64_t tick) = 0;
};

struct SourceOptions {
  std::string kind = "x11";      // "x11" or "test-pattern"
  std::string display;           // X display name; empty: $DISPLAY
  std::uint32_t width = 1280;    // test-pattern only
  std::uint32_t height = 720;    // test-pattern only
  double fps = 30;               // test-pattern only: how far the pattern moves per tick
};

// Throws std::runtime_error with a message that says what to do ("cannot open X display :5:
// is an X server running there? Use --display or --source test-pattern").
std::unique_ptr<FrameSource> make_source(const SourceOptions& options);

// Deterministic: the same tick always gives the same pixels, so tests can regenerate any frame.
std::unique_ptr<FrameSource> make_test_pattern(std::uint32_t width, std::uint32_t height, double fps);

// XCB with MIT-SHM (one shared segment reused for every grab); falls back to xcb_get_image
// when the server has no MIT-SHM, and says so once on stderr.
std::unique_ptr<FrameSource> make_x11_source(const std::string& display);

}  // namespace screenreel::capture

// `export SESSION -o FILE`: a video at a constant frame rate whose timing follows the recorded
// capture times: output frame k shows the frame on screen at k / fps (times --speed) after
// --from, so frames are repeated or skipped as the timing requires. H.264 (avc1) is written with
// libavcodec's libx264 encoding each frame as it comes (bounded memory: under 200 MB at 1080p
// whatever the length), other codecs with OpenCV's VideoWriter; the container and codec follow
// the file's extension.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/catalog.hpp"
#include "screenreel/replay/redaction.hpp"
#include "screenreel/replay/timeline.hpp"

namespace screenreel::replay {

// The longest a video shows one frame: longer pauses (a still screen, a clock that jumped) are
// shortened to it, as --idle-limit does.
inline constexpr std::int64_t kMaxHoldUs = 3'600'000'000;  // 1 hour

struct VideoExportOptions {
  std::filesystem::path output;
  TimeRange range;
  std::optional<double> fps;  // default: the session's median frame rate (median_fps)
  double scale = 1;           // output size = first frame's size * scale, rounded to even numbers;
                              // frames of another size (the screen was resized) are fitted into
                              // it, aspect ratio kept, on black
  double speed = 1;           // 10: ten seconds of recording make one second of video
  std::optional<std::int64_t> idle_limit_us;
  std::string codec;  // a FOURCC ("avc1", "MJPG"); default: the extension's first that works
  bool force = false;  // replace an existing file (never a link or a folder)
  // Covers its boxes on every frame, and puts its note() in the file's "comment" metadata: only
  // H.264 through libavcodec (.mp4, .mkv, .mov) carries it, so other codecs are refused.
  const Redactor* redactor = nullptr;
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;
};

struct VideoExportResult {
  std::uint64_t frames = 0;  // written to the video
  double fps = 0;
  int width = 0, height = 0;
  std::string codec;
  std::uint64_t unreadable =
      0;  // source frames that could not be read (the one before was repeated)
  std::uint64_t redacted = 0;  // source frames with a box covered
};

// The output has floor(duration * fps) + 1 frames, where duration is the range's length in
// seconds after --speed and --idle-limit: frame k at k / fps, the last at or before the end.
// Writes FILE's folder/.FILE.partial.EXT and renames it to FILE when complete.
// Throws Failure naming the file, and for formats this build cannot write, the ones it can.
VideoExportResult export_video(const ArchivePaths& paths, CatalogReader& catalog,
                               const SessionRecord& session, const VideoExportOptions& options);

struct VideoFormat {
  std::string extension;  // ".mp4"
  std::string codec;      // "avc1"
  std::string description;
};
// The extensions and codecs export knows, in order of preference.
const std::vector<VideoFormat>& known_video_formats();
// Those this build's VideoWriter can actually write (tried on a small file in the temp folder).
std::vector<VideoFormat> writable_video_formats();

}  // namespace screenreel::replay

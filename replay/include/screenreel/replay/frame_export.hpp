// `export SESSION --frames DIR` (the JPEGs of a time range, copied or hard-linked, with an
// ffconcat timing file) and `frame SESSION --at T -o FILE` (one frame as an image).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/catalog.hpp"
#include "screenreel/replay/redaction.hpp"
#include "screenreel/replay/timeline.hpp"

namespace screenreel::replay {

struct FrameExportOptions {
  std::filesystem::path dir;  // created if missing; must hold no files yet
  TimeRange range;
  bool link = false;  // hard links instead of copies (copies where a link is impossible)
  // The frames it covers boxes on are written anew (JPEG quality 90) with its note() in a COM
  // segment; DIR/REDACTED.txt holds the note and names them, and frames.ffconcat starts with it.
  const Redactor* redactor = nullptr;
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;
};

struct FrameExportResult {
  std::uint64_t files = 0;
  std::uint64_t linked = 0;  // of them, hard links
  std::int64_t bytes = 0;
  std::uint64_t redacted = 0;  // of them, written anew with boxes covered
  std::vector<std::string> damaged;  // files that are not whole JPEGs (copied as they are; verify says more)
};

// The files keep their archive names (frame_000042.jpg). DIR/frames.ffconcat lists them with
// their recorded durations, for `ffmpeg -f concat -i DIR/frames.ffconcat`.
FrameExportResult export_frames(const ArchivePaths& paths, CatalogReader& catalog,
                                const SessionRecord& session, const FrameExportOptions& options);

struct SavedFrame {
  FrameRecord frame;
  std::int64_t offset_us = 0;  // its capture time, from the session's first frame
  std::size_t boxes = 0;       // boxes drawn around `highlight`
};

// Writes the frame on screen at `at_us` (offset from the first frame) to `output` in the format
// of its extension (.png, .jpg, .bmp, ... whatever OpenCV's imwrite knows). With `highlight`
// (words, as `search` takes them), a red box is drawn around each of those words that the text
// index has on that frame.
SavedFrame save_frame(const ArchivePaths& paths, CatalogReader& catalog, const SessionRecord& session,
                      std::int64_t at_us, const std::filesystem::path& output,
                      std::string_view highlight = {}, bool force = false);

}  // namespace screenreel::replay

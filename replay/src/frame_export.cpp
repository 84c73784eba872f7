// Exporting frame files and single frames (see frame_export.hpp).
#include "screenreel/replay/frame_export.hpp"

#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "screenreel/replay/archive_access.hpp"
#include "screenreel/replay/frame_image.hpp"
#include "screenreel/replay/text_search.hpp"
#include "screenreel/replay/text.hpp"

namespace screenreel::replay {
namespace fs = std::filesystem;

FrameExportResult export_frames(const ArchivePaths& paths, Catalog& catalog,
                                const SessionRecord& session, const FrameExportOptions& options) {
  const fs::path& dir = options.dir;
  std::error_code ec;
  if (fs::exists(dir, ec) && (!fs::is_directory(dir, ec) || !fs::is_empty(dir, ec)))
    throw Failure("cannot export frames to " + dir.string() +
                  ": it is not an empty folder; give a new or empty one");
  const Timeline timeline = Timeline::load(catalog, session, options.range);
  fs::create_directories(dir);

  FrameExportResult result;
  const auto& frames = timeline.frames();
  std::ofstream concat(dir / "frames.ffconcat");
  concat << "ffconcat version 1.0\n";
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const fs::path from = frame_path(paths, session, frames[i]);
    const fs::path to = dir / frames[i].file;
    bool linked = false;
    if (options.link) {
      fs::create_hard_link(from, to, ec);  // fails across file systems: then a copy
      linked = !ec;
    }
    if (!linked && !fs::copy_file(from, to, ec))
      throw Failure("cannot copy " + from.string() + " to " + to.string() + ": " + ec.message());
    ++result.files;
    result.linked += linked ? 1 : 0;
    result.bytes += frames[i].jpeg_bytes;
    // A frame lasts until the next one; the first starts at --from, the last ends at --to.
    const std::int64_t start = std::max(frames[i].capture_us, timeline.begin_us());
    const std::int64_t end = i + 1 < frames.size() ? frames[i + 1].capture_us : timeline.end_us();
    concat << "file '" << frames[i].file << "'\nduration "
           << format_fixed(static_cast<double>(std::max<std::int64_t>(0, end - start)) / 1e6, 6)
           << "\n";
    if (options.progress) options.progress(i + 1, frames.size());
  }
  // ffmpeg's concat demuxer ignores the last file's duration unless the file is listed again.
  concat << "file '" << frames.back().file << "'\n";
  if (!concat.flush()) throw Failure("cannot write " + (dir / "frames.ffconcat").string());
  return result;
}

SavedFrame save_frame(const ArchivePaths& paths, Catalog& catalog, const SessionRecord& session,
                      std::int64_t at_us, const fs::path& output, std::string_view highlight) {
  if (!cv::haveImageWriter(output.string()))
    throw Failure("cannot write " + output.string() + ": unknown image format \"" +
                  output.extension().string() +
                  "\"; name the file .png, .jpg, .bmp, .tiff or .webp");
  const auto origin = first_capture_us(catalog, session.id);
  if (!origin) throw Failure("session " + std::to_string(session.id) + " has no frames");
  // The last frame captured at or before T (after the last frame, that one: it stayed on screen).
  const FrameRecord frame = *catalog.frame_at(session.id, *origin + at_us);
  cv::Mat image = load_frame(paths, session, frame);
  std::size_t boxes = 0;
  if (!highlight.empty()) {
    for (const auto& b : highlight_boxes(catalog, session.id, frame.seq, highlight)) {
      constexpr int kPad = 3;  // the box around the word, not on its letters
      cv::rectangle(image, cv::Rect(b.x - kPad, b.y - kPad, b.w + 2 * kPad, b.h + 2 * kPad),
                    cv::Scalar(0, 0, 255), 2);
      ++boxes;
    }
  }
  bool written = false;
  try {
    written = cv::imwrite(output.string(), image);
  } catch (const cv::Exception& e) {
    throw Failure("cannot write " + output.string() + ": " + e.what());
  }
  if (!written)
    throw Failure("cannot write " + output.string() +
                  " (does its folder exist, and may it be written?)");
  return {frame, frame.capture_us - *origin, boxes};
}

}  // namespace screenreel::replay

// Exporting frame files and single frames (see frame_export.hpp).
#include "screenreel/replay/frame_export.hpp"

#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "screenreel/archive/jpeg.hpp"
#include "screenreel/replay/archive_access.hpp"
#include "screenreel/replay/frame_image.hpp"
#include "screenreel/replay/output_file.hpp"
#include "screenreel/replay/text_search.hpp"
#include "screenreel/replay/text.hpp"

namespace screenreel::replay {
namespace fs = std::filesystem;

namespace {

// A whole JPEG as far as its ends say: SOI first, EOI last (a file cut by a crash or a full disk
// lacks the end). verify decodes every frame; this is what an export can afford per file.
bool looks_whole_jpeg(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  unsigned char head[2] = {}, tail[2] = {};
  if (!in.read(reinterpret_cast<char*>(head), 2)) return false;
  in.seekg(-2, std::ios::end);
  if (!in.read(reinterpret_cast<char*>(tail), 2)) return false;
  return head[0] == 0xFF && head[1] == 0xD8 && tail[0] == 0xFF && tail[1] == 0xD9;
}

// The frame with its boxes covered, as a new JPEG whose COM segment says so.
void write_redacted(const ArchivePaths& paths, const SessionRecord& session, const FrameRecord& frame,
                    const Redactor& redactor, const std::vector<PixelRect>& boxes, JpegEncoder& encoder,
                    const fs::path& to) {
  cv::Mat image = load_frame(paths, session, frame);
  redactor.cover(image, boxes);
  cv::Mat bgrx;
  cv::cvtColor(image, bgrx, cv::COLOR_BGR2BGRA);
  const std::string note = redactor.note().substr(0, kMaxJpegComment);
  const auto jpeg = encoder.encode_bgrx(bgrx.data, static_cast<std::uint32_t>(bgrx.cols),
                                        static_cast<std::uint32_t>(bgrx.rows), bgrx.step, note);
  OutputFile file(to, false);
  std::ofstream out(file.path(), std::ios::binary);
  out.write(reinterpret_cast<const char*>(jpeg.data()), static_cast<std::streamsize>(jpeg.size()));
  if (!out.flush()) throw Failure("cannot write " + to.string());
  out.close();
  file.commit();
}

}  // namespace

FrameExportResult export_frames(const ArchivePaths& paths, CatalogReader& catalog,
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
  OutputFile concat_file(dir / "frames.ffconcat", false);
  std::ofstream concat(concat_file.path());
  concat << "ffconcat version 1.0\n";
  if (options.redactor) concat << "# " << options.redactor->note() << "\n";
  std::optional<JpegEncoder> encoder;
  std::string redacted_files;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const fs::path from = frame_path(paths, session, frames[i]);
    const fs::path to = dir / frames[i].file;
    const auto boxes = options.redactor ? options.redactor->boxes(frames[i], i + 1 < frames.size()
                                                                                 ? frames[i + 1].capture_us
                                                                                 : timeline.end_us())
                                        : std::vector<PixelRect>{};
    bool linked = false;
    if (!boxes.empty()) {
      if (!encoder) encoder.emplace();
      write_redacted(paths, session, frames[i], *options.redactor, boxes, *encoder, to);
      ++result.redacted;
      redacted_files += frames[i].file + "\n";
    } else {
      // Never through a link planted among the frames; a link fails across file systems: then a copy.
      linked = copy_regular_file(from, to, options.link);
    }
    if (!looks_whole_jpeg(to)) result.damaged.push_back(frames[i].file);
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
  concat.close();
  concat_file.commit();
  if (options.redactor) {
    OutputFile note_file(dir / "REDACTED.txt", false);
    std::ofstream note(note_file.path());
    note << options.redactor->note() << "\n\nFrames written with boxes covered (" << result.redacted
         << "; the others are copies of the recorded files):\n"
         << redacted_files;
    if (!note.flush()) throw Failure("cannot write " + (dir / "REDACTED.txt").string());
    note.close();
    note_file.commit();
  }
  return result;
}

SavedFrame save_frame(const ArchivePaths& paths, CatalogReader& catalog, const SessionRecord& session,
                      std::int64_t at_us, const fs::path& output, std::string_view highlight, bool force) {
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
  OutputFile file(output, force);
  bool written = false;
  try {
    written = cv::imwrite(file.path().string(), image);
  } catch (const cv::Exception& e) {
    throw Failure("cannot write " + output.string() + ": " + e.what());
  }
  if (!written) throw Failure("cannot write " + output.string() + ": the image could not be encoded");
  file.commit();
  return {frame, frame.capture_us - *origin, boxes};
}

}  // namespace screenreel::replay

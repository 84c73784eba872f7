// Loading recorded frames (see frame_image.hpp).
#include "screenreel/replay/frame_image.hpp"

#include <fstream>
#include <iterator>

#include "screenreel/archive/jpeg.hpp"
#include "screenreel/replay/archive_access.hpp"
#include "screenreel/archive/session_files.hpp"

namespace screenreel::replay {
namespace fs = std::filesystem;

fs::path frame_path(const ArchivePaths& paths, const SessionRecord& session,
                    const FrameRecord& frame) {
  if (!is_plain_file_name(session.folder) || !is_plain_file_name(frame.file))
    throw Failure("the catalog names frame file \"" + session.folder + "/" + frame.file +
                  "\", which is outside the session's folder; run verify");
  return session_folder(paths, session) / frame.file;
}

cv::Mat load_frame(const ArchivePaths& paths, const SessionRecord& session,
                   const FrameRecord& frame) {
  const fs::path file = frame_path(paths, session, frame);
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw Failure("cannot read frame " + std::to_string(frame.seq) + ": " + file.string() +
                  " is missing (run verify)");
  const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                        std::istreambuf_iterator<char>());
  auto image = decode_jpeg_bgr(bytes);
  if (!image)
    throw Failure("cannot decode frame " + std::to_string(frame.seq) + " (" + file.string() +
                  "): " + image.error().message);
  cv::Mat view(static_cast<int>(image->height), static_cast<int>(image->width), CV_8UC3,
               image->bgr.data());
  return view.clone();  // the Mat owns its pixels; the decoder's buffer goes away here
}

}  // namespace screenreel::replay

// A recorded frame as an OpenCV image: the JPEG named by a catalog row, decoded with the archive
// library's TurboJPEG decoder.
#pragma once

#include <opencv2/core.hpp>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/catalog.hpp"

namespace screenreel::replay {

// The frame's file: paths.session(session.folder) / frame.file. Throws Failure when the catalog
// names something that is not a plain file name (a doctored catalog).
std::filesystem::path frame_path(const ArchivePaths& paths, const SessionRecord& session,
                                 const FrameRecord& frame);

// 8-bit BGR. Throws Failure naming the file when it is missing or not a complete JPEG.
cv::Mat load_frame(const ArchivePaths& paths, const SessionRecord& session,
                   const FrameRecord& frame);

}  // namespace screenreel::replay

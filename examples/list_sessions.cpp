// Lists the sessions of a screenreel archive and reads the first frame of each, through the
// installed archive library (find_package(screenreel) or pkg-config screenreel-archive): what
// another program needs to read recordings without running screenreel-replay.
//
//   list_sessions ARCHIVE_DIR
//
// prints, for each session, its id, name, size and frame count, then the first frame's size
// (from its decoded pixels) and capture time (from the catalog):
//
//   session 1 "standup": 5 frames, 1280x720, ended (client)
//     frame 1: frame_000001.jpg, 1280x720, captured 2026-12-05 18:30:01.250000 UTC
#include <cstdint>
#include <ctime>
#include <exception>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include <screenreel/archive/archive.hpp>          // ArchivePaths: where catalog.db and sessions/ are
#include <screenreel/archive/catalog.hpp>          // open_catalog_reader, CatalogReader
#include <screenreel/archive/jpeg.hpp>             // decode_jpeg_bgr
#include <screenreel/archive/session_files.hpp>    // is_plain_file_name

namespace {

// Catalog times are microseconds since the Unix epoch, UTC.
std::string utc(std::int64_t us) {
  const std::time_t seconds = static_cast<std::time_t>(us / 1'000'000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &tm);
  std::string micros = std::to_string(us % 1'000'000);
  return std::string(date) + "." + std::string(6 - micros.size(), '0') + micros + " UTC";
}

// Reads and decodes one frame's JPEG; prints what it holds, or why it could not be read.
void print_frame(const screenreel::ArchivePaths& paths, const screenreel::SessionRecord& session,
                 const screenreel::FrameRecord& frame) {
  // Names from the catalog are checked before they become a path (a doctored catalog could
  // name "../../etc/passwd").
  if (!screenreel::is_plain_file_name(session.folder) || !screenreel::is_plain_file_name(frame.file)) {
    std::cout << "  frame " << frame.seq << ": the catalog names a file outside the session's folder\n";
    return;
  }
  const auto file = paths.session(session.folder) / frame.file;
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::cout << "  frame " << frame.seq << ": cannot open " << file.string() << "\n";
    return;
  }
  const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto image = screenreel::decode_jpeg_bgr(bytes);  // BGR pixels, 3 bytes each
  if (!image) {
    std::cout << "  frame " << frame.seq << ": " << file.string() << ": " << image.error().message << "\n";
    return;
  }
  std::cout << "  frame " << frame.seq << ": " << frame.file << ", " << image->width << "x" << image->height
            << ", captured " << utc(frame.capture_us) << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " ARCHIVE_DIR\n";
    return 2;
  }
  const screenreel::ArchivePaths paths(argv[1]);
  try {
    // A reader never changes the archive; it may run while a receiver records into it.
    const auto catalog = screenreel::open_catalog_reader(paths.catalog());
    const auto sessions = catalog->sessions();
    std::cout << sessions.size() << " session(s) in " << paths.root().string() << "\n";
    for (const auto& session : sessions) {
      std::cout << "session " << session.id << " \"" << session.name << "\": " << session.frame_count
                << " frames, " << session.width << "x" << session.height << ", "
                << (session.recording() ? "recording" : "ended (" + session.end_reason + ")") << "\n";
      if (const auto first = catalog->frame(session.id, 1)) print_frame(paths, session, *first);
    }
  } catch (const std::exception& e) {  // CatalogError: its message says what to do
    std::cerr << "list_sessions: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

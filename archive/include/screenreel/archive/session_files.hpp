// What a session folder holds on disk (schemas/archive-layout.md, "Frame files"): frame files by
// number, temporary files of frames being written, its manifest and events, and anything else. Shared by the checks and
// repairs of an archive (verify.hpp, recover.hpp) and by readers that join catalog names to paths.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace screenreel {

// The number in a frame file's name ("frame_000042.jpg" -> 42). Empty for any other name,
// including names frame_file_name() never writes ("frame_42.jpg", "frame_0000042.jpg").
std::optional<std::uint64_t> parse_frame_file_name(std::string_view name);

// True for one path component the receiver could have made: not empty, not "." or "..", no '/'.
// Folder and file names read from a catalog are checked with it before they are joined to a
// path, so a doctored catalog cannot point a reader (or a delete) outside the archive.
bool is_plain_file_name(std::string_view name);

// A session's folder name: "<UTC start time as YYYYMMDDTHHMMSSZ>-<session id>".
std::string session_folder_name(std::int64_t started_us, std::int64_t id);
struct SessionFolderName {
  std::int64_t started_us = 0;  // whole seconds
  std::int64_t id = 0;
};
// The start and id in a folder name session_folder_name() makes; empty for any other name.
std::optional<SessionFolderName> parse_session_folder_name(std::string_view name);

struct SessionFiles {
  std::map<std::uint64_t, std::string> frames;  // frame number -> file name
  std::vector<std::string> temporary;           // is_temp_file_name()
  bool manifest = false;                        // session.json (session_manifest.hpp)
  bool events = false;                          // events.jsonl (session_events.hpp)
  std::vector<std::string> other;               // anything else, folders included
};

// Lists one session folder (not recursively). Throws std::filesystem::filesystem_error naming
// the folder when it cannot be read.
SessionFiles list_session_files(const std::filesystem::path& dir);

}  // namespace screenreel

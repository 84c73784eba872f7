// A session's events file: events.jsonl in its folder (schemas/archive-layout.md, "Session
// events"), the session's markers and pauses kept beside its frames, so that a catalog rebuilt
// from the folders (rebuild.hpp) has them too. The receiver appends to it as they happen; the
// manifest (session_manifest.hpp) is rewritten whole and only at a session's start and end.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "screenreel/archive/catalog_records.hpp"

namespace screenreel {

inline constexpr const char* kEventsFile = "events.jsonl";

// The lines that record `events` (their markers, pauses and pause ends; the session ids are
// the folder's and are not written; the drop ledger is not kept here).
std::string session_events_lines(const SessionEvents& events);
// Appends them to dir/events.jsonl (append_file: made when missing). Nothing when there are none.
// Throws std::system_error naming the file.
void append_session_events(const std::filesystem::path& dir, const SessionEvents& events);

struct SessionEventsFile {
  // Markers and pauses, each pause with the end that followed it in the file (empty: it was
  // still paused when the session ended); session_id set to the one given.
  SessionEvents events;
  std::vector<std::string> warnings;  // lines skipped, and why
};
// Reads dir/events.jsonl (none: no events). A last line without its newline was being written
// when the receiver died: skipped silently. Any other line that does not parse is skipped with a
// warning; a line of a type this version does not know is skipped (a newer writer's).
SessionEventsFile read_session_events(const std::filesystem::path& dir, std::int64_t session_id);

}  // namespace screenreel

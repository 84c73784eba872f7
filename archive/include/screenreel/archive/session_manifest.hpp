// A session's manifest: session.json in its folder (schemas/archive-layout.md, "Session
// manifests"), the session's catalog row kept beside its frames, so that the catalog is never
// the only copy of what a session was. The receiver writes it atomically when the session starts,
// when it is resumed and when it ends; `rebuild` reads it.
#pragma once

#include <filesystem>
#include <string>

#include "screenreel/archive/catalog_records.hpp"
#include "screenreel/common/result.hpp"

namespace screenreel {

inline constexpr const char* kManifestFile = "session.json";
inline constexpr int kManifestFormat = 1;

// The manifest's text for a session (frame_count and bytes are not in it: the frames are).
std::string session_manifest_json(const SessionRecord& s);
// Writes dir/session.json atomically. Throws std::system_error naming the file.
void write_session_manifest(const std::filesystem::path& dir, const SessionRecord& s);
// Reads dir/session.json: the session as its manifest says (frame_count and bytes 0), or why it
// cannot (missing, not JSON, a newer format, a field of the wrong type).
Result<SessionRecord> read_session_manifest(const std::filesystem::path& dir);

}  // namespace screenreel

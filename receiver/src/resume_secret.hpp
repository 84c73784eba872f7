// The archive's resume secret (schemas/archive-layout.md, .resume-secret): the random key from
// which the receiver derives each session's resume key (screenreel/protocol/auth.hpp), kept
// beside the catalog so that a receiver restarted on the same archive recognises its sessions.
#pragma once

#include <filesystem>

#include "screenreel/protocol/auth.hpp"

namespace screenreel {

// Reads the archive's secret, making it (mode 0600, through a temporary file and a rename) when
// there is none yet. Throws naming the file when it cannot.
ResumeSecret load_or_create_resume_secret(const std::filesystem::path& path);

}  // namespace screenreel

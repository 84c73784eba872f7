// The shared-secret token file that the receiver, the capture client and `replay serve` take
// with --token-file: one line of at least kMinTokenBytes bytes (schemas/wire-protocol.md, AUTH).
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

namespace screenreel {

inline constexpr std::size_t kMinTokenBytes = 16;

// Reads a token file (trailing newlines ignored). Throws with what to do when it is missing,
// empty or shorter than kMinTokenBytes; logs a warning when others may read it.
std::string read_token_file(const std::filesystem::path& path);

}  // namespace screenreel

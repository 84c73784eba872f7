// Shared-token authentication of capture clients (schemas/wire-protocol.md, CHALLENGE/AUTH):
// the receiver sends a random nonce, the client answers HMAC-SHA256(token, nonce || version),
// compared in constant time. OpenSSL does the cryptography.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>

#include "screenreel/wire.hpp"

namespace screenreel {

using Nonce = std::array<std::uint8_t, wire::kNonceBytes>;
using Mac = std::array<std::uint8_t, wire::kMacBytes>;

inline constexpr std::size_t kMinTokenBytes = 16;

// Reads a token file (trailing newlines ignored). Throws with what to do when it is missing,
// empty or shorter than kMinTokenBytes; warns on stderr when others may read it.
std::string read_token_file(const std::filesystem::path& path, const char* program);
Nonce random_nonce();
Mac auth_mac(const std::string& token, const Nonce& nonce, std::uint16_t version = wire::kVersion);
bool macs_equal(const Mac& a, const Mac& b);  // constant time

}  // namespace screenreel

// Shared-token authentication of capture clients (schemas/wire-protocol.md, CHALLENGE/AUTH):
// the receiver sends a random nonce, the client answers HMAC-SHA256(token, nonce || version),
// compared in constant time. OpenSSL does the cryptography.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>

#include "screenreel/common/token_file.hpp"
#include "screenreel/protocol/wire.hpp"

namespace screenreel {

using Nonce = std::array<std::uint8_t, wire::kNonceBytes>;
using Mac = std::array<std::uint8_t, wire::kMacBytes>;

Nonce random_nonce();
Mac auth_mac(const std::string& token, const Nonce& nonce, std::uint16_t version = wire::kVersion);
bool macs_equal(const Mac& a, const Mac& b);  // constant time

// Session resume (schemas/wire-protocol.md, "Resuming a session"): the key a client must show
// to continue session `id` is HMAC-SHA256(secret, "screenreel-resume" || id as u64 LE), first
// 16 bytes. The secret is random; the receiver keeps it in its archive
// (receiver/src/resume_secret.hpp), so a receiver restarted on the same archive recognises
// its sessions' keys.
using ResumeSecret = std::array<std::uint8_t, 32>;
wire::ResumeKey resume_key(const ResumeSecret& secret, std::uint64_t session_id);
// Protocol 3: what HELLO carries in place of the key, proving the client knows it without sending
// it: HMAC-SHA256(key, "screenreel-resume-proof" || nonce), first 16 bytes, over the nonce of this
// connection's CHALLENGE. A proof seen on the wire is worthless on any other connection.
wire::ResumeKey resume_proof(const wire::ResumeKey& key, const Nonce& nonce);
bool resume_keys_equal(const wire::ResumeKey& a, const wire::ResumeKey& b);  // constant time

}  // namespace screenreel

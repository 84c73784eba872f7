// Tamper evidence for recorded frames (schemas/archive-layout.md, "Tamper evidence"): the
// SHA-256 of every frame's JPEG, chained per session, and the chain's last link signed with the
// receiver's Ed25519 key when the session ends. Anyone who changes, removes, inserts or reorders
// a frame, or edits a row's number or time, breaks the chain; anyone who re-chains it cannot
// sign it without the key.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "screenreel/common/hex.hpp"  // to_hex, from_hex: how digests are written
#include "screenreel/archive/catalog_records.hpp"

namespace screenreel {

Digest sha256(std::span<const std::uint8_t> bytes);
// The link before a session's first frame: SHA-256("screenreel-chain-1" || id, 8 bytes big-endian),
// so that no chain can be moved to another session.
Digest chain_start(std::int64_t session_id);
// SHA-256(previous || frame_sha256 || seq || capture_us), the integers 8 bytes big-endian.
Digest chain_link(const Digest& previous, const Digest& frame_sha256, std::int64_t seq, std::int64_t capture_us);
// What the receiver signs when a session ends: "screenreel-head-1" || id || frames || head.
std::vector<std::uint8_t> head_statement(std::int64_t session_id, std::int64_t frames, const Digest& head);

// An Ed25519 key pair (OpenSSL). The receiver keeps its private key in the archive
// (.receiver-key, PEM, mode 0600), made on its first start.
class SigningKey {
 public:
  // Reads the key at `path`, or makes one there (mode 0600) when there is none. Throws with
  // the file's name and what to do.
  static SigningKey load_or_create(const std::filesystem::path& path);
  SigningKey(SigningKey&&) noexcept;
  SigningKey& operator=(SigningKey&&) noexcept;
  ~SigningKey();

  std::vector<std::uint8_t> sign(std::span<const std::uint8_t> message) const;
  std::vector<std::uint8_t> public_key() const;  // the 32 raw bytes
  std::string public_key_pem() const;

 private:
  explicit SigningKey(void* key) : key_(key) {}
  void* key_ = nullptr;  // EVP_PKEY
};

// The 32 raw bytes of an Ed25519 public key in PEM (as --print-key writes it). Throws when the
// text is not one.
std::vector<std::uint8_t> public_key_from_pem(const std::string& pem);
// The same, read from a file (a --key option). Throws naming the file.
std::vector<std::uint8_t> read_public_key(const std::filesystem::path& path);
bool verify_signature(std::span<const std::uint8_t> public_key, std::span<const std::uint8_t> message,
                      std::span<const std::uint8_t> signature);

}  // namespace screenreel

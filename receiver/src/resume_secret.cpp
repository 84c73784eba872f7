// The archive's resume secret (see resume_secret.hpp).
#include "resume_secret.hpp"

#include <openssl/rand.h>

#include <fstream>
#include <stdexcept>
#include <string>

#include "screenreel/archive/archive.hpp"

namespace screenreel {

ResumeSecret load_or_create_resume_secret(const std::filesystem::path& path) {
  ResumeSecret secret{};
  if (std::ifstream in(path, std::ios::binary); in) {
    in.read(reinterpret_cast<char*>(secret.data()), secret.size());
    if (in.gcount() == static_cast<std::streamsize>(secret.size())) return secret;
    throw std::runtime_error(path.string() + " is damaged (shorter than " + std::to_string(secret.size()) +
                             " bytes): delete it; sessions recorded so far then can no longer be resumed");
  }
  if (RAND_bytes(secret.data(), static_cast<int>(secret.size())) != 1) throw std::runtime_error("no random bytes from OpenSSL");
  write_file_atomic(path.parent_path(), path.filename().string(), secret, 0600);
  return secret;
}

}  // namespace screenreel

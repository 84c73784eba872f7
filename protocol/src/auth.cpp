// Token authentication (see auth.hpp).
#include "screenreel/protocol/auth.hpp"

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

namespace screenreel {

std::string read_token_file(const std::filesystem::path& path, const char* program) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot read token file " + path.string() +
                             " (make one with: head -c 32 /dev/urandom | base64 > " + path.string() +
                             "; chmod 600 " + path.string() + ")");
  std::ostringstream s;
  s << in.rdbuf();
  std::string token = s.str();
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  if (token.size() < kMinTokenBytes)
    throw std::runtime_error("token file " + path.string() + " holds " + std::to_string(token.size()) +
                             " bytes; use at least " + std::to_string(kMinTokenBytes) +
                             " (head -c 32 /dev/urandom | base64)");
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)))
    std::cerr << program << ": warning: token file " << path.string()
              << " can be read by other users; chmod 600 it" << std::endl;
  return token;
}

Nonce random_nonce() {
  Nonce n;
  if (RAND_bytes(n.data(), static_cast<int>(n.size())) != 1) throw std::runtime_error("no random bytes from OpenSSL");
  return n;
}

Mac auth_mac(const std::string& token, const Nonce& nonce, std::uint16_t version) {
  unsigned char msg[wire::kNonceBytes + 2];
  std::copy(nonce.begin(), nonce.end(), msg);
  msg[wire::kNonceBytes] = static_cast<unsigned char>(version & 0xff);
  msg[wire::kNonceBytes + 1] = static_cast<unsigned char>(version >> 8);
  Mac mac{};
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), token.data(), static_cast<int>(token.size()), msg, sizeof msg, mac.data(), &len) ||
      len != mac.size())
    throw std::runtime_error("HMAC-SHA256 failed");
  return mac;
}

bool macs_equal(const Mac& a, const Mac& b) { return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0; }

wire::ResumeKey resume_key(const ResumeSecret& secret, std::uint64_t session_id) {
  constexpr char kLabel[] = "screenreel-resume";
  unsigned char msg[sizeof kLabel - 1 + 8];
  std::copy(kLabel, kLabel + sizeof kLabel - 1, msg);
  for (int i = 0; i < 8; ++i) msg[sizeof kLabel - 1 + i] = static_cast<unsigned char>(session_id >> (8 * i));
  unsigned char mac[32];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), msg, sizeof msg, mac, &len) || len != 32)
    throw std::runtime_error("HMAC-SHA256 failed");
  wire::ResumeKey key{};
  std::copy(mac, mac + key.size(), key.begin());
  return key;
}

wire::ResumeKey resume_proof(const wire::ResumeKey& key, const Nonce& nonce) {
  constexpr char kLabel[] = "screenreel-resume-proof";
  unsigned char msg[sizeof kLabel - 1 + wire::kNonceBytes];
  std::copy(kLabel, kLabel + sizeof kLabel - 1, msg);
  std::copy(nonce.begin(), nonce.end(), msg + sizeof kLabel - 1);
  unsigned char mac[32];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), msg, sizeof msg, mac, &len) || len != 32)
    throw std::runtime_error("HMAC-SHA256 failed");
  wire::ResumeKey proof{};
  std::copy(mac, mac + proof.size(), proof.begin());
  return proof;
}

bool resume_keys_equal(const wire::ResumeKey& a, const wire::ResumeKey& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace screenreel

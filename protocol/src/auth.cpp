// Token authentication (see auth.hpp).
#include "screenreel/protocol/auth.hpp"

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <span>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace screenreel {

Nonce random_nonce() {
  Nonce n;
  if (RAND_bytes(n.data(), static_cast<int>(n.size())) != 1) throw std::runtime_error("no random bytes from OpenSSL");
  return n;
}

namespace {

// HMAC-SHA256(key, a || b): every MAC of the protocol is one of these.
Mac hmac(std::span<const std::uint8_t> key, std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  std::vector<std::uint8_t> msg(a.begin(), a.end());
  msg.insert(msg.end(), b.begin(), b.end());
  Mac mac{};
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), msg.data(), msg.size(), mac.data(), &len) ||
      len != mac.size())
    throw std::runtime_error("HMAC-SHA256 failed");
  return mac;
}

std::span<const std::uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

wire::ResumeKey first_16(const Mac& mac) {
  wire::ResumeKey out{};
  std::copy_n(mac.begin(), out.size(), out.begin());
  return out;
}

}  // namespace

Mac auth_mac(const std::string& token, const Nonce& nonce, std::uint16_t version) {
  const std::uint8_t v[2] = {static_cast<std::uint8_t>(version & 0xff), static_cast<std::uint8_t>(version >> 8)};
  return hmac(bytes_of(token), nonce, v);
}

bool macs_equal(const Mac& a, const Mac& b) { return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0; }

wire::ResumeKey resume_key(const ResumeSecret& secret, std::uint64_t session_id) {
  std::uint8_t id[8];
  for (int i = 0; i < 8; ++i) id[i] = static_cast<std::uint8_t>(session_id >> (8 * i));
  return first_16(hmac(secret, bytes_of("screenreel-resume"), id));
}

wire::ResumeKey resume_proof(const wire::ResumeKey& key, const Nonce& nonce) {
  return first_16(hmac(key, bytes_of("screenreel-resume-proof"), nonce));
}

bool resume_keys_equal(const wire::ResumeKey& a, const wire::ResumeKey& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace screenreel

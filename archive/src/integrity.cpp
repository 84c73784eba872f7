// Tamper evidence (see integrity.hpp), with OpenSSL's SHA-256 and Ed25519.
#include "screenreel/archive/integrity.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "screenreel/archive/archive.hpp"

namespace screenreel {
namespace {

void put_be64(std::vector<std::uint8_t>& out, std::int64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(static_cast<std::uint64_t>(v) >> (8 * i)));
}

template <typename... Parts>
Digest sha256_of(const Parts&... parts) {
  std::vector<std::uint8_t> all;
  (all.insert(all.end(), std::begin(parts), std::end(parts)), ...);
  return sha256(all);
}

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct MdFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

EVP_PKEY* pkey(void* k) { return static_cast<EVP_PKEY*>(k); }

}  // namespace

Digest sha256(std::span<const std::uint8_t> bytes) {
  Digest d{};
  unsigned len = 0;
  if (!EVP_Digest(bytes.data(), bytes.size(), d.data(), &len, EVP_sha256(), nullptr) || len != d.size())
    throw std::runtime_error("SHA-256 failed");
  return d;
}

Digest chain_start(std::int64_t session_id) {
  const std::string tag = "screenreel-chain-1";
  std::vector<std::uint8_t> id;
  put_be64(id, session_id);
  return sha256_of(tag, id);
}

Digest chain_link(const Digest& previous, const Digest& frame_sha256, std::int64_t seq, std::int64_t capture_us) {
  std::vector<std::uint8_t> numbers;
  put_be64(numbers, seq);
  put_be64(numbers, capture_us);
  return sha256_of(previous, frame_sha256, numbers);
}

std::vector<std::uint8_t> head_statement(std::int64_t session_id, std::int64_t frames, const Digest& head) {
  const std::string tag = "screenreel-head-1";
  std::vector<std::uint8_t> out(tag.begin(), tag.end());
  put_be64(out, session_id);
  put_be64(out, frames);
  out.insert(out.end(), head.begin(), head.end());
  return out;
}

SigningKey SigningKey::load_or_create(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    std::unique_ptr<BIO, BioFree> bio(BIO_new_file(path.c_str(), "r"));
    EVP_PKEY* k = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
    if (!k || EVP_PKEY_get_id(k) != EVP_PKEY_ED25519) {
      EVP_PKEY_free(k);
      throw std::runtime_error("cannot read the receiver's signing key " + path.string() +
                               " (not an Ed25519 private key in PEM): move it away and a new one is made");
    }
    return SigningKey(k);
  }
  EVP_PKEY* k = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (!k) throw std::runtime_error("cannot make an Ed25519 key (OpenSSL)");
  SigningKey key(k);
  std::unique_ptr<BIO, BioFree> mem(BIO_new(BIO_s_mem()));
  if (!mem || !PEM_write_bio_PrivateKey(mem.get(), k, nullptr, nullptr, 0, nullptr, nullptr))
    throw std::runtime_error("cannot write an Ed25519 key (OpenSSL)");
  char* data = nullptr;
  const long n = BIO_get_mem_data(mem.get(), &data);
  write_file_atomic(path.parent_path(), path.filename().string(),
                    std::span(reinterpret_cast<const std::uint8_t*>(data), static_cast<std::size_t>(n)), 0600);
  return key;
}

SigningKey::SigningKey(SigningKey&& other) noexcept : key_(std::exchange(other.key_, nullptr)) {}
SigningKey& SigningKey::operator=(SigningKey&& other) noexcept {
  std::swap(key_, other.key_);
  return *this;
}
SigningKey::~SigningKey() { EVP_PKEY_free(pkey(key_)); }

std::vector<std::uint8_t> SigningKey::sign(std::span<const std::uint8_t> message) const {
  std::unique_ptr<EVP_MD_CTX, MdFree> ctx(EVP_MD_CTX_new());
  std::size_t len = 64;
  std::vector<std::uint8_t> sig(len);
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey(key_)) != 1 ||
      EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1)
    throw std::runtime_error("Ed25519 signing failed");
  sig.resize(len);
  return sig;
}

std::vector<std::uint8_t> SigningKey::public_key() const {
  std::size_t len = 32;
  std::vector<std::uint8_t> out(len);
  if (EVP_PKEY_get_raw_public_key(pkey(key_), out.data(), &len) != 1) throw std::runtime_error("no public key");
  out.resize(len);
  return out;
}

std::string SigningKey::public_key_pem() const {
  std::unique_ptr<BIO, BioFree> mem(BIO_new(BIO_s_mem()));
  if (!mem || !PEM_write_bio_PUBKEY(mem.get(), pkey(key_))) throw std::runtime_error("cannot write the public key");
  char* data = nullptr;
  const long n = BIO_get_mem_data(mem.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::vector<std::uint8_t> public_key_from_pem(const std::string& pem) {
  std::unique_ptr<BIO, BioFree> mem(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::unique_ptr<EVP_PKEY, PkeyFree> k(mem ? PEM_read_bio_PUBKEY(mem.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!k || EVP_PKEY_get_id(k.get()) != EVP_PKEY_ED25519)
    throw std::runtime_error("not an Ed25519 public key in PEM (screenreel-receiver --print-key writes one)");
  std::size_t len = 32;
  std::vector<std::uint8_t> out(len);
  EVP_PKEY_get_raw_public_key(k.get(), out.data(), &len);
  out.resize(len);
  return out;
}

std::vector<std::uint8_t> read_public_key(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  if (!in || !(text << in.rdbuf())) throw std::runtime_error("cannot read the public key " + path.string());
  try {
    return public_key_from_pem(text.str());
  } catch (const std::exception& e) {
    throw std::runtime_error(path.string() + ": " + e.what());
  }
}

bool verify_signature(std::span<const std::uint8_t> public_key, std::span<const std::uint8_t> message,
                      std::span<const std::uint8_t> signature) {
  std::unique_ptr<EVP_PKEY, PkeyFree> k(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key.data(), public_key.size()));
  std::unique_ptr<EVP_MD_CTX, MdFree> ctx(EVP_MD_CTX_new());
  return k && ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, k.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(), message.size()) == 1;
}

}  // namespace screenreel

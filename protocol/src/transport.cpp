// TLS contexts and certificate checks for Transport (see transport.hpp).
#include "screenreel/common/hex.hpp"
#include "screenreel/protocol/transport.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <stdexcept>

namespace screenreel {
namespace ssl = boost::asio::ssl;

namespace {

void tls13_only(ssl::context& ctx) {
  if (SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_3_VERSION) != 1)
    throw std::runtime_error("this OpenSSL cannot do TLS 1.3");
}


std::string fingerprint_of(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  if (X509_digest(cert, EVP_sha256(), md, &n) != 1) return {};
  return to_hex(std::span<const std::uint8_t>(md, n));
}

std::string normalise_fingerprint(std::string f) {
  if (f.rfind("SHA256:", 0) == 0 || f.rfind("sha256:", 0) == 0) f = f.substr(7);
  std::string out;
  for (char c : f)
    if (c != ':') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::shared_ptr<ssl::context> make_tls_server_context(const std::filesystem::path& cert,
                                                      const std::filesystem::path& key) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  tls13_only(*ctx);
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(cert.string(), ec);
  if (ec) throw std::runtime_error("cannot use --tls-cert " + cert.string() + ": " + ec.message());
  ctx->use_private_key_file(key.string(), ssl::context::pem, ec);
  if (ec) throw std::runtime_error("cannot use --tls-key " + key.string() + ": " + ec.message());
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1)
    throw std::runtime_error("--tls-key " + key.string() + " does not belong to --tls-cert " + cert.string());
  return ctx;
}

std::shared_ptr<ssl::context> make_tls_client_context(const std::filesystem::path& ca, const std::string& fingerprint) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  tls13_only(*ctx);
  boost::system::error_code ec;
  if (!ca.empty()) {
    ctx->load_verify_file(ca.string(), ec);
    if (ec) throw std::runtime_error("cannot use --tls-ca " + ca.string() + ": " + ec.message());
  } else if (fingerprint.empty()) {
    ctx->set_default_verify_paths(ec);
  }
  ctx->set_verify_mode(ssl::verify_peer);
  return ctx;
}

void prepare_tls_client(Transport::Tls& stream, const std::string& host, const std::string& fingerprint) {
  SSL_set_tlsext_host_name(stream.native_handle(), host.c_str());
  if (fingerprint.empty()) {
    stream.set_verify_callback(ssl::host_name_verification(host));
    return;
  }
  // A pinned certificate: exactly that one is accepted, whoever signed it (like ssh's known_hosts).
  stream.set_verify_callback([want = normalise_fingerprint(fingerprint)](bool, ssl::verify_context& ctx) {
    X509_STORE_CTX* store = ctx.native_handle();
    if (X509_STORE_CTX_get_error_depth(store) != 0) return true;  // the chain is judged by its leaf
    return fingerprint_of(X509_STORE_CTX_get_current_cert(store)) == want;
  });
}

std::string certificate_fingerprint(const std::filesystem::path& cert_pem) {
  FILE* f = std::fopen(cert_pem.c_str(), "r");
  if (!f) throw std::runtime_error("cannot read " + cert_pem.string());
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (!cert) throw std::runtime_error(cert_pem.string() + " is not a PEM certificate");
  const std::string fp = fingerprint_of(cert);
  X509_free(cert);
  return fp;
}

}  // namespace screenreel

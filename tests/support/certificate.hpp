// A self-signed certificate for the TLS tests (the receiver's and serve's --tls), made with the
// openssl command as a user would make one.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "support/process.hpp"

namespace screenreel::test {

// DIR/STEM.pem and DIR/STEM-key.pem: an EC P-256 certificate for localhost and 127.0.0.1.
inline void make_certificate(const std::filesystem::path& dir, const std::string& stem) {
  const std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
                          "-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
                          (dir / (stem + "-key.pem")).string() + " -out " + (dir / (stem + ".pem")).string() +
                          " >/dev/null 2>&1";
  ASSERT_EQ(shell(cmd), 0) << "openssl could not make a certificate";
}

}  // namespace screenreel::test

// Reading the token file (see token_file.hpp).
#include "screenreel/common/token_file.hpp"

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "screenreel/common/log.hpp"

namespace screenreel {

std::string read_token_file(const std::filesystem::path& path) {
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
    log::warning("token file " + path.string() + " can be read by other users; chmod 600 it");
  return token;
}

}  // namespace screenreel

// The portal's restore token on disk (restore_token.hpp).
#include "restore_token.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <system_error>

namespace screenreel::capture {
namespace fs = std::filesystem;

Result<fs::path> restore_token_path(const std::string& kind) {
  fs::path dir;
  if (const char* state = std::getenv("XDG_STATE_HOME"); state && state[0] == '/') {
    dir = state;
  } else if (const char* home = std::getenv("HOME"); home && home[0] == '/') {
    dir = fs::path(home) / ".local" / "state";
  } else {
    return Error{"neither XDG_STATE_HOME nor HOME is set, so the portal's restore token cannot be kept "
                 "(set XDG_STATE_HOME to a folder of yours)"};
  }
  return dir / "screenreel" / ("portal-restore-token-" + kind);
}

std::optional<std::string> load_restore_token(const fs::path& file) {
  std::ifstream in(file);
  std::string token;
  if (!in || !std::getline(in, token)) return std::nullopt;
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (token.empty()) return std::nullopt;
  return token;
}

Result<void> save_restore_token(const fs::path& file, const std::string& token) {
  const auto failed = [&](const std::string& what, int err) {
    return Error{"cannot keep the portal's restore token in " + file.string() + ": " + what + ": " +
                 std::strerror(err) + " (the next run will show the desktop's dialog again)"};
  };
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  if (ec) return failed("cannot make its folder", ec.value());
  ::chmod(file.parent_path().c_str(), 0700);  // ours alone; failing here only leaves it as it was
  const fs::path tmp = file.string() + ".tmp";
  ::unlink(tmp.c_str());
  // O_NOFOLLOW and O_EXCL: never write through a symlink planted under the temporary name.
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return failed("cannot create " + tmp.string(), errno);
  const std::string line = token + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                       ::fchmod(fd, 0600) == 0 && ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!written || ::rename(tmp.c_str(), file.c_str()) != 0) {
    const int e = written ? errno : err;
    ::unlink(tmp.c_str());
    return failed("cannot write it", e);
  }
  return {};
}

}  // namespace screenreel::capture

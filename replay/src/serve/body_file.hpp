// An open file that an answer's body is sent from (a frame's JPEG), so the server never reads it
// whole into memory: on plain HTTP the kernel sends it (sendfile), on HTTPS it is read in pieces.
// The descriptor is opened once, before the answer starts, so a file replaced or removed while it
// is sent (the archive is written while served) is sent as it was when opened.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <optional>
#include <utility>

namespace screenreel::replay::serve {

class BodyFile {
 public:
  BodyFile() = default;
  // Takes `fd` (open for reading) and sends its first `size` bytes.
  BodyFile(int fd, std::uint64_t size) : fd_(fd), size_(size) {}
  ~BodyFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  BodyFile(BodyFile&& other) noexcept : fd_(std::exchange(other.fd_, -1)), size_(std::exchange(other.size_, 0)) {}
  BodyFile& operator=(BodyFile&& other) noexcept {
    if (this != &other) {
      BodyFile old(std::move(*this));
      fd_ = std::exchange(other.fd_, -1);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  // The regular file `name` in the folder open as `dir_fd` (AT_FDCWD: a path), opened for
  // reading without following a symbolic link; none when it is not there, not a regular file, or
  // a link.
  static std::optional<BodyFile> open_at(int dir_fd, const char* name) {
    BodyFile file(::openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), 0);
    struct stat st {};
    if (!file || ::fstat(file.fd_, &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    file.size_ = static_cast<std::uint64_t>(st.st_size);
    return file;
  }
  BodyFile(const BodyFile&) = delete;
  BodyFile& operator=(const BodyFile&) = delete;

  explicit operator bool() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  std::uint64_t size() const { return size_; }

 private:
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

}  // namespace screenreel::replay::serve

// Archive layout helpers: paths, frame names, atomic file writes, the receiver's lock.
#include "screenreel/archive/archive.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <system_error>
#include <vector>

namespace screenreel {
namespace fs = std::filesystem;

fs::path default_archive_dir() {
  if (const char* env = std::getenv("SCREENREEL_ARCHIVE"); env && *env) return env;
  return "recordings";
}

std::string frame_file_name(std::uint64_t number) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "frame_%06llu.jpg", static_cast<unsigned long long>(number));
  return buf;
}

std::string temp_file_name(const std::string& final_name) { return "." + final_name + ".tmp"; }

bool is_temp_file_name(const std::string& name) {
  return name.size() > 5 && name.front() == '.' && name.ends_with(".tmp");
}

namespace {
[[noreturn]] void throw_errno(const std::string& what, const fs::path& path, int err) {
  throw std::system_error(err, std::generic_category(), what + " " + path.string());
}

// Writes all of `bytes` to fd; 0, or the errno of the write that failed.
int write_all(int fd, std::span<const std::uint8_t> bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n < 0 ? errno : EIO;
    done += static_cast<std::size_t>(n);
  }
  return 0;
}
}  // namespace

std::string format_frame_stamp(const FrameStamp& stamp) {
  return "screenreel-frame tick=" + std::to_string(stamp.tick) + " capture_us=" + std::to_string(stamp.capture_us) +
         " receive_us=" + std::to_string(stamp.receive_us);
}

std::optional<FrameStamp> parse_frame_stamp(std::string_view text) {
  FrameStamp stamp;
  const std::pair<std::string_view, std::int64_t*> fields[] = {
      {"screenreel-frame tick=", &stamp.tick}, {" capture_us=", &stamp.capture_us}, {" receive_us=", &stamp.receive_us}};
  for (const auto& [prefix, value] : fields) {
    if (text.substr(0, prefix.size()) != prefix) return std::nullopt;
    text.remove_prefix(prefix.size());
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
    if (ec != std::errc() || end == text.data()) return std::nullopt;
    text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  }
  if (!text.empty() || stamp.tick < 1) return std::nullopt;
  return stamp;
}

void write_file_atomic(const fs::path& dir, const std::string& name, std::span<const std::uint8_t> bytes,
                       unsigned mode) {
  const fs::path tmp = dir / temp_file_name(name);
  const fs::path dst = dir / name;
  // O_NOFOLLOW: never write through a symlink planted under the temporary name.
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) throw_errno("cannot create", tmp, errno);
  if (const int err = write_all(fd, bytes)) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw_errno("cannot write", tmp, err);
  }
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw_errno("cannot write", tmp, err);
  }
  if (::rename(tmp.c_str(), dst.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw_errno("cannot rename into place", dst, err);
  }
}

void append_file(const fs::path& dir, const std::string& name, std::span<const std::uint8_t> bytes, unsigned mode) {
  const fs::path path = dir / name;
  // O_APPEND: one write(2) lands whole at the end (a crash can cut only the last one short).
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) throw_errno("cannot open", path, errno);
  const int err = write_all(fd, bytes);
  if (::close(fd) != 0 && err == 0) throw_errno("cannot write", path, errno);
  if (err) throw_errno("cannot write", path, err);
}

bool link_file_atomic(const fs::path& dir, const std::string& existing, const std::string& name, unsigned max_links) {
  const fs::path tmp = dir / temp_file_name(name);
  const fs::path src = dir / existing;
  const fs::path dst = dir / name;
  struct stat st {};
  if (::lstat(src.c_str(), &st) != 0) throw_errno("cannot read", src, errno);
  if (st.st_nlink >= max_links) return false;
  ::unlink(tmp.c_str());  // a leftover from a crash; link() does not replace
  if (::link(src.c_str(), tmp.c_str()) != 0) {
    if (errno == EMLINK) return false;
    throw_errno("cannot link " + src.string() + " as", tmp, errno);
  }
  if (::rename(tmp.c_str(), dst.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw_errno("cannot rename into place", dst, err);
  }
  return true;
}

void copy_file_atomic(const fs::path& dir, const std::string& existing, const std::string& name) {
  const fs::path src = dir / existing;
  std::ifstream in(src, std::ios::binary);
  if (!in) throw_errno("cannot read", src, errno);
  const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw_errno("cannot read", src, errno);
  write_file_atomic(dir, name, bytes);
}

ArchiveLock::ArchiveLock(const ArchivePaths& paths) {
  const fs::path p = paths.lock();
  fd_ = ::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd_ < 0) throw_errno("cannot open lock file", p, errno);
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {};
    const ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error("another screenreel-receiver" + (n > 0 ? " (pid " + std::string(buf, static_cast<std::size_t>(n)) + ")" : std::string()) +
                             " is writing to archive " + paths.root().string() +
                             ": stop it, or give this one another --archive");
  }
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd_, 0) == 0 && ::pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
    // The pid is only for the message above; the lock itself is what matters.
  }
}

ArchiveLock::~ArchiveLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace screenreel

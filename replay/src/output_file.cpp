// Safe output files (see output_file.hpp).
#include "screenreel/replay/output_file.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <vector>

#include "screenreel/replay/archive_access.hpp"

namespace screenreel::replay {
namespace fs = std::filesystem;
namespace {

// What a signal handler removes: at most one output is in progress at a time. Plain buffers, as a
// handler may use only async-signal-safe calls.
char g_file[4096];
char g_dir[4096];
std::atomic<bool> g_armed{false};
// The handlers before the first OutputFile, given back after it (serve's own, for one).
struct sigaction g_old_int {}, g_old_term {};

extern "C" void remove_and_exit(int sig) {
  // A program that handles the signal itself (serve: it stops, and stops its export) is left to
  // do so: the export ends at its next frame and the OutputFile's destructor removes the file.
  const struct sigaction& before = sig == SIGINT ? g_old_int : g_old_term;
  if (!(before.sa_flags & SA_SIGINFO) && before.sa_handler != SIG_DFL && before.sa_handler != SIG_IGN &&
      before.sa_handler != nullptr) {
    before.sa_handler(sig);
    return;
  }
  if (g_armed) {
    ::unlink(g_file);
    ::rmdir(g_dir);
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void copy_into(char (&buf)[4096], const std::string& text) {
  const std::size_t n = std::min(text.size(), sizeof buf - 1);
  std::memcpy(buf, text.data(), n);
  buf[n] = 0;
}

std::string error_text(int err) { return std::strerror(err); }

}  // namespace

OutputFile::OutputFile(fs::path final_path, bool force) : final_(std::move(final_path)), force_(force) {
  const fs::path folder = final_.has_parent_path() ? final_.parent_path() : fs::path(".");
  struct stat st {};
  if (::lstat(final_.c_str(), &st) == 0) {
    if (S_ISLNK(st.st_mode))
      throw Failure("will not write " + final_.string() + ": it is a symbolic link (remove it, or choose another name)");
    if (!S_ISREG(st.st_mode)) throw Failure("will not write " + final_.string() + ": it is not a regular file");
    if (!force_) throw Failure(final_.string() + " exists; give --force to replace it, or choose another name");
  }
  if (::stat(folder.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw Failure("cannot write " + final_.string() + ": folder " + folder.string() + " does not exist");
  std::string pattern = (folder / ".screenreel-XXXXXX").string();
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back(0);
  if (!::mkdtemp(buf.data()))
    throw Failure("cannot write into " + folder.string() + ": " + error_text(errno) +
                  " (may you write there? choose another folder)");
  dir_ = buf.data();
  temp_ = dir_ / ("output" + final_.extension().string());
  copy_into(g_file, temp_.string());
  copy_into(g_dir, dir_.string());
  g_armed = true;
  struct sigaction sa {};
  sa.sa_handler = remove_and_exit;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &g_old_int);
  sigaction(SIGTERM, &sa, &g_old_term);
}

OutputFile::~OutputFile() {
  g_armed = false;
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
  std::error_code ec;
  if (!committed_) fs::remove(temp_, ec);
  fs::remove(dir_, ec);
}

void OutputFile::commit() {
  if (force_) {
    struct stat st {};
    if (::lstat(final_.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
      throw Failure("will not replace " + final_.string() + ": it is no longer a regular file");
    if (::rename(temp_.c_str(), final_.c_str()) != 0)
      throw Failure("cannot move the output to " + final_.string() + ": " + error_text(errno));
  } else if (::renameat2(AT_FDCWD, temp_.c_str(), AT_FDCWD, final_.c_str(), RENAME_NOREPLACE) != 0) {
    const int err = errno;
    throw Failure(err == EEXIST ? final_.string() + " appeared while exporting; give --force to replace it"
                                : "cannot move the output to " + final_.string() + ": " + error_text(err));
  }
  committed_ = true;
}

bool copy_regular_file(const fs::path& from, const fs::path& to, bool link) {
  const int in = ::open(from.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (in < 0)
    throw Failure("cannot read " + from.string() + ": " +
                  (errno == ELOOP ? "it is a symbolic link, not a frame the receiver wrote" : error_text(errno)));
  struct stat st {};
  if (::fstat(in, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(in);
    throw Failure("cannot read " + from.string() + ": not a regular file");
  }
  if (link && ::link(from.c_str(), to.c_str()) == 0) {  // link(2) does not follow `from`: checked above
    ::close(in);
    return true;
  }
  const int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (out < 0) {
    const int err = errno;
    ::close(in);
    throw Failure("cannot create " + to.string() + ": " + error_text(err));
  }
  char buf[1 << 16];
  bool ok = true;
  for (;;) {
    const ssize_t n = ::read(in, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0 || ::write(out, buf, static_cast<std::size_t>(n)) != n) {
      ok = false;
      break;
    }
  }
  const int err = errno;
  ::close(in);
  if (::close(out) != 0) ok = false;
  if (!ok) {
    ::unlink(to.c_str());
    throw Failure("cannot copy " + from.string() + " to " + to.string() + ": " + error_text(err));
  }
  return false;
}

}  // namespace screenreel::replay

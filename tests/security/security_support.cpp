// Helpers of the security tests (see security_support.hpp).
#include "security_support.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

#include "screenreel/archive/archive.hpp"
#include "screenreel/protocol/frame_codec.hpp"
#include "screenreel/archive/jpeg.hpp"
#include "screenreel/archive/sqlite_catalog.hpp"
#include "screenreel/archive/session_files.hpp"
#include "support/screen_painter.hpp"

namespace screenreel::test {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

// --- processes ---------------------------------------------------------------------------

ReceiverProcess::ReceiverProcess(const fs::path& archive, std::vector<std::string> extra) {
  std::vector<std::string> argv = {SCREENREEL_RECEIVER_BIN, "--no-display", "--listen",
                                   "127.0.0.1:0",           "--archive",    archive.string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  process_ = std::make_unique<Process>(argv);
  if (!process_->wait_for_stderr("listening on", 20s)) return;
  std::smatch m;
  const std::string err = process_->err();
  if (std::regex_search(err, m, std::regex(R"(listening on 127\.0\.0\.1:(\d+))")))
    port_ = m[1].str();
}

std::optional<int> ReceiverProcess::stop(std::chrono::milliseconds timeout) {
  if (process_->running()) process_->signal(SIGTERM);
  return process_->wait_for(timeout);
}

std::unique_ptr<Process> start_pattern_client(const std::string& port, const std::string& name,
                                              std::vector<std::string> extra) {
  std::vector<std::string> argv = {SCREENREEL_CAPTURE_BIN,
                                   "--connect",
                                   "127.0.0.1:" + port,
                                   "--source",
                                   "test-pattern",
                                   "--name",
                                   name,
                                   "--quiet"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return std::make_unique<Process>(argv);
}

ProcessUsage process_usage(pid_t pid) {
  ProcessUsage u;
  const fs::path proc = fs::path("/proc") / std::to_string(pid);
  std::error_code ec;
  for (auto it = fs::directory_iterator(proc / "fd", ec); !ec && it != fs::directory_iterator();
       it.increment(ec))
    ++u.fds;
  std::ifstream status(proc / "status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) u.threads = std::stoi(line.substr(8));
    if (line.rfind("VmRSS:", 0) == 0) u.rss_kib = std::stol(line.substr(6));
  }
  return u;
}

// --- raw client --------------------------------------------------------------------------

WireClient::WireClient(const std::string& port, const std::string& host) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(std::stoi(port)));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1 ||
      ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    fd_ = -1;
    return;
  }
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in local{};
  socklen_t len = sizeof local;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &len);
  char ip[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &local.sin_addr, ip, sizeof ip);
  local_ = std::string(ip) + ":" + std::to_string(ntohs(local.sin_port));
}

WireClient::~WireClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool WireClient::send(const std::vector<std::uint8_t>& bytes) {
  return send(bytes, 0, bytes.size());
}

bool WireClient::send(const std::vector<std::uint8_t>& bytes, std::size_t from, std::size_t to) {
  while (from < to) {
    const ssize_t n = ::send(fd_, bytes.data() + from, to - from, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    from += static_cast<std::size_t>(n);
  }
  return true;
}

void WireClient::shutdown_write() {
  ::shutdown(fd_, SHUT_WR);
}

bool WireClient::read_some(std::chrono::steady_clock::time_point until) {
  if (eof_ || fd_ < 0) return false;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      until - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd_, POLLIN, 0};
  const int r = ::poll(&p, 1, static_cast<int>(left.count()));
  if (r <= 0) return r < 0 && errno == EINTR;
  std::uint8_t buf[65536];
  const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n < 0 && errno == EINTR) return true;
  if (n <= 0) {  // EOF, or a reset: either way the receiver closed
    eof_ = true;
    return false;
  }
  raw_.insert(raw_.end(), buf, buf + n);
  // Parse what is complete: the receiver's preamble, then header + body messages.
  while (!stream_bad_) {
    if (!preamble_ok_) {
      if (raw_.size() < wire::kPreambleBytes) break;
      preamble_ok_ = static_cast<bool>(wire::decode_preamble({raw_.data(), wire::kPreambleBytes}));
      if (!preamble_ok_) {
        stream_bad_ = true;
        break;
      }
      parsed_ = wire::kPreambleBytes;
      continue;
    }
    if (raw_.size() - parsed_ < wire::kHeaderBytes) break;
    auto h = wire::decode_header({raw_.data() + parsed_, wire::kHeaderBytes});
    if (!h) {
      stream_bad_ = true;
      break;
    }
    if (raw_.size() - parsed_ - wire::kHeaderBytes < h->length) break;
    const std::span<const std::uint8_t> body(raw_.data() + parsed_ + wire::kHeaderBytes,
                                             h->length);
    Received rec;
    rec.type = h->type;
    if (rec.type != wire::MessageType::kFrame) {
      auto m = wire::decode_body(rec.type, body);
      if (m) rec.message = std::move(*m);
    }
    messages_.push_back(std::move(rec));
    parsed_ += wire::kHeaderBytes + h->length;
  }
  return true;
}

bool WireClient::wait_for(wire::MessageType type, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  std::size_t seen = 0;
  for (;;) {
    for (; seen < messages_.size(); ++seen)
      if (messages_[seen].type == type) return true;
    if (!read_some(until)) {
      if (eof_ || std::chrono::steady_clock::now() >= until) {
        for (; seen < messages_.size(); ++seen)
          if (messages_[seen].type == type) return true;
        return false;
      }
    }
  }
}

bool WireClient::wait_closed(std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!eof_) {
    if (!read_some(until) && !eof_ && std::chrono::steady_clock::now() >= until) return false;
  }
  return true;
}

std::optional<wire::Error> WireClient::error() const {
  for (const auto& m : messages_)
    if (m.message)
      if (const auto* e = std::get_if<wire::Error>(&*m.message)) return *e;
  return std::nullopt;
}

std::vector<std::uint8_t> preamble_and_hello(std::uint32_t width, std::uint32_t height,
                                             const std::string& name, const std::string& source,
                                             std::uint16_t version) {
  auto out = wire::encode_preamble(version);
  wire::Hello hello;
  hello.width = width;
  hello.height = height;
  hello.fps_milli = 10'000;
  hello.client_time_us = wall_clock_us();
  hello.name = name;
  hello.source = source;
  const auto h = wire::encode(hello);
  out.insert(out.end(), h.begin(), h.end());
  return out;
}

std::vector<std::uint8_t> raw_header(std::uint16_t type, std::uint32_t length,
                                     std::uint16_t reserved) {
  std::vector<std::uint8_t> h(wire::kHeaderBytes);
  h[0] = static_cast<std::uint8_t>(type);
  h[1] = static_cast<std::uint8_t>(type >> 8);
  h[2] = static_cast<std::uint8_t>(reserved);
  h[3] = static_cast<std::uint8_t>(reserved >> 8);
  for (int i = 0; i < 4; ++i) h[4 + i] = static_cast<std::uint8_t>(length >> (8 * i));
  return h;
}

std::vector<std::uint8_t> frame_message(std::uint64_t seq, std::uint32_t width,
                                        std::uint32_t height, std::uint32_t flags,
                                        std::uint64_t hash, const std::vector<RectBytes>& rects) {
  std::vector<std::uint8_t> out;
  wire::FrameMessageWriter writer(out, seq, wall_clock_us(), width, height, flags);
  for (const auto& r : rects) {
    writer.add_rect(r.x, r.y, r.w, r.h, r.encoding, r.data);
  }
  writer.finish(hash);
  return out;
}

std::vector<std::uint8_t> flat_key_frame(std::uint64_t seq, std::uint32_t width,
                                         std::uint32_t height, std::uint8_t value) {
  FrameBuffer f(width, height);
  std::fill(f.pixels.begin(), f.pixels.end(), value);
  return frame_message(seq, width, height, wire::kFrameFlagKey, pixel_hash(f),
                       {RectBytes{0, 0, width, height, wire::RectEncoding::kRaw, f.pixels}});
}

// --- archive checks ----------------------------------------------------------------------

std::vector<SessionRecord> read_sessions(const fs::path& archive) {
  SqliteCatalog catalog(ArchivePaths(archive).catalog(), SqliteCatalog::Mode::kReadOnly);
  return catalog.sessions();
}

std::vector<FrameRecord> read_frames(const fs::path& archive, std::int64_t session_id) {
  SqliteCatalog catalog(ArchivePaths(archive).catalog(), SqliteCatalog::Mode::kReadOnly);
  return catalog.frames(session_id);
}

std::optional<SessionRecord> session_of_client(const fs::path& archive,
                                               const std::string& client_address) {
  // Loopback reuses ports quickly (tcp_tw_reuse): the newest session of an address is the one
  // of the connection that has it now.
  std::optional<SessionRecord> found;
  for (auto& s : read_sessions(archive))
    if (s.client_address == client_address) found = s;
  return found;
}

namespace {
std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Result<DecodedImage> decode_file(const fs::path& p) {
  const std::string bytes = slurp(p);
  return decode_jpeg_bgr(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}
}  // namespace

std::vector<std::string> check_frame_files(const fs::path& archive,
                                           std::optional<std::int64_t> only_session) {
  std::vector<std::string> problems;
  const ArchivePaths paths(archive);
  SqliteCatalog catalog(paths.catalog(), SqliteCatalog::Mode::kReadOnly);
  for (const auto& s : catalog.sessions()) {
    if (only_session && s.id != *only_session) continue;
    const fs::path dir = paths.session(s.folder);
    for (const auto& r : catalog.frames(s.id)) {
      const fs::path p = dir / r.file;
      const auto img = decode_file(p);
      if (!img) {
        problems.push_back("row " + std::to_string(s.id) + "/" + std::to_string(r.seq) + ": " +
                           p.string() + " does not decode: " + img.error().message);
      } else if (img->width != r.width || img->height != r.height) {
        problems.push_back(p.string() + " is " + std::to_string(img->width) + "x" +
                           std::to_string(img->height) + ", its row says " +
                           std::to_string(r.width) + "x" + std::to_string(r.height));
      }
    }
    // Files without rows (the last batch before a crash) must be complete as well.
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    for (const auto& [number, name] : list_session_files(dir).frames) {
      if (const auto img = decode_file(dir / name); !img)
        problems.push_back((dir / name).string() + " (frame " + std::to_string(number) +
                           ") is under a frame name but does not decode: " + img.error().message);
    }
  }
  return problems;
}

std::string integrity_check(const fs::path& archive) {
  SqliteCatalog catalog(ArchivePaths(archive).catalog(), SqliteCatalog::Mode::kReadOnly);
  auto st = catalog.db().prepare("PRAGMA integrity_check");
  std::string out;
  while (st.step()) out += (out.empty() ? "" : "; ") + st.text(0);
  return out;
}

double psnr_jpeg_vs_bgrx(const fs::path& jpeg, const std::vector<std::uint8_t>& bgrx,
                         std::uint32_t width, std::uint32_t height) {
  const auto img = decode_file(jpeg);
  if (!img || img->width != width || img->height != height) return 0;
  return psnr_bgr_vs_bgrx(img->bgr, bgrx);
}

std::vector<std::string> list_tree(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::none, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_symlink() || !it->is_directory())
      out.push_back(it->path().lexically_relative(dir).string());  // never through a link
  }
  return out;
}

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

void expect_stopped_cleanly(const std::filesystem::path& archive, const std::string& error_part) {
  const auto sessions = read_sessions(archive);
  ASSERT_EQ(sessions.size(), 1u);
  const auto& s = sessions[0];
  EXPECT_FALSE(s.recording()) << "the session is still marked recording";
  EXPECT_EQ(s.end_reason, "error");
  EXPECT_NE(s.error.find(error_part), std::string::npos) << s.error;
  EXPECT_GT(s.frame_count, 0);
  EXPECT_EQ(integrity_check(archive), "ok");
  const auto rows = read_frames(archive, s.id);
  EXPECT_EQ(static_cast<std::int64_t>(rows.size()), s.frame_count);
  for (std::size_t i = 0; i < rows.size(); ++i)
    EXPECT_EQ(rows[i].seq, static_cast<std::int64_t>(i + 1)) << "gap in frame numbers";
  const auto problems = check_frame_files(archive);
  EXPECT_TRUE(problems.empty()) << problems.size() << " problems, first: " << problems.front();
  const auto files = list_session_files(ArchivePaths(archive).session(s.folder));
  EXPECT_TRUE(files.temporary.empty()) << "temporary file left: " << files.temporary.front();
}

TmpfsMount::TmpfsMount(const std::string& tag, const std::string& size) : path_(fresh_temp_dir(tag)) {
  if (::geteuid() != 0)
    why_not_ = "needs root to mount a small tmpfs (running as uid " + std::to_string(::geteuid()) + ")";
  else if (::mount("tmpfs", path_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, ("size=" + size + ",mode=0755").c_str()) != 0)
    why_not_ = "cannot mount a tmpfs on " + path_.string() + ": " + std::strerror(errno) +
               " (a container without CAP_SYS_ADMIN?)";
}

TmpfsMount::~TmpfsMount() {
  if (mounted() && ::umount(path_.c_str()) != 0) {
    ADD_FAILURE() << "cannot unmount " << path_ << ": " << std::strerror(errno);
    ::umount2(path_.c_str(), MNT_DETACH);
  }
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace screenreel::test

// Shared by the security tests: the real receiver started headless on a free loopback port, the
// real capture client on the test pattern, a raw TCP client that sends whatever bytes a test
// wants (plain POSIX sockets, no project code between the test and the wire), and checks of an
// archive's files against its catalog. WireClient differs from support/raw_client.hpp's
// RawClient in what these tests need: the local address (to find the session a connection made
// in the catalog), a half close, sending any byte range, and a log of every message received.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "screenreel/archive/catalog.hpp"
#include "screenreel/protocol/wire.hpp"
#include "support/process.hpp"
#include "support/programs.hpp"  // frames_sent

namespace screenreel::test {

// screenreel-receiver --no-display --listen 127.0.0.1:0 --archive DIR, with the port it logged.
class ReceiverProcess {
 public:
  explicit ReceiverProcess(const std::filesystem::path& archive,
                           std::vector<std::string> extra = {});
  Process& process() { return *process_; }
  pid_t pid() const { return process_->pid(); }
  const std::string& port() const { return port_; }
  bool started() const { return !port_.empty(); }
  std::string err() const { return process_->err(); }
  // SIGTERM, then waits; the exit status (empty if it did not end within the time).
  std::optional<int> stop(std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  std::unique_ptr<Process> process_;
  std::string port_;
};

// A tmpfs of `size` ("8M") mounted on a fresh folder named after `tag`, for tests that need a
// small disk. Root only: mounted() is false elsewhere and why_not() says why (tests skip with it).
// Unmounted and removed when destroyed (end the processes using it first).
class TmpfsMount {
 public:
  TmpfsMount(const std::string& tag, const std::string& size);
  ~TmpfsMount();
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;
  const std::filesystem::path& path() const { return path_; }
  bool mounted() const { return why_not_.empty(); }
  const std::string& why_not() const { return why_not_; }

 private:
  std::filesystem::path path_;
  std::string why_not_;
};

// screenreel-capture --source test-pattern to 127.0.0.1:PORT; `extra` adds options
// (--max-frames, --duration, --size, --fps ...).
std::unique_ptr<Process> start_pattern_client(const std::string& port, const std::string& name,
                                              std::vector<std::string> extra = {});

// /proc/PID: open file descriptors, threads, resident memory (KiB).
struct ProcessUsage {
  int fds = 0;
  int threads = 0;
  long rss_kib = 0;
};
ProcessUsage process_usage(pid_t pid);

// A message the receiver sent, decoded (control messages only; their bodies are copied).
struct Received {
  wire::MessageType type{};
  std::optional<wire::Message> message;
};

// One TCP connection to the receiver, driven byte by byte by the test.
class WireClient {
 public:
  // Connects to HOST:PORT (an IPv4 address; loopback unless given).
  explicit WireClient(const std::string& port, const std::string& host = "127.0.0.1");
  ~WireClient();
  WireClient(const WireClient&) = delete;
  WireClient& operator=(const WireClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  // "ADDRESS:PORT" as the receiver sees this client (the catalog's client_address).
  const std::string& local_address() const { return local_; }
  // False when the receiver has closed the connection (EPIPE, ECONNRESET).
  bool send(const std::vector<std::uint8_t>& bytes);
  bool send(const std::vector<std::uint8_t>& bytes, std::size_t from, std::size_t to);
  // No more bytes from this side: the receiver reads EOF after what was sent.
  void shutdown_write();

  // Reads until a message of `type` arrives; false at the deadline or when the connection ends.
  bool wait_for(wire::MessageType type,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Reads until the receiver closes; false at the deadline.
  bool wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  bool closed_by_peer() const { return eof_; }
  std::size_t bytes_received() const { return raw_.size(); }
  // The receiver's preamble was received (and was a valid one).
  bool got_preamble() const { return preamble_ok_; }
  const std::vector<Received>& messages() const { return messages_; }
  // The first ERROR received, if any.
  std::optional<wire::Error> error() const;

 private:
  // One read with a timeout; false when nothing more can come (EOF, error, deadline).
  bool read_some(std::chrono::steady_clock::time_point until);
  int fd_ = -1;
  std::string local_;
  std::vector<std::uint8_t> raw_;
  std::size_t parsed_ = 0;
  bool preamble_ok_ = false;
  bool eof_ = false;
  bool stream_bad_ = false;
  std::vector<Received> messages_;
};

// preamble (offering `version`) + HELLO for a client of this size (name and source as given).
std::vector<std::uint8_t> preamble_and_hello(std::uint32_t width, std::uint32_t height,
                                             const std::string& name = "raw",
                                             const std::string& source = "raw test client",
                                             std::uint16_t version = wire::kVersion);
// An 8-byte message header with any type, reserved and length.
std::vector<std::uint8_t> raw_header(std::uint16_t type, std::uint32_t length,
                                     std::uint16_t reserved = 0);

// One rectangle of a hand-made FRAME; `data` is sent as is, whatever the rectangle says.
struct RectBytes {
  std::uint32_t x = 0, y = 0, w = 0, h = 0;
  wire::RectEncoding encoding = wire::RectEncoding::kRaw;
  std::vector<std::uint8_t> data;
};
// A FRAME message with any fields, through the encoder's own writer.
std::vector<std::uint8_t> frame_message(std::uint64_t seq, std::uint32_t width,
                                        std::uint32_t height, std::uint32_t flags,
                                        std::uint64_t hash, const std::vector<RectBytes>& rects);
// A valid whole-frame key FRAME of one flat colour (raw), with the right hash.
std::vector<std::uint8_t> flat_key_frame(std::uint64_t seq, std::uint32_t width,
                                         std::uint32_t height, std::uint8_t value = 0x80);

// The catalog, read-only (opened per call so it sees the receiver's latest commits).
std::vector<SessionRecord> read_sessions(const std::filesystem::path& archive);
std::vector<FrameRecord> read_frames(const std::filesystem::path& archive, std::int64_t session_id);
// The newest session made by a connection from `client_address` ("127.0.0.1:PORT").
std::optional<SessionRecord> session_of_client(const std::filesystem::path& archive,
                                               const std::string& client_address);

// Every row of every session names a file that is in place and decodes as a JPEG of the row's
// size; every frame file (indexed or not) decodes too: no half-written JPEG under a frame name.
// Returns the problems found (empty when all is well). `only_session`: that session's rows and
// folder only.
std::vector<std::string> check_frame_files(const std::filesystem::path& archive,
                                           std::optional<std::int64_t> only_session = std::nullopt);
// PRAGMA integrity_check, "ok" when the database is sound.
std::string integrity_check(const std::filesystem::path& archive);

// An integer from the environment (test knobs such as LOAD_SECONDS), or `fallback` when unset.
int env_int(const char* name, int fallback);

// A session the receiver had to stop (disk full, --min-free) kept what it wrote consistent:
// ended 'error' with `error_part` in its message, rows 1..N without gaps, every row's JPEG
// complete, no temporary file left.
void expect_stopped_cleanly(const std::filesystem::path& archive, const std::string& error_part);

// Peak signal-to-noise ratio between a decoded JPEG (BGR) and BGRX pixels of the same size; 0 on
// a size mismatch.
double psnr_jpeg_vs_bgrx(const std::filesystem::path& jpeg, const std::vector<std::uint8_t>& bgrx,
                         std::uint32_t width, std::uint32_t height);

// Every regular file and symlink below `dir`, relative to it ("a/b.jpg").
std::vector<std::string> list_tree(const std::filesystem::path& dir);

}  // namespace screenreel::test

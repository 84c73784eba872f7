// The archive on disk (schemas/archive-layout.md): where the catalog and the session folders
// are, how frame files are named, and how a file is put in place so that no reader ever sees
// half of it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <string_view>

#include "screenreel/common/clock.hpp"  // wall_clock_us, which the stamps carry

namespace screenreel {

// The archive folder the programs use when none is given: $SCREENREEL_ARCHIVE, else ./recordings.
std::filesystem::path default_archive_dir();

class ArchivePaths {
 public:
  explicit ArchivePaths(std::filesystem::path root) : root_(std::move(root)) {}
  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path catalog() const { return root_ / "catalog.db"; }
  std::filesystem::path sessions() const { return root_ / "sessions"; }
  std::filesystem::path session(const std::string& folder) const { return sessions() / folder; }
  std::filesystem::path lock() const { return root_ / ".receiver.lock"; }
  std::filesystem::path resume_secret() const { return root_ / ".resume-secret"; }
  // The receiver's Ed25519 key that signs each session's frame chain (integrity.hpp).
  std::filesystem::path signing_key() const { return root_ / ".receiver-key"; }
  std::filesystem::path reserve() const { return root_ / ".receiver.reserve"; }

 private:
  std::filesystem::path root_;
};

// "frame_000001.jpg": 6 digits, more once a session passes 999999 frames.
std::string frame_file_name(std::uint64_t number);
// What a frame file says about itself in its JPEG comment (schemas/archive-layout.md), so that
// a file whose catalog row was lost in a crash is indexed with the tick and times it really had.
struct FrameStamp {
  std::int64_t tick = 0;
  std::int64_t capture_us = 0;
  std::int64_t receive_us = 0;
  bool operator==(const FrameStamp&) const = default;
};
// "screenreel-frame tick=12 capture_us=1764032400000000 receive_us=1764032400004000"
std::string format_frame_stamp(const FrameStamp& stamp);
// Empty when the text is not a frame stamp (another program's comment, or none).
std::optional<FrameStamp> parse_frame_stamp(std::string_view text);

// The temporary name a frame is written under before it is renamed into place.
std::string temp_file_name(const std::string& final_name);
bool is_temp_file_name(const std::string& name);

// Writes `bytes` to dir/.NAME.tmp and renames it to dir/NAME. The rename is atomic, so a reader
// (or a crash) sees either no file or the whole file. Throws std::system_error naming the file;
// the temporary file is removed on failure.
void write_file_atomic(const std::filesystem::path& dir, const std::string& name, std::span<const std::uint8_t> bytes,
                       unsigned mode = 0644);

// Appends `bytes` to dir/NAME (made when missing, never through a symlink) through an O_APPEND
// descriptor: a crash leaves the file as it was plus, at most, a first part of `bytes`.
// Throws std::system_error naming the file.
void append_file(const std::filesystem::path& dir, const std::string& name, std::span<const std::uint8_t> bytes,
                 unsigned mode = 0644);

// Makes dir/NAME a hard link to dir/EXISTING (a repeated frame shares its JPEG), through a
// temporary name and a rename like write_file_atomic. Returns false, doing nothing, when EXISTING
// has `max_links` links already or the filesystem says it has too many (EMLINK: ext4 stops at
// 65,000): the caller then makes a copy. Throws std::system_error naming the file otherwise.
inline constexpr unsigned kMaxLinksPerFile = 60'000;  // under ext4's 65,000, with a margin
bool link_file_atomic(const std::filesystem::path& dir, const std::string& existing, const std::string& name,
                      unsigned max_links = kMaxLinksPerFile);

// Writes a copy of dir/EXISTING as dir/NAME, as write_file_atomic does.
void copy_file_atomic(const std::filesystem::path& dir, const std::string& existing, const std::string& name);

// Held by a receiver for as long as it writes into an archive (flock on .receiver.lock), so two
// receivers never write one catalog. Throws with the holder's pid when another process has it.
class ArchiveLock {
 public:
  explicit ArchiveLock(const ArchivePaths& paths);
  ~ArchiveLock();
  ArchiveLock(const ArchiveLock&) = delete;
  ArchiveLock& operator=(const ArchiveLock&) = delete;
  ArchiveLock(ArchiveLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

 private:
  int fd_ = -1;
};


}  // namespace screenreel

// The archive on disk (schemas/archive-layout.md): where the catalog and the session folders
// are, how frame files are named, and how a file is put in place so that no reader ever sees
// half of it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

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

 private:
  std::filesystem::path root_;
};

// "frame_000001.jpg": 6 digits, more once a session passes 999999 frames.
std::string frame_file_name(std::uint64_t number);
// The temporary name a frame is written under before it is renamed into place.
std::string temp_file_name(const std::string& final_name);
bool is_temp_file_name(const std::string& name);

// Writes `bytes` to dir/.NAME.tmp and renames it to dir/NAME. The rename is atomic, so a reader
// (or a crash) sees either no file or the whole file. Throws std::system_error naming the file;
// the temporary file is removed on failure.
void write_file_atomic(const std::filesystem::path& dir, const std::string& name, std::span<const std::uint8_t> bytes);

// Makes dir/NAME a hard link to dir/EXISTING (a repeated frame shares its JPEG), through a
// temporary name and a rename like write_file_atomic. Throws std::system_error naming the file.
void link_file_atomic(const std::filesystem::path& dir, const std::string& existing, const std::string& name);

// Held by a receiver for as long as it writes into an archive (flock on .receiver.lock), so two
// receivers never write one catalog. Throws with the holder's pid when another process has it.
class ArchiveLock {
 public:
  explicit ArchiveLock(const ArchivePaths& paths);
  ~ArchiveLock();
  ArchiveLock(const ArchiveLock&) = delete;
  ArchiveLock& operator=(const ArchiveLock&) = delete;

 private:
  int fd_ = -1;
};

std::int64_t wall_clock_us();

}  // namespace screenreel

// Files the replay tool writes (export's video, frame -o, export --frames' files): never through
// a link someone planted, never over an existing file unless asked, and nothing half-written left
// behind when the work fails or the program is interrupted.
#pragma once

#include <filesystem>
#include <string>

namespace screenreel::replay {

// A file made in a private folder beside its final name (mkdtemp: a name nobody can guess, mode
// 0700, so no link can be planted where the writer writes), then moved into place by commit():
// without `force` only where nothing is (renameat2 RENAME_NOREPLACE, so no race either); with it,
// over an existing regular file, never over a link or a folder. Destroyed without commit(), or on
// SIGINT/SIGTERM, it removes what was written (on a signal the program handles itself, as serve
// does, that handler is called instead, and the program's unwinding removes it).
class OutputFile {
 public:
  // Throws Failure when the final name is taken (without `force`), is a link or a folder, or its
  // folder does not exist or cannot be written (saying which).
  OutputFile(std::filesystem::path final_path, bool force);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  // Where to write: a name in the private folder, with the final name's extension.
  const std::filesystem::path& path() const { return temp_; }
  void commit();

 private:
  std::filesystem::path final_, dir_, temp_;
  bool force_ = false, committed_ = false;
};

// Copies (or, with `link`, hard-links) the regular file `from` to `to`, which must not exist yet.
// A `from` that is a link (someone planted it among the frames) is refused, and `to` is created
// with O_EXCL | O_NOFOLLOW. Returns true when it linked. Throws Failure naming the file.
bool copy_regular_file(const std::filesystem::path& from, const std::filesystem::path& to, bool link);

}  // namespace screenreel::replay

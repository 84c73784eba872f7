// Checks an archive against its layout (schemas/archive-layout.md): every catalog row has its
// file, every file has its row, every JPEG decodes at the recorded size, and each session's
// frame_count and bytes match its rows. Reads only; recover.hpp repairs what a crash leaves.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/catalog.hpp"

namespace screenreel {

struct VerifyProblem {
  std::int64_t session_id = 0;  // 0: the archive as a whole
  std::string path;             // relative to the archive folder
  std::string what;
};

struct VerifyOptions {
  std::optional<std::int64_t>
      session;  // check only this session (and skip the archive-wide checks)
  // Whether a receiver is writing to the archive. When none is, a session marked recording was
  // left so by a receiver that died: that, and its unindexed and temporary files, are problems
  // (recover repairs them) instead of notes.
  bool receiver_running = true;
  // The catalog's own check: the backend's quick one (SQLite's quick_check) instead of the
  // whole one (integrity_check).
  bool quick = false;
  // Tamper evidence (integrity.hpp): every frame's JPEG against its SHA-256, the chain, and
  // the signed head; with the receiver's public key (raw 32 bytes) when the user has it.
  bool integrity = false;
  std::optional<std::vector<std::uint8_t>> trusted_key;
  // Called after each frame row checked, with the rows done and the rows to check in all.
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;
};

struct VerifyReport {
  std::vector<VerifyProblem> problems;
  // Not problems: what is expected of a session still being recorded (its newest files are
  // not indexed yet, a frame is being written), said so that nothing is hidden.
  std::vector<std::string> notes;
  std::uint64_t sessions = 0;
  std::uint64_t frames = 0;
  bool ok() const { return problems.empty(); }
};

// Sessions that are still recording (ended_us NULL, and options.receiver_running) are checked
// too, but their files beyond the last catalog row and their temporary files are notes: the
// receiver indexes frames in batches after it renames them into place. Throws only when the
// catalog cannot be read.
VerifyReport verify_archive(const ArchivePaths& paths, CatalogReader& catalog,
                            const VerifyOptions& options = {});

}  // namespace screenreel

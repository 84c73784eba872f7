// verify --integrity: one session's frames against their hashes, their chain and its signed head
// (integrity.hpp). Fed the session's rows in frame order; reports the first bad frame.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "screenreel/archive/catalog_records.hpp"

namespace screenreel {

class ChainCheck {
 public:
  // trusted_key: the receiver's public key as the user holds it (--key); without it the key the
  // session names is used, which shows the chain is whole but not who made it.
  ChainCheck(const SessionRecord& session, std::optional<std::vector<std::uint8_t>> trusted_key);

  // A row and its file's bytes (empty: the file cannot be read).
  void frame(const FrameRecord& row, const std::optional<std::vector<std::uint8_t>>& file);
  // What was found: problems as "frame N: what" lines, and notes.
  void finish(std::vector<std::string>& problems, std::vector<std::string>& notes);

 private:
  void first_problem(std::string what);

  SessionRecord session_;
  std::optional<std::vector<std::uint8_t>> trusted_key_;
  Digest link_{};
  std::int64_t rows_ = 0;
  bool unchained_ = false;  // rows recorded before tamper evidence
  bool broken_ = false;     // the chain broke: later links are not compared
  std::vector<std::string> problems_;
};

}  // namespace screenreel

// verify --integrity (see verify_chain.hpp).
#include "verify_chain.hpp"

#include "screenreel/archive/integrity.hpp"

namespace screenreel {

ChainCheck::ChainCheck(const SessionRecord& session, std::optional<std::vector<std::uint8_t>> trusted_key)
    : session_(session), trusted_key_(std::move(trusted_key)), link_(chain_start(session.id)) {}

void ChainCheck::first_problem(std::string what) {
  if (!broken_) problems_.push_back(std::move(what));
  broken_ = true;
}

void ChainCheck::frame(const FrameRecord& row, const std::optional<std::vector<std::uint8_t>>& file) {
  ++rows_;
  if (!row.sha256 || !row.chain) {
    unchained_ = true;
    return;
  }
  const std::string at = "frame " + std::to_string(row.seq) + ": ";
  if (!file || sha256(*file) != *row.sha256)
    problems_.push_back(at + "its JPEG is not the one recorded (SHA-256 differs): changed, replaced or swapped");
  link_ = chain_link(link_, *row.sha256, row.seq, row.capture_us);
  if (link_ != *row.chain)
    first_problem(at + "the chain breaks here: a frame before it was removed, inserted or reordered, or this "
                       "row's number, time or hash was edited");
}

void ChainCheck::finish(std::vector<std::string>& problems, std::vector<std::string>& notes) {
  const std::string name = "session " + std::to_string(session_.id) + ": ";
  if (unchained_) {
    notes.push_back(name + "recorded before tamper evidence (catalog schema 3), or with the chain off to benchmark it: "
                           "no chain to check");
    return;
  }
  if (!session_.head) {
    if (session_.recording())
      notes.push_back(name + "still recording: its chain is checked, its head is signed when it ends");
    else if (session_.end_reason == "crashed")
      notes.push_back(name + "closed by recover after a crash: its chain is checked, but it has no signed head");
    else
      problems_.push_back(name + "it ended without a signed head (removed?): its frames cannot be proven");
  } else {
    if (*session_.head != link_ || session_.head_frames != rows_)
      problems_.push_back(name + "its signed head covers " + std::to_string(session_.head_frames) +
                          " frames and another chain than its " + std::to_string(rows_) +
                          " rows: frames were added or removed at its end");
    const auto& key = trusted_key_ ? *trusted_key_ : session_.signer;
    if (trusted_key_ && session_.signer != *trusted_key_)
      problems_.push_back(name + "signed by another key than the one given with --key");
    else if (!verify_signature(key, head_statement(session_.id, session_.head_frames, *session_.head),
                               session_.signature))
      problems_.push_back(name + "its signature does not verify: the head was forged or re-signed");
    else if (!trusted_key_)
      notes.push_back(name + "signed by the key it names (" + to_hex(session_.signer).substr(0, 16) +
                      "...); give --key with the receiver's public key to check who signed it");
  }
  for (auto& p : problems_) problems.push_back(std::move(p));
}

}  // namespace screenreel

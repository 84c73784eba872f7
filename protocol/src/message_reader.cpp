// Stream framing for the wire protocol (see message_reader.hpp).
#include "screenreel/protocol/message_reader.hpp"

#include <algorithm>
#include <string>

namespace screenreel::wire {

std::span<std::uint8_t> MessageReader::buffer() {
  switch (stage_) {
    case Stage::kPreamble: return {fixed_ + filled_, kPreambleBytes - filled_};
    case Stage::kHeader: return {fixed_ + filled_, kHeaderBytes - filled_};
    case Stage::kBody: {
      const std::size_t want = std::min<std::size_t>(kChunk, header_.length - filled_);
      if (body_.size() < filled_ + want) body_.resize(filled_ + want);
      return {body_.data() + filled_, want};
    }
    case Stage::kFailed: break;
  }
  return {};
}

MessageReader::Event MessageReader::commit(std::size_t n) {
  filled_ += n;
  seen_ += n;
  switch (stage_) {
    case Stage::kPreamble: {
      if (filled_ >= 2) peer_tls_ = (fixed_[0] == 0x15 || fixed_[0] == 0x16) && fixed_[1] == 0x03;
      if (filled_ < kPreambleBytes) return Event::kNeedMore;
      auto p = decode_preamble({fixed_, kPreambleBytes});
      filled_ = 0;
      if (!p) {
        error_ = p.error();
        stage_ = Stage::kFailed;
        return Event::kError;
      }
      version_ = negotiate(*p);
      stage_ = Stage::kHeader;
      return Event::kPreamble;
    }
    case Stage::kHeader: {
      if (filled_ < kHeaderBytes) return Event::kNeedMore;
      auto h = decode_header({fixed_, kHeaderBytes}, version_);
      filled_ = 0;
      if (!h) {
        error_ = h.error();
        stage_ = Stage::kFailed;
        return Event::kError;
      }
      header_ = *h;
      if (header_.length > limit_) {
        error_ = {ErrorCode::kBadMessage, std::string(to_string(header_.type)) + " of " + std::to_string(header_.length) +
                                              " bytes before authentication (limit " + std::to_string(limit_) + ")"};
        stage_ = Stage::kFailed;
        return Event::kError;
      }
      stage_ = Stage::kBody;
      if (header_.length > 0) return Event::kNeedMore;
      [[fallthrough]];
    }
    case Stage::kBody:
      if (filled_ < header_.length) return Event::kNeedMore;
      filled_ = 0;
      stage_ = Stage::kHeader;
      if (!header_.known(version_)) {  // protocol 3: a message of a later version, skipped by its length
        ++skipped_;
        return Event::kNeedMore;
      }
      return Event::kMessage;
    case Stage::kFailed: break;
  }
  return Event::kError;
}

}  // namespace screenreel::wire

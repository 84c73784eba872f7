// Frame buffers for the receiver's decoders, reused: a buffer is shared by the storage pipeline
// and the live window, and comes back here when both are done with it, so steady-state
// recording allocates nothing. Bounded in count and in bytes, so that sessions of the largest
// size (64 MiB a frame) do not leave a gigabyte behind them (issue 24.2).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "screenreel/protocol/frame_codec.hpp"

namespace screenreel::receiver {

class FramePool : public std::enable_shared_from_this<FramePool> {
 public:
  static constexpr std::size_t kMaxFree = 16;
  static constexpr std::size_t kMaxFreeBytes = 128u << 20;

  static std::shared_ptr<FramePool> create() { return std::shared_ptr<FramePool>(new FramePool); }

  // A buffer of this size, the one let go last when one is free (it holds the newest frame, so a
  // decoder has the least to bring up to date in it: FrameDecoder::carry). It returns to the
  // pool when its last user lets go, unless the pool is gone by then.
  std::shared_ptr<FrameBuffer> acquire(std::uint32_t width, std::uint32_t height);
  // Frees every buffer held and hands freed heap back to the system (no session is left).
  void release_all();
  // Buffers held for reuse, and their bytes.
  std::size_t free_count();
  std::size_t free_bytes();

 private:
  FramePool() = default;
  void give_back(std::unique_ptr<FrameBuffer> buffer);

  std::mutex mutex_;
  std::vector<std::unique_ptr<FrameBuffer>> free_;
  std::size_t free_bytes_ = 0;
};

}  // namespace screenreel::receiver

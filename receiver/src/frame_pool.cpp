// The receiver's frame buffer pool (see frame_pool.hpp).
#include "screenreel/receiver/frame_pool.hpp"

#include <malloc.h>

namespace screenreel::receiver {

std::shared_ptr<FrameBuffer> FramePool::acquire(std::uint32_t width, std::uint32_t height) {
  std::unique_ptr<FrameBuffer> b;
  {
    std::lock_guard lock(mutex_);
    for (auto it = free_.rbegin(); it != free_.rend(); ++it) {
      if ((*it)->width == width && (*it)->height == height) {
        b = std::move(*it);
        free_.erase(std::next(it).base());
        free_bytes_ -= b->pixels.size();
        break;
      }
    }
  }
  if (!b) b = std::make_unique<FrameBuffer>(width, height);
  std::weak_ptr<FramePool> weak = weak_from_this();
  return std::shared_ptr<FrameBuffer>(b.release(), [weak](FrameBuffer* p) {
    std::unique_ptr<FrameBuffer> owned(p);
    if (auto pool = weak.lock()) pool->give_back(std::move(owned));
  });
}

void FramePool::give_back(std::unique_ptr<FrameBuffer> buffer) {
  std::lock_guard lock(mutex_);
  if (free_.size() < kMaxFree && free_bytes_ + buffer->pixels.size() <= kMaxFreeBytes) {
    free_bytes_ += buffer->pixels.size();
    free_.push_back(std::move(buffer));
  }
}

void FramePool::release_all() {
  {
    std::lock_guard lock(mutex_);
    free_.clear();
    free_bytes_ = 0;
  }
  malloc_trim(0);  // glibc keeps freed heap pages otherwise
}

std::size_t FramePool::free_count() {
  std::lock_guard lock(mutex_);
  return free_.size();
}

std::size_t FramePool::free_bytes() {
  std::lock_guard lock(mutex_);
  return free_bytes_;
}

}  // namespace screenreel::receiver

// The MIT-SHM segment's life: created private to our user, attached on both sides, marked for
// removal at once so a crash cannot leak it (see x11_shm_segment.hpp).
#include "screenreel/x11/shm_segment.hpp"

#include <sys/ipc.h>
#include <sys/shm.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace screenreel::x11 {

Result<void> ShmSegment::attach(xcb_connection_t* conn, std::size_t bytes) {
  reset();
  // 0600: only our user (and a root X server) can attach. A remote X server cannot prove it is
  // us, so it is refused instead of attaching some unrelated segment with the same id.
  id_ = shmget(IPC_PRIVATE, bytes, IPC_CREAT | 0600);
  if (id_ < 0)
    return Error{"shmget of " + std::to_string(bytes) + " bytes failed: " + std::strerror(errno)};
  void* addr = shmat(id_, nullptr, 0);
  if (addr == reinterpret_cast<void*>(-1)) {
    Error why{std::string("shmat failed: ") + std::strerror(errno)};
    reset();
    return why;
  }
  addr_ = static_cast<std::uint8_t*>(addr);
  bytes_ = bytes;
  const xcb_shm_seg_t seg = xcb_generate_id(conn);
  std::unique_ptr<xcb_generic_error_t, decltype(&std::free)> err(
      xcb_request_check(conn,
                        xcb_shm_attach_checked(conn, seg, static_cast<std::uint32_t>(id_), 0)),
      &std::free);
  // Both sides are attached (or the server never will be): mark the segment for removal now, so
  // the kernel frees it when the last side detaches, even if we crash.
  shmctl(id_, IPC_RMID, nullptr);
  id_ = -1;
  if (err) {
    reset();
    return Error{"the X server cannot attach our shared memory (X error " + std::to_string(err->error_code) +
                 "; a remote display?)"};
  }
  conn_ = conn;
  seg_ = seg;
  return {};
}

void ShmSegment::reset() {
  if (conn_ && !xcb_connection_has_error(conn_)) {
    xcb_shm_detach(conn_, seg_);
    xcb_flush(conn_);
  }
  conn_ = nullptr;
  if (addr_) shmdt(addr_);
  addr_ = nullptr;
  bytes_ = 0;
  if (id_ >= 0) shmctl(id_, IPC_RMID, nullptr);
  id_ = -1;
}

void ShmSegment::mark() {
  std::memset(addr_, kMarker, bytes_);
}

bool ShmSegment::still_marked() const {
  for (std::size_t i = 0; i < bytes_; ++i)
    if (addr_[i] != kMarker) return false;
  return true;
}

}  // namespace screenreel::x11

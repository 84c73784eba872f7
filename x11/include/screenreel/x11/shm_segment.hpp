// One SysV shared memory segment attached both here and in the X server (MIT-SHM): the X11
// source asks the server to copy the screen into it, so a grab allocates nothing and no pixel
// goes through the socket.
#pragma once

#include <xcb/shm.h>
#include <xcb/xcb.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "screenreel/common/result.hpp"

namespace screenreel::x11 {

// Declare it after the connection that it was attached through, so it is destroyed first and can
// still tell the server to let go.
class ShmSegment {
 public:
  ShmSegment() = default;
  ShmSegment(const ShmSegment&) = delete;
  ShmSegment& operator=(const ShmSegment&) = delete;
  ~ShmSegment() { reset(); }

  // Shares `bytes` with the server, or says why it cannot.
  Result<void> attach(xcb_connection_t* conn, std::size_t bytes);
  void reset();

  // A server in another IPC namespace (a container without --ipc=host) can attach a different
  // segment that happens to have our id, and the grabs never reach us. So the segment is filled
  // with a marker before the first grab, and a grab that leaves it all marker did not arrive.
  void mark();
  bool still_marked() const;

  bool attached() const { return conn_ != nullptr; }
  xcb_shm_seg_t seg() const { return seg_; }
  // Ours between two grabs: the cursor is blended into it in place.
  std::uint8_t* data() const { return addr_; }

 private:
  xcb_connection_t* conn_ = nullptr;  // set once the server has attached
  xcb_shm_seg_t seg_ = 0;
  int id_ = -1;  // until marked for removal
  std::uint8_t* addr_ = nullptr;
  std::size_t bytes_ = 0;
  static constexpr std::uint8_t kMarker = 0xA5;
};

}  // namespace screenreel::x11

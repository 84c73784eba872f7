// Single key presses on a program's terminal (the receiver's "q" ends the recording, "m" sets a
// marker; the capture client's "m" and "p"), read through Asio.
// On a terminal, line buffering and echo are switched off while it runs and restored after;
// Ctrl-C still raises SIGINT. A pipe works too (tests write "q" into it); a stdin that cannot
// be watched (a regular file, /dev/null) is ignored.
#pragma once

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it (C++20)

#include <boost/asio.hpp>
#include <functional>
#include <memory>
#include <termios.h>

namespace screenreel {

class TerminalKeys {
 public:
  TerminalKeys(boost::asio::io_context& io, std::function<void(char)> on_key);
  ~TerminalKeys();
  TerminalKeys(const TerminalKeys&) = delete;
  TerminalKeys& operator=(const TerminalKeys&) = delete;
  void cancel();

 private:
  void read();
  std::unique_ptr<boost::asio::posix::stream_descriptor> in_;
  std::function<void(char)> on_key_;
  char buf_[64];
  bool restore_ = false;
  termios saved_{};
};

}  // namespace screenreel

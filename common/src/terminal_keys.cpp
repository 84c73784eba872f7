// Key presses on a program's terminal (see terminal_keys.hpp).
#include "screenreel/common/terminal_keys.hpp"

#include <unistd.h>

namespace screenreel {

TerminalKeys::TerminalKeys(boost::asio::io_context& io, std::function<void(char)> on_key) : on_key_(std::move(on_key)) {
  if (::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved_) == 0) {
    termios raw = saved_;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    restore_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  const int fd = ::dup(STDIN_FILENO);
  if (fd < 0) return;
  in_ = std::make_unique<boost::asio::posix::stream_descriptor>(io);
  boost::system::error_code ec;
  in_->assign(fd, ec);
  if (ec) {  // epoll refuses regular files and /dev/null: no keys from there
    ::close(fd);
    in_.reset();
    return;
  }
  read();
}

TerminalKeys::~TerminalKeys() {
  if (restore_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
}

void TerminalKeys::cancel() {
  if (in_) {
    boost::system::error_code ec;
    in_->cancel(ec);
  }
}

void TerminalKeys::read() {
  in_->async_read_some(boost::asio::buffer(buf_), [this](boost::system::error_code ec, std::size_t n) {
    if (ec) return;  // EOF or cancelled
    for (std::size_t i = 0; i < n; ++i) on_key_(buf_[i]);
    read();
  });
}

}  // namespace screenreel

// Program messages on stderr (see log.hpp).
#include "screenreel/common/log.hpp"

#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <string>

#include "screenreel/common/terminal_text.hpp"

namespace screenreel::log {
namespace {

std::string& program() {
  static std::string name = "screenreel";
  return name;
}

std::mutex& stderr_mutex() {
  static std::mutex m;
  return m;
}
std::string& shown_status() {  // under stderr_mutex()
  static std::string line;
  return line;
}

constexpr std::string_view kEraseLine = "\r\033[K";

// One write(2) a line: a line never mixes with another process's output on a shared terminal.
void write_all(const std::string& text) {
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(STDERR_FILENO, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stderr closed: nothing else can be told
    done += static_cast<std::size_t>(n);
  }
}

void write_line(std::string_view level, std::string_view line) {
  std::string text = program() + ": ";
  text += level;
  text += terminal_safe(line);
  text += '\n';
  std::lock_guard lock(stderr_mutex());
  // Above the status line: erase it, write the line, draw the status again below.
  if (!shown_status().empty()) text = std::string(kEraseLine) + text + shown_status();
  write_all(text);
}

}  // namespace

void set_program(std::string_view name) { program() = name; }
void info(std::string_view line) { write_line("", line); }
void warning(std::string_view line) { write_line("warning: ", line); }
void error(std::string_view line) { write_line("error: ", line); }

void status(std::string_view line) {
  std::lock_guard lock(stderr_mutex());
  shown_status() = terminal_safe(line);
  write_all(std::string(kEraseLine) + shown_status());
}

void clear_status() {
  std::lock_guard lock(stderr_mutex());
  if (shown_status().empty()) return;
  shown_status().clear();
  write_all(std::string(kEraseLine));
}

bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

}  // namespace screenreel::log

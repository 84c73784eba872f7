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

void write_line(std::string_view level, std::string_view line) {
  std::string text = program() + ": ";
  text += level;
  text += terminal_safe(line);
  text += '\n';
  static std::mutex m;
  std::lock_guard lock(m);
  // One write(2) a line: a line never mixes with another process's output on a shared terminal.
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(STDERR_FILENO, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stderr closed: nothing else can be told
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

void set_program(std::string_view name) { program() = name; }
void info(std::string_view line) { write_line("", line); }
void warning(std::string_view line) { write_line("warning: ", line); }
void error(std::string_view line) { write_line("error: ", line); }

}  // namespace screenreel::log

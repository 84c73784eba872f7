// Program messages on stderr (see log.hpp).
#include "screenreel/common/log.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "screenreel/common/terminal_text.hpp"

namespace screenreel::log {
namespace {

std::string& program() {
  static std::string name = "screenreel";
  return name;
}

struct Style {
  Format format = Format::kText;
  bool timestamps = false;
  bool journal = false;  // stderr is journald's stream: syslog levels instead of times
};
Style& style() {
  static Style s;
  return s;
}

// "2026-12-05T14:05:30.123+01:00", local time.
std::string now_iso8601() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  localtime_r(&t, &tm);
  char date[32], zone[8];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  std::strftime(zone, sizeof zone, "%z", &tm);  // +0100
  char text[48];
  std::snprintf(text, sizeof text, "%s.%03d%.3s:%.2s", date, static_cast<int>(ms), zone, zone + 3);
  return text;
}

// $JOURNAL_STREAM is "DEVICE:INODE" of the journal's stream when systemd connected stderr to it.
bool stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  struct stat st {};
  if (!stream || ::fstat(STDERR_FILENO, &st) != 0) return false;
  unsigned long long device = 0, inode = 0;
  return std::sscanf(stream, "%llu:%llu", &device, &inode) == 2 && device == st.st_dev && inode == st.st_ino;
}

std::string json_line(std::string_view level, std::string_view line) {
  nlohmann::ordered_json j;
  j["time"] = now_iso8601();
  j["level"] = level;
  j["program"] = program();
  static const std::regex session(R"(\bsession (\d+)\b)");
  const std::string text = terminal_safe(line);
  if (std::smatch m; std::regex_search(text, m, session)) j["session"] = std::stoll(m[1]);
  j["event"] = text;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
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

// level: "" (info), "warning", "error".
void write_line(std::string_view level, std::string_view line) {
  std::string text;
  if (style().format == Format::kJson) {
    text = json_line(level.empty() ? "info" : level, line);
  } else {
    if (style().journal)
      text = level.empty() ? "<6>" : level == "warning" ? "<4>" : "<3>";
    else if (style().timestamps)
      text = now_iso8601() + " ";
    text += program() + ": ";
    if (!level.empty()) text += std::string(level) + ": ";
    text += terminal_safe(line);
    text += '\n';
  }
  std::lock_guard lock(stderr_mutex());
  // Above the status line: erase it, write the line, draw the status again below.
  if (!shown_status().empty()) text = std::string(kEraseLine) + text + shown_status();
  write_all(text);
}

}  // namespace

void set_program(std::string_view name) { program() = name; }
void set_format(Format format, bool timestamps) {
  style() = {format, timestamps, timestamps && stderr_is_journal()};
}
void info(std::string_view line) { write_line("", line); }
void warning(std::string_view line) { write_line("warning", line); }
void error(std::string_view line) { write_line("error", line); }

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

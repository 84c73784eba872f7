// The one way every program reports to its user on stderr: "screenreel-receiver: LINE", one
// whole line per call, never interleaved with another thread's, and terminal-safe (a session
// name or a peer's message can carry escape sequences; they are replaced before they print).
// Results for the user (tables, JSON, CSV) go to stdout and are not logged.
#pragma once

#include <string_view>

namespace screenreel::log {

// Names the program every line starts with. Call once in main(), before any thread starts.
void set_program(std::string_view name);

// For a program that runs for long (the receiver); call in main(), before any thread starts.
// kText with timestamps: each line starts with its local time, ISO 8601 with milliseconds and
// the UTC offset ("2026-12-05T14:05:30.123+01:00 screenreel-receiver: ..."); under journald
// ($JOURNAL_STREAM names stderr) the line starts with the syslog level journald reads ("<4>")
// instead, the journal keeping the time itself. kJson: one object a line, {"time", "level",
// "program", "session" (when the line names one), "event"}, for log shippers.
enum class Format { kText, kJson };
void set_format(Format format, bool timestamps);
// "PROGRAM: LINE".
void info(std::string_view line);
// "PROGRAM: warning: LINE".
void warning(std::string_view line);
// "PROGRAM: error: LINE".
void error(std::string_view line);

// A status line kept at the bottom of a terminal, like ffmpeg's progress line: each call
// replaces it in place (no newline), every log line is written above it, clear_status()
// removes it. Callers show one only when stderr_is_terminal().
void status(std::string_view line);
void clear_status();
bool stderr_is_terminal();

}  // namespace screenreel::log

// The one way every program reports to its user on stderr: "screenreel-receiver: LINE", one
// whole line per call, never interleaved with another thread's, and terminal-safe (a session
// name or a peer's message can carry escape sequences; they are replaced before they print).
// Results for the user (tables, JSON, CSV) go to stdout and are not logged.
#pragma once

#include <string_view>

namespace screenreel::log {

// Names the program every line starts with. Call once in main(), before any thread starts.
void set_program(std::string_view name);
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

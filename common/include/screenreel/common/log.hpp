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

}  // namespace screenreel::log

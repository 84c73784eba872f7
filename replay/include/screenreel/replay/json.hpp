// JSON for --json output, with nlohmann/json (Debian's nlohmann-json3-dev): objects keep their
// fields in the order they are added, and text that is not UTF-8 (a session name is the client's
// bytes) is written with U+FFFD in its place, so the output always parses.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>

namespace screenreel::replay {

using Json = nlohmann::ordered_json;

// The value, or null.
template <typename T>
Json nullable(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}

// The whole value on one line.
void write_json(std::ostream& out, const Json& value);
// An array with each element on a line of its own (rows of a table, sessions, search hits).
void write_json_lines(std::ostream& out, const Json& array);

}  // namespace screenreel::replay

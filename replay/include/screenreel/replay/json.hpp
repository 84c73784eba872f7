// --json output, made with nlohmann::json: objects keep their keys in the order they were set
// (ordered_json), text that is not valid UTF-8 is replaced by U+FFFD so the output always parses,
// and NaN or infinite numbers print as null.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>

namespace screenreel::replay {

using Json = nlohmann::ordered_json;

// null for an absent value.
template <typename T>
Json json_or_null(const std::optional<T>& v) {
  return v ? Json(*v) : Json();
}
// null for an empty text (a catalog column that holds "" for "none").
inline Json json_or_null(const std::string& s) { return s.empty() ? Json() : Json(s); }

// The value on one line, then a newline.
void print_json(std::ostream& out, const Json& value);
// An array with each element on a line of its own (rows of a table), then a newline:
// "[\n{...},\n{...}\n]\n"; an empty one is "[]\n".
void print_json_lines(std::ostream& out, const Json& array);

}  // namespace screenreel::replay

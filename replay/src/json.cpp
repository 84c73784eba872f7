// --json output (see json.hpp).
#include "screenreel/replay/json.hpp"

namespace screenreel::replay {
namespace {

std::string dump(const Json& value) {
  // UTF-8 as is (not \u escapes), invalid bytes replaced rather than thrown about.
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

void print_json(std::ostream& out, const Json& value) { out << dump(value) << '\n'; }

void print_json_lines(std::ostream& out, const Json& array) {
  out << '[';
  const char* separator = "\n";
  for (const auto& element : array) {
    out << separator << dump(element);
    separator = ",\n";
  }
  out << (array.empty() ? "]\n" : "\n]\n");
}

}  // namespace screenreel::replay

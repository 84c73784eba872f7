// JSON output (see json.hpp).
#include "screenreel/replay/json.hpp"

namespace screenreel::replay {
namespace {

std::string dump(const Json& value) { return value.dump(-1, ' ', false, Json::error_handler_t::replace); }

}  // namespace

void write_json(std::ostream& out, const Json& value) { out << dump(value); }

void write_json_lines(std::ostream& out, const Json& array) {
  out << '[';
  bool first = true;
  for (const auto& element : array) {
    out << (first ? "\n" : ",\n") << dump(element);
    first = false;
  }
  out << (first ? "]" : "\n]");
}

}  // namespace screenreel::replay

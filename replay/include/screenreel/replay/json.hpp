// A small streaming JSON writer for --json output: objects, arrays, strings (escaped, invalid
// UTF-8 replaced by U+FFFD so the output always parses), numbers, booleans and null.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string_view>
#include <vector>

namespace screenreel::replay {

class JsonWriter {
 public:
  // kLines puts each element of the outermost array on a line of its own (for rows of a table).
  enum class Layout { kCompact, kLines };
  explicit JsonWriter(std::ostream& out, Layout layout = Layout::kCompact)
      : out_(out), layout_(layout) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);

  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(std::int64_t v);
  JsonWriter& value(double v);  // NaN and infinities become null
  JsonWriter& value(bool v);
  JsonWriter& null();
  template <typename T>
  JsonWriter& value(const std::optional<T>& v) {
    return v ? value(*v) : null();
  }

  // key(name).value(v) in one call.
  template <typename T>
  JsonWriter& field(std::string_view name, const T& v) {
    key(name);
    return value(v);
  }

 private:
  void before_value();
  void write_string(std::string_view s);
  bool top_array_lines() const { return layout_ == Layout::kLines && first_.size() == 1; }
  std::ostream& out_;
  Layout layout_;
  std::vector<bool> first_;  // per open container: nothing written in it yet
  bool after_key_ = false;
};

}  // namespace screenreel::replay

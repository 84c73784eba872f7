// JSON output (see json.hpp).
#include "screenreel/replay/json.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace screenreel::replay {

void JsonWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_ << ',';
    if (top_array_lines()) out_ << '\n';
    first_.back() = false;
  }
}

JsonWriter& JsonWriter::begin_object() {
  before_value();
  out_ << '{';
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  first_.pop_back();
  out_ << '}';
  return *this;
}

JsonWriter& JsonWriter::begin_array() {
  before_value();
  out_ << '[';
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  if (top_array_lines() && !first_.back()) out_ << '\n';
  first_.pop_back();
  out_ << ']';
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
  before_value();
  write_string(name);
  out_ << ':';
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view s) {
  before_value();
  write_string(s);
  return *this;
}

JsonWriter& JsonWriter::value(std::int64_t v) {
  before_value();
  out_ << v;
  return *this;
}

JsonWriter& JsonWriter::value(double v) {
  before_value();
  if (!std::isfinite(v)) {
    out_ << "null";
    return *this;
  }
  char buf[32];
  const auto [end, ec] =
      std::to_chars(buf, buf + sizeof buf, v);  // shortest text that reads back as v
  const std::string_view text(buf, static_cast<std::size_t>(end - buf));
  out_ << text;
  // 10.0 prints as "10"; the ".0" keeps it a float for readers that type numbers (Python's json).
  if (text.find_first_of(".eEn") == std::string_view::npos) out_ << ".0";
  return *this;
}

JsonWriter& JsonWriter::value(bool v) {
  before_value();
  out_ << (v ? "true" : "false");
  return *this;
}

JsonWriter& JsonWriter::null() {
  before_value();
  out_ << "null";
  return *this;
}

void JsonWriter::write_string(std::string_view s) {
  out_ << '"';
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      switch (b) {
        case '"':
          out_ << "\\\"";
          break;
        case '\\':
          out_ << "\\\\";
          break;
        case '\n':
          out_ << "\\n";
          break;
        case '\r':
          out_ << "\\r";
          break;
        case '\t':
          out_ << "\\t";
          break;
        default:
          if (b < 0x20 || b == 0x7F) {
            char esc[8];
            std::snprintf(esc, sizeof esc, "\\u%04x", b);
            out_ << esc;
          } else {
            out_ << static_cast<char>(b);
          }
      }
      ++i;
      continue;
    }
    // Copy a valid UTF-8 sequence as is; anything else becomes U+FFFD.
    const std::size_t n = (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
    bool valid = n != 0 && i + n <= s.size() && !(n == 2 && b < 0xC2);
    for (std::size_t k = 1; valid && k < n; ++k)
      valid = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (valid) {
      out_ << s.substr(i, n);
      i += n;
    } else {
      out_ << "\\ufffd";
      ++i;
    }
  }
  out_ << '"';
}

}  // namespace screenreel::replay

// Rows of typed cells, printed as an aligned text table (numbers right-aligned), as CSV
// (RFC 4180) or as JSON (an array of objects, one per row, keyed by column name).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

namespace screenreel::replay {

struct Blob {
  std::vector<std::uint8_t> bytes;
  bool operator==(const Blob&) const = default;
};
using Cell =
    std::variant<std::monostate, std::int64_t, double, std::string, Blob>;  // monostate: NULL

enum class TableFormat { kAligned, kCsv, kJson };

struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<Cell>> rows;
  // kAligned: which columns are right-aligned. Empty: those whose cells are all numbers (or NULL).
  std::vector<bool> right_aligned;

  // kAligned replaces control characters in text (terminal_safe) and prints NULL as "NULL";
  // CSV prints NULL as an empty field; JSON as null, blobs as hex strings in all three.
  // CSV quotes fields holding control bytes (RFC 4180) and, when `terminal` (the output is a
  // tty), replaces control and bidi characters as kAligned does.
  void write(std::ostream& out, TableFormat format, bool terminal = false) const;
};

}  // namespace screenreel::replay

// Table output (see table.hpp).
#include "screenreel/common/hex.hpp"
#include "screenreel/replay/table.hpp"

#include <algorithm>
#include <charconv>

#include "screenreel/replay/json.hpp"
#include "screenreel/replay/text.hpp"

namespace screenreel::replay {
namespace {

std::string hex(const Blob& b) {
  return to_hex(b.bytes);
}

std::string to_text(const Cell& c, const char* null_text) {
  struct Visitor {
    const char* null_text;
    std::string operator()(std::monostate) const { return null_text; }
    std::string operator()(std::int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const {
      char buf[32];
      const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
      return std::string(buf, end);
    }
    std::string operator()(const std::string& s) const { return s; }
    std::string operator()(const Blob& b) const { return hex(b); }
  };
  return std::visit(Visitor{null_text}, c);
}

bool is_number(const Cell& c) {
  return std::holds_alternative<std::int64_t>(c) || std::holds_alternative<double>(c);
}

void write_aligned(const Table& t, std::ostream& out) {
  std::vector<std::vector<std::string>> text;
  std::vector<std::size_t> width(t.columns.size());
  for (std::size_t c = 0; c < t.columns.size(); ++c)
    width[c] = display_width(terminal_safe(t.columns[c]));
  for (const auto& row : t.rows) {
    auto& line = text.emplace_back();
    for (std::size_t c = 0; c < row.size() && c < width.size(); ++c) {
      line.push_back(terminal_safe(to_text(row[c], "NULL")));
      width[c] = std::max(width[c], display_width(line.back()));
    }
  }
  std::vector<bool> right = t.right_aligned;
  if (right.size() != t.columns.size()) {
    right.assign(t.columns.size(), !t.rows.empty());
    for (const auto& row : t.rows)
      for (std::size_t c = 0; c < row.size() && c < right.size(); ++c)
        if (!is_number(row[c]) && !std::holds_alternative<std::monostate>(row[c])) right[c] = false;
  }

  const auto print_row = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const std::string pad(width[c] - display_width(cells[c]), ' ');
      if (c) line += "  ";
      line += right[c] ? pad + cells[c] : cells[c] + (c + 1 < cells.size() ? pad : "");
    }
    out << line << '\n';
  };
  std::vector<std::string> header;
  for (const auto& c : t.columns) header.push_back(terminal_safe(c));
  print_row(header);
  std::vector<std::string> rule;
  for (const auto w : width) rule.emplace_back(w, '-');
  print_row(rule);
  for (const auto& line : text) print_row(line);
}

// RFC 4180: a field with a comma, quote or line break is quoted; so is one with any other control
// byte (ESC, NUL, ...), which a reader must then take as it is.
std::string csv_field(const std::string& s) {
  const bool plain = std::none_of(s.begin(), s.end(), [](const char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f || c == ',' || c == '"';
  });
  if (plain) return s;
  std::string q = "\"";
  for (const char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + '"';
}

// On a terminal, each field is made terminal_safe first: no escape sequence, NUL or bidi control
// reaches the screen. To a file or pipe, the bytes are kept (quoted).
void write_csv(const Table& t, std::ostream& out, bool terminal) {
  const auto print_row = [&](const auto& cells, auto to_string) {
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const std::string field = to_string(cells[c]);
      out << (c ? "," : "") << csv_field(terminal ? terminal_safe(field) : field);
    }
    out << "\r\n";
  };
  print_row(t.columns, [](const std::string& s) { return s; });
  for (const auto& row : t.rows) print_row(row, [](const Cell& c) { return to_text(c, ""); });
}

void write_json(const Table& t, std::ostream& out) {
  Json rows = Json::array();
  for (const auto& row : t.rows) {
    Json object = Json::object();
    for (std::size_t c = 0; c < row.size() && c < t.columns.size(); ++c) {
      object[t.columns[c]] = std::visit(
          [](const auto& v) -> Json {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::monostate>)
              return nullptr;
            else if constexpr (std::is_same_v<T, Blob>)
              return hex(v);
            else
              return v;
          },
          row[c]);
    }
    rows.push_back(std::move(object));
  }
  print_json_lines(out, rows);
}

}  // namespace

void Table::write(std::ostream& out, TableFormat format, bool terminal) const {
  switch (format) {
    case TableFormat::kAligned:
      write_aligned(*this, out);
      break;
    case TableFormat::kCsv:
      write_csv(*this, out, terminal);
      break;
    case TableFormat::kJson:
      write_json(*this, out);
      break;
  }
}

}  // namespace screenreel::replay

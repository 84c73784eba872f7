// Tables for people (aligned, control characters replaced), CSV and JSON for programs.
#include <gtest/gtest.h>

#include <sstream>

#include "archive_fixture.hpp"
#include "screenreel/replay/json.hpp"
#include "screenreel/replay/table.hpp"
#include "screenreel/replay/text.hpp"

namespace screenreel::replay {
namespace {

Table sample() {
  Table t;
  t.columns = {"id", "name", "fps"};
  t.rows.push_back({std::int64_t{1}, std::string("demo"), 29.5});
  t.rows.push_back({std::int64_t{123}, std::string("a \"quoted\", name\nwith\x1b[31m escape"),
                    std::monostate{}});
  return t;
}

TEST(ReplayOutputFormat, AlignedTableRightAlignsNumbersAndNeutralisesEscapes) {
  std::ostringstream out;
  sample().write(out, TableFormat::kAligned);
  const std::string text = out.str();
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << "an escape sequence reached the terminal";
  EXPECT_NE(text.find("  1  demo"), std::string::npos) << text;
  EXPECT_NE(text.find("123  a \"quoted\", name?with?[31m escape  NULL"), std::string::npos) << text;
  // The name column is as wide as its widest cell (33); fps is right-aligned (NULL counts as a
  // number).
  EXPECT_EQ(text.substr(0, text.find('\n')), " id  name" + std::string(29 + 2 + 1, ' ') + "fps");
}

TEST(ReplayOutputFormat, CsvQuotesWhatNeedsIt) {
  std::ostringstream out;
  sample().write(out, TableFormat::kCsv);
  EXPECT_EQ(
      out.str(),
      "id,name,fps\r\n1,demo,29.5\r\n123,\"a \"\"quoted\"\", name\nwith\x1b[31m escape\",\r\n");
}

TEST(ReplayOutputFormat, JsonParsesAndKeepsTypesAndText) {
  std::ostringstream out;
  sample().write(out, TableFormat::kJson);
  EXPECT_EQ(test::python_json(
                out.str(), "d[0][\"id\"] + 1, d[0][\"fps\"], d[1][\"fps\"], d[1][\"name\"][-10:]"),
            "(2, 29.5, None, '31m escape')");
}

TEST(ReplayOutputFormat, JsonReplacesInvalidUtf8SoTheOutputAlwaysParses) {
  std::ostringstream out;
  print_json(out, Json{{"bad", "ok\xff\xc3(end"}, {"good", "caf\xc3\xa9"}});
  EXPECT_EQ(test::python_json(
                out.str(), "d[\"bad\"] == \"ok\\ufffd\\ufffd(end\", d[\"good\"] == \"caf\\u00e9\""),
            "(True, True)");
}

TEST(ReplayOutputFormat, TerminalTextAndSizes) {
  EXPECT_EQ(terminal_safe("ok\x07\x1b]0;title\x07 caf\xc3\xa9 \xc2\x9b"),
            "ok??]0;title? caf\xc3\xa9 ?");
  EXPECT_EQ(display_width("caf\xc3\xa9"), 4u);
  EXPECT_EQ(format_bytes(999), "999 B");
  EXPECT_EQ(format_bytes(41'234'567), "41.2 MB");
  EXPECT_EQ(format_bytes(1'500'000'000), "1.5 GB");
}

}  // namespace
}  // namespace screenreel::replay

// Tables for people (aligned, control characters replaced), CSV and JSON for programs.
#include <gtest/gtest.h>

#include <sstream>

#include "archive_fixture.hpp"
#include "screenreel/replay/json.hpp"
#include "screenreel/replay/search_output.hpp"
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

// Names in any script keep their columns: a CJK name is padded by the columns it takes.
TEST(ReplayOutputFormat, AlignedTableColumnsHoldForWideCharacters) {
  Table t;
  t.columns = {"name", "id"};
  t.rows.push_back({std::string("\xe6\x9d\xb1\xe4\xba\xac"), std::int64_t{1}});  // 東京: 4 columns
  t.rows.push_back({std::string("tokyo!"), std::int64_t{22}});                    // 6 columns
  std::ostringstream out;
  t.write(out, TableFormat::kAligned);
  std::istringstream lines(out.str());
  std::string header, rule, first, second;
  std::getline(lines, header);
  std::getline(lines, rule);
  EXPECT_EQ(rule, "------  --");
  std::getline(lines, first);
  std::getline(lines, second);
  EXPECT_EQ(first, "\xe6\x9d\xb1\xe4\xba\xac     1") << out.str();
  EXPECT_EQ(second, "tokyo!  22") << out.str();
  EXPECT_EQ(display_width(first), display_width(second));
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
  EXPECT_EQ(display_width("r\xc3\xa9union \xe6\x9d\xb1\xe4\xba\xac Q4"), 15u);  // "réunion 東京 Q4": CJK takes 2
  EXPECT_EQ(display_width("e\xcc\x81"), 1u);  // e and a combining acute accent: one column
  EXPECT_EQ(display_width("a\xff"), 2u);       // a byte that is not UTF-8 prints as one '?'

  EXPECT_EQ(format_bytes(999), "999 B");
  EXPECT_EQ(format_bytes(41'234'567), "41.2 MB");
  EXPECT_EQ(format_bytes(1'500'000'000), "1.5 GB");
}

// Search hits: first seen is rounded up to the millisecond, last seen to the nearest, so a line
// seen on one frame only (both the same microsecond) once read 00:00:05.671 -> 00:00:05.670.
TEST(ReplayOutputFormat, ASearchHitNeverEndsBeforeItBegins) {
  TextHit once;
  once.origin_us = 1'764'000'000'000'000;
  once.first_us = once.last_us = once.origin_us + 5'670'400;
  once.text = once.marked = "line 1";
  TextHit longer = once;
  longer.first_us = once.origin_us + 1'000'400;
  longer.last_us = once.origin_us + 2'500'900;
  std::ostringstream text, json;
  print_hits(text, {once, longer}, false, false);
  EXPECT_NE(text.str().find("00:00:05.671 -> 00:00:05.671"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("00:00:01.001 -> 00:00:02.501"), std::string::npos) << text.str();
  print_hits(json, {once}, true, false);
  const auto row = Json::parse(json.str())[0];
  EXPECT_EQ(row["first_seen"], row["last_seen"]) << json.str();
}

}  // namespace
}  // namespace screenreel::replay

// Every program's --help, read as a user reads it: one width, descriptions wrapped only where
// the line is full (no break in the middle of a sentence), no trailing blanks; and option
// names taken whole, a typo answered with the nearest option.
#include <gtest/gtest.h>

#include <sstream>

#include "screenreel/common/options.hpp"
#include "support/process.hpp"

namespace screenreel {
namespace {

using options::kHelpWidth;

struct Output {
  int status = -1;
  std::string out, err;
};

Output run(std::vector<std::string> argv) {
  test::Process p(std::move(argv));
  const auto status = p.wait_for(std::chrono::seconds(30));
  return {status.value_or(-1), p.out(), p.err()};
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::size_t indent_of(const std::string& line) {
  const auto first = line.find_first_not_of(' ');
  return first == std::string::npos ? line.size() : first;
}

// The problems of one --help text, one line each; empty when it reads well.
std::vector<std::string> layout_problems(const std::string& help) {
  std::vector<std::string> problems;
  const auto lines = lines_of(help);
  bool in_options = false;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    const std::string where = "line " + std::to_string(i + 1) + " \"" + line + "\": ";
    if (line.size() > kHelpWidth) problems.push_back(where + "longer than " + std::to_string(kHelpWidth));
    if (!line.empty() && line.back() == ' ') problems.push_back(where + "ends in a blank");
    if (line.ends_with("Options:")) in_options = true;
    if (line.empty()) in_options = false;
    if (!in_options || i + 1 >= lines.size()) continue;
    // In the options table, a line continued by a deeper-indented one (the same description)
    // must have been full: the next line's first word would not have fitted on it.
    const std::string& next = lines[i + 1];
    if (next.empty() || next.starts_with("  -") || indent_of(next) < 10) continue;
    const auto word = next.substr(indent_of(next), next.find(' ', indent_of(next)) - indent_of(next));
    if (line.size() + 1 + word.size() <= kHelpWidth - 1)
      problems.push_back(where + "the description breaks before \"" + word + "\" with room left");
  }
  return problems;
}

std::vector<std::string> replay_commands() {
  const auto top = run({SCREENREEL_REPLAY_BIN, "--help"});
  std::vector<std::string> commands;
  bool in_commands = false;
  for (const auto& line : lines_of(top.out)) {
    if (line == "Commands:") {
      in_commands = true;
      continue;
    }
    if (line.empty()) in_commands = false;
    if (!in_commands) continue;
    std::string name = line.substr(2, line.find(' ', 2) - 2);
    if (commands.empty() || commands.back() != name) commands.push_back(name);
  }
  return commands;
}

TEST(Help, EveryProgramAndCommandFitsOneWidthAndBreaksOnlyFullLines) {
  std::vector<std::vector<std::string>> helps = {{SCREENREEL_CAPTURE_BIN, "--help"},
                                                 {SCREENREEL_RECEIVER_BIN, "--help"},
                                                 {SCREENREEL_REPLAY_BIN, "--help"}};
  const auto commands = replay_commands();
  EXPECT_GE(commands.size(), 15u);
  for (const auto& c : commands) helps.push_back({SCREENREEL_REPLAY_BIN, c, "--help"});
  for (const auto& argv : helps) {
    const auto r = run(argv);
    const std::string what = argv[0] + (argv.size() > 2 ? " " + argv[1] : "") + " --help";
    EXPECT_EQ(r.status, 0) << what << ": " << r.err;
    EXPECT_NE(r.out.find("Options:"), std::string::npos) << what;
    for (const auto& problem : layout_problems(r.out)) ADD_FAILURE() << what << ", " << problem;
  }
}

// The check itself finds what it is there for: a description broken by hand, a long line.
TEST(Help, TheLayoutCheckFindsABreakWithRoomLeftAndALongLine) {
  const std::string pad(40, ' ');
  EXPECT_TRUE(layout_problems("Options:\n  --fps N" + pad + "capture rate; frames are taken\n" +
                              std::string(50, ' ') + "on a steady clock\n")
                  .size() == 1);
  EXPECT_TRUE(layout_problems(std::string(kHelpWidth + 1, 'x') + "\n").size() == 1);
  EXPECT_TRUE(layout_problems("Options:\n  --fps N   rate \n").size() == 1);
}

TEST(Help, AnUnknownOptionIsNotGuessedButAnsweredWithTheNearest) {
  for (const char* program : {SCREENREEL_CAPTURE_BIN, SCREENREEL_RECEIVER_BIN}) {
    const auto r = run({program, "--fsp", "5"});
    EXPECT_EQ(r.status, 2) << program;
    if (std::string(program) == SCREENREEL_CAPTURE_BIN)
      EXPECT_NE(r.err.find("unknown option --fsp; did you mean --fps?"), std::string::npos) << r.err;
    else
      EXPECT_NE(r.err.find("unknown option --fsp"), std::string::npos) << r.err;
  }
  // A prefix is no longer taken for the option it starts (Boost's default guessing).
  const auto abbreviated = run({SCREENREEL_RECEIVER_BIN, "--qual", "50", "--no-display"});
  EXPECT_EQ(abbreviated.status, 2);
  EXPECT_NE(abbreviated.err.find("unknown option --qual; did you mean --quality?"), std::string::npos)
      << abbreviated.err;
  const auto command = run({SCREENREEL_REPLAY_BIN, "lsit"});
  EXPECT_EQ(command.status, 2);
  EXPECT_NE(command.err.find("unknown command \"lsit\"; did you mean list?"), std::string::npos) << command.err;
  const auto option = run({SCREENREEL_REPLAY_BIN, "export", "1", "--scal", "0.5"});
  EXPECT_EQ(option.status, 2);
  EXPECT_NE(option.err.find("export: unknown option --scal; did you mean --scale?"), std::string::npos)
      << option.err;
}

TEST(Help, NearestSuggestsOnlyLikelyTypos) {
  const std::vector<std::string> names = {"--fps", "--scale", "--speed", "--quality", "--from"};
  EXPECT_EQ(options::nearest("--fsp", names), "--fps");
  EXPECT_EQ(options::nearest("--scal", names), "--scale");
  EXPECT_EQ(options::nearest("--qualty", names), "--quality");
  EXPECT_EQ(options::nearest("--foo", names), std::nullopt);
  EXPECT_EQ(options::nearest("--verbose", names), std::nullopt);
  EXPECT_EQ(options::nearest("--fps", names), std::nullopt);  // not a typo
}

}  // namespace
}  // namespace screenreel

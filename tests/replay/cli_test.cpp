// The command line as a whole: every command's --help, and errors that say what was wrong and
// exit non-zero (1 for a failure, 2 for a bad command line) without crashing.
#include <gtest/gtest.h>

#include <fstream>

#include "archive_fixture.hpp"
#include "screenreel/archive/sqlite.hpp"

namespace screenreel {
namespace {
namespace fs = std::filesystem;
using test::FixtureArchive;

TEST(ReplayCli, EveryCommandHasHelpWithExamples) {
  FixtureArchive archive;
  const auto top = test::replay(archive.root(), {"--help"});
  EXPECT_EQ(top.status, 0);
  for (const char* command :
       {"list", "info", "markers", "at", "play", "export", "frame", "query", "search", "index", "verify", "recover",
        "delete"}) {
    EXPECT_NE(top.out.find(std::string("\n  ") + command + " "), std::string::npos)
        << command << "\n"
        << top.out;
    const auto r = test::replay(archive.root(), {command, "--help"});
    EXPECT_EQ(r.status, 0) << command << ": " << r.err;
    EXPECT_NE(r.out.find(std::string("Usage: screenreel-replay ") + command), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("--archive DIR"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Examples:\n  screenreel-replay " + std::string(command)),
              std::string::npos)
        << r.out;
  }
  const auto version = test::replay(archive.root(), {"--version"});
  EXPECT_EQ(version.status, 0);
  EXPECT_EQ(version.out.find("screenreel-replay "), 0u) << version.out;
}

TEST(ReplayCli, BadCommandLinesExitTwoAndPointToHelp) {
  FixtureArchive archive;
  const struct {
    std::vector<std::string> args;
    const char* message;
  } cases[] = {
      {{}, "no command given"},
      {{"frobnicate"}, "unknown command \"frobnicate\""},
      {{"--bogus", "list"}, "unknown option --bogus"},
      {{"list", "--bogus"}, "list: unknown option --bogus"},
      {{"info"}, "info: missing SESSION"},
      {{"info", ""}, "info: empty SESSION"},
      {{"info", "1", "2"}, "info: too many arguments"},
      {{"frame", "1", "-o", "x.png"}, "frame: missing --at T"},
      {{"play", "1", "--speed", "fast"},
       "play: the argument ('fast') for option '--speed' is invalid"},
      {{"query", "SELECT 1", "--csv", "--json"}, "query: give --csv or --json, not both"},
      {{"frame", "1", "--at", "soon", "-o", "x.png"},
       "frame: --at \"soon\" is not a time: give a clock time"},
      {{"play", "1", "--idle-limit", "0"}, "play: --idle-limit must be more than 0"},
  };
  for (const auto& c : cases) {
    const auto r = test::replay(archive.root(), c.args);
    EXPECT_EQ(r.status, 2) << c.message << ": " << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--help'."), std::string::npos) << r.err;
  }
}

// A value outside what its option takes is a bad command line too (exit 2), also when it is the
// player or the exporter that finds it, after the session was looked up.
TEST(ReplayCli, OptionValuesOutOfRangeExitTwoNamingTheOption) {
  FixtureArchive archive;
  archive.record("one", test::evenly(3, 100'000));
  const std::string out = (archive.root() / "x.avi").string();
  const struct {
    std::vector<std::string> args;
    const char* message;
  } cases[] = {
      {{"play", "1", "--speed", "0"}, "screenreel-replay: --speed 0.000 is outside 1/64 .. 64"},
      {{"export", "1", "-o", out, "--fps", "0"}, "screenreel-replay: --fps must be within 0.1 .. 240"},
      {{"export", "1", "-o", out, "--scale", "0"}, "screenreel-replay: --scale must be more than 0"},
  };
  for (const auto& c : cases) {
    const auto r = test::replay(archive.root(), c.args);
    EXPECT_EQ(r.status, 2) << c.message << ": " << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  }
  EXPECT_FALSE(fs::exists(out));
}

TEST(ReplayCli, FailuresNameWhatWasWrong) {
  FixtureArchive archive;
  archive.record("one", test::evenly(3, 100'000));
  const auto has_error = [&](const fs::path& root, std::vector<std::string> args,
                             const std::string& message) {
    const auto r = test::replay(root, args);
    EXPECT_EQ(r.status, 1) << r.out;
    EXPECT_NE(r.err.find("screenreel-replay: " + message), std::string::npos) << r.err;
  };
  has_error(archive.root(), {"info", "7"}, "no session \"7\" in the catalog");
  has_error(archive.root(), {"play", "nobody"}, "no session \"nobody\" in the catalog");
  has_error(archive.root(),
            {"frame", "1", "--at", "0", "-o", (archive.root() / "x.unknown").string()},
            "cannot write " + (archive.root() / "x.unknown").string() + ": unknown image format");
  has_error(archive.root(), {"play", "1", "--from", "9"},
            "--from 9 is outside session 1, which ran ");
  has_error(archive.root() / "nope", {"list"},
            "no archive at " + (archive.root() / "nope").string() + " (no such folder)");
  fs::create_directory(archive.root() / "empty");
  has_error(archive.root() / "empty", {"list"},
            (archive.root() / "empty").string() + " is not a screenreel archive");
  has_error(archive.root() / "empty", {"recover"},
            (archive.root() / "empty").string() + " is not a screenreel archive");

  fs::create_directory(archive.root() / "garbage");
  std::ofstream(archive.root() / "garbage" / "catalog.db") << std::string(4096, 'x');
  has_error(archive.root() / "garbage", {"list"}, "cannot read the catalog of archive");

  const std::string newer = std::to_string(kCatalogSchemaVersion + 1);
  archive.catalog().db().exec("PRAGMA user_version = " + newer);
  has_error(archive.root(), {"list"},
            "cannot read the catalog of archive " + archive.root().string() + ": catalog " +
                archive.paths().catalog().string() + " has schema version " + newer +
                ", written by a newer screenreel");
  archive.catalog().db().exec("PRAGMA user_version = " + std::to_string(kCatalogSchemaVersion));
}

TEST(ReplayCli, SessionWithNoFramesIsReportedNotCrashedOn) {
  FixtureArchive archive;
  archive.record("empty", {}, "disconnected");
  const auto list = test::replay(archive.root(), {"list"});
  EXPECT_EQ(list.status, 0) << list.err;
  EXPECT_NE(list.out.find("disconnected"), std::string::npos) << list.out;
  EXPECT_EQ(test::replay(archive.root(), {"info", "1"}).status, 0);
  for (std::vector<std::string> args :
       {std::vector<std::string>{"play", "1"},
        {"export", "1", "-o", (archive.root() / "x.mp4").string()},
        {"frame", "1", "--at", "0", "-o", (archive.root() / "x.png").string()}}) {
    const auto r = test::replay(archive.root(), args);
    EXPECT_EQ(r.status, 1) << args[0];
    EXPECT_NE(r.err.find("session 1 has no frames"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace screenreel

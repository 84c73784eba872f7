// What every screenreel-replay command shares: its command line (options, positional
// arguments, --archive, --help with usage, description and examples), the options more than one
// command takes (times, ranges), and the prologue that opens the archive and finds SESSION.
#pragma once

#include <boost/program_options.hpp>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/catalog.hpp"
#include "screenreel/replay/time_argument.hpp"
#include "screenreel/replay/timeline.hpp"

namespace screenreel::replay::commands {

namespace po = boost::program_options;

constexpr const char* kProgram = "screenreel-replay";

// A bad command line: exit status 2, with a pointer to the help.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What a command's --help shows, besides its options.
struct Help {
  const char* usage;        // "play SESSION [OPTIONS]"
  const char* description;  // a paragraph
  const char* examples;     // lines, each "  screenreel-replay ..."
};

// One command's arguments: parsed against its options (plus --archive and --help, which every
// command takes), positional arguments in `positional` order.
class CommandLine {
 public:
  CommandLine(std::vector<std::string> args, std::filesystem::path archive, std::string catalog, char** argv)
      : args_(std::move(args)), archive_(std::move(archive)), catalog_(std::move(catalog)), argv_(argv) {}

  // Empty when --help was asked for (and printed).
  std::optional<po::variables_map> parse(po::options_description& options, const Help& help,
                                         const std::vector<std::string>& positional = {});

  const std::filesystem::path& archive() const { return archive_; }
  // --catalog URL (or $SCREENREEL_CATALOG): a shared catalog; empty: the archive's catalog.db.
  const std::string& catalog() const { return catalog_; }
  // main's argv, for a command that has to execute the program again.
  char** argv() const { return argv_; }

 private:
  std::vector<std::string> args_;
  std::filesystem::path archive_;
  std::string catalog_;
  char** argv_;
};

// A command's options, laid out for a 100-column terminal.
po::options_description options();

// The value of a positional argument or option that must be there; `what` names it in the error.
std::string required(const po::variables_map& vm, const char* key, const char* what);

// What T is, for the options that take one (each command's --help says it).
constexpr const char* kTimeForms =
    "; T is a clock time (14:05, 14:05:30.250, \"2026-12-05 14:05\", 2026-12-05T14:05+01:00, @EPOCH) or "
    "an offset from the first frame (+1:30, +90s, +500ms; 90 and [HH:]MM:SS as before); a bare H:MM or "
    "HH:MM:SS is whichever of the two lies inside the session, and refused when both do";

// A time option (T, see time_argument.hpp): a malformed one is a bad command line (exit status
// 2), like any other.
std::optional<TimeArgument> time_option(const po::variables_map& vm, const char* name);
TimeArgument time_argument(const std::string& text, const std::string& what);
// --at T, as an offset in the session; a time outside it is a failure that states its range.
std::optional<std::int64_t> at_option(const po::variables_map& vm, CatalogReader& catalog,
                                      const SessionRecord& session);
// --from T and --to T.
void add_range_options(po::options_description& o);
// --from and --to as offsets in the session (clock times outside it taken to its ends); a range
// outside the session is a failure that states its range.
TimeRange time_range(const po::variables_map& vm, CatalogReader& catalog, const SessionRecord& session);
// --idle-limit S, more than 0.
std::optional<std::int64_t> idle_limit(const po::variables_map& vm);

// The prologue of every command that reads the archive: its paths and its catalog, opened.
struct OpenArchive {
  enum class Access { kRead, kWrite };
  explicit OpenArchive(const CommandLine& cli, Access access = Access::kRead);
  // The session named by the command's SESSION argument (positional "session"); a missing one is
  // a bad command line, an unknown or ambiguous one a failure.
  SessionRecord session(const po::variables_map& vm);

  // The catalog, opened with Access::kWrite (a logic error otherwise).
  CatalogWriter& writer();

  ArchivePaths paths;

 private:
  std::unique_ptr<CatalogReader> catalog_;
  CatalogWriter* writer_ = nullptr;

 public:
  CatalogReader& catalog;
};

}  // namespace screenreel::replay::commands

// The command line every screenreel program shares: one help layout and strict option names.
//
// Every program lays out its --help with table(), so descriptions wrap at one width and
// nowhere else (descriptions carry no line breaks of their own), and reads its command line
// with parse(), which takes only whole option names: Boost's default would quietly take
// --scal for --scale. An unknown name gets the nearest known one as a suggestion
// ("unknown option --fsp; did you mean --fps?").
#pragma once

#include <boost/program_options.hpp>

#include <filesystem>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace screenreel::options {

namespace po = boost::program_options;

// Columns of every --help; no line of any program's help is longer.
inline constexpr unsigned kHelpWidth = 100;

// An options table laid out at kHelpWidth, descriptions starting at column 50 at the latest.
po::options_description table(const std::string& caption = "Options");

// Writes the table as --help shows it: wrapped at kHelpWidth, no trailing blanks.
void print_help(std::ostream& out, const po::options_description& options);

// Reads args into a variables_map (store and notify). Throws po::error with a message for
// the user; an unknown option's message suggests the nearest name in `shown` (the options
// --help lists; default: all of `options`, which may also hold hidden positional ones).
po::variables_map parse(const std::vector<std::string>& args, const po::options_description& options,
                        const po::positional_options_description* positional = nullptr,
                        const po::options_description* shown = nullptr);
po::variables_map parse(int argc, const char* const* argv, const po::options_description& options);

// Where each setting came from, for --print-config: option name -> its value as text (flags:
// "true") and "command line", "FILE:LINE".
struct Origin {
  std::string value, from;
};
using Origins = std::map<std::string, Origin>;

// The command line, then a configuration file: --config FILE when given (it must exist), else
// `default_file` when it exists. A file holds "KEY = VALUE" lines (# starts a comment), KEY any
// long option of `options` but config, help and version; a flag takes true or false. The
// command line wins over the file. A bad line is a po::error naming FILE:LINE; an unknown key
// also suggests the nearest. `options` must have the "config" option (add_config_option).
po::variables_map parse_with_config(int argc, const char* const* argv, const po::options_description& options,
                                    const std::filesystem::path& default_file, Origins* origins = nullptr);
// Adds --config FILE (and --print-config) to a program's table; `default_file` is named in its help.
void add_config_options(po::options_description& options, const std::string& default_file);
// Every setting of `options` as a configuration file would hold it: set ones as "key = value"
// with where they came from, the rest commented out with their defaults (from `vm`). Actions
// (help, version, config, print-*, list-*) are left out.
void print_config(std::ostream& out, const std::string& program, const po::options_description& options,
                  const po::variables_map& vm, const Origins& origins);

// The candidate closest to `typed` (edit distance counting a swap of neighbours as one),
// when it is close enough to be a likely typo; otherwise none.
std::optional<std::string> nearest(std::string_view typed, const std::vector<std::string>& candidates);

}  // namespace screenreel::options

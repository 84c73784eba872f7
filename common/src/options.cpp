#include "screenreel/common/options.hpp"

#include <algorithm>
#include <ostream>
#include <sstream>

namespace screenreel::options {

po::options_description table(const std::string& caption) {
  return po::options_description(caption, kHelpWidth, kHelpWidth / 2);
}

void print_help(std::ostream& out, const po::options_description& options) {
  std::ostringstream text;
  text << options;
  std::istringstream lines(text.str());
  for (std::string line; std::getline(lines, line);) {
    line.erase(line.find_last_not_of(' ') + 1);
    out << line << '\n';
  }
}

namespace {

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
// neighbouring characters each cost one.
std::size_t distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

std::vector<std::string> long_names(const po::options_description& options) {
  std::vector<std::string> names;
  for (const auto& option : options.options())
    if (!option->long_name().empty()) names.push_back("--" + option->long_name());
  return names;
}

// Boost's exceptions say "unrecognised option '--fsp'"; this says what to type instead.
[[noreturn]] void rethrow_for_user(const po::unknown_option& e, const po::options_description& options) {
  std::string message = "unknown option " + e.get_option_name();
  if (const auto near = nearest(e.get_option_name(), long_names(options)))
    message += "; did you mean " + *near + "?";
  throw po::error(message);
}

constexpr int kStyle = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;

}  // namespace

po::variables_map parse(const std::vector<std::string>& args, const po::options_description& options,
                        const po::positional_options_description* positional,
                        const po::options_description* shown) {
  po::variables_map vm;
  po::command_line_parser parser(args);
  parser.options(options).style(kStyle);
  if (positional) parser.positional(*positional);
  try {
    po::store(parser.run(), vm);
  } catch (const po::unknown_option& e) {
    rethrow_for_user(e, shown ? *shown : options);
  }
  po::notify(vm);
  return vm;
}

po::variables_map parse(int argc, const char* const* argv, const po::options_description& options) {
  return parse(std::vector<std::string>(argv + std::min(argc, 1), argv + argc), options);
}

std::optional<std::string> nearest(std::string_view typed, const std::vector<std::string>& candidates) {
  // A name cut short (--qual) means the one option it starts, whatever the distance.
  std::vector<std::string> starting;
  for (const auto& candidate : candidates)
    if (candidate.size() > typed.size() && candidate.starts_with(typed)) starting.push_back(candidate);
  if (starting.size() == 1 && typed.size() >= 4) return starting.front();
  std::optional<std::string> best;
  std::size_t best_distance = 0;
  for (const auto& candidate : candidates) {
    const std::size_t d = distance(typed, candidate);
    if (!best || d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  }
  // A third of the word may be wrong, at most 3 characters: --fsp, --scal and --qualty are
  // typos of an option; --foo is not.
  const std::size_t allowed = std::min<std::size_t>(3, std::max<std::size_t>(1, typed.size() / 3));
  if (!best || best_distance > allowed || best_distance == 0) return std::nullopt;
  return best;
}

}  // namespace screenreel::options

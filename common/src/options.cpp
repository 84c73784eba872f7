#include "screenreel/common/options.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <ostream>
#include <sstream>

#include "screenreel/common/terminal_text.hpp"

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

bool takes_no_value(const po::option_description& d) { return d.semantic()->max_tokens() == 0; }

void store_command_line(const std::vector<std::string>& args, const po::options_description& options,
                        const po::positional_options_description* positional, const po::options_description* shown,
                        po::variables_map& vm, Origins* origins) {
  po::command_line_parser parser(args);
  parser.options(options).style(kStyle);
  if (positional) parser.positional(*positional);
  po::parsed_options parsed(&options);
  try {
    parsed = parser.run();
  } catch (const po::unknown_option& e) {
    rethrow_for_user(e, shown ? *shown : options);
  }
  po::store(parsed, vm);
  if (!origins) return;
  for (const auto& o : parsed.options)
    if (o.position_key < 0 && !o.string_key.empty())
      (*origins)[o.string_key] = {o.value.empty() ? "true" : o.value.back(), "command line"};
}

// Settings that are not settings: what a program does instead of running.
bool is_action(const std::string& name) {
  return name == "help" || name == "version" || name == "config" || name.starts_with("print-") ||
         name.starts_with("list-");
}

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

std::optional<bool> switch_value(const std::string& v) {
  if (v == "true" || v == "yes" || v == "on" || v == "1") return true;
  if (v == "false" || v == "no" || v == "off" || v == "0") return false;
  return std::nullopt;
}

// One KEY = VALUE a line into `vm`, under what the command line already set.
void store_file(const std::filesystem::path& file, const po::options_description& options, po::variables_map& vm,
                Origins* origins) {
  std::ifstream in(file);
  if (!in)
    throw po::error("cannot read the configuration file " + file.string() + " (" + std::strerror(errno) +
                    "): give another with --config FILE");
  std::vector<std::string> keys;
  for (const auto& option : options.options())
    if (!option->long_name().empty() && !is_action(option->long_name())) keys.push_back(option->long_name());
  std::map<std::string, int> seen;
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    const std::string at = file.string() + ":" + std::to_string(++number) + ": ";
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    line = trim(line);
    if (line.empty()) continue;
    const auto equals = line.find('=');
    if (equals == std::string::npos) throw po::error(at + "expected KEY = VALUE, not \"" + terminal_safe(line) + "\"");
    const std::string key = trim(line.substr(0, equals));
    std::string value = trim(line.substr(equals + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    const auto* d = options.find_nothrow(key, false);
    if (!d || is_action(key)) {
      std::string message = at + "unknown key \"" + terminal_safe(key) + "\"";
      if (const auto near = nearest(key, keys)) message += "; did you mean " + *near + "?";
      throw po::error(message + " (the keys are the long options of --help, without --)");
    }
    if (const auto before = seen.find(key); before != seen.end())
      throw po::error(at + key + " is already set on line " + std::to_string(before->second));
    seen[key] = number;
    po::option option;
    option.string_key = key;
    option.original_tokens = {key, value};
    if (takes_no_value(*d)) {
      const auto on = switch_value(value);
      if (!on) throw po::error(at + key + " is a switch: give true or false, not \"" + terminal_safe(value) + "\"");
      if (!*on) continue;
      value = "true";
    } else {
      option.value = {value};
    }
    if (vm.count(key) && !vm[key].defaulted()) continue;  // the command line wins
    po::parsed_options parsed(&options);
    parsed.options.push_back(option);
    try {
      po::store(parsed, vm);
    } catch (const po::error& e) {
      throw po::error(at + e.what());
    }
    if (origins) (*origins)[key] = {value, file.string() + ":" + std::to_string(number)};
  }
}

// A default value as a configuration file would give it (the help may show "auto" for a 0).
template <typename T>
bool print_as(std::ostream& out, const boost::any& value) {
  if (const T* v = boost::any_cast<T>(&value)) {
    out << *v;
    return true;
  }
  return false;
}
std::string value_text(const po::variable_value& value) {
  std::ostringstream out;
  const auto& v = value.value();
  print_as<std::string>(out, v) || print_as<int>(out, v) || print_as<unsigned>(out, v) ||
      print_as<long>(out, v) || print_as<unsigned long>(out, v) || print_as<long long>(out, v) ||
      print_as<unsigned long long>(out, v) || print_as<double>(out, v);
  return out.str();
}

}  // namespace

po::variables_map parse(const std::vector<std::string>& args, const po::options_description& options,
                        const po::positional_options_description* positional,
                        const po::options_description* shown) {
  po::variables_map vm;
  store_command_line(args, options, positional, shown, vm, nullptr);
  po::notify(vm);
  return vm;
}

po::variables_map parse_with_config(int argc, const char* const* argv, const po::options_description& options,
                                    const std::filesystem::path& default_file, Origins* origins) {
  po::variables_map vm;
  store_command_line(std::vector<std::string>(argv + std::min(argc, 1), argv + argc), options, nullptr, nullptr, vm,
                     origins);
  if (vm.count("config"))
    store_file(vm["config"].as<std::string>(), options, vm, origins);
  else if (std::error_code ec; !default_file.empty() && std::filesystem::exists(default_file, ec))
    store_file(default_file, options, vm, origins);
  po::notify(vm);
  return vm;
}

void add_config_options(po::options_description& options, const std::string& default_file) {
  options.add_options()("config", po::value<std::string>()->value_name("FILE"),
                        ("read settings from FILE: KEY = VALUE lines (# starts a comment), KEY any long option "
                         "without --, a switch true or false; the command line wins. Default: " +
                         default_file + ", when it exists")
                            .c_str())(
      "print-config", "print the settings it would run with, each with where it came from, as a configuration "
                      "file, and exit");
}

void print_config(std::ostream& out, const std::string& program, const po::options_description& options,
                  const po::variables_map& vm, const Origins& origins) {
  out << "# " << program << " settings: KEY = VALUE, KEY a long option of '" << program
      << " --help' without --,\n# a switch true or false, # starts a comment; the command line wins.\n";
  for (const auto& option : options.options()) {
    const std::string& name = option->long_name();
    if (name.empty() || is_action(name)) continue;
    if (const auto set = origins.find(name); set != origins.end())
      out << name << " = " << set->second.value << "  # " << set->second.from << "\n";
    else if (takes_no_value(*option))
      out << "# " << name << " = false\n";
    else if (vm.count(name))
      out << "# " << name << " = " << value_text(vm[name]) << "  (default)\n";
    else
      out << "# " << name << " =\n";
  }
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

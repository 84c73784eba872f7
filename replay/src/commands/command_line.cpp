// What every screenreel-replay command shares (see command_line.hpp).
#include "command_line.hpp"

#include <iostream>

#include "screenreel/common/options.hpp"
#include "screenreel/replay/archive_access.hpp"
#include "screenreel/replay/archive_roots.hpp"
#include "screenreel/replay/session_lookup.hpp"
#include "screenreel/replay/time_format.hpp"

namespace screenreel::replay::commands {

std::optional<po::variables_map> CommandLine::parse(po::options_description& options,
                                                    const Help& help,
                                                    const std::vector<std::string>& positional) {
  std::string archive, catalog;
  std::vector<std::string> roots;
  options.add_options()("archive", po::value(&archive)->value_name("DIR"),
                        "the archive; default $SCREENREEL_ARCHIVE, else ./recordings")(
      "catalog", po::value(&catalog)->value_name("URL"),
      "a catalog a fleet of receivers shares (postgresql://USER@HOST/DB or any libpq connection "
      "string); default $SCREENREEL_CATALOG, else the archive's catalog.db")(
      "archive-root", po::value(&roots)->value_name("NAME=PATH"),
      "receiver NAME's session folders are under PATH here, not where the catalog says (repeatable)")(
      "help,h", "print this help");
  po::options_description hidden;
  po::positional_options_description pos;
  for (const auto& p : positional) {
    hidden.add_options()(p.c_str(), po::value<std::string>());
    pos.add(p.c_str(), 1);
  }
  po::options_description all;
  all.add(options).add(hidden);
  po::variables_map vm;
  try {
    vm = screenreel::options::parse(args_, all, &pos, &options);
  } catch (const po::too_many_positional_options_error&) {
    throw UsageError("too many arguments");
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  if (vm.count("help")) {
    std::cout << "Usage: " << kProgram << " " << help.usage << "\n\n"
              << help.description << "\n\n";
    screenreel::options::print_help(std::cout, options);
    std::cout << "\nExamples:\n"
              << help.examples;
    return std::nullopt;
  }
  if (!archive.empty()) archive_ = archive;
  if (!catalog.empty()) catalog_ = catalog;
  for (const auto& r : roots) map_archive_root(r);
  return vm;
}

po::options_description options() { return screenreel::options::table(); }

std::string required(const po::variables_map& vm, const char* key, const char* what) {
  if (!vm.count(key)) throw UsageError(std::string("missing ") + what);
  const auto& value = vm[key].as<std::string>();
  if (value.empty()) throw UsageError(std::string("empty ") + what);
  return value;
}

TimeArgument time_argument(const std::string& text, const std::string& what) {
  try {
    return parse_time(text, what);
  } catch (const Failure& e) {
    throw UsageError(e.what());
  }
}

std::optional<TimeArgument> time_option(const po::variables_map& vm, const char* name) {
  if (!vm.count(name)) return std::nullopt;
  return time_argument(vm[name].as<std::string>(), std::string("--") + name);
}

namespace {
SessionSpan span_of(CatalogReader& catalog, const SessionRecord& session) {
  const auto span = session_span(catalog, session);
  if (!span) throw Failure("session " + std::to_string(session.id) + " has no frames");
  return *span;
}
}  // namespace

std::optional<std::int64_t> at_option(const po::variables_map& vm, CatalogReader& catalog,
                                      const SessionRecord& session) {
  const auto at = time_option(vm, "at");
  if (!at) return std::nullopt;
  return offset_in(*at, span_of(catalog, session));
}

void add_range_options(po::options_description& o) {
  o.add_options()("from", po::value<std::string>()->value_name("T"),
                  (std::string("start at T (default: the first frame)") + kTimeForms).c_str())(
      "to", po::value<std::string>()->value_name("T"), "end at T (default: the last frame)");
}

TimeRange time_range(const po::variables_map& vm, CatalogReader& catalog, const SessionRecord& session) {
  const auto from = time_option(vm, "from"), to = time_option(vm, "to");
  if (!from && !to) return {};
  const SessionSpan span = span_of(catalog, session);
  if (auto r = range_in(from, to, span)) return *r;
  throw Failure(std::string(from ? "--from " + from->text : "") + (from && to ? " " : "") +
                (to ? "--to " + to->text : "") + " is outside " + span_text(span));
}

std::optional<std::int64_t> idle_limit(const po::variables_map& vm) {
  if (!vm.count("idle-limit")) return std::nullopt;
  std::int64_t limit = 0;
  try {
    limit = parse_offset(vm["idle-limit"].as<std::string>(), "--idle-limit");
  } catch (const Failure& e) {
    throw UsageError(e.what());
  }
  if (limit <= 0) throw UsageError("--idle-limit must be more than 0");
  return limit;
}

namespace {
std::unique_ptr<CatalogReader> open_for(const ArchivePaths& paths, const std::string& catalog,
                                        OpenArchive::Access access) {
  if (access == OpenArchive::Access::kRead) return open_catalog(paths, catalog);
  return open_catalog_for_writing(paths, catalog);
}
}  // namespace

OpenArchive::OpenArchive(const CommandLine& cli, Access access)
    : paths(cli.archive()),
      catalog_(open_for(paths, cli.catalog(), access)),
      writer_(access == Access::kWrite ? static_cast<CatalogWriter*>(catalog_.get()) : nullptr),
      catalog(*catalog_) {}

CatalogWriter& OpenArchive::writer() {
  if (!writer_) throw std::logic_error("the catalog was opened to read only");
  return *writer_;
}

SessionRecord OpenArchive::session(const po::variables_map& vm) {
  return find_session(
      catalog, required(vm, "session", "SESSION (a session id or the start of a name; 'list' shows them)"));
}

}  // namespace screenreel::replay::commands

// Resolving SESSION (see session_lookup.hpp).
#include "screenreel/replay/session_lookup.hpp"

#include <charconv>

#include "screenreel/replay/archive_access.hpp"
#include "screenreel/replay/text.hpp"
#include "screenreel/replay/time_format.hpp"

namespace screenreel::replay {

SessionRecord find_session(CatalogReader& catalog, std::string_view spec) {
  if (spec.empty())
    throw Failure("SESSION is empty: give a session id or the start of a session name");
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(spec.data(), spec.data() + spec.size(), id);
  if (ec == std::errc() && end == spec.data() + spec.size())
    if (auto s = catalog.session(id)) return *s;

  // The sessions named exactly SESSION, else those whose name starts with it: "statsrun" names
  // the session of that name, not also "statsrun2".
  std::vector<SessionRecord> matches, exact;
  for (auto& s : catalog.sessions())
    if (std::string_view(s.name).starts_with(spec)) (s.name == spec ? exact : matches).push_back(std::move(s));
  if (!exact.empty()) matches = std::move(exact);
  if (matches.size() == 1) return matches.front();

  const std::string shown = "\"" + terminal_safe(std::string(spec)) + "\"";
  if (matches.empty())
    throw Failure("no session " + shown +
                  " in the catalog: give a session id or the start of a session name " +
                  "(screenreel-replay list shows them)");
  std::string msg = "session " + shown + " is ambiguous: " + std::to_string(matches.size()) +
                    (matches.front().name == spec ? " sessions have that name" : " sessions have a name starting with it") +
                    "; give the id of one:";
  constexpr std::size_t kShown = 10;
  for (std::size_t i = 0; i < matches.size() && i < kShown; ++i)
    msg += "\n  " + std::to_string(matches[i].id) + "  " + terminal_safe(matches[i].name) +
           "  started " + format_local_time(matches[i].started_us);
  if (matches.size() > kShown)
    msg += "\n  ... and " + std::to_string(matches.size() - kShown) + " more";
  throw Failure(msg);
}

}  // namespace screenreel::replay

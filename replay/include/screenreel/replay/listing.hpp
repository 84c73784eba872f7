// The output of `list` and `info`: an aligned table or text for people, JSON for scripts.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "screenreel/replay/json.hpp"
#include "screenreel/replay/session_summary.hpp"
#include "screenreel/replay/text_search.hpp"

namespace screenreel::replay {

// A session as `list --json` prints it (info --json and serve's API add to it).
Json session_json(const SessionSummary& summary);

// list --since/--until/--name: the sessions whose time (start to end, or to now while recording)
// meets [since, until], and whose name contains `name` ignoring ASCII case (as serve's filter).
struct SessionFilter {
  std::optional<std::int64_t> since_us, until_us;
  std::string name;
  bool matches(const SessionSummary& summary) const;
};

void print_list(std::ostream& out, const std::vector<SessionSummary>& sessions, bool json);
// list --deleted: the sessions deleted so far (retention, delete), when and why.
void print_deletions(std::ostream& out, const std::vector<DeletionRecord>& deletions, bool json);

struct FolderUsage {
  bool exists = false;
  std::int64_t files = 0;
  std::int64_t bytes = 0;
};
FolderUsage folder_usage(const std::filesystem::path& dir);

void print_info(std::ostream& out, const SessionSummary& summary, const FrameStats& stats,
                const FolderUsage& usage, bool json,
                const std::optional<TextIndexSummary>& text_index = std::nullopt, const Json& more = nullptr);

}  // namespace screenreel::replay

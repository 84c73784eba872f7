// Retention (schemas/archive-layout.md, "Retention"): which whole sessions the limits delete, and
// deleting one in a crash-safe order. The receiver applies the limits as it records
// (--keep-days, --max-archive-gb, and before --min-free stops a session); `screenreel-replay
// prune` shows or applies them; `delete` and recover use the same deletion.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/catalog.hpp"

namespace screenreel {

struct RetentionLimits {
  std::optional<double> keep_days;       // delete sessions that ended longer ago than this
  std::optional<double> max_archive_gb;  // delete the oldest while the sessions' bytes exceed this
  bool any() const { return keep_days || max_archive_gb; }
};

struct Pruned {
  SessionRecord session;
  std::string reason;  // "keep-days 30", "max-archive-gb 2"
};

// The sessions the limits delete now, oldest first: ended ones only, never one marked keep, one
// in `live` or one already being deleted. `free_bytes`, when given, also deletes the oldest until
// that many bytes more are freed (reason `free_reason`).
std::vector<Pruned> sessions_to_prune(const std::vector<SessionRecord>& sessions, const RetentionLimits& limits,
                                      std::int64_t now_us, const std::set<std::int64_t>& live = {},
                                      std::int64_t free_bytes = 0, const std::string& free_reason = {});

// Deletes a session: the catalog marks it deleting and records the deletion (why, bytes), its
// folder is removed, then its rows. A crash in between leaves it marked: recover finishes it.
// Throws (naming the folder) when the folder cannot be removed; the session stays marked.
void delete_session_safely(const ArchivePaths& paths, CatalogWriter& catalog, const SessionRecord& session,
                           const std::string& reason);

}  // namespace screenreel

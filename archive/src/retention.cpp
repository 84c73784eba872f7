// Retention (see retention.hpp).
#include "screenreel/archive/retention.hpp"

#include <algorithm>
#include <cstdio>
#include <system_error>

#include "screenreel/archive/session_files.hpp"
#include "screenreel/common/clock.hpp"

namespace screenreel {
namespace fs = std::filesystem;
namespace {

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

std::vector<Pruned> sessions_to_prune(const std::vector<SessionRecord>& sessions, const RetentionLimits& limits,
                                      std::int64_t now_us, const std::set<std::int64_t>& live,
                                      std::int64_t free_bytes, const std::string& free_reason) {
  std::int64_t total = 0;
  for (const auto& s : sessions)
    if (!s.deleting) total += s.bytes;
  std::vector<const SessionRecord*> candidates;
  for (const auto& s : sessions)
    if (!s.recording() && !s.keep && !s.deleting && !live.count(s.id)) candidates.push_back(&s);
  std::sort(candidates.begin(), candidates.end(),
            [](const SessionRecord* a, const SessionRecord* b) { return a->started_us < b->started_us; });
  std::vector<Pruned> out;
  std::int64_t freed = 0;
  for (const auto* s : candidates) {
    std::string reason;
    if (limits.keep_days && *s->ended_us < now_us - static_cast<std::int64_t>(*limits.keep_days * 86400e6))
      reason = "keep-days " + number(*limits.keep_days);
    else if (limits.max_archive_gb && total > static_cast<std::int64_t>(*limits.max_archive_gb * 1e9))
      reason = "max-archive-gb " + number(*limits.max_archive_gb);
    else if (freed < free_bytes)
      reason = free_reason;
    if (reason.empty()) continue;
    out.push_back({*s, reason});
    total -= s->bytes;
    freed += s->bytes;
  }
  return out;
}

void delete_session_safely(const ArchivePaths& paths, CatalogWriter& catalog, const SessionRecord& session,
                           const std::string& reason) {
  if (!is_plain_file_name(session.folder))
    throw std::runtime_error("session " + std::to_string(session.id) + " names folder \"" + session.folder +
                             "\", which is not a plain folder name; not deleted");
  if (!session.deleting) catalog.mark_deleting(session.id, reason, wall_clock_us());
  std::error_code ec;
  fs::remove_all(paths.session(session.folder), ec);
  if (ec)
    throw std::runtime_error("cannot remove " + paths.session(session.folder).string() + ": " + ec.message() +
                             " (the session stays marked deleting; recover finishes it)");
  catalog.delete_session(session.id, [](const std::optional<SessionRecord>&) {});
}

}  // namespace screenreel

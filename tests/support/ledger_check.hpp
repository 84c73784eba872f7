// The drop ledger's identity (schemas/catalog.sql): for every session of an archive, its frames
// and the ticks of its ledger runs add up to its ticks, the runs do not overlap and none holds a
// frame's tick. Recording tests call it on every archive they make (link screenreel_archive).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/sqlite_catalog.hpp"

namespace screenreel::test {

inline void expect_ledger_adds_up(const std::filesystem::path& archive) {
  SqliteCatalog catalog(ArchivePaths(archive).catalog(), SqliteCatalog::Mode::kReadOnly);
  for (const auto& s : catalog.sessions()) {
    std::set<std::int64_t> frame_ticks;
    std::int64_t ticks = 0;
    for (const auto& f : catalog.frames(s.id)) {
      EXPECT_TRUE(frame_ticks.insert(f.tick).second) << "session " << s.id << ": two frames of tick " << f.tick;
      ticks = std::max(ticks, f.tick);
    }
    std::int64_t skipped = 0, after = 0;
    for (const auto& run : catalog.ledger(s.id)) {
      EXPECT_GT(run.first_tick, after) << "session " << s.id << ": ledger runs overlap at tick " << run.first_tick;
      const auto inside = frame_ticks.lower_bound(run.first_tick);
      EXPECT_TRUE(inside == frame_ticks.end() || *inside > run.last_tick)
          << "session " << s.id << ": ledger run " << run.first_tick << ".." << run.last_tick << " (" << run.cause
          << ") holds the tick of a frame";
      skipped += run.ticks();
      after = run.last_tick;
      ticks = std::max(ticks, run.last_tick);
    }
    EXPECT_EQ(static_cast<std::int64_t>(frame_ticks.size()) + skipped, ticks)
        << "session " << s.id << ": " << frame_ticks.size() << " frames + " << skipped << " ledger ticks != " << ticks
        << " ticks";
  }
}

}  // namespace screenreel::test

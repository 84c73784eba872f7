// `search` over a text index built with the archive library: every word must match, FTS5's
// syntax in the words is taken literally, --session / --from / --to narrow the hits, and
// `frame --highlight` finds the boxes of the words on a frame.
#include <gtest/gtest.h>

#include <utility>

#include "archive_fixture.hpp"
#include "screenreel/replay/archive_access.hpp"
#include "screenreel/replay/text_search.hpp"
#include "screenreel/archive/text_index.hpp"

namespace screenreel::replay {
namespace {
using test::FixtureArchive;
using test::kStartUs;

class ReplaySearch : public ::testing::Test {
 protected:
  void SetUp() override {
    // Two sessions of 20 frames, 100 ms apart (frame n at (n - 1) * 0.1 s).
    one = archive.record("one", test::evenly(20, 100'000)).id;
    two = archive.record("two", test::evenly(20, 100'000)).id;
    TextIndex index(archive.catalog());
    auto line = [](const std::string& text, PixelRect box) {
      std::vector<PixelRect> words;
      std::int32_t x = box.x;
      for (std::size_t start = 0; start <= text.size();) {
        auto end = text.find(' ', start);
        if (end == std::string::npos) end = text.size();
        const auto w = static_cast<std::int32_t>(end - start) * 8;
        words.push_back({x, box.y, w, box.h});
        x += w + 8;
        start = end + 1;
      }
      return TextLine{text, box, 90, words};
    };
    const std::int64_t one_start = archive.catalog().frames(one).front().capture_us;
    const std::int64_t two_start = archive.catalog().frames(two).front().capture_us;
    index.begin(one, "replay", "eng", 1'000'000);
    index.apply(
        one,
        {1, one_start, {{0, 0, 160, 120}}, {line("make: *** [all] Error 2", {0, 10, 160, 10})}},
        kStartUs);
    index.apply(one,
                {11, one_start + 1'000'000, {{0, 0, 160, 40}}, {line("done", {0, 10, 40, 10})}},
                kStartUs);
    index.finish(one, 20, one_start + 1'900'000);
    index.begin(two, "replay", "eng", 1'000'000);
    index.apply(
        two,
        {6, two_start + 500'000, {{0, 0, 160, 120}}, {line("Error in module", {0, 50, 120, 10})}},
        kStartUs);
    index.finish(two, 20, two_start + 1'900'000);
  }
  FixtureArchive archive;
  std::int64_t one = 0, two = 0;
};

TEST_F(ReplaySearch, WordsAreQuotedForFts5) {
  EXPECT_EQ(fts5_query("disk full"), "\"disk\" \"full\"");
  EXPECT_EQ(fts5_query("say \"hi\" ERR* AND"), "\"say\" \"\"\"hi\"\"\" \"ERR\"* \"AND\"");
  EXPECT_THROW(fts5_query("   "), std::invalid_argument);
}

TEST_F(ReplaySearch, FindsLinesWithEveryWordAndNarrowsBySessionAndTime) {
  const auto opened = open_catalog(archive.paths());
  CatalogReader& reader = *opened;
  auto hits = search_text(reader, {"error", std::nullopt, {}, 20});
  ASSERT_EQ(hits.size(), 2u);
  hits = search_text(reader, {"error 2", std::nullopt, {}, 20});
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].session_id, one);
  EXPECT_EQ(hits[0].first_seq, 1);
  EXPECT_EQ(hits[0].last_seq, 1);  // replaced by "done" at frame 11
  EXPECT_EQ(hits[0].marked,
            "make: *** [all] \x02"
            "Error\x03 \x02"
            "2\x03");
  EXPECT_EQ(search_text(reader, {"make: ***", std::nullopt, {}, 20}).size(), 1u);
  EXPECT_EQ(search_text(reader, {"err*", two, {}, 20}).size(), 1u);
  // On screen at some time in [from, to], from each session's first frame: session one's error
  // was there from 0 to 0.9 s, session two's from 0.5 s to the end.
  EXPECT_EQ(search_text(reader, {"error", std::nullopt, {1'200'000, 1'500'000}, 20}).size(), 1u);
  EXPECT_EQ(search_text(reader, {"error", std::nullopt, {std::nullopt, 300'000}, 20}).size(), 1u);
  EXPECT_EQ(search_text(reader, {"error", one, {1'200'000, std::nullopt}, 20}).size(), 0u);
  EXPECT_TRUE(reader.sessions_without_text_index().empty());
}

TEST_F(ReplaySearch, HighlightBoxesAreTheMatchingWordsOfTheFrame) {
  const auto opened = open_catalog(archive.paths());
  CatalogReader& reader = *opened;
  auto boxes = highlight_boxes(reader, one, 1, "error");
  ASSERT_EQ(boxes.size(), 1u);
  // The 4th word, after "make:", "***" and "[all]" (8 pixels a letter, 8 between words).
  EXPECT_EQ(boxes[0], (PixelRect{128, 10, 40, 10}));
  EXPECT_TRUE(highlight_boxes(reader, one, 12, "error").empty());  // gone by frame 11
  EXPECT_EQ(highlight_boxes(reader, two, 12, "module").size(), 1u);
}

// Each hit shows the local clock time it was first seen beside its offsets, and --from/--to take
// clock times, which are a different offset in each session (issue 22.1).
TEST_F(ReplaySearch, HitsShowTheClockTimeAndRangesTakeClockTimes) {
  const auto all = test::replay_in_zone("Asia/Tokyo", archive.root(), {"search", "error"});
  ASSERT_EQ(all.status, 0) << all.err;
  EXPECT_NE(all.out.find("session 1 \"one\"  00:00:00.000 -> "), std::string::npos) << all.out;
  EXPECT_NE(all.out.find(" (2025-11-25 01:00:00.500 +0900)  frame 1 "), std::string::npos) << all.out;
  EXPECT_NE(all.out.find(" (2025-11-25 01:00:01.000 +0900)  frame 6 "), std::string::npos) << all.out;
  // The clock time printed, given back to frame --at, names the frame where the line was first seen.
  const auto shot = test::replay_in_zone("Asia/Tokyo", archive.root(), {"frame", "two", "--at", "2025-11-25 01:00:01.000 +0900",
                                                                       "-o", (archive.root() / "hit.png").string()});
  EXPECT_NE(shot.err.find(": frame 6 ("), std::string::npos) << shot.err;
  const auto json = test::replay(archive.root(), {"search", "module", "--json"});
  EXPECT_EQ(test::python_json(json.out, "[x[\"first_seen_clock\"] for x in d]"), "['2025-11-24T16:00:01.000Z']");

  // Session one's error left the screen at 16:00:01.4, session two's stayed from 16:00:01.
  for (const auto& [zone, from] : {std::pair{"UTC", "16:00:01.5"}, std::pair{"Asia/Tokyo", "2025-11-25 01:00:01.5"}}) {
    const auto later = test::replay_in_zone(zone, archive.root(), {"search", "error", "--from", from, "--json"});
    ASSERT_EQ(later.status, 0) << later.err;
    EXPECT_EQ(test::python_json(later.out, "[x[\"session\"] for x in d]"), "[2]") << zone;
  }
  const auto before = test::replay(archive.root(), {"search", "error", "--to", "16:00:00.9", "--json"});
  EXPECT_EQ(test::python_json(before.out, "[x[\"session\"] for x in d]"), "[1]");
  const auto in_one = test::replay(archive.root(), {"search", "error", "--session", "one", "--from", "16:00:01.5"});
  EXPECT_EQ(in_one.status, 0) << in_one.err;
  EXPECT_EQ(in_one.out, "");
  // Offsets keep their meaning: from each session's first frame.
  const auto offsets = test::replay(archive.root(), {"search", "error", "--from", "+1.2", "--to", "1.5", "--json"});
  EXPECT_EQ(test::python_json(offsets.out, "[x[\"session\"] for x in d]"), "[2]");
}

}  // namespace
}  // namespace screenreel::replay

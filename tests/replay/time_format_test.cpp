// Times on the command line (--from, --to, --at, --idle-limit) and in the output.
#include "screenreel/replay/time_format.hpp"

#include <gtest/gtest.h>

#include "screenreel/common/format.hpp"
#include "screenreel/replay/archive_access.hpp"

namespace screenreel::replay {
namespace {

TEST(ReplayTimeFormat, ParsesSecondsAndClockForms) {
  EXPECT_EQ(parse_offset("0", "--at"), 0);
  EXPECT_EQ(parse_offset("90", "--at"), 90'000'000);
  EXPECT_EQ(parse_offset("12.5", "--at"), 12'500'000);
  EXPECT_EQ(parse_offset("0.000001", "--at"), 1);
  EXPECT_EQ(parse_offset("1:30", "--at"), 90'000'000);
  EXPECT_EQ(parse_offset("00:01:30.500", "--at"), 90'500'000);
  EXPECT_EQ(parse_offset("2:00:00", "--at"), 7'200'000'000);
  EXPECT_EQ(parse_offset("90:00", "--at"), 5'400'000'000);  // minutes alone may pass 59
}

TEST(ReplayTimeFormat, RefusesWhatIsNotATimeAndSaysWhichOption) {
  for (const char* bad :
       {"", "-1", "+1", "abc", "1:", ":30", "1:60", "1:60:00", "1:2:3:4", "1e3", "1.5:00", "nan"}) {
    try {
      parse_offset(bad, "--from");
      ADD_FAILURE() << "accepted \"" << bad << "\"";
    } catch (const Failure& e) {
      EXPECT_NE(std::string(e.what()).find("--from"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("HH:"), std::string::npos) << e.what();
    }
  }
}

// The one formatter of sizes and durations every program uses (common/format.hpp).
TEST(CommonFormat, SizesAndDurations) {
  EXPECT_EQ(format_bytes(512), "512 B");
  EXPECT_EQ(format_bytes(41'234'567), "41.2 MB");
  EXPECT_EQ(format_bytes(123'456'789'000), "123 GB");
  EXPECT_EQ(format_megabytes(400'000), "0.4 MB");
  EXPECT_EQ(format_megabytes(1'234'560'000), "1234.6 MB");
  EXPECT_EQ(format_duration(3'723'004'400), "01:02:03.004");
  EXPECT_EQ(format_duration(3'723'999'999, false), "01:02:03");
  EXPECT_EQ(format_duration(-1'500'000), "-00:00:01.500");
  EXPECT_EQ(format_fixed(2.25, 1), "2.2");
}

TEST(ReplayTimeFormat, FormatsOffsetsAndTimestamps) {
  EXPECT_EQ(format_offset(0), "00:00:00.000");
  EXPECT_EQ(format_offset(90'500'000), "00:01:30.500");
  EXPECT_EQ(format_offset(3'723'004'000), "01:02:03.004");
  EXPECT_EQ(format_offset(-1'500'000), "-00:00:01.500");
  EXPECT_EQ(format_utc_iso(1'764'000'000'123'456), "2025-11-24T16:00:00.123Z");
  // The round trip: what is printed can be given back on the command line.
  EXPECT_EQ(parse_offset(format_offset(3'723'004'000), "--at"), 3'723'004'000);
}

}  // namespace
}  // namespace screenreel::replay

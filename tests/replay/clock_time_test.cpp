// Times by the clock (issue 22.1): the real screenreel-replay on a fixture archive, in several
// time zones. The same instant written in each zone names the same frame; a time outside the
// session is an error that states its range; `at` and `list --since/--until/--name`; and one
// parser for every form (time_argument.hpp).
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

#include "archive_fixture.hpp"
#include "screenreel/replay/archive_access.hpp"
#include "screenreel/replay/time_argument.hpp"

namespace screenreel::replay {
namespace {
namespace fs = std::filesystem;
using test::FixtureArchive;
using test::kStartUs;

constexpr std::int64_t kHourUs = 3'600'000'000;

// standup: 2025-11-24 16:00:00 UTC, frame n captured at 16:00:00.5 + (n - 1) s, 10 frames;
// standup2 an hour later; Review the next day (3 frames).
class ClockTimes : public ::testing::Test {
 protected:
  void SetUp() override {
    archive.record("standup", test::evenly(10, 1'000'000));
    archive.record("standup2", test::evenly(10, 1'000'000), "client", 0, kStartUs + kHourUs);
    archive.record("Review", test::evenly(3, 1'000'000), "client", 0, kStartUs + 24 * kHourUs);
  }
  // The frame `frame standup --at AT` wrote, from its "wrote ...: frame N (" line; -1 on failure.
  std::int64_t frame_at(const std::string& zone, const std::string& at) {
    const auto r = test::replay_in_zone(zone, archive.root(),
                                        {"frame", "standup", "--at", at, "-o", (archive.root() / "f.png").string(), "--force"});
    const auto pos = r.err.find(": frame ");
    if (r.status != 0 || pos == std::string::npos) {
      ADD_FAILURE() << zone << " " << at << ": status " << r.status << ": " << r.err;
      return -1;
    }
    return std::stoll(r.err.substr(pos + 8));
  }
  FixtureArchive archive;
};

TEST_F(ClockTimes, OneInstantWrittenInAnyZoneNamesOneFrame) {
  const struct {
    const char* zone;
    const char* at;
    std::int64_t seq;
  } cases[] = {
      {"UTC", "16:00:03", 3},
      {"Asia/Tokyo", "01:00:03", 3},  // the same instant, 9 hours ahead (and the next day)
      {"UTC", "16:00:03.600", 4},
      {"Asia/Tokyo", "01:00:03.600", 4},
      {"UTC", "2025-11-24 16:00:03", 3},
      {"Asia/Tokyo", "2025-11-25 01:00:03", 3},
      {"Asia/Tokyo", "2025-11-24T16:00:03Z", 3},
      {"UTC", "2025-11-25T01:00:03+09:00", 3},
      {"Asia/Tokyo", "2025-11-24T17:00:03+0100", 3},
      {"Asia/Tokyo", "2025-11-24 16:00:03.600 +0000", 4},  // as search and at print it
      {"UTC", "@1764000003", 3},
      {"Asia/Tokyo", "@1764000003.6", 4},
      // Offsets from the first frame: explicit, and the documented forms, alike in every zone.
      {"Asia/Tokyo", "+2.5", 3},
      {"UTC", "+2.5s", 3},
  };
  for (const auto& c : cases) EXPECT_EQ(frame_at(c.zone, c.at), c.seq) << c.zone << " " << c.at;
  for (const char* zone : {"UTC", "Asia/Tokyo"}) {
    EXPECT_EQ(frame_at(zone, "2.5"), 3) << zone;
    EXPECT_EQ(frame_at(zone, "0:05"), 6) << zone;  // 5 s: no clock time 00:05 in the session
    EXPECT_EQ(frame_at(zone, "00:00:07.000"), 8) << zone;
    EXPECT_EQ(frame_at(zone, "+0:00:02.5"), 3) << zone;
    EXPECT_EQ(frame_at(zone, "+2500ms"), 3) << zone;
  }
}

TEST_F(ClockTimes, ATimeOutsideTheSessionIsAnErrorThatStatesItsRange) {
  const fs::path png = archive.root() / "never.png";
  // 03:18:00 was read as 3 h 18 min into a 9 s session and gave its last frame with status 0.
  for (const char* at : {"03:18:00", "15:59", "16:00:10", "+1:00", "60", "2025-11-25 16:00:01", "@1"}) {
    const auto r = test::replay(archive.root(), {"frame", "standup", "--at", at, "-o", png.string()});
    EXPECT_EQ(r.status, 1) << at << ": " << r.err;
    EXPECT_NE(r.err.find(std::string("--at ") + at + " is outside session 1, which ran 2025-11-24 16:00:00 +0000 .. "
                         "2025-11-24 16:00:09 +0000 (offsets +00:00:00.000 .. +00:00:09.060)"),
              std::string::npos)
        << at << ": " << r.err;
    EXPECT_FALSE(fs::exists(png)) << at;
  }
  // The range is stated in the reader's zone.
  const auto tokyo = test::replay_in_zone("Asia/Tokyo", archive.root(), {"frame", "standup", "--at", "14:05", "-o", png.string()});
  EXPECT_EQ(tokyo.status, 1);
  EXPECT_NE(tokyo.err.find("which ran 2025-11-25 01:00:00 +0900 .. 2025-11-25 01:00:09 +0900"), std::string::npos)
      << tokyo.err;
  // What is not a time at all is a bad command line.
  const auto bad = test::replay(archive.root(), {"frame", "standup", "--at", "25:00:00x", "-o", png.string()});
  EXPECT_EQ(bad.status, 2) << bad.err;
  EXPECT_NE(bad.err.find("is not a time: give a clock time"), std::string::npos) << bad.err;
}

TEST_F(ClockTimes, RangesOfClockTimesKeepThePartOfTheSessionInsideThem) {
  const fs::path dir = archive.root() / "out";
  // From 16:00:03 (frame 3 on screen) to an hour later: frames 3 .. 10, the rest of the session.
  const auto r = test::replay_in_zone("Asia/Tokyo", archive.root(),
                                      {"export", "standup", "--frames", dir.string(), "--from", "01:00:03", "--to", "02:00"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::size_t jpegs = 0;
  for (const auto& e : fs::directory_iterator(dir)) jpegs += e.path().extension() == ".jpg";
  EXPECT_EQ(jpegs, 8u) << r.err;
  const auto outside = test::replay(archive.root(), {"export", "standup", "--frames", (archive.root() / "none").string(),
                                                     "--from", "15:00", "--to", "15:30"});
  EXPECT_EQ(outside.status, 1);
  EXPECT_NE(outside.err.find("--from 15:00 --to 15:30 is outside session 1, which ran 2025-11-24 16:00:00 +0000"),
            std::string::npos)
      << outside.err;
}

TEST_F(ClockTimes, ABareTimeThatIsBothAnOffsetAndAClockTimeInTheSessionIsRefused) {
  // In Shanghai (UTC+8) standup ran 00:00:00.5 .. 00:00:09.56: 00:00:03 is 3 s in and also the
  // clock time 00:00:03. The error says how to write either.
  const fs::path png = archive.root() / "amb.png";
  const auto r = test::replay_in_zone("Asia/Shanghai", archive.root(),
                                      {"frame", "standup", "--at", "00:00:03", "-o", png.string()});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--at 00:00:03 is ambiguous"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("write +00:00:03 for the offset, or the date and time"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(png));
  EXPECT_EQ(frame_at("Asia/Shanghai", "+00:00:03"), 4);
  EXPECT_EQ(frame_at("Asia/Shanghai", "2025-11-25 00:00:03"), 3);
}

TEST_F(ClockTimes, AtListsTheSessionsRecordingThenWithTheirFrame) {
  const auto rows = [&](const std::string& zone, const std::string& time) {
    const auto r = test::replay_in_zone(zone, archive.root(), {"at", time, "--json"});
    EXPECT_EQ(r.status, 0) << time << ": " << r.err;
    return test::python_json(r.out, "[(x[\"session\"], x[\"name\"], x[\"frame\"], x[\"offset\"]) for x in d]");
  };
  EXPECT_EQ(rows("UTC", "16:00:05"), "[(1, 'standup', 5, '00:00:04.000')]");
  EXPECT_EQ(rows("Asia/Tokyo", "2025-11-25 02:00:05.5"), "[(2, 'standup2', 6, '00:00:05.000')]");
  // A time of day without a date: every day a session ran.
  EXPECT_EQ(rows("UTC", "16:00:01"), "[(1, 'standup', 1, '00:00:00.000'), (3, 'Review', 1, '00:00:00.000')]");
  const auto table = test::replay(archive.root(), {"at", "17:00:09"});
  ASSERT_EQ(table.status, 0) << table.err;
  EXPECT_NE(table.out.find("2025-11-24 17:00:08.500 +0000"), std::string::npos) << table.out;  // frame 9's

  const auto none = test::replay(archive.root(), {"at", "16:30"});
  EXPECT_EQ(none.status, 1);
  EXPECT_NE(none.err.find("no session was recording at 16:30 on any day"), std::string::npos) << none.err;
  const auto dated = test::replay(archive.root(), {"at", "2025-11-24 16:30"});
  EXPECT_EQ(dated.status, 1);
  EXPECT_NE(dated.err.find("no session was recording at 2025-11-24 16:30 (2025-11-24 16:30:00 +0000)"), std::string::npos)
      << dated.err;
  const auto offset = test::replay(archive.root(), {"at", "+5"});
  EXPECT_EQ(offset.status, 2);
  EXPECT_NE(offset.err.find("is an offset: give a clock time"), std::string::npos) << offset.err;
}

TEST_F(ClockTimes, ListFiltersBySinceUntilAndName) {
  const auto ids = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"list", "--json"});
    const auto r = test::replay_in_zone("Asia/Tokyo", archive.root(), args);
    EXPECT_EQ(r.status, 0) << r.err;
    return test::python_json(r.out, "[x[\"id\"] for x in d]");
  };
  EXPECT_EQ(ids({"--until", "2025-11-25 01:30"}), "[1]");
  EXPECT_EQ(ids({"--since", "2025-11-24T16:30:00Z"}), "[2, 3]");
  EXPECT_EQ(ids({"--since", "2025-11-24T16:30:00Z", "--until", "2025-11-24T18:00:00Z"}), "[2]");
  // A session that was recording at --since is kept (it overlaps), though it started before.
  EXPECT_EQ(ids({"--since", "2025-11-24T16:00:05Z", "--until", "2025-11-24T16:00:06Z"}), "[1]");
  EXPECT_EQ(ids({"--name", "STAND"}), "[1, 2]");
  EXPECT_EQ(ids({"--name", "view", "--since", "2025-11-25"}), "[3]");
  EXPECT_EQ(ids({"--since", "@1764086400"}), "[3]");
  // A time of day is today's: these sessions are from 2025.
  EXPECT_EQ(ids({"--since", "00:00"}), "[]");

  const auto none = test::replay(archive.root(), {"list", "--name", "nothing"});
  EXPECT_EQ(none.status, 0);
  EXPECT_EQ(none.out, "no session matches --since, --until and --name\n");
  const auto offset = test::replay(archive.root(), {"list", "--since", "+5"});
  EXPECT_EQ(offset.status, 2);
  EXPECT_NE(offset.err.find("--since +5 is an offset, but there is no session to count it from"), std::string::npos)
      << offset.err;
}

TEST_F(ClockTimes, AnExactNameWinsOverTheLongerNamesItStarts) {
  const auto exact = test::replay(archive.root(), {"info", "standup"});
  ASSERT_EQ(exact.status, 0) << exact.err;
  EXPECT_NE(exact.out.find("session       1  \"standup\""), std::string::npos) << exact.out;
  const auto prefix = test::replay(archive.root(), {"info", "stand"});
  EXPECT_EQ(prefix.status, 1);
  EXPECT_NE(prefix.err.find("2 sessions have a name starting with it"), std::string::npos) << prefix.err;
  // Two sessions of one name are still ambiguous, and the message says so.
  archive.record("standup", test::evenly(2, 1'000'000));
  const auto twice = test::replay(archive.root(), {"info", "standup"});
  EXPECT_EQ(twice.status, 1);
  EXPECT_NE(twice.err.find("2 sessions have that name; give the id of one"), std::string::npos) << twice.err;
}

// The parser alone, for what the program tests above do not reach.
TEST(TimeArgument, ParsesEveryFormAndRefusesTheRest) {
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  const auto t = [](const char* text) { return parse_time(text, "--at"); };
  EXPECT_EQ(t("+90").offset_us, 90'000'000);
  EXPECT_FALSE(t("+90").clock());
  EXPECT_EQ(t("1h30m").offset_us, 5'400'000'000);
  EXPECT_EQ(t("+1.5min").offset_us, 90'000'000);
  EXPECT_EQ(t("1:30").offset_us, 90'000'000);
  EXPECT_EQ(t("1:30").time_of_day_us, 5'400'000'000);  // either 1 min 30 s in, or 01:30
  EXPECT_EQ(t("90:00").time_of_day_us, std::nullopt);  // no such time of day: only the offset
  EXPECT_EQ(t("14:05:30.250").time_of_day_us, (14 * 3600 + 5 * 60 + 30) * 1'000'000LL + 250'000);
  EXPECT_EQ(t("2025-11-24").moment_us, 1'763'942'400'000'000);
  EXPECT_EQ(t("2025-11-24T16:00:00.5Z").moment_us, kStartUs + 500'000);
  EXPECT_EQ(t("2025-11-24 17:00-01:00").moment_us, kStartUs + 2 * kHourUs);
  EXPECT_EQ(t("@1764000000").moment_us, kStartUs);
  for (const char* bad : {"", "+", "-5", "@", "@-1", "2025-13-01", "2025-02-30", "2025-11-24 24:00", "2025-11-24 1:5",
                          "2025-11-24T16:00+25", "1x", "5 s", "+14:05:61", "1:2:3:4", "nan"})
    EXPECT_THROW(t(bad), BadOption) << bad;
}

}  // namespace
}  // namespace screenreel::replay

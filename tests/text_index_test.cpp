// The catalog's text index without a screen: the migration from schema 1 keeps every row and
// gives the same schema as a new catalog; spans open, extend and close pass by pass; FTS5 finds
// them and forgets a deleted session's; changed tiles become the regions a pass reads; and the
// Tesseract engine reads rendered text with its boxes.
#include "screenreel/archive/text_index.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <opencv2/imgproc.hpp>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/sqlite_catalog.hpp"
#include "screenreel/ocr/dirty_tiles.hpp"
#include "screenreel/ocr/engine.hpp"
#include "support/process.hpp"

namespace screenreel {
namespace {
namespace fs = std::filesystem;

constexpr std::int64_t kT0 = 1'764'000'000'000'000;

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// What a catalog's schema is made of: each table's columns (name, type, not null, default,
// primary key; sorted, as ALTER TABLE ADD COLUMN appends where catalog.sql may list a column
// elsewhere) and the SQL of every index, trigger and virtual table.
std::vector<std::string> schema_of(sqlite::Database& db) {
  std::vector<std::string> out;
  auto objects =
      db.prepare("SELECT type, name, coalesce(sql, '') FROM sqlite_schema ORDER BY type, name");
  while (objects.step()) {
    const std::string type = objects.text(0), name = objects.text(1), sql = objects.text(2);
    if (type != "table" || sql.starts_with("CREATE VIRTUAL TABLE")) {
      out.push_back(type + " " + name + ": " + sql);
      continue;
    }
    auto columns = db.prepare(
        "SELECT name || ' ' || type || ' ' || \"notnull\" || ' ' || coalesce(dflt_value, '-') || ' "
        "' || pk "
        "FROM pragma_table_info(?) ORDER BY name");
    columns.bind(1, name);
    while (columns.step()) out.push_back("table " + name + " column " + columns.text(0));
  }
  return out;
}

std::int64_t count(SqliteCatalog& c, const std::string& sql) {
  auto s = c.db().prepare(sql);
  s.step();
  return s.int64(0);
}

class TextIndexTest : public ::testing::Test {
 protected:
  void SetUp() override { dir = test::fresh_temp_dir("screenreel-text-index"); }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir);
  }
  std::int64_t new_session(SqliteCatalog& c) {
    NewSession s;
    s.name = "text";
    s.client_address = "127.0.0.1:1";
    s.source = "test";
    s.width = 640;
    s.height = 480;
    s.fps = 30;
    s.started_us = kT0;
    return c.create_session(s).id;
  }
  static TextLine line(const std::string& text, PixelRect box) {
    return TextLine{text, box, 90, {box}};
  }
  fs::path dir;
};

TEST_F(TextIndexTest, MigrationFromSchema1KeepsEveryRowAndGivesTheCurrentSchema) {
  const fs::path old_db = dir / "old.db";
  {
    sqlite::Database v1(old_db, sqlite::Database::Mode::kReadWrite);
    v1.exec(read_text(fs::path(SCREENREEL_SOURCE_DIR) / "tests" / "data" / "catalog_v1.sql"));
    v1.exec(
        "INSERT INTO sessions (id, name, folder, client_address, source, width, height, fps, "
        "started_us, ended_us, "
        "end_reason, frame_count, bytes, dropped) VALUES (1, 'old', '20251124T160000Z-1', "
        "'127.0.0.1:9', 'x11', 640, "
        "480, 30, 1764000000000000, 1764000010000000, 'client', 2, 3000, 4)");
    v1.exec(
        "INSERT INTO frames (session_id, seq, tick, capture_us, receive_us, written_us, "
        "displayed_us, file, width, "
        "height, jpeg_bytes, same_as) VALUES (1, 1, 1, 1764000000000000, 1764000000000100, "
        "1764000000005000, NULL, "
        "'frame_000001.jpg', 640, 480, 1500, NULL), (1, 2, 2, 1764000000033000, 1764000000033100, "
        "1764000000038000, 1764000000040000, 'frame_000002.jpg', 640, 480, 1500, 1)");
  }
  // Every row of the version-1 tables, in the version-1 columns (later steps add columns).
  const std::string session_columns =
      "id, name, folder, client_address, source, width, height, fps, started_us, ended_us, end_reason, error, "
      "frame_count, bytes, dropped";
  const std::string frame_columns =
      "session_id, seq, tick, capture_us, receive_us, written_us, displayed_us, file, width, height, jpeg_bytes, "
      "same_as";
  auto dump = [&](sqlite::Database& db) {
    std::vector<std::string> rows;
    for (const std::string& sql : {"SELECT " + session_columns + " FROM sessions ORDER BY id",
                                  "SELECT " + frame_columns + " FROM frames ORDER BY session_id, seq"}) {
      auto s = db.prepare(sql);
      while (s.step()) {
        std::string row;
        for (int i = 0; i < s.column_count(); ++i) row += (s.is_null(i) ? "NULL" : s.text(i)) + "|";
        rows.push_back(row);
      }
    }
    return rows;
  };
  std::vector<std::string> before;
  {
    sqlite::Database v1(old_db, sqlite::Database::Mode::kReadOnly);
    before = dump(v1);
  }
  ASSERT_EQ(before.size(), 3u);
  {
    // A reader reads it as it is, without changing it.
    SqliteCatalog reader(old_db, SqliteCatalog::Mode::kReadOnly);
    EXPECT_EQ(reader.schema_version(), 1);
    EXPECT_FALSE(reader.has_text_index());
    EXPECT_EQ(reader.sessions().at(0).frame_count, 2);
  }
  SqliteCatalog migrated(old_db, SqliteCatalog::Mode::kReadWrite);
  EXPECT_EQ(migrated.schema_version(), kCatalogSchemaVersion);
  EXPECT_TRUE(migrated.has_text_index());
  EXPECT_EQ(dump(migrated.db()), before);
  EXPECT_EQ(count(migrated, "PRAGMA foreign_key_check"), 0);
  auto check = migrated.db().prepare("PRAGMA integrity_check");
  ASSERT_TRUE(check.step());
  EXPECT_EQ(check.text(0), "ok");

  SqliteCatalog fresh(dir / "fresh.db", SqliteCatalog::Mode::kReadWrite);
  EXPECT_EQ(schema_of(migrated.db()), schema_of(fresh.db()));
  // And the migrated catalog takes text.
  TextIndex index(migrated);
  index.begin(1, "replay", "eng", 1'000'000);
  index.apply(
      1, OcrPass{2, kT0 + 33'000, {{0, 0, 640, 480}}, {line("hello old world", {10, 10, 200, 20})}},
      kT0 + 50'000);
  EXPECT_EQ(count(migrated, "SELECT count(*) FROM text_fts WHERE text_fts MATCH 'old'"), 1);
}

TEST(CatalogMigrations, TheEmbeddedStepsAreTheSpecFilesAndEndAtTheCurrentVersion) {
  const auto steps = catalog_migrations();
  ASSERT_FALSE(steps.empty());
  EXPECT_EQ(steps.back().version, kCatalogSchemaVersion);
  for (std::size_t i = 0; i < steps.size(); ++i) {
    EXPECT_EQ(steps[i].version, static_cast<int>(i) + 2) << "one step per version, from 1 -> 2";
    char name[16];
    std::snprintf(name, sizeof name, "%03d.sql", steps[i].version);
    EXPECT_EQ(read_text(fs::path(SCREENREEL_SOURCE_DIR) / "schemas" / "migrations" / name),
              steps[i].sql)
        << name;
  }
}

TEST_F(TextIndexTest, SpansOpenExtendAndCloseByRegion) {
  SqliteCatalog c(dir / "catalog.db", SqliteCatalog::Mode::kReadWrite);
  const auto id = new_session(c);
  TextIndex index(c);
  index.begin(id, "receiver", "eng", 1'000'000);
  const PixelRect top{10, 10, 300, 20}, bottom{10, 400, 300, 20};
  // Pass 1 reads the whole frame: two lines.
  auto r = index.apply(
      id, {1, kT0, {{0, 0, 640, 480}}, {line("make all", top), line("error 42", bottom)}}, kT0);
  EXPECT_EQ(r.opened, 2);
  // Pass 2: only the top changed, to another text; the bottom was not touched, so it is still
  // on screen and extended.
  r = index.apply(id, {5, kT0 + 1'000'000, {{0, 0, 640, 64}}, {line("make install", top)}}, kT0);
  EXPECT_EQ(r.opened, 1);
  EXPECT_EQ(r.closed, 1);
  // Pass 3: the top re-read with the same text (in about the same box): the same span goes on.
  r = index.apply(
      id, {9, kT0 + 2'000'000, {{0, 0, 640, 64}}, {line("make install", {11, 10, 300, 21})}}, kT0);
  EXPECT_EQ(r.opened, 0);
  EXPECT_EQ(r.closed, 0);
  EXPECT_EQ(r.extended, 2);
  index.finish(id, 12, kT0 + 3'500'000);

  auto s =
      c.db().prepare("SELECT text, first_seq, last_seq, last_us, open FROM text_spans ORDER BY id");
  std::vector<std::tuple<std::string, std::int64_t, std::int64_t, std::int64_t, std::int64_t>> rows;
  while (s.step()) rows.emplace_back(s.text(0), s.int64(1), s.int64(2), s.int64(3), s.int64(4));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], std::make_tuple(std::string("make all"), 1, 1, kT0, 0));  // closed at pass 2
  EXPECT_EQ(rows[1], std::make_tuple(std::string("error 42"), 1, 12, kT0 + 3'500'000, 0));
  EXPECT_EQ(rows[2], std::make_tuple(std::string("make install"), 5, 12, kT0 + 3'500'000, 0));
  const auto state = index.state(id);
  ASSERT_TRUE(state);
  EXPECT_TRUE(state->complete);
  EXPECT_EQ(state->through_seq, 12);
  EXPECT_EQ(count(c, "SELECT count(*) FROM ocr_passes"), 3);

  // Which text was on screen at frame 7: what was opened at or before it and seen until after.
  EXPECT_EQ(count(c, "SELECT count(*) FROM text_spans WHERE first_seq <= 7 AND last_seq >= 7"), 2);
  // FTS5 finds the words, and forgets them with their session.
  EXPECT_EQ(count(c, "SELECT count(*) FROM text_fts WHERE text_fts MATCH 'make'"), 2);
  c.db().prepare("DELETE FROM sessions WHERE id = ?").bind(1, id).run();
  EXPECT_EQ(count(c, "SELECT count(*) FROM text_fts WHERE text_fts MATCH 'make'"), 0);
  EXPECT_EQ(count(c, "SELECT count(*) FROM ocr_sessions"), 0);
}

// text_spans.words is JSON (schemas/catalog.sql): the boxes a pass wrote come back exactly,
// JSON laid out otherwise (spaces, as sqlite3's json() or another tool writes it) reads the same,
// and a value that is not an array of four integers gives no boxes, never made-up ones (the
// digits scraped out of "[[1.5,2,3,4]]" once made a box 1,5,2,3).
TEST_F(TextIndexTest, WordBoxesAreJsonReadAsJson) {
  SqliteCatalog c(dir / "catalog.db", SqliteCatalog::Mode::kReadWrite);
  const auto id = new_session(c);
  TextIndex index(c);
  index.begin(id, "receiver", "eng", 1'000'000);
  const PixelRect make{10, 10, 40, 20}, all{60, 10, 30, 20};
  index.apply(id, {1, kT0, {{0, 0, 640, 480}}, {TextLine{"make all", make.united(all), 90, {make, all}}}}, kT0);
  EXPECT_EQ(count(c, "SELECT count(*) FROM text_spans WHERE words = '[[10,10,40,20],[60,10,30,20]]'"), 1);
  const auto boxes = [&] {
    const auto spans = c.text_on_frame(id, 1, "make");
    return spans.size() == 1 ? spans[0].words : std::vector<PixelRect>{{-1, -1, -1, -1}};
  };
  EXPECT_EQ(boxes(), (std::vector<PixelRect>{make, all}));
  const auto set_words = [&](const std::string& json) {
    c.db().prepare("UPDATE text_spans SET words = ?").bind(1, json).run();
  };
  set_words("[ [10, 10, 40, 20] ,\n [60,10,30,20] ]");
  EXPECT_EQ(boxes(), (std::vector<PixelRect>{make, all}));
  for (const char* bad : {"[[1.5,2,3,4]]", "[[1,2,3]]", "[[1,2,3,4,5]]", "{\"x\":1}", "[[1,2,3,\"4\"]]", "not json"}) {
    set_words(bad);
    EXPECT_EQ(boxes(), std::vector<PixelRect>{}) << bad;
  }
}

TEST_F(TextIndexTest, AClosedSpanLastsUntilTheFrameBeforeItsBoxChanged) {
  SqliteCatalog c(dir / "catalog.db", SqliteCatalog::Mode::kReadWrite);
  const auto id = new_session(c);
  TextIndex index(c);
  index.begin(id, "receiver", "eng", 1'000'000);
  ocr::DirtyTiles dirty(640, 480);
  dirty.mark_all();
  ocr::GrayImage blank(640, 480);
  const PixelRect box{10, 10, 300, 20};
  index.apply(id, {1, kT0, {{0, 0, 640, 480}}, {line("ls -l", box)}}, kT0);
  // Frames 2 to 29 changed nothing there; frame 30 replaced the line (frame 29 was the last
  // to show it), frame 35 changed it again: the pass at frame 40 closes the span at 29.
  dirty.clear();
  dirty.mark({0, 0, 64, 64}, FrameMoment{29, kT0 + 2'900'000});
  dirty.mark({0, 0, 640, 64}, FrameMoment{34, kT0 + 3'400'000});
  EXPECT_EQ(dirty.unchanged_until(box)->seq, 29);
  EXPECT_FALSE(dirty.unchanged_until({0, 400, 10, 10}));
  OcrPass pass{40, kT0 + 4'000'000, dirty.regions({box}), {line("make", box)}};
  pass.unchanged_until = [&](const PixelRect& b) { return dirty.unchanged_until(b); };
  const auto r = index.apply(id, pass, kT0);
  EXPECT_EQ(r.closed, 1);
  auto s = c.db().prepare("SELECT last_seq, last_us, open FROM text_spans WHERE text = 'ls -l'");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.int64(0), 29);
  EXPECT_EQ(s.int64(1), kT0 + 2'900'000);
  EXPECT_EQ(s.int64(2), 0);
}

TEST(DirtyTiles, RegionsAreGroupsOfChangedTilesGrownOverTheLinesTheyCut) {
  ocr::DirtyTiles d(640, 480);
  EXPECT_FALSE(d.any());
  EXPECT_TRUE(d.regions({}).empty());
  d.mark({70, 70, 10, 10});    // tile (1, 1)
  d.mark({130, 130, 10, 10});  // tile (2, 2): touches (1, 1) diagonally
  d.mark({600, 400, 5, 5});    // tile (9, 6): alone
  auto r = d.regions({}, 0);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0], (PixelRect{64, 64, 128, 128}));
  EXPECT_EQ(r[1], (PixelRect{576, 384, 64, 64}));
  // A line that crosses the first region makes it wide enough to read the line whole; a line
  // elsewhere changes nothing.
  r = d.regions({{0, 100, 400, 20}, {300, 10, 50, 20}}, 0);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0], (PixelRect{0, 64, 400, 128}));
  d.clear();
  EXPECT_FALSE(d.any());

  ocr::GrayImage a(640, 480), b(640, 480);
  b.row(300)[330] = 200;  // one pixel, tile (5, 4)
  b.row(10)[10] = 10;     // below the threshold: JPEG noise
  d.mark_differences(a, b);
  r = d.regions({}, 0);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0], (PixelRect{320, 256, 64, 64}));
}

TEST(OcrEngine, ReadsRenderedTextWithItsBoxes) {
  cv::Mat image(200, 640, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::putText(image, "SCREEN RECORDER 2048", {40, 80}, cv::FONT_HERSHEY_SIMPLEX, 1.2,
              cv::Scalar(0, 0, 0), 2);
  cv::putText(image, "FIND ANY TEXT", {300, 160}, cv::FONT_HERSHEY_SIMPLEX, 1.0,
              cv::Scalar(0, 0, 0), 2);
  const auto gray = ocr::gray_from_bgr(image.data, image.cols, image.rows, image.step);
  ocr::Engine engine;
  auto lines = engine.read(gray, gray.bounds());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].text, "SCREEN RECORDER 2048");
  EXPECT_EQ(lines[0].words.size(), 3u);
  EXPECT_TRUE((PixelRect{35, 45, 580, 45}).contains(lines[0].box))
      << lines[0].box.x << "," << lines[0].box.y << " " << lines[0].box.w << "x" << lines[0].box.h;
  EXPECT_GT(lines[0].confidence, 80);
  EXPECT_EQ(lines[1].text, "FIND ANY TEXT");
  // Reading a region finds only what is inside it, in frame coordinates.
  lines = engine.read(gray, {280, 110, 360, 90});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].text, "FIND ANY TEXT");
  EXPECT_GE(lines[0].box.x, 295);
  EXPECT_GE(lines[0].box.y, 120);
}

TEST(OcrEngine, AMissingLanguageSaysWhichPackageToInstall) {
  try {
    ocr::Engine engine(ocr::EngineOptions{"qqq"});
    FAIL() << "loaded a language that does not exist";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("apt-get install tesseract-ocr-qqq"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace screenreel

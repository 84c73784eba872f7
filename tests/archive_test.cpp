// Archive layout helpers: frame names, atomic writes, the receiver lock, HOST:PORT parsing.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "screenreel/common/address.hpp"
#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/jpeg.hpp"

namespace screenreel {
namespace {
namespace fs = std::filesystem;

TEST(Archive, FrameNamesHaveSixDigitsThenGrow) {
  EXPECT_EQ(frame_file_name(1), "frame_000001.jpg");
  EXPECT_EQ(frame_file_name(999999), "frame_999999.jpg");
  EXPECT_EQ(frame_file_name(1000000), "frame_1000000.jpg");
  EXPECT_EQ(temp_file_name("frame_000001.jpg"), ".frame_000001.jpg.tmp");
  EXPECT_TRUE(is_temp_file_name(".frame_000001.jpg.tmp"));
  EXPECT_FALSE(is_temp_file_name("frame_000001.jpg"));
}

class ArchiveDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("screenreel-archive-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  fs::path dir;
};

TEST_F(ArchiveDir, AtomicWriteLeavesOnlyTheFinalFile) {
  const std::vector<std::uint8_t> bytes = {1, 2, 3, 4};
  write_file_atomic(dir, "frame_000001.jpg", bytes);
  EXPECT_EQ(fs::file_size(dir / "frame_000001.jpg"), 4u);
  EXPECT_FALSE(fs::exists(dir / ".frame_000001.jpg.tmp"));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
}

TEST_F(ArchiveDir, AtomicWriteNeverFollowsAPlantedSymlink) {
  const fs::path outside = dir / "outside";
  std::ofstream(outside) << "keep";
  fs::create_symlink(outside, dir / ".frame_000001.jpg.tmp");
  const std::vector<std::uint8_t> bytes = {9};
  EXPECT_THROW(write_file_atomic(dir, "frame_000001.jpg", bytes), std::system_error);
  std::ifstream in(outside);
  std::string s;
  in >> s;
  EXPECT_EQ(s, "keep");
}

TEST_F(ArchiveDir, AtomicWriteErrorNamesTheFile) {
  try {
    write_file_atomic(dir / "missing", "frame_000001.jpg", std::vector<std::uint8_t>{1});
    FAIL();
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("missing/.frame_000001.jpg.tmp"), std::string::npos) << e.what();
  }
}

TEST_F(ArchiveDir, OnlyOneReceiverHoldsAnArchive) {
  ArchivePaths paths(dir);
  ArchiveLock first(paths);
  try {
    ArchiveLock second(paths);
    FAIL() << "two locks on one archive";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("pid " + std::to_string(::getpid())), std::string::npos) << e.what();
  }
}

TEST(Address, ParsesHostPort) {
  EXPECT_EQ(parse_host_port("127.0.0.1:5000").host, "127.0.0.1");
  EXPECT_EQ(parse_host_port("127.0.0.1:5000").port, 5000);
  EXPECT_EQ(parse_host_port("[::1]:6000").host, "::1");
  EXPECT_EQ(parse_host_port("localhost:0").port, 0);
  for (const char* bad : {"", "5000", "host:", ":5000", "host:99999", "host:50x", "::1:5000", "[::1]5000"})
    EXPECT_THROW(parse_host_port(bad), std::invalid_argument) << bad;
}

TEST(Jpeg, EncodesBgrxAndDecodesBack) {
  const std::uint32_t w = 96, h = 64;
  std::vector<std::uint8_t> bgrx(w * h * 4);
  for (std::uint32_t y = 0; y < h; ++y)
    for (std::uint32_t x = 0; x < w; ++x) {
      auto* p = &bgrx[(y * w + x) * 4];
      p[0] = 200;  // blue
      p[1] = static_cast<std::uint8_t>(y * 2);
      p[2] = 30;
      p[3] = 0xAB;  // ignored
    }
  JpegEncoder enc(95);
  const auto jpeg = enc.encode_bgrx(bgrx.data(), w, h, w * 4);
  const std::vector<std::uint8_t> bytes(jpeg.begin(), jpeg.end());
  auto info = read_jpeg_info(bytes);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->width, w);
  auto img = decode_jpeg_bgr(bytes);
  ASSERT_TRUE(img);
  EXPECT_NEAR(img->bgr[(10 * w + 10) * 3 + 0], 200, 6);
  EXPECT_NEAR(img->bgr[(10 * w + 10) * 3 + 2], 30, 6);
  const auto cut = decode_jpeg_bgr(std::span(bytes).first(bytes.size() / 2));
  ASSERT_FALSE(cut);
  EXPECT_FALSE(cut.error().message.empty());
}

// Each frame file carries its tick and times (schemas/archive-layout.md, "Stamp"), so that
// recovery can index a file whose row was lost without guessing.
TEST(Jpeg, TheFrameStampIsACommentThatDecodersSkip) {
  const std::uint32_t w = 64, h = 48;
  std::vector<std::uint8_t> bgrx(w * h * 4, 0x80);
  JpegEncoder enc(90);
  const FrameStamp stamp{1234, 1'764'000'000'123'456, 1'764'000'000'130'000};
  const std::string text = format_frame_stamp(stamp);
  EXPECT_EQ(text, "screenreel-frame tick=1234 capture_us=1764000000123456 receive_us=1764000000130000");
  const auto plain_span = enc.encode_bgrx(bgrx.data(), w, h, w * 4);
  const std::vector<std::uint8_t> plain(plain_span.begin(), plain_span.end());
  const auto stamped_span = enc.encode_bgrx(bgrx.data(), w, h, w * 4, text);
  const std::vector<std::uint8_t> stamped(stamped_span.begin(), stamped_span.end());
  // The same image, with one COM segment (marker, length, text) after SOI.
  ASSERT_EQ(stamped.size(), plain.size() + 4 + text.size());
  EXPECT_TRUE(std::equal(plain.begin() + 2, plain.end(), stamped.begin() + 6 + static_cast<long>(text.size())));
  EXPECT_FALSE(read_jpeg_comment(plain));
  EXPECT_EQ(read_jpeg_comment(stamped), text);
  EXPECT_EQ(parse_frame_stamp(*read_jpeg_comment(stamped)), stamp);
  auto img = decode_jpeg_bgr(stamped);
  ASSERT_TRUE(img);
  EXPECT_NEAR(img->bgr[0], 0x80, 3);

  EXPECT_FALSE(parse_frame_stamp("screenreel-frame tick=1 capture_us=2"));
  EXPECT_FALSE(parse_frame_stamp("screenreel-frame tick=0 capture_us=2 receive_us=3"));
  EXPECT_FALSE(parse_frame_stamp("screenreel-frame tick=1 capture_us=2 receive_us=3 extra"));
  EXPECT_FALSE(parse_frame_stamp("Created with GIMP"));
  EXPECT_FALSE(read_jpeg_comment(std::vector<std::uint8_t>{0xFF, 0xD8, 0xFF, 0xFE, 0x40, 0x00}));  // length past the end
}

}  // namespace
}  // namespace screenreel

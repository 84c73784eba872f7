// Small archives for the replay tests, built with the archive library the way the receiver
// builds them (SqliteCatalog rows, JPEGs from JpegEncoder put in place with write_file_atomic), and a
// way to run the real screenreel-replay on them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/sqlite_catalog.hpp"
#include "screenreel/archive/jpeg.hpp"

#include "support/programs.hpp"  // replay(), replay_as()

namespace screenreel::test {

inline constexpr std::int64_t kStartUs = 1'764'000'000'000'000;  // 2025-11-24T16:00:00Z
inline constexpr std::uint32_t kWidth = 160, kHeight = 120;

struct FixtureFrame {
  std::int64_t offset_us;  // capture time after the session's first frame
  std::int64_t tick;
  std::int64_t repeats = 0;  // a repeat of this earlier frame (seq): a hard link, frames.same_as
};

// Frames `interval_us` apart, ticks 1, 2, 3, ...
std::vector<FixtureFrame> evenly(int count, std::int64_t interval_us);

// A picture that differs clearly from frame to frame (and compresses like a screen: flat areas
// and edges), BGR, kWidth x kHeight.
cv::Mat picture(std::int64_t seq);

class FixtureArchive {
 public:
  // A fresh archive folder under the temp dir, named after the running test; removed at the end
  // unless the test failed (to look at it).
  FixtureArchive();
  ~FixtureArchive();
  FixtureArchive(const FixtureArchive&) = delete;
  FixtureArchive& operator=(const FixtureArchive&) = delete;

  const std::filesystem::path& root() const { return root_; }
  ArchivePaths paths() const { return ArchivePaths(root_); }
  SqliteCatalog& catalog() { return catalog_; }
  // The size of the frames record() makes from now on (picture() scaled up): kWidth x kHeight
  // unless set.
  void set_frame_size(std::uint32_t width, std::uint32_t height) { width_ = width, height_ = height; }

  // Records a session: its row, its folder, each frame's JPEG then its row, like the receiver.
  // Ends it with `end_reason` unless that is empty (left recording, as after a crash). It starts
  // at `started_us`, its first frame half a second later.
  SessionRecord record(const std::string& name, const std::vector<FixtureFrame>& frames,
                       const std::string& end_reason = "client", std::int64_t dropped = 0,
                       std::int64_t started_us = kStartUs);
  // Writes frame `seq`'s JPEG into the session's folder without a row (a crash's last batch).
  std::int64_t write_frame_file(const SessionRecord& s, std::int64_t seq);
  // Makes frame `seq`'s file a hard link to frame `source`'s (a repeat), without a row.
  std::int64_t link_frame_file(const SessionRecord& s, std::int64_t seq, std::int64_t source);
  std::filesystem::path frame_file(const SessionRecord& s, std::int64_t seq) const;
  // The decoded JPEG of a frame as the archive holds it.
  cv::Mat frame_image(const SessionRecord& s, std::int64_t seq) const;

 private:
  std::filesystem::path root_;
  SqliteCatalog catalog_;
  JpegEncoder jpeg_;
  std::uint32_t width_ = kWidth, height_ = kHeight;
};


// Loads `json` with Python's json module and evaluates the Python expression `expr` over it
// (`d`). Returns repr() of the result, or "JSON ERROR: ..." when the text does not parse.
std::string python_json(const std::string& json, const std::string& expr);

// Peak signal-to-noise ratio of two same-size 8-bit images, in dB.
double psnr(const cv::Mat& a, const cv::Mat& b);

}  // namespace screenreel::test

// Replay test fixtures (see archive_fixture.hpp).
#include "archive_fixture.hpp"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "screenreel/archive/activity.hpp"
#include "screenreel/archive/jpeg.hpp"
#include "support/process.hpp"

namespace screenreel::test {
namespace fs = std::filesystem;

std::vector<FixtureFrame> evenly(int count, std::int64_t interval_us) {
  std::vector<FixtureFrame> frames;
  for (int i = 0; i < count; ++i) frames.push_back({i * interval_us, i + 1});
  return frames;
}

cv::Mat picture(std::int64_t seq) {
  cv::Mat img(kHeight, kWidth, CV_8UC3);
  const auto n = static_cast<int>(seq);
  img.setTo(cv::Scalar((n * 53) % 200 + 30, (n * 97) % 200 + 30, (n * 31) % 200 + 30));
  // A block whose position and size depend on the number: different frames differ in shape too.
  const int x = (n * 23) % (static_cast<int>(kWidth) - 40);
  cv::rectangle(img, cv::Rect(x, 20, 40, 30 + n % 50), cv::Scalar(240, 240, 240), cv::FILLED);
  cv::putText(img, std::to_string(n), cv::Point(10, 110), cv::FONT_HERSHEY_SIMPLEX, 0.8,
              cv::Scalar(0, 0, 0), 2);
  return img;
}

FixtureArchive::FixtureArchive()
    : root_(fresh_temp_dir("screenreel-replay")),
      catalog_((fs::create_directories(root_ / "sessions"), root_ / "catalog.db"),
               SqliteCatalog::Mode::kReadWrite),
      jpeg_(90) {}

FixtureArchive::~FixtureArchive() {
  if (!::testing::Test::HasFailure()) {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
}

SessionRecord FixtureArchive::record(const std::string& name,
                                     const std::vector<FixtureFrame>& frames,
                                     const std::string& end_reason, std::int64_t dropped,
                                     std::int64_t started_us) {
  NewSession n;
  n.name = name;
  n.client_address = "127.0.0.1:40000";
  n.source = "test-pattern " + std::to_string(width_) + "x" + std::to_string(height_);
  n.width = width_;
  n.height = height_;
  n.fps = 10;
  n.started_us = started_us;
  SessionRecord s = catalog_.create_session(n);
  fs::create_directory(paths().session(s.folder));
  std::vector<FrameRecord> rows;
  std::int64_t seq = 0;
  std::int64_t last_written = started_us;
  for (const auto& f : frames) {
    ++seq;
    FrameRecord r;
    r.session_id = s.id;
    r.seq = seq;
    r.tick = f.tick;
    r.capture_us = started_us + 500'000 + f.offset_us;
    r.receive_us = r.capture_us + 2'000;
    r.written_us = r.capture_us + 10'000;
    r.file = frame_file_name(static_cast<std::uint64_t>(seq));
    r.width = width_;
    r.height = height_;
    if (f.repeats) r.same_as = f.repeats;
    r.jpeg_bytes = f.repeats ? link_frame_file(s, seq, f.repeats) : write_frame_file(s, seq);
    last_written = r.written_us;
    rows.push_back(r);
  }
  catalog_.add_frames(rows);
  fill_activity(paths(), catalog_, s);  // measured from the files, as recover does
  if (!end_reason.empty())
    catalog_.end_session(s.id, last_written + 50'000, end_reason, {}, dropped);
  return *catalog_.session(s.id);
}

std::int64_t FixtureArchive::write_frame_file(const SessionRecord& s, std::int64_t seq) {
  cv::Mat sized = picture(seq), bgrx;
  if (width_ != kWidth || height_ != kHeight)
    cv::resize(sized, sized, cv::Size(static_cast<int>(width_), static_cast<int>(height_)));
  cv::cvtColor(sized, bgrx, cv::COLOR_BGR2BGRA);
  const auto bytes = jpeg_.encode_bgrx(bgrx.data, width_, height_, bgrx.step);
  write_file_atomic(paths().session(s.folder), frame_file_name(static_cast<std::uint64_t>(seq)),
                    bytes);
  return static_cast<std::int64_t>(bytes.size());
}

std::int64_t FixtureArchive::link_frame_file(const SessionRecord& s, std::int64_t seq,
                                             std::int64_t source) {
  link_file_atomic(paths().session(s.folder), frame_file_name(static_cast<std::uint64_t>(source)),
                   frame_file_name(static_cast<std::uint64_t>(seq)));
  return static_cast<std::int64_t>(fs::file_size(frame_file(s, seq)));
}

fs::path FixtureArchive::frame_file(const SessionRecord& s, std::int64_t seq) const {
  return paths().session(s.folder) / frame_file_name(static_cast<std::uint64_t>(seq));
}

cv::Mat FixtureArchive::frame_image(const SessionRecord& s, std::int64_t seq) const {
  return cv::imread(frame_file(s, seq).string(), cv::IMREAD_COLOR);
}

std::string python_json(const std::string& json, const std::string& expr) {
  const fs::path file =
      fs::temp_directory_path() / ("screenreel-json-" + std::to_string(::getpid()) + ".json");
  std::ofstream(file) << json;
  const std::string cmd =
      "python3 -c 'import json,sys\ntry:\n  d = json.load(open(sys.argv[1], encoding=\"utf-8\"))\n"
      "except Exception as e:\n  print(\"JSON ERROR:\", e); sys.exit(0)\nprint(repr((" +
      expr + ")))' " + file.string() + " 2>&1";
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    std::array<char, 4096> buf{};
    while (std::fgets(buf.data(), buf.size(), p)) out += buf.data();
    ::pclose(p);
  }
  fs::remove(file);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

double psnr(const cv::Mat& a, const cv::Mat& b) {
  return cv::PSNR(a, b);
}

}  // namespace screenreel::test

// The receiver's storage pipeline on a real archive folder and catalog: several encoders code
// each frame's changed JPEG strips at once, and every file written is still that frame's whole
// JPEG, byte for byte, through repeats and a change of size.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <set>
#include <random>

#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/integrity.hpp"
#include "screenreel/archive/jpeg.hpp"
#include "screenreel/archive/sqlite_catalog.hpp"
#include "screenreel/receiver/recorder.hpp"
#include "screenreel/archive/session_files.hpp"

namespace screenreel::receiver {
namespace {
namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "screenreel-recorder-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path); }
};

std::vector<std::uint8_t> read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Paints a few random blocks into `f` and returns where.
std::vector<PixelRect> change(FrameBuffer& f, std::mt19937& rng, int blocks) {
  std::vector<PixelRect> rects;
  for (int i = 0; i < blocks; ++i) {
    const int w = 1 + static_cast<int>(rng() % 40), h = 1 + static_cast<int>(rng() % 30);
    const PixelRect r{static_cast<int>(rng() % (f.width - static_cast<unsigned>(w) + 1)),
                      static_cast<int>(rng() % (f.height - static_cast<unsigned>(h) + 1)), w, h};
    const auto colour = static_cast<std::uint8_t>(rng());
    for (int y = r.y; y < r.bottom(); ++y)
      for (int x = r.x; x < r.right(); ++x) f.row(static_cast<std::uint32_t>(y))[x * 4 + (i % 3)] = colour;
    rects.push_back(r);
  }
  return rects;
}

// Ends the session as its client would and waits until its frames are stored; their count.
std::int64_t close_and_wait(SessionWriter& session) {
  std::mutex m;
  std::condition_variable cv;
  std::int64_t stored = -1;
  session.close("client", "", 0, [&](std::int64_t n) {
    std::lock_guard lock(m);
    stored = n;
    cv.notify_all();
  });
  std::unique_lock lock(m);
  cv.wait_for(lock, std::chrono::seconds(60), [&] { return stored >= 0; });
  return stored;
}

TEST(Recorder, EncodersSharingASessionWriteEachFramesWholeJpeg) {
  TempDir dir;
  const ArchivePaths paths(dir.path);
  RecorderOptions options;
  options.encoder_threads = 3;  // more than one frame of the session in the encoders at once
  options.queue_frames = 6;
  options.min_free_bytes = 0;
  std::vector<FrameBuffer> truth;  // frame number - 1 -> the pixels it must show
  std::vector<bool> repeat;
  std::string folder;
  {
    Recorder recorder(paths, options);
    auto session = recorder.open_session(NewSession{"strips", "test", "test", 320, 200, 30, wall_clock_us()});
    folder = session->record().folder;
    std::mt19937 rng(1);
    FrameBuffer screen(320, 200);
    for (int i = 0; i < 240; ++i) {
      std::vector<PixelRect> changed;
      bool same = false;
      if (i == 0 || i == 150) {  // a key frame; at 150 the screen was resized
        if (i == 150) screen = FrameBuffer(336, 208);
        change(screen, rng, 300);
        changed = {PixelRect{0, 0, static_cast<int>(screen.width), static_cast<int>(screen.height)}};
      } else if (i % 7 == 3) {
        same = true;  // --every-frame while nothing changed
      } else {
        changed = change(screen, rng, i % 2 ? 150 : 1);  // one encoder slow, the next one quick
      }
      auto buffer = recorder.acquire_buffer(screen.width, screen.height);
      buffer->pixels = screen.pixels;
      const std::int64_t now = wall_clock_us();
      ASSERT_TRUE(session->submit(FrameJob{i + 1, now, now, std::move(buffer), same, changed}, [](std::uint64_t) {}));
      truth.push_back(screen);
      repeat.push_back(same);
    }
    const std::int64_t stored = close_and_wait(*session);
    EXPECT_EQ(stored, 240);
    EXPECT_FALSE(session->storage_error());
  }
  JpegEncoder whole(90);
  for (std::size_t n = 1; n <= truth.size(); ++n) {
    SCOPED_TRACE("frame " + std::to_string(n));
    const fs::path file = paths.session(folder) / frame_file_name(n);
    if (repeat[n - 1]) {  // a hard link to the frame before
      struct stat a {}, b {};
      ASSERT_EQ(::stat(file.c_str(), &a), 0);
      ASSERT_EQ(::stat((paths.session(folder) / frame_file_name(n - 1)).c_str(), &b), 0);
      EXPECT_EQ(a.st_ino, b.st_ino);
      continue;
    }
    const auto bytes = read_bytes(file);
    const auto comment = read_jpeg_comment(bytes);
    ASSERT_TRUE(comment);
    const FrameBuffer& f = truth[n - 1];
    const auto expected = whole.encode_bgrx(f.pixels.data(), f.width, f.height, f.stride(), *comment);
    ASSERT_TRUE(std::equal(bytes.begin(), bytes.end(), expected.begin(), expected.end()));
  }
}

// Protocol 4: strips a client coded (FrameJob::client_strips) are spliced into the file as they
// came; the recorder codes only what the other rectangles changed. The file is byte-equal to the
// receiver's own JPEG of the client's *screen*, although the frame buffer holds the strips
// decoded: re-coding those decoded pixels would give other bytes (a JPEG decoded and coded again
// is quantized again: the second generation of loss the strips avoid), so the strongest true
// property is this one, and it shows the bytes come from the client, not from the buffer.
TEST(Recorder, ClientStripsAreSplicedAsTheyCameAndTheRestIsCodedFromThePixels) {
  TempDir dir;
  const ArchivePaths paths(dir.path);
  RecorderOptions options;
  options.min_free_bytes = 0;
  std::vector<FrameBuffer> screens;
  std::string folder;
  JpegEncoder client(90);  // the capture's coder: the same code, the same quality
  JpegStripDecoder decoder(90);
  {
    Recorder recorder(paths, options);
    auto session = recorder.open_session(NewSession{"client-strips", "test", "test", 320, 200, 30, wall_clock_us()});
    folder = session->record().folder;
    std::mt19937 rng(3);
    FrameBuffer screen(320, 200);
    change(screen, rng, 300);
    const PixelRect all{0, 0, 320, 200};
    // Frame 1: every strip from the client (a key frame of JPEG strips; the session's first, so
    // the recorder starts the file from its own header). Frame 2: the client's strips on the
    // left, a lossless rectangle on the right.
    for (int i = 0; i < 2; ++i) {
      std::vector<PixelRect> theirs = {all}, mine;
      if (i == 1) {
        for (int k = 0; k < 40; ++k) {
          const int x = static_cast<int>(rng() % 100), y = static_cast<int>(rng() % 190);
          for (int r = y; r < y + 10; ++r) screen.row(static_cast<std::uint32_t>(r))[x * 4] ^= 0x5A;
        }
        theirs = {PixelRect{0, 0, 128, 200}};
        mine = {PixelRect{256, 40, 64, 64}};
        for (int r = 40; r < 104; ++r) std::memset(screen.row(static_cast<std::uint32_t>(r)) + 256 * 4, 0x33, 64 * 4);
      }
      auto coded = std::make_shared<CodedStrips>(client.encode_strips(screen.pixels.data(), 320, 200, screen.stride(), theirs));
      coded->header.clear();  // a FRAME carries strips only
      auto buffer = recorder.acquire_buffer(320, 200);
      buffer->pixels = screen.pixels;
      ASSERT_TRUE(decoder.decode(*coded, buffer->pixels.data(), buffer->stride()));  // what the receiver holds
      const std::int64_t now = wall_clock_us();
      FrameJob job{i + 1, now, now, std::move(buffer), false, mine};
      job.client_strips = coded;
      ASSERT_TRUE(session->submit(std::move(job), [](std::uint64_t) {}));
      screens.push_back(screen);
    }
    EXPECT_EQ(close_and_wait(*session), 2);
    EXPECT_FALSE(session->storage_error());
  }
  JpegEncoder receiver(90);
  for (std::size_t n = 1; n <= screens.size(); ++n) {
    SCOPED_TRACE("frame " + std::to_string(n));
    const auto bytes = read_bytes(paths.session(folder) / frame_file_name(n));
    const auto comment = read_jpeg_comment(bytes);
    ASSERT_TRUE(comment);
    const FrameBuffer& f = screens[n - 1];
    const auto expected = receiver.encode_bgrx(f.pixels.data(), f.width, f.height, f.stride(), *comment);
    EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), expected.begin(), expected.end()));
  }
}

// A still screen recorded with --every-frame links every frame to one JPEG; a file system has a
// limit (ext4: 65,000 links, 36 minutes at 30 fps). Before the fix the link failed with "Too many
// links" and the session ended; now a frame past the limit gets a copy and later repeats link to
// it. The limit is made small here; EMLINK itself is handled the same way.
TEST(Recorder, AFrameRepeatedPastTheLinkLimitGetsACopyAndTheSessionGoesOn) {
  TempDir dir;
  const ArchivePaths paths(dir.path);
  RecorderOptions options;
  options.encoder_threads = 2;
  options.min_free_bytes = 0;
  options.max_links = 4;
  std::string folder;
  constexpr int kFrames = 30;
  {
    Recorder recorder(paths, options);
    auto session = recorder.open_session(NewSession{"still", "test", "test", 64, 48, 30, wall_clock_us()});
    folder = session->record().folder;
    FrameBuffer screen(64, 48);
    std::mt19937 rng(3);
    change(screen, rng, 10);
    for (int i = 0; i < kFrames; ++i) {
      auto buffer = recorder.acquire_buffer(screen.width, screen.height);
      buffer->pixels = screen.pixels;
      const std::int64_t now = wall_clock_us();
      const std::vector<PixelRect> all = {PixelRect{0, 0, 64, 48}};
      ASSERT_TRUE(session->submit(FrameJob{i + 1, now, now, std::move(buffer), i > 0, i == 0 ? all : std::vector<PixelRect>{}},
                                  [](std::uint64_t) {}));
    }
    const std::int64_t stored = close_and_wait(*session);
    EXPECT_EQ(stored, kFrames);
    EXPECT_FALSE(session->storage_error()) << *session->storage_error();
  }
  const auto first = read_bytes(paths.session(folder) / frame_file_name(1));
  std::set<ino_t> files;
  for (int n = 1; n <= kFrames; ++n) {
    const fs::path file = paths.session(folder) / frame_file_name(static_cast<std::uint64_t>(n));
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0) << file;
    EXPECT_LE(st.st_nlink, options.max_links) << file;
    files.insert(st.st_ino);
    EXPECT_EQ(read_bytes(file), first) << "frame " << n << " shows the same picture";
  }
  EXPECT_GE(files.size(), static_cast<std::size_t>(kFrames / options.max_links)) << "copies were made";
  // Every repeat's row has the size and SHA-256 of the bytes in its file (taken from the frame it
  // repeats, not read again), and is chained.
  SqliteCatalog catalog(paths.catalog(), SqliteCatalog::Mode::kReadOnly);
  const auto rows = catalog.frames(catalog.sessions().at(0).id);
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(kFrames));
  for (const auto& row : rows) {
    ASSERT_TRUE(row.sha256 && row.chain) << "frame " << row.seq;
    EXPECT_EQ(*row.sha256, sha256(first)) << "frame " << row.seq;
    EXPECT_EQ(row.jpeg_bytes, static_cast<std::int64_t>(first.size())) << "frame " << row.seq;
  }
}

}  // namespace
}  // namespace screenreel::receiver

namespace screenreel::receiver {
namespace {

TEST(FramePool, ABufferLetGoIsReusedForTheSameSizeOnly) {
  auto pool = FramePool::create();
  auto a = pool->acquire(64, 48);
  const FrameBuffer* first = a.get();
  a.reset();
  EXPECT_EQ(pool->free_count(), 1u);
  auto b = pool->acquire(64, 48);
  EXPECT_EQ(b.get(), first);
  EXPECT_EQ(pool->free_count(), 0u);
  auto c = pool->acquire(32, 48);
  EXPECT_NE(c.get(), first);
  EXPECT_EQ(c->width, 32u);
  EXPECT_EQ(c->pixels.size(), std::size_t{32} * 48 * 4);
}

// Sessions of the largest size must not leave their frames behind them (issue 24.2).
TEST(FramePool, KeepsNoMoreThanItsBoundInBytesAndGivesAllBackWhenAsked) {
  auto pool = FramePool::create();
  std::vector<std::shared_ptr<FrameBuffer>> held;
  for (int i = 0; i < 3; ++i) held.push_back(pool->acquire(4096, 4096));  // 64 MiB each
  held.clear();
  EXPECT_LE(pool->free_bytes(), FramePool::kMaxFreeBytes);
  EXPECT_EQ(pool->free_count(), 2u);
  pool->release_all();
  EXPECT_EQ(pool->free_count(), 0u);
  EXPECT_EQ(pool->free_bytes(), 0u);
}

TEST(FramePool, ABufferThatOutlivesItsPoolIsSimplyFreed) {
  auto pool = FramePool::create();
  auto frame = pool->acquire(64, 48);
  std::weak_ptr<FramePool> weak = pool;
  pool.reset();
  EXPECT_TRUE(weak.expired());
  frame->pixels[0] = 1;  // still the display's to use
  frame.reset();         // and then freed, with nowhere to go back to
}


// The catalog thread times every batch of frame rows it commits (commit_times.hpp): a session's
// frames leave at least one commit, and none is longer than the whole recording took.
TEST(Recorder, TimesEachCatalogCommitOfFrameRows) {
  TempDir dir;
  const ArchivePaths paths(dir.path);
  RecorderOptions options;
  options.min_free_bytes = 0;
  Recorder recorder(paths, options);
  EXPECT_EQ(recorder.commit_times().count(), 0u);
  const auto started = std::chrono::steady_clock::now();
  auto session = recorder.open_session(NewSession{"commits", "test", "test", 64, 48, 30, wall_clock_us()});
  FrameBuffer screen(64, 48);
  for (int i = 0; i < 100; ++i) {
    auto buffer = recorder.acquire_buffer(screen.width, screen.height);
    buffer->pixels = screen.pixels;
    const std::int64_t now = wall_clock_us();
    ASSERT_TRUE(session->submit(FrameJob{i + 1, now, now, std::move(buffer), false, {PixelRect{0, 0, 64, 48}}},
                                [](std::uint64_t) {}));
  }
  EXPECT_EQ(close_and_wait(*session), 100);
  const auto took_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
  const CommitTimes& times = recorder.commit_times();
  EXPECT_GE(times.count(), 1u);
  EXPECT_LE(times.count(), 100u);  // batches: never more commits than rows
  EXPECT_GT(times.max(), 0);
  EXPECT_LE(times.max(), took_us);
  EXPECT_LE(times.percentile(0.5), times.percentile(0.99));
  EXPECT_NE(times.describe().find(" commits: p50 "), std::string::npos);
}

TEST(CommitTimes, PercentilesAreWithinABucketAboveTheTrueOnesAndNeverPastTheMax) {
  CommitTimes times;
  EXPECT_EQ(times.percentile(0.5), 0);
  EXPECT_EQ(times.describe(), "none");
  for (std::int64_t ms = 1; ms <= 100; ++ms) times.add(ms * 1000);  // 1 ms to 100 ms, one each
  EXPECT_EQ(times.count(), 100u);
  EXPECT_EQ(times.max(), 100'000);
  const auto p50 = times.percentile(0.5), p99 = times.percentile(0.99);
  EXPECT_GE(p50, 50'000);
  EXPECT_LE(p50, 50'000 * 1045 / 1000);
  EXPECT_GE(p99, 99'000);
  EXPECT_LE(p99, 100'000);  // the bucket's bound is past the max: the max it is
  EXPECT_EQ(times.percentile(1.0), 100'000);
  const std::string line = times.describe();
  EXPECT_EQ(line.rfind("100 commits: p50 ", 0), 0u) << line;
  EXPECT_NE(line.find(" ms, max 100.0 ms"), std::string::npos) << line;
  times.add(0);  // a commit quicker than the clock ticks
  times.add(std::int64_t{1} << 40);  // and one past the last bucket: counted, max exact
  EXPECT_EQ(times.percentile(0.0), 1);
  EXPECT_EQ(times.max(), std::int64_t{1} << 40);
  EXPECT_EQ(times.percentile(1.0), std::int64_t{1} << 40);
}

}  // namespace
}  // namespace screenreel::receiver

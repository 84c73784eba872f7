// What `screenreel-replay serve` costs on a large archive (issue 15's benchmark): a synthetic
// archive of 1,000 sessions and 1,000,000 frame rows made by the catalog's own writer (one of
// them a one-hour session at 30 fps: 108,000 rows), then
//   BM_SessionsPage       GET /api/sessions (the first page, 50 sessions), and a page far back
//   BM_SessionsFiltered   the same with a name filter
//   BM_OneHourTimeline    GET /api/sessions/ID/timeline of the one-hour session (3,600 buckets)
//   BM_NextChange         GET /api/sessions/ID/change?after=N in the one-hour session
//   BM_FrameAnswer        what serve does for a frame before a byte is sent (in-process: the
//                         catalog's two lookups, the checks, the file opened)
//   BM_FrameServed/0      frames over real HTTP/1.1 from serve's server (loopback), keep-alive
//   BM_FrameServed/1      the same, a new connection per frame
//   BM_FrameRead          the same files read as `cat` reads them (open, read 128 kB at a time)
//   BM_FrameCat           the same files read by `cat` itself (one process for all 200 files)
// The archive is built once per run under $TMPDIR and removed at the end. Numbers are in
// docs/benchmarks.md.
#include <benchmark/benchmark.h>

#include <fcntl.h>

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <thread>
#include <vector>
#include <unistd.h>

#include "api.hpp"
#include "http_server.hpp"
#include "screenreel/archive/activity.hpp"
#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/jpeg.hpp"
#include "screenreel/archive/session_files.hpp"
#include "screenreel/archive/sqlite_catalog.hpp"
#include "viewer.hpp"

namespace {
namespace fs = std::filesystem;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using namespace screenreel;

constexpr int kSessions = 1000;
constexpr std::int64_t kRows = 1'000'000;
constexpr std::int64_t kHourFrames = 108'000;  // one hour at 30 fps
constexpr int kFiles = 200;                     // real 1920x1080 JPEGs, in the last session
constexpr std::int64_t kStartUs = 1'764'000'000'000'000;

struct Archive {
  fs::path root;
  std::int64_t hour_session = 0, files_session = 0;
  std::vector<std::string> files;  // paths of the real frame files
  std::uint64_t file_bytes = 0;

  Archive() {
    root = fs::temp_directory_path() / ("screenreel-serve-bench-" + std::to_string(::getpid()));
    fs::create_directories(root / "sessions");
    ArchivePaths paths(root);
    SqliteCatalog catalog(paths.catalog(), SqliteCatalog::Mode::kReadWrite);
    const std::int64_t per_session = (kRows - kHourFrames) / (kSessions - 1);
    std::vector<FrameRecord> rows;
    JpegEncoder jpeg(90);
    for (int i = 0; i < kSessions; ++i) {
      NewSession n;
      n.name = (i % 10 == 0 ? "standup " : "session ") + std::to_string(i);
      n.client_address = "127.0.0.1:40000";
      n.source = "test-pattern 1920x1080";
      n.width = 1920;
      n.height = 1080;
      n.fps = 30;
      n.started_us = kStartUs + std::int64_t{i} * 7'200'000'000;
      const SessionRecord s = catalog.create_session(n);
      const bool hour = i == kSessions / 2, with_files = i == kSessions - 1;
      if (hour) hour_session = s.id;
      if (with_files) files_session = s.id;
      const std::int64_t count = hour ? kHourFrames : with_files ? kFiles : per_session;
      fs::create_directory(paths.session(s.folder));
      rows.clear();
      for (std::int64_t seq = 1; seq <= count; ++seq) {
        FrameRecord r;
        r.session_id = s.id;
        r.seq = seq;
        r.tick = seq;
        r.capture_us = n.started_us + seq * 33'333;
        r.receive_us = r.capture_us + 2'000;
        r.written_us = r.capture_us + 10'000;
        r.file = frame_file_name(static_cast<std::uint64_t>(seq));
        r.width = n.width;
        r.height = n.height;
        r.jpeg_bytes = 150'000;
        // A screen that changes in bursts: a second of typing every ten seconds.
        const bool busy = (seq / 30) % 10 == 0;
        r.activity = FrameActivity{busy ? 0.02 : 0.0, busy ? 12 : 0};
        if (with_files) {
          // A real screen-like frame: flat areas, text-like noise in a band that moves.
          cv::Mat bgrx(1080, 1920, CV_8UC4, cv::Scalar(40, 40, 40, 255));
          cv::randu(bgrx(cv::Rect(0, static_cast<int>(seq * 5 % 900), 1920, 180)), 0, 255);
          const auto bytes = jpeg.encode_bgrx(bgrx.data, 1920, 1080, bgrx.step);
          write_file_atomic(paths.session(s.folder), r.file, bytes);
          r.jpeg_bytes = static_cast<std::int64_t>(bytes.size());
          files.push_back((paths.session(s.folder) / r.file).string());
          file_bytes += bytes.size();
        }
        rows.push_back(std::move(r));
        if (rows.size() == 20'000) {
          catalog.add_frames(rows);
          rows.clear();
        }
      }
      catalog.add_frames(rows);
      catalog.end_session(s.id, n.started_us + count * 33'333 + 50'000, "client");
    }
  }
  ~Archive() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
};

Archive& archive() {
  static Archive a;
  return a;
}

// serve's answers, in this process: the reader and the viewer the command makes.
struct Served {
  std::unique_ptr<CatalogReader> catalog = open_catalog_reader(ArchivePaths(archive().root).catalog());
  replay::serve::Viewer viewer{*catalog, ArchivePaths(archive().root), std::string(), std::nullopt};

  std::size_t get(const std::string& target) {
    replay::serve::Request r{http::verb::get, target, 11};
    const auto answer = viewer.answer(r);
    if (answer.response.result() != http::status::ok)
      throw std::runtime_error(target + ": " + answer.response.body());
    return answer.response.body().size();
  }
};

void BM_SessionsPage(benchmark::State& state) {
  Served s;
  const std::string target = "/api/sessions?limit=50&offset=" + std::to_string(state.range(0));
  std::size_t bytes = 0;
  for (auto _ : state) bytes = s.get(target);
  state.counters["json_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_SessionsPage)->Arg(0)->Arg(900)->Unit(benchmark::kMillisecond);

void BM_SessionsFiltered(benchmark::State& state) {
  Served s;
  for (auto _ : state) s.get("/api/sessions?limit=50&name=STANDUP");
}
BENCHMARK(BM_SessionsFiltered)->Unit(benchmark::kMillisecond);

void BM_OneHourTimeline(benchmark::State& state) {
  Served s;
  const std::string target = "/api/sessions/" + std::to_string(archive().hour_session) + "/timeline";
  std::size_t bytes = 0;
  for (auto _ : state) bytes = s.get(target);
  state.counters["json_bytes"] = static_cast<double>(bytes);
  state.counters["rows"] = static_cast<double>(kHourFrames);
}
BENCHMARK(BM_OneHourTimeline)->Unit(benchmark::kMillisecond);

void BM_NextChange(benchmark::State& state) {
  Served s;
  // From a still stretch: the next change is 270 frames on.
  const std::string target = "/api/sessions/" + std::to_string(archive().hour_session) + "/change?after=54030";
  for (auto _ : state) s.get(target);
}
BENCHMARK(BM_NextChange)->Unit(benchmark::kMillisecond);

std::string frame_target(int n) {
  return "/api/frames/" + std::to_string(archive().files_session) + "/" + std::to_string(n % kFiles + 1) + ".jpg";
}

void BM_FrameAnswer(benchmark::State& state) {
  Served s;
  int n = 0;
  for (auto _ : state) {
    const replay::serve::Answer a = s.viewer.answer(replay::serve::Request{http::verb::get, frame_target(n++), 11});
    if (!a.file) throw std::runtime_error("no frame file: " + a.response.body());
    benchmark::DoNotOptimize(a.file.size());
  }
  state.counters["frames/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_FrameAnswer)->UseRealTime();

// One frame over HTTP as a lean client takes it (as `curl -o /dev/null` does): the header parsed
// by Beast, the body read from the socket into a buffer used again for the next frame, so the
// client copies each byte once, as `cat` does.
std::size_t get_frame(beast::tcp_stream& stream, beast::flat_buffer& buffer, std::vector<char>& body,
                      const std::string& target, bool keep_alive) {
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.keep_alive(keep_alive);
  http::write(stream, req);
  http::response_parser<http::empty_body> parser;
  http::read_header(stream, buffer, parser);
  if (parser.get().result() != http::status::ok || !parser.content_length())
    throw std::runtime_error(target + ": " + std::to_string(parser.get().result_int()));
  const auto size = static_cast<std::size_t>(*parser.content_length());
  body.resize(size);
  const std::size_t have = std::min(size, buffer.size());
  asio::buffer_copy(asio::buffer(body.data(), have), buffer.data());
  buffer.consume(have);
  asio::read(stream.socket(), asio::buffer(body.data() + have, size - have));
  return size;
}

// Frames over a real socket from serve's HTTP server (its own thread): Arg 0 keep-alive, Arg 1 a
// new connection per frame.
void BM_FrameServed(benchmark::State& state) {
  const bool new_connections = state.range(0) == 1;
  Served s;
  asio::io_context io;
  replay::serve::HttpServer server(io, {asio::ip::make_address("127.0.0.1"), 0}, {},
                                   [&](const replay::serve::Request& r) { return s.viewer.answer(r); });
  std::thread runner([&] { io.run(); });
  asio::io_context client_io;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  std::vector<char> body;
  std::uint64_t bytes = 0;
  int n = 0;
  for (auto _ : state) {
    if (!stream) {
      stream.emplace(client_io);
      stream->connect(server.local_endpoint());
      buffer.clear();
    }
    bytes += get_frame(*stream, buffer, body, frame_target(n++), !new_connections);
    benchmark::DoNotOptimize(body.data());
    if (new_connections) stream.reset();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.counters["frames/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  if (stream) {
    beast::error_code ec;
    stream->socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  }
  asio::post(io, [&] { server.stop(); });
  runner.join();
}
BENCHMARK(BM_FrameServed)->Arg(0)->Arg(1)->UseRealTime();

// The same files read as `cat` reads them (the page cache warm, as for the server): opened, read
// 128 kB at a time into one buffer (cat's buffer size on Debian 12), closed.
void BM_FrameRead(benchmark::State& state) {
  const auto& files = archive().files;
  std::vector<char> piece(128 * 1024);
  std::uint64_t bytes = 0;
  int n = 0;
  for (auto _ : state) {
    const int fd = ::open(files[static_cast<std::size_t>(n++ % kFiles)].c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("cannot open a frame file");
    for (ssize_t got; (got = ::read(fd, piece.data(), piece.size())) > 0;) bytes += static_cast<std::uint64_t>(got);
    ::close(fd);
    benchmark::DoNotOptimize(piece.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.counters["frames/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_FrameRead)->UseRealTime();

// `cat` itself: one process reads all 200 files to /dev/null per iteration.
void BM_FrameCat(benchmark::State& state) {
  std::string command = "cat";
  for (const auto& f : archive().files) command += " '" + f + "'";
  command += " > /dev/null";
  for (auto _ : state)
    if (std::system(command.c_str()) != 0) throw std::runtime_error("cat failed");
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * archive().file_bytes));
  state.counters["frames/s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * kFiles), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_FrameCat)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

// Micro-benchmarks of the per-frame work: tile diff + LZ4 encode (client), decode + hash check
// (receiver), and JPEG encode with TurboJPEG against cv::imencode.
//
// Frames are real screen frames: with $DISPLAY set (scripts/bench.sh starts a scene on Xvfb),
// 60 consecutive frames are grabbed at 30 fps before the benchmarks run; without it, the test
// pattern is used and the label says so. Throughput is reported as raw pixel bytes per second.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstring>
#include <cstdlib>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <thread>

#include "screenreel/capture/source.hpp"
#include "screenreel/frame_codec.hpp"
#include "screenreel/jpeg.hpp"
#include "screenreel/wire.hpp"

namespace {
using screenreel::FrameBuffer;

struct Clip {
  std::vector<FrameBuffer> frames;
  std::string label;
};

const Clip& clip() {
  static const Clip c = [] {
    Clip out;
    screenreel::capture::SourceOptions o;
    const char* display = std::getenv("DISPLAY");
    o.kind = display && *display ? "x11" : "test-pattern";
    o.width = 1920;
    o.height = 1080;
    auto source = screenreel::capture::make_source(o);
    const char* scene = std::getenv("SCREENREEL_BENCH_SCENE");
    out.label = o.kind == "x11" ? std::string(scene ? scene : "screen") + " " + source->describe() : "test-pattern 1920x1080";
    for (std::uint64_t t = 0; t < 60; ++t) {
      const auto ref = source->grab(t);
      FrameBuffer f(ref.width, ref.height);
      for (std::uint32_t y = 0; y < ref.height; ++y)
        std::memcpy(f.row(y), ref.pixels + y * ref.stride, f.stride());
      out.frames.push_back(std::move(f));
      if (o.kind == "x11") std::this_thread::sleep_for(std::chrono::milliseconds(33));
    }
    return out;
  }();
  return c;
}

void BM_TileDiffLz4Encode(benchmark::State& state) {
  const auto& c = clip();
  const auto& first = c.frames[0];
  screenreel::FrameEncoder enc(first.width, first.height);
  std::vector<std::uint8_t> msg;
  std::size_t i = 0, wire = 0, frames = 0;
  for (auto _ : state) {
    const auto& f = c.frames[i++ % c.frames.size()];
    auto stats = enc.encode(f.pixels.data(), f.stride(), i, 0, false, false, msg);
    if (stats) wire += stats->message_bytes;
    ++frames;
    benchmark::DoNotOptimize(msg.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(frames * first.pixels.size()));
  state.counters["wire_%_of_raw"] = 100.0 * static_cast<double>(wire) / static_cast<double>(frames * first.pixels.size());
  state.SetLabel(c.label);
}
BENCHMARK(BM_TileDiffLz4Encode)->Unit(benchmark::kMillisecond);

void BM_FrameDecode(benchmark::State& state) {
  const auto& c = clip();
  const auto& first = c.frames[0];
  // Encode the clip once, as the wire would carry it (first frame whole, then changes).
  screenreel::FrameEncoder enc(first.width, first.height);
  std::vector<std::vector<std::uint8_t>> messages;
  for (std::size_t i = 0; i < c.frames.size(); ++i) {
    std::vector<std::uint8_t> m;
    if (enc.encode(c.frames[i].pixels.data(), c.frames[i].stride(), i + 1, 0, false, false, m)) messages.push_back(m);
  }
  std::size_t frames = 0;
  for (auto _ : state) {
    screenreel::FrameDecoder dec(first.width, first.height);
    for (const auto& m : messages) {
      auto body = std::span(m).subspan(screenreel::wire::kHeaderBytes);
      auto parsed = screenreel::wire::decode_body(screenreel::wire::MessageType::kFrame, body);
      if (!parsed || dec.apply(std::get<screenreel::wire::FrameView>(*parsed.value))) state.SkipWithError("decode failed");
    }
    frames += messages.size();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(frames * first.pixels.size()));
  state.SetLabel(c.label + ", " + std::to_string(messages.size()) + " frames sent of " + std::to_string(c.frames.size()));
}
BENCHMARK(BM_FrameDecode)->Unit(benchmark::kMillisecond);

void BM_JpegTurboJpeg(benchmark::State& state) {
  const auto& f = clip().frames.back();
  screenreel::JpegEncoder enc(90);
  std::size_t bytes = 0;
  for (auto _ : state) bytes = enc.encode_bgrx(f.pixels.data(), f.width, f.height, f.stride()).size();
  state.counters["jpeg_kB"] = static_cast<double>(bytes) / 1000.0;
  state.SetLabel("BGRX in, q90 4:2:0");
}
BENCHMARK(BM_JpegTurboJpeg)->Unit(benchmark::kMillisecond);

void BM_JpegOpenCvImencode(benchmark::State& state) {
  const auto& f = clip().frames.back();
  const cv::Mat bgrx(static_cast<int>(f.height), static_cast<int>(f.width), CV_8UC4,
                     const_cast<std::uint8_t*>(f.pixels.data()));
  std::vector<std::uint8_t> out;
  cv::Mat bgr;
  for (auto _ : state) {
    cv::cvtColor(bgrx, bgr, cv::COLOR_BGRA2BGR);  // imencode needs 3 channels
    cv::imencode(".jpg", bgr, out, {cv::IMWRITE_JPEG_QUALITY, 90});
  }
  state.counters["jpeg_kB"] = static_cast<double>(out.size()) / 1000.0;
  state.SetLabel("BGRX->BGR + imencode q90");
}
BENCHMARK(BM_JpegOpenCvImencode)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

// Micro-benchmarks of the per-frame work, client and receiver side: grab, tile diff + LZ4 encode,
// the compare an unchanged tick costs, decode + hash check, the receiver's frame copy, and JPEG
// encode: the changed strips only (as the receiver; from 4:2:0 planes too), the whole frame,
// TurboJPEG's tjCompress2 and cv::imencode; and the tamper-evidence chain per frame (SHA-256 of
// the JPEG + chain_link) beside the JPEG encode of the same frame, and the receiver's whole
// per-frame work (Recorder) with the chain off and on.
//
// Frames are real screen frames: with $DISPLAY set (a scene from ../shared/bench/scene.sh),
// 60 consecutive frames are grabbed at SCREENREEL_BENCH_CLIP_FPS (default 30) before the
// benchmarks run; without it, the test pattern is used and the label says so. Throughput is
// raw pixel bytes (1920x1080x4 a frame) per second. SCREENREEL_BENCH_SCENE names the scene in
// the labels. See docs/benchmarks.md for how it is run and what it measured.
#include <benchmark/benchmark.h>
#include <xxh_x86dispatch.h>  // XXH3_64bits_dispatch: the same hash, with the widest SIMD the CPU has

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <thread>
#include <time.h>
#include <turbojpeg.h>

#include "screenreel/capture/source.hpp"
#include "screenreel/protocol/frame_codec.hpp"
#include "screenreel/archive/integrity.hpp"
#include "screenreel/archive/jpeg.hpp"
#include "screenreel/protocol/wire.hpp"
#include "screenreel/receiver/recorder.hpp"
#include "screenreel/common/clock.hpp"
#include "screenreel/common/yuv420.hpp"
#include "support/yuv420_reference.hpp"

namespace {
using screenreel::FrameBuffer;

bool have_display() {
  const char* display = std::getenv("DISPLAY");
  return display && *display;
}

screenreel::capture::FrameSource& source() {
  static const std::unique_ptr<screenreel::capture::FrameSource> s = [] {
    screenreel::capture::SourceOptions o;
    o.kind = have_display() ? "x11" : "test-pattern";
    o.width = 1920;
    o.height = 1080;
    return screenreel::capture::make_source(o);
  }();
  return *s;
}

struct Clip {
  std::vector<FrameBuffer> frames;
  std::string label;
};

const Clip& clip() {
  static const Clip c = [] {
    Clip out;
    auto& src = source();
    const char* scene = std::getenv("SCREENREEL_BENCH_SCENE");
    const char* fps_env = std::getenv("SCREENREEL_BENCH_CLIP_FPS");
    const double fps = fps_env ? std::max(1.0, std::atof(fps_env)) : 30.0;
    out.label = have_display() ? std::string(scene ? scene : "screen") + " " + src.describe() : "test-pattern 1920x1080";
    const auto period = std::chrono::duration<double>(1.0 / fps);
    const auto start = std::chrono::steady_clock::now();
    for (std::uint64_t t = 0; t < 60; ++t) {
      if (have_display())
        std::this_thread::sleep_until(start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(period * t));
      const auto ref = src.grab(t);
      FrameBuffer f(ref.width, ref.height);
      for (std::uint32_t y = 0; y < ref.height; ++y) std::memcpy(f.row(y), ref.pixels + y * ref.stride, f.stride());
      out.frames.push_back(std::move(f));
    }
    return out;
  }();
  return c;
}

std::int64_t frame_bytes() { return static_cast<std::int64_t>(clip().frames[0].pixels.size()); }

// Client, per tick: one grab of the whole screen (MIT-SHM: the X server copies into our segment;
// wall time, since the X server's CPU is not ours).
void BM_Grab(benchmark::State& state) {
  auto& src = source();
  std::uint64_t t = 0;
  for (auto _ : state) benchmark::DoNotOptimize(src.grab(t++).pixels);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * src.width() * src.height() * 4);
  state.SetLabel(clip().label);
}
BENCHMARK(BM_Grab)->Unit(benchmark::kMillisecond)->UseRealTime();

// Client, per tick: compare with the last frame sent, copy and LZ4 the changed tiles, hash. The
// arguments: LZ4's acceleration (FrameEncoder::kLz4Acceleration is what the client uses), and
// copies: 1 to send scrolled content as copies (protocol 3, CopyFinder), and yuv420: 1 to send
// the tiles as 4:2:0 planes (protocol 5, --wire-pixels yuv420; the conversion back into the
// receiver's frame, which the client keeps, is in the time).
void BM_TileDiffLz4Encode(benchmark::State& state) {
  const auto& c = clip();
  const auto& first = c.frames[0];
  screenreel::FrameEncoder enc(first.width, first.height, static_cast<int>(state.range(0)));
  enc.enable_copies(state.range(1) != 0);
  enc.enable_yuv420(state.range(2) != 0);
  std::vector<std::uint8_t> msg;
  std::size_t i = 0, wire = 0, frames = 0, sent = 0, tiles_changed = 0, tiles_total = 0, copied_pixels = 0;
  for (auto _ : state) {
    const auto& f = c.frames[i++ % c.frames.size()];
    auto stats = enc.encode(f.pixels.data(), f.stride(), i, 0, false, false, msg);
    if (stats) {
      wire += stats->message_bytes;
      ++sent;
      tiles_changed += stats->tiles_changed;
      tiles_total += stats->tiles_total;
      copied_pixels += stats->copied_pixels;
    }
    ++frames;
    benchmark::DoNotOptimize(msg.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(frames) * frame_bytes());
  state.counters["wire_%_of_raw"] = 100.0 * static_cast<double>(wire) / (static_cast<double>(frames) * frame_bytes());
  state.counters["sent_%_of_ticks"] = 100.0 * static_cast<double>(sent) / static_cast<double>(frames);
  state.counters["tiles_changed_%_when_sent"] =
      tiles_total ? 100.0 * static_cast<double>(tiles_changed) / static_cast<double>(tiles_total) : 0;
  state.counters["copied_%_of_pixels"] =
      100.0 * static_cast<double>(copied_pixels) * 4 / (static_cast<double>(frames) * frame_bytes());
  state.SetLabel(c.label);
}
BENCHMARK(BM_TileDiffLz4Encode)
    ->ArgNames({"acceleration", "copies", "yuv420"})
    ->Args({1, 0, 0})
    ->Args({2, 0, 0})
    ->Args({4, 0, 0})
    ->Args({4, 1, 0})
    ->Args({4, 0, 1})
    ->Args({4, 1, 1})
    ->Unit(benchmark::kMillisecond);

// Client, an unchanged tick: the whole frame is compared with the reference and nothing is sent.
void BM_CompareUnchanged(benchmark::State& state) {
  const auto& f = clip().frames.back();
  screenreel::FrameEncoder enc(f.width, f.height);
  std::vector<std::uint8_t> msg;
  enc.encode(f.pixels.data(), f.stride(), 1, 0, false, false, msg);
  for (auto _ : state) {
    auto stats = enc.encode(f.pixels.data(), f.stride(), 2, 0, false, false, msg);
    if (stats) state.SkipWithError("an unchanged frame was sent");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * frame_bytes());
  state.SetLabel(clip().label);
}
BENCHMARK(BM_CompareUnchanged)->Unit(benchmark::kMillisecond);

// Protocol 5's 4:2:0 pixels, a whole 1920x1080 frame each way: the client's conversion of changed
// tiles to planes (and, for its copy of the receiver's frame, back), the receiver's back. impl: 0
// is the pixel-by-pixel formula (tests/support/yuv420_reference.hpp, the library before it was
// written for the vectoriser), 1 the library's rows.
void BM_Yuv420FromBgrx(benchmark::State& state) {
  const auto& f = clip().frames.back();
  std::vector<std::uint8_t> planes(screenreel::Yuv420Layout{f.width, f.height}.bytes());
  for (auto _ : state) {
    if (state.range(0) == 0)
      screenreel::test::yuv420_reference::bgrx_to_yuv420(f.pixels.data(), f.stride(), f.width, f.height, planes.data());
    else
      screenreel::bgrx_to_yuv420(f.pixels.data(), f.stride(), f.width, f.height, planes.data());
    benchmark::DoNotOptimize(planes.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * frame_bytes());
}
BENCHMARK(BM_Yuv420FromBgrx)->ArgName("impl")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_Yuv420ToBgrx(benchmark::State& state) {
  const auto& f = clip().frames.back();
  std::vector<std::uint8_t> planes(screenreel::Yuv420Layout{f.width, f.height}.bytes());
  std::vector<std::uint8_t> out(f.pixels.size());
  screenreel::bgrx_to_yuv420(f.pixels.data(), f.stride(), f.width, f.height, planes.data());
  for (auto _ : state) {
    if (state.range(0) == 0)
      screenreel::test::yuv420_reference::yuv420_to_bgrx(planes.data(), f.width, f.height, out.data(), f.stride());
    else
      screenreel::yuv420_to_bgrx(planes.data(), f.width, f.height, out.data(), f.stride());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * frame_bytes());
}
BENCHMARK(BM_Yuv420ToBgrx)->ArgName("impl")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// Both sides, per frame sent: XXH3-64 of the whole frame (FRAME pixel_hash).
void BM_PixelHash(benchmark::State& state) {
  const auto& f = clip().frames.back();
  for (auto _ : state) benchmark::DoNotOptimize(screenreel::pixel_hash(f));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * frame_bytes());
}
BENCHMARK(BM_PixelHash)->Unit(benchmark::kMillisecond);

// The same XXH3-64 through libxxhash's runtime dispatch (AVX2 / AVX-512 where the CPU has them;
// plain XXH3_64bits in Debian's library is the SSE2 build). Same value, checked.
void BM_PixelHashDispatch(benchmark::State& state) {
  const auto& f = clip().frames.back();
  if (XXH3_64bits_dispatch(f.pixels.data(), f.pixels.size()) != screenreel::pixel_hash(f))
    state.SkipWithError("the dispatched XXH3 differs");
  for (auto _ : state) benchmark::DoNotOptimize(XXH3_64bits_dispatch(f.pixels.data(), f.pixels.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * frame_bytes());
}
BENCHMARK(BM_PixelHashDispatch)->Unit(benchmark::kMillisecond);

// The clip as the wire carries it: the frames the client sends (first whole, then changes),
// each with the frame it rebuilds and the rectangles the receiver gets.
struct SentFrame {
  std::vector<std::uint8_t> message;
  const FrameBuffer* pixels;
  std::vector<screenreel::PixelRect> changed;
};
const std::vector<SentFrame>& sent_frames() {
  static const std::vector<SentFrame> sent = [] {
    const auto& c = clip();
    screenreel::FrameEncoder enc(c.frames[0].width, c.frames[0].height);
    std::vector<SentFrame> out;
    for (std::size_t i = 0; i < c.frames.size(); ++i) {
      SentFrame f{{}, &c.frames[i], {}};
      if (!enc.encode(c.frames[i].pixels.data(), c.frames[i].stride(), i + 1, 0, false, false, f.message)) continue;
      auto parsed = screenreel::wire::decode_body(screenreel::wire::MessageType::kFrame,
                                                  std::span(f.message).subspan(screenreel::wire::kHeaderBytes));
      for (const auto& r : std::get<screenreel::wire::FrameView>(*parsed).rects) f.changed.push_back(r.area());
      out.push_back(std::move(f));
    }
    return out;
  }();
  return sent;
}

// Receiver, per frame: parse the FRAME, LZ4-decode its rectangles into the frame, check the hash.
void BM_FrameDecode(benchmark::State& state) {
  const auto& c = clip();
  const auto& first = c.frames[0];
  std::vector<std::vector<std::uint8_t>> messages;
  for (const auto& f : sent_frames()) messages.push_back(f.message);
  std::size_t frames = 0;
  for (auto _ : state) {
    screenreel::FrameDecoder dec(first.width, first.height);
    for (const auto& m : messages) {
      auto body = std::span(m).subspan(screenreel::wire::kHeaderBytes);
      auto parsed = screenreel::wire::decode_body(screenreel::wire::MessageType::kFrame, body);
      if (!parsed || !dec.apply(std::get<screenreel::wire::FrameView>(*parsed))) state.SkipWithError("decode failed");
    }
    frames += messages.size();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(frames) * frame_bytes());
  state.counters["time_per_frame"] =
      benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.SetLabel(c.label + ", " + std::to_string(messages.size()) + " frames sent of " + std::to_string(c.frames.size()));
}
BENCHMARK(BM_FrameDecode)->Unit(benchmark::kMillisecond);

// Receiver, per frame: the decoded frame is copied into a buffer of its own for the JPEG
// encoders and the window (Connection::on_frame).
void BM_FrameCopy(benchmark::State& state) {
  const auto& f = clip().frames.back();
  FrameBuffer dst(f.width, f.height);
  for (auto _ : state) {
    std::memcpy(dst.pixels.data(), f.pixels.data(), f.pixels.size());
    benchmark::DoNotOptimize(dst.pixels.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * frame_bytes());
}
BENCHMARK(BM_FrameCopy)->Unit(benchmark::kMillisecond);

// Distinct frames of the clip (a still screen repeats one), so a JPEG benchmark sees the scene.
std::vector<const FrameBuffer*> distinct_frames() {
  std::vector<const FrameBuffer*> out;
  for (const auto& f : clip().frames)
    if (out.empty() || screenreel::pixel_hash(*out.back()) != screenreel::pixel_hash(f)) out.push_back(&f);
  return out;
}

// Receiver, per frame sent: the frame's JPEG from the strips its rectangles touch and the
// previous frame's strips (Recorder::store). The first frame (all strips) is coded outside the
// timing; the clip is then replayed from its second frame.
void BM_JpegChangedStrips(benchmark::State& state) {
  const auto& sent = sent_frames();
  screenreel::JpegEncoder enc(90);
  screenreel::JpegStrips strips;
  std::vector<std::uint8_t> out;
  const auto code = [&](const SentFrame& f) {
    const auto& p = *f.pixels;
    strips.update(enc.encode_strips(p.pixels.data(), p.width, p.height, p.stride(), f.changed));
    strips.write({}, out);
  };
  // How many strips each frame codes, counted here, outside the timing.
  std::vector<std::size_t> strips_coded;
  for (const auto& f : sent) {
    const screenreel::JpegStripGrid grid(f.pixels->width, f.pixels->height);
    std::vector<std::uint8_t> marks(grid.size());
    for (const auto& r : f.changed) grid.mark(r, marks);
    strips_coded.push_back(static_cast<std::size_t>(std::count(marks.begin(), marks.end(), 1)));
  }
  const std::size_t strips_total = screenreel::JpegStripGrid(sent[0].pixels->width, sent[0].pixels->height).size();
  std::size_t i = 0, frames = 0, bytes = 0, coded = 0;
  for (auto _ : state) {
    if (i % sent.size() == 0) {
      state.PauseTiming();
      code(sent[0]);
      ++i;
      state.ResumeTiming();
    }
    const std::size_t k = i++ % sent.size();
    code(sent[k]);
    coded += strips_coded[k];
    bytes += out.size();
    ++frames;
  }
  if (sent.size() < 2) state.SkipWithError("the clip has one distinct frame: nothing changes");
  state.SetBytesProcessed(static_cast<std::int64_t>(frames) * frame_bytes());
  state.counters["jpeg_kB"] = static_cast<double>(bytes) / 1000.0 / static_cast<double>(frames);
  state.counters["strips_coded_%"] =
      100.0 * static_cast<double>(coded) / static_cast<double>(frames * strips_total);
  state.SetLabel(clip().label + ", " + std::to_string(sent.size() - 1) + " frames after the first");
}
BENCHMARK(BM_JpegChangedStrips)->Unit(benchmark::kMillisecond);

// Receiver, per frame sent, in a 4:2:0 session (--wire-pixels yuv420, protocol 5; issue 19): the
// frame's JPEG of its changed strips as BM_JpegChangedStrips, from the planes the client sent.
// source 0: from BGRX, as before issue 19: the changed tiles' planes converted to BGRX (the
// decoder's yuv420_to_bgrx), then encode_strips (libjpeg converts them back); 1: from the planes
// (encode_strips_yuv420, libjpeg's raw data in; the decoder still converts the tiles for the
// window and OCR, outside this). The planes of each frame are made outside the timing. Counters:
// the last frame's stored JPEG against the screen (PSNR), the other source's JPEG of it against
// the screen, and the two JPEGs against each other.
// PSNR (dB) of BGR pixels against BGRX ones of the same size.
double psnr_bgr_bgrx(const std::vector<std::uint8_t>& bgr, const std::vector<std::uint8_t>& bgrx) {
  double se = 0;
  const std::size_t n = bgrx.size() / 4;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t c = 0; c < 3; ++c) {
      const double d = static_cast<double>(bgr[i * 3 + c]) - static_cast<double>(bgrx[i * 4 + c]);
      se += d * d;
    }
  return se == 0 ? 99.0 : 10.0 * std::log10(255.0 * 255.0 * static_cast<double>(n * 3) / se);
}

void BM_JpegChangedStripsYuv420(benchmark::State& state) {
  const bool planes_in = state.range(0) != 0;
  const auto& sent = sent_frames();
  const std::uint32_t w = sent[0].pixels->width, h = sent[0].pixels->height;
  const screenreel::Yuv420Layout layout{w, h};
  // Each frame's planes (the receiver's mirror of them) and its changed tiles' planes, one after
  // the other, as the wire carries them.
  std::vector<std::vector<std::uint8_t>> planes, tiles;
  for (const auto& f : sent) {
    planes.emplace_back(layout.bytes());
    screenreel::bgrx_to_yuv420(f.pixels->pixels.data(), f.pixels->stride(), w, h, planes.back().data());
    auto& t = tiles.emplace_back();
    for (const auto& r : f.changed) {
      const screenreel::Yuv420Layout l{static_cast<std::uint32_t>(r.w), static_cast<std::uint32_t>(r.h)};
      t.resize(t.size() + l.bytes());
      screenreel::bgrx_to_yuv420(f.pixels->row(static_cast<std::uint32_t>(r.y)) + std::size_t(r.x) * 4,
                                 f.pixels->stride(), l.width, l.height, t.data() + t.size() - l.bytes());
    }
  }
  FrameBuffer frame(w, h);  // the receiver's BGRX frame (source 0)
  screenreel::JpegEncoder enc(90);
  screenreel::JpegStrips strips;
  std::vector<std::uint8_t> out;
  const auto code = [&](std::size_t k) {
    const auto& f = sent[k];
    if (planes_in) {
      strips.update(enc.encode_strips_yuv420(planes[k].data(), w, h, f.changed));
    } else {
      const std::uint8_t* t = tiles[k].data();
      for (const auto& r : f.changed) {
        const screenreel::Yuv420Layout l{static_cast<std::uint32_t>(r.w), static_cast<std::uint32_t>(r.h)};
        screenreel::yuv420_to_bgrx(t, l.width, l.height,
                                   frame.row(static_cast<std::uint32_t>(r.y)) + std::size_t(r.x) * 4, frame.stride());
        t += l.bytes();
      }
      strips.update(enc.encode_strips(frame.pixels.data(), w, h, frame.stride(), f.changed));
    }
    strips.write({}, out);
  };
  std::size_t i = 0, frames = 0, bytes = 0;
  for (auto _ : state) {
    if (i % sent.size() == 0) {  // the first frame (all strips) outside the timing
      state.PauseTiming();
      code(i++ % sent.size());
      state.ResumeTiming();
    }
    code(i++ % sent.size());
    bytes += out.size();
    ++frames;
  }
  if (sent.size() < 2) state.SkipWithError("the clip has one distinct frame: nothing changes");
  state.SetBytesProcessed(static_cast<std::int64_t>(frames) * frame_bytes());
  state.counters["jpeg_kB"] = static_cast<double>(bytes) / 1000.0 / static_cast<double>(frames);
  // What is stored: the last frame's JPEG, decoded, against the screen, and against the JPEG the
  // other source gives (the whole frame coded both ways, outside the timing).
  const std::size_t last = (i - 1) % sent.size();
  const auto& screen = sent[last].pixels->pixels;
  const auto other = [&] {
    const screenreel::PixelRect all{0, 0, static_cast<std::int32_t>(w), static_cast<std::int32_t>(h)};
    screenreel::JpegEncoder e(90);
    screenreel::JpegStrips s;
    if (planes_in) {
      std::vector<std::uint8_t> back(screen.size());
      screenreel::yuv420_to_bgrx(planes[last].data(), w, h, back.data(), std::size_t{w} * 4);
      s.update(e.encode_strips(back.data(), w, h, std::size_t{w} * 4, std::span(&all, 1)));
    } else {
      s.update(e.encode_strips_yuv420(planes[last].data(), w, h, std::span(&all, 1)));
    }
    std::vector<std::uint8_t> jpeg;
    s.write({}, jpeg);
    return screenreel::decode_jpeg_bgr(jpeg);
  }();
  const auto stored = screenreel::decode_jpeg_bgr(out);
  if (stored && other) {
    state.counters["psnr_vs_screen_dB"] = psnr_bgr_bgrx(stored->bgr, screen);
    state.counters["psnr_other_vs_screen_dB"] = psnr_bgr_bgrx(other->bgr, screen);
    std::vector<std::uint8_t> other_bgrx(screen.size(), 0);
    for (std::size_t p = 0; p < screen.size() / 4; ++p) std::copy_n(&other->bgr[p * 3], 3, &other_bgrx[p * 4]);
    state.counters["psnr_vs_other_dB"] = psnr_bgr_bgrx(stored->bgr, other_bgrx);
  }
  state.SetLabel(clip().label + ", " + std::to_string(sent.size() - 1) + " frames after the first");
}
BENCHMARK(BM_JpegChangedStripsYuv420)->ArgName("planes")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// The whole frame (a key frame, or --every-frame's first): JpegEncoder::encode_bgrx.
void BM_JpegWholeFrame(benchmark::State& state) {
  const auto frames = distinct_frames();
  screenreel::JpegEncoder enc(90);
  std::size_t i = 0, bytes = 0;
  for (auto _ : state) {
    const FrameBuffer& f = *frames[i++ % frames.size()];
    bytes += enc.encode_bgrx(f.pixels.data(), f.width, f.height, f.stride()).size();
  }
  state.counters["jpeg_kB"] = static_cast<double>(bytes) / 1000.0 / static_cast<double>(state.iterations());
  state.SetLabel("BGRX in, q90 4:2:0, IFAST DCT, restart per strip (as the receiver), " +
                 std::to_string(frames.size()) + " distinct frames");
}
BENCHMARK(BM_JpegWholeFrame)->Unit(benchmark::kMillisecond);

// The same frames through TurboJPEG's tjCompress2 (no restart markers): the floor per frame.
void BM_JpegTurboJpeg(benchmark::State& state) {
  const auto frames = distinct_frames();
  tjhandle tj = tjInitCompress();
  std::vector<unsigned char> buffer(tjBufSize(1920 * 2, 1080 * 2, TJSAMP_420));
  std::size_t i = 0, bytes = 0;
  for (auto _ : state) {
    const FrameBuffer& f = *frames[i++ % frames.size()];
    unsigned char* out = buffer.data();
    unsigned long size = buffer.size();
    if (tjCompress2(tj, f.pixels.data(), static_cast<int>(f.width), static_cast<int>(f.stride()),
                    static_cast<int>(f.height), TJPF_BGRX, &out, &size, TJSAMP_420, 90,
                    TJFLAG_NOREALLOC | TJFLAG_FASTDCT) != 0)
      state.SkipWithError(tjGetErrorStr2(tj));
    bytes += size;
  }
  tjDestroy(tj);
  state.counters["jpeg_kB"] = static_cast<double>(bytes) / 1000.0 / static_cast<double>(state.iterations());
  state.SetLabel("tjCompress2 BGRX, q90 4:2:0, FASTDCT, " + std::to_string(frames.size()) + " distinct frames");
}
BENCHMARK(BM_JpegTurboJpeg)->Unit(benchmark::kMillisecond);

void BM_JpegOpenCvImencode(benchmark::State& state) {
  const auto frames = distinct_frames();
  std::vector<std::uint8_t> out;
  cv::Mat bgr;
  std::size_t i = 0, bytes = 0;
  for (auto _ : state) {
    const FrameBuffer& f = *frames[i++ % frames.size()];
    const cv::Mat bgrx(static_cast<int>(f.height), static_cast<int>(f.width), CV_8UC4,
                       const_cast<std::uint8_t*>(f.pixels.data()));
    cv::cvtColor(bgrx, bgr, cv::COLOR_BGRA2BGR);  // imencode needs 3 channels
    cv::imencode(".jpg", bgr, out, {cv::IMWRITE_JPEG_QUALITY, 90});
    bytes += out.size();
  }
  state.counters["jpeg_kB"] = static_cast<double>(bytes) / 1000.0 / static_cast<double>(state.iterations());
  state.SetLabel("BGRX->BGR + imencode q90 (the Python design's path)");
}
BENCHMARK(BM_JpegOpenCvImencode)->Unit(benchmark::kMillisecond);

double cpu_seconds(clockid_t clock) {
  timespec t{};
  clock_gettime(clock, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}
// This thread's CPU time in seconds (the receiver hashes in its encoder threads).
double thread_cpu_seconds() { return cpu_seconds(CLOCK_THREAD_CPUTIME_ID); }
// All threads' (a Recorder's encoders and catalog thread).
double process_cpu_seconds() { return cpu_seconds(CLOCK_PROCESS_CPUTIME_ID); }

// Receiver, per frame stored: tamper evidence (schemas/archive-layout.md), the SHA-256 of the
// frame's JPEG file and its link in the session's chain, on the JPEGs of the clip's frames (coded
// outside the timing).
void BM_Chain(benchmark::State& state) {
  screenreel::JpegEncoder enc(90);
  std::vector<std::vector<std::uint8_t>> jpegs;
  std::size_t bytes = 0;
  for (const FrameBuffer* f : distinct_frames()) {
    const auto jpeg = enc.encode_bgrx(f->pixels.data(), f->width, f->height, f->stride());
    jpegs.emplace_back(jpeg.begin(), jpeg.end());
  }
  screenreel::Digest link = screenreel::chain_start(1);
  std::int64_t seq = 0;
  for (auto _ : state) {
    const auto& jpeg = jpegs[static_cast<std::size_t>(seq++) % jpegs.size()];
    link = screenreel::chain_link(link, screenreel::sha256(jpeg), seq, seq * 33'333);
    bytes += jpeg.size();
  }
  benchmark::DoNotOptimize(link);
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.counters["jpeg_kB"] = static_cast<double>(bytes) / 1000.0 / static_cast<double>(state.iterations());
  state.SetLabel(clip().label + ", SHA-256 of the whole JPEG + chain_link");
}
BENCHMARK(BM_Chain)->Unit(benchmark::kMicrosecond);

// The chain's share of the JPEG work, frame by frame: each iteration codes a frame whole
// (JpegEncoder::encode_bgrx, as BM_JpegWholeFrame) and chains the result; the thread CPU time of
// each part is summed apart. chain_% = chain / JPEG (issue 18's target: under 3%).
void BM_ChainShareOfJpeg(benchmark::State& state) {
  const auto frames = distinct_frames();
  screenreel::JpegEncoder enc(90);
  screenreel::Digest link = screenreel::chain_start(1);
  double jpeg_s = 0, chain_s = 0;
  std::int64_t seq = 0;
  for (auto _ : state) {
    const FrameBuffer& f = *frames[static_cast<std::size_t>(seq++) % frames.size()];
    const double t0 = thread_cpu_seconds();
    const auto jpeg = enc.encode_bgrx(f.pixels.data(), f.width, f.height, f.stride());
    const double t1 = thread_cpu_seconds();
    link = screenreel::chain_link(link, screenreel::sha256(jpeg), seq, seq * 33'333);
    const double t2 = thread_cpu_seconds();
    jpeg_s += t1 - t0;
    chain_s += t2 - t1;
  }
  benchmark::DoNotOptimize(link);
  const double n = static_cast<double>(state.iterations());
  state.counters["jpeg_ms"] = jpeg_s * 1e3 / n;
  state.counters["chain_us"] = chain_s * 1e6 / n;
  state.counters["chain_%"] = jpeg_s > 0 ? 100.0 * chain_s / jpeg_s : 0;
  state.SetLabel(clip().label + ", whole-frame JPEG then chain, thread CPU time");
}
BENCHMARK(BM_ChainShareOfJpeg)->Unit(benchmark::kMillisecond);

// Receiver, per frame stored, all of it, with the tamper-evidence chain off (chain:0, the
// benchmark hook RecorderOptions::chain) and on (chain:1): the clip's frames as sent (their
// changed rectangles) through a Recorder (copied into its buffers; in its encoder threads the
// changed strips, the JPEG, its file and, with the chain, its SHA-256; in its catalog thread the
// rows and links), one session an iteration into a fresh archive under /tmp. cpu_ms_frame is the
// process's CPU time (all threads) per frame from the first submit to the session's end; the
// archive's setup and removal are outside. Run both with --benchmark_enable_random_interleaving.
void BM_RecorderFrame(benchmark::State& state) {
  namespace rx = screenreel::receiver;
  const auto& sent = sent_frames();
  rx::RecorderOptions options;
  options.min_free_bytes = 0;
  options.chain = state.range(0) != 0;
  double cpu_s = 0;
  std::size_t frames = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const std::filesystem::path dir = [] {
      std::string tmpl = (std::filesystem::temp_directory_path() / "screenreel-bench-XXXXXX").string();
      return std::filesystem::path(::mkdtemp(tmpl.data()));
    }();
    {
      rx::Recorder recorder(screenreel::ArchivePaths(dir), options);
      const auto& first = *sent[0].pixels;
      auto session = recorder.open_session(
          screenreel::NewSession{"bench", "bench", "bench", first.width, first.height, 30, screenreel::wall_clock_us()});
      std::mutex m;
      std::condition_variable cv;
      std::int64_t stored = -1;
      const double t0 = process_cpu_seconds();
      state.ResumeTiming();
      std::int64_t tick = 0;
      for (const auto& f : sent) {
        auto buffer = recorder.acquire_buffer(f.pixels->width, f.pixels->height);
        std::memcpy(buffer->pixels.data(), f.pixels->pixels.data(), f.pixels->pixels.size());
        const std::int64_t t = ++tick * 33'333;
        if (!session->submit(rx::FrameJob{tick, t, t, std::move(buffer), false, f.changed}, [](std::uint64_t) {}))
          state.SkipWithError("the session stopped recording");
      }
      session->close("client", "", 0, [&](std::int64_t n) {
        std::lock_guard lock(m);
        stored = n;
        cv.notify_all();
      });
      {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return stored >= 0; });
      }
      state.PauseTiming();
      cpu_s += process_cpu_seconds() - t0;
      frames += static_cast<std::size_t>(stored);
    }
    std::filesystem::remove_all(dir);
    state.ResumeTiming();
  }
  state.counters["cpu_ms_frame"] = frames ? cpu_s * 1e3 / static_cast<double>(frames) : 0;
  state.SetLabel(clip().label + ", " + std::to_string(sent.size()) + " frames a session, chain " +
                 (options.chain ? "on" : "off"));
}
BENCHMARK(BM_RecorderFrame)->ArgName("chain")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

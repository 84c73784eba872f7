#include "capture_loop.hpp"

#include <chrono>
#include <memory>
#include <thread>

#include "screenreel/common/clock.hpp"
#include "jpeg_strip_coder.hpp"
#include "screenreel/protocol/frame_codec.hpp"

namespace screenreel::capture {
namespace {

// The run of ticks skipped for one cause, told when the cause changes or a frame comes.
class SkipRun {
 public:
  explicit SkipRun(const EventOut& events) : events_(events) {}
  void add(wire::SkipCause cause, std::uint64_t first, std::uint64_t last) {
    if (run_.first_tick != 0 && run_.cause == cause && run_.last_tick + 1 == first) {
      run_.last_tick = last;
      return;
    }
    flush();
    run_ = {first, last, cause};
  }
  void flush() {
    if (run_.first_tick != 0) events_(run_);
    run_.first_tick = 0;
  }

 private:
  const EventOut& events_;
  wire::Skipped run_;
};

}  // namespace

CaptureEnd capture_loop(const CaptureConfig& config, FrameSource& source,
                        KeyFrameSchedule& key_frames, const std::atomic<bool>& stop,
                        LiveCounts& live, const FrameOut& out, const EventOut& events,
                        const std::atomic<bool>& copies, const std::atomic<int>& jpeg_quality,
                        const std::atomic<bool>& yuv420, RateControl& rate, WindowList* windows) {
  using Clock = KeyFrameSchedule::Clock;
  CaptureEnd end;
  std::uint32_t w = source.width(), h = source.height();
  bool copying = copies.load();
  const auto quality_now = [&] { return config.wire == WireMode::kLossless ? 0 : jpeg_quality.load(); };
  int quality = quality_now();
  bool planes = yuv420.load();
  std::unique_ptr<JpegStripCoder> coder;
  const auto make_encoder = [&] {
    auto e = std::make_unique<FrameEncoder>(w, h);
    e->enable_copies(copying);
    e->enable_yuv420(planes);
    coder = quality > 0 ? std::make_unique<JpegStripCoder>(quality) : nullptr;
    if (coder)
      e->enable_jpeg(coder.get(), [&rate] { return rate.plan(); });
    return e;
  };
  auto encoder = make_encoder();
  const auto period =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / config.fps));
  const auto start = Clock::now();
  std::uint64_t& tick = end.ticks;
  SkipRun skipped(events);
  bool paused = false;
  try {
    while (!stop) {
      const auto due = start + period * static_cast<Clock::rep>(tick);
      std::this_thread::sleep_until(due);
      if (stop) break;
      const auto now = Clock::now();
      if (config.duration_s > 0 && now - start >= std::chrono::duration<double>(config.duration_s))
        break;
      // Fell behind by more than a tick (a slow grab, a busy machine): skip to the current
      // tick and count the ones missed, rather than bursting to catch up.
      const auto behind = static_cast<std::uint64_t>((now - due) / period);
      if (behind > 0 && paused) {  // nothing would have been read anyway
        end.paused += behind;
        skipped.add(wire::SkipCause::kPaused, tick + 1, tick + behind);
        tick += behind;
      } else if (behind > 0) {
        end.dropped += behind;
        live.late.fetch_add(behind);
        skipped.add(wire::SkipCause::kFlowControl, tick + 1, tick + behind);
        tick += behind;
      }
      ++tick;
      if (live.paused.load() != paused) {  // the pause (or its end) takes effect at this tick
        paused = !paused;
        skipped.flush();
        if (paused)
          events(wire::Pause{tick, wall_clock_us(), {}});
        else
          events(wire::Resume{tick, wall_clock_us()});
      }
      if (paused) {  // nothing is read
        ++end.paused;
        skipped.add(wire::SkipCause::kPaused, tick, tick);
        live.done_tick.store(tick);
        continue;
      }
      // Even JPEG strips do not fit the link: fewer frames, rather than a growing backlog.
      if (rate.skip_tick()) {
        ++end.dropped;
        ++end.skipped;
        live.late.fetch_add(1);
        skipped.add(wire::SkipCause::kFlowControl, tick, tick);
        live.done_tick.store(tick);
        continue;
      }
      const FrameRef ref = source.grab(tick - 1);
      const std::int64_t t_us = wall_clock_us();
      // The windows as they were at this grab: sent after the tick's frame (or its SKIPPED), as a
      // MARKER is.
      std::optional<wire::Windows> window_list;
      if (windows)
        if (auto list = windows->changed(ref.screen_x, ref.screen_y, live.windows_again.exchange(false)))
          window_list = wire::Windows{tick, t_us, std::move(*list)};
      ++end.captured;
      bool key = key_frames.due(now);
      if (copying && !copies.load()) {  // the receiver now speaks protocol 2
        copying = false;
        encoder->enable_copies(false);
        key = true;
      }
      if (yuv420.load() != planes) {  // a reconnection to a receiver that takes them, or not
        planes = !planes;
        encoder->enable_yuv420(planes);  // its next frame is a key frame
      }
      if (quality_now() != quality) {  // a reconnection to a receiver of another quality, or none
        quality = quality_now();
        encoder = make_encoder();
        key = true;
      }
      if (ref.width != w ||
          ref.height != h) {  // the screen was resized: start over with a key frame
        w = ref.width;
        h = ref.height;
        encoder = make_encoder();
        key = true;
      }
      std::vector<std::uint8_t> message;
      auto stats = encoder->encode(ref.pixels, ref.stride, tick, t_us, key, config.every_frame,
                                   message, ref.changed);
      if (!stats) {
        ++end.unchanged;
        live.unchanged.fetch_add(1);
        skipped.add(wire::SkipCause::kUnchanged, tick, tick);
        if (window_list) {
          skipped.flush();
          events(std::move(*window_list));
        }
        live.done_tick.store(tick);
        continue;
      }
      skipped.flush();
      if (stats->key) key_frames.sent(now);
      rate.learn(*stats);
      end.jpeg_frames += stats->jpeg;
      live.jpeg_frames.fetch_add(stats->jpeg);
      end.copies += stats->copies;
      end.copied_pixels += stats->copied_pixels;
      live.copies.fetch_add(stats->copies);
      live.copied_pixels.fetch_add(stats->copied_pixels);
      end.raw_bytes += std::uint64_t{w} * h * 4;
      ++end.frames;
      out(tick, t_us, stats->key, stats->copies > 0, stats->jpeg ? quality : 0, stats->yuv420, std::move(message));
      if (window_list) events(std::move(*window_list));
      live.done_tick.store(tick);
      if (config.max_frames && end.frames >= config.max_frames) {
        end.max_frames = true;
        break;
      }
    }
  } catch (const SourceGone& e) {
    end.gone = e.what();
  } catch (const std::exception& e) {
    end.error = std::string("capture failed: ") + e.what();
  }
  skipped.flush();  // the ticks after the last frame
  end.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return end;
}

}  // namespace screenreel::capture

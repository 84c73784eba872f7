// Session summaries and statistics (see session_summary.hpp).
#include "screenreel/replay/session_summary.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "screenreel/archive/archive.hpp"

namespace screenreel::replay {
namespace {

std::optional<Spread> spread(std::vector<std::int64_t> v) {
  if (v.empty()) return std::nullopt;
  Spread s;
  s.mean = static_cast<double>(std::accumulate(v.begin(), v.end(), std::int64_t{0})) /
           static_cast<double>(v.size());
  std::sort(v.begin(), v.end());
  s.min = v.front();
  s.max = v.back();
  s.median = v[v.size() / 2];
  return s;
}

}  // namespace

std::string session_status(const SessionRecord& s, bool receiver_running) {
  if (s.recording()) return receiver_running ? "recording" : "interrupted";
  if (s.end_reason == "receiver") return "ended by receiver";
  if (s.end_reason == "client") return "ended by client";
  return s.end_reason;  // disconnected, error, crashed
}

SessionSummary summarize(CatalogReader& catalog, const SessionRecord& s, bool receiver_running) {
  return summarize(s, catalog.frame_times(s.id), receiver_running);
}

SessionSummary summarize(const SessionRecord& s, const FrameTimes& times, bool receiver_running) {
  SessionSummary sum;
  sum.record = s;
  sum.status = session_status(s, receiver_running);
  sum.first_capture_us = times.first_capture_us;
  sum.last_capture_us = times.last_capture_us;
  std::int64_t end = s.started_us;
  if (s.ended_us) {
    end = *s.ended_us;
  } else if (receiver_running) {
    end = wall_clock_us();
  } else if (times.last_written_us) {
    end = *times.last_written_us;
  }
  sum.duration_us = std::max<std::int64_t>(0, end - s.started_us);
  if (s.frame_count >= 2 && sum.first_capture_us && sum.last_capture_us &&
      *sum.last_capture_us > *sum.first_capture_us)
    sum.average_fps = static_cast<double>(s.frame_count - 1) * 1e6 /
                      static_cast<double>(*sum.last_capture_us - *sum.first_capture_us);
  return sum;
}

FrameStats frame_stats(CatalogReader& catalog, std::int64_t session_id) {
  FrameStats stats;
  std::vector<std::int64_t> intervals, to_receive, to_written, to_displayed;
  std::optional<std::int64_t> prev_tick, prev_capture;
  catalog.for_each_frame(session_id, [&](const FrameRecord& f) {
    const std::int64_t tick = f.tick, capture = f.capture_us;
    to_receive.push_back(f.receive_us - capture);
    to_written.push_back(f.written_us - capture);
    if (f.displayed_us) to_displayed.push_back(*f.displayed_us - capture);
    if (prev_capture) intervals.push_back(capture - *prev_capture);
    if (prev_tick)
      stats.ticks_not_sent += std::max<std::int64_t>(0, tick - *prev_tick - 1);
    else
      stats.first_tick = tick;
    stats.last_tick = tick;
    prev_tick = tick;
    prev_capture = capture;
  });
  stats.interval_us = spread(std::move(intervals));
  stats.capture_to_receive_us = spread(std::move(to_receive));
  stats.capture_to_written_us = spread(std::move(to_written));
  stats.displayed = static_cast<std::int64_t>(to_displayed.size());
  stats.capture_to_displayed_us = spread(std::move(to_displayed));
  return stats;
}

double median_fps(const FrameStats& stats, const SessionRecord& s) {
  double fps = s.fps > 0 ? s.fps : 30;
  if (stats.interval_us && stats.interval_us->median > 0) {
    const double measured = 1e6 / static_cast<double>(stats.interval_us->median);
    // Clocks jitter: a session asked for 30 fps whose median is 29.9994 exports at 30.
    if (s.fps <= 0 || std::abs(measured - s.fps) > 0.01 * s.fps) fps = measured;
  }
  return std::clamp(fps, 1.0, 240.0);
}

}  // namespace screenreel::replay

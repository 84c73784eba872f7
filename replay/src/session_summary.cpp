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

std::optional<std::int64_t> one_value(Catalog& catalog, const char* sql, std::int64_t session_id) {
  auto q = catalog.db().prepare(sql);
  q.bind(1, session_id);
  if (!q.step()) return std::nullopt;
  return q.opt_int64(0);
}

}  // namespace

std::string session_status(const SessionRecord& s, bool receiver_running) {
  if (s.recording()) return receiver_running ? "recording" : "interrupted";
  if (s.end_reason == "receiver") return "ended by receiver";
  if (s.end_reason == "client") return "ended by client";
  return s.end_reason;  // disconnected, error, crashed
}

SessionSummary summarize(Catalog& catalog, const SessionRecord& s, bool receiver_running) {
  SessionSummary sum;
  sum.record = s;
  sum.status = session_status(s, receiver_running);
  // min() and max() of an indexed column are single index lookups in SQLite.
  sum.first_capture_us =
      one_value(catalog, "SELECT min(capture_us) FROM frames WHERE session_id = ?", s.id);
  sum.last_capture_us =
      one_value(catalog, "SELECT max(capture_us) FROM frames WHERE session_id = ?", s.id);
  std::int64_t end = s.started_us;
  if (s.ended_us) {
    end = *s.ended_us;
  } else if (receiver_running) {
    end = wall_clock_us();
  } else if (auto last = one_value(
                 catalog,
                 "SELECT written_us FROM frames WHERE session_id = ? ORDER BY seq DESC LIMIT 1",
                 s.id)) {
    end = *last;
  }
  sum.duration_us = std::max<std::int64_t>(0, end - s.started_us);
  if (s.frame_count >= 2 && sum.first_capture_us && sum.last_capture_us &&
      *sum.last_capture_us > *sum.first_capture_us)
    sum.average_fps = static_cast<double>(s.frame_count - 1) * 1e6 /
                      static_cast<double>(*sum.last_capture_us - *sum.first_capture_us);
  return sum;
}

FrameStats frame_stats(Catalog& catalog, std::int64_t session_id) {
  FrameStats stats;
  std::vector<std::int64_t> intervals, to_receive, to_written, to_displayed;
  auto q = catalog.db().prepare(
      "SELECT tick, capture_us, receive_us, written_us, displayed_us FROM frames "
      "WHERE session_id = ? ORDER BY seq");
  q.bind(1, session_id);
  std::optional<std::int64_t> prev_tick, prev_capture;
  while (q.step()) {
    const std::int64_t tick = q.int64(0), capture = q.int64(1);
    to_receive.push_back(q.int64(2) - capture);
    to_written.push_back(q.int64(3) - capture);
    if (!q.is_null(4)) to_displayed.push_back(q.int64(4) - capture);
    if (prev_capture) intervals.push_back(capture - *prev_capture);
    if (prev_tick)
      stats.ticks_not_sent += std::max<std::int64_t>(0, tick - *prev_tick - 1);
    else
      stats.first_tick = tick;
    stats.last_tick = tick;
    prev_tick = tick;
    prev_capture = capture;
  }
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

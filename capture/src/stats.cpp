#include "stats.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "screenreel/capture/client.hpp"
#include "screenreel/common/format.hpp"
#include "screenreel/common/terminal_text.hpp"

namespace screenreel::capture {
namespace {

// A link's rate as people say it: "48.2 Mbit/s", and "349 Gbit/s" for the kernel's view of
// loopback (no real link: its delivery rate is memory's).
std::string rate_text(double mbit) {
  char text[32];
  if (mbit >= 10'000) std::snprintf(text, sizeof text, "%.0f Gbit/s", mbit / 1000);
  else std::snprintf(text, sizeof text, "%.1f Mbit/s", mbit);
  return text;
}

}  // namespace

void LiveStats::acknowledged(std::uint64_t tick, std::int64_t now_us) {
  if (auto t = capture_times_.find(tick); t != capture_times_.end()) {
    ack_latency_ms_.push_back(static_cast<double>(now_us - t->second) / 1000.0);
    capture_times_.erase(t);
  }
}

std::string LiveStats::line(const Now& now) {
  auto& lat = ack_latency_ms_;
  std::sort(lat.begin(), lat.end());
  const double p50 = lat.empty() ? 0 : lat[lat.size() / 2],
               p99 = lat.empty() ? 0 : lat[lat.size() * 99 / 100];
  char line[400];
  const std::string elapsed = format_duration(static_cast<std::int64_t>(now.elapsed_s * 1e6), false);
  const int head = std::snprintf(line, sizeof line, "%s  stored %llu  ", elapsed.c_str(),
                                 static_cast<unsigned long long>(now.stored));
  const std::size_t at = static_cast<std::size_t>(std::max(head, 0));
  if (now.connected) {
    std::snprintf(line + at, sizeof line - at,
                  "%3llu fps  %6.2f MB/s  ack latency p50 %5.1f ms p99 %5.1f ms  unchanged %llu  "
                  "dropped %llu",
                  static_cast<unsigned long long>(now.sent - sent_),
                  static_cast<double>(now.wire_bytes - bytes_) / 1e6, p50, p99,
                  static_cast<unsigned long long>(now.unchanged),
                  static_cast<unsigned long long>(now.dropped));
    if (now.copies > 0) {
      const std::size_t used = std::strlen(line);
      std::snprintf(line + used, sizeof line - used, "  copies %llu (%.1f Mpx)",
                    static_cast<unsigned long long>(now.copies), static_cast<double>(now.copied_pixels) / 1e6);
    }
    const std::size_t used = std::strlen(line);
    std::snprintf(line + used, sizeof line - used, "  wire %s: %llu jpeg", now.wire,
                  static_cast<unsigned long long>(now.jpeg_frames - jpeg_));
    if (now.link_mbit >= 0) {
      const std::size_t more = std::strlen(line);
      std::snprintf(line + more, sizeof line - more, ", link ~%s", rate_text(now.link_mbit).c_str());
    }
  } else {
    std::snprintf(line + at, sizeof line - at, "reconnecting to %s: spool %s (%zu frames), %llu lost",
                  now.receiver.c_str(), format_megabytes(now.spool_bytes).c_str(), now.spool_frames,
                  static_cast<unsigned long long>(now.lost));
  }
  sent_ = now.sent;
  bytes_ = now.wire_bytes;
  jpeg_ = now.jpeg_frames;
  lat.clear();
  return line;
}

std::string format_summary(const CaptureSummary& s) {
  char buf[1024];
  // The tick rate (ticks read, not dropped) is one thing, the rate of frames stored another: a
  // still screen stores few frames at a full tick rate.
  const double tick_rate = s.seconds > 0 ? static_cast<double>(s.captured) / s.seconds : 0;
  const std::uint64_t frames = s.stored >= 0 ? static_cast<std::uint64_t>(s.stored) : s.sent;
  const double frame_rate = s.seconds > 0 ? static_cast<double>(frames) / s.seconds : 0;
  const std::uint64_t changed = s.captured > s.unchanged ? s.captured - s.unchanged : 0;
  const double pct =
      s.raw_bytes ? 100.0 * static_cast<double>(s.wire_bytes) / static_cast<double>(s.raw_bytes)
                  : 0;
  std::string copies;
  if (s.copies > 0)
    copies = "; " + std::to_string(s.copies) + " copy rectangles (" + std::to_string(s.copied_pixels) +
             " pixels scrolled or moved, not resent)";
  std::string wire;
  if (s.jpeg_frames > 0 || s.link_mbit >= 0) {
    char w[128];
    std::snprintf(w, sizeof w, "; %llu frames as JPEG strips, %llu ticks skipped for the link",
                  static_cast<unsigned long long>(s.jpeg_frames), static_cast<unsigned long long>(s.skipped));
    wire = w;
    if (s.link_mbit >= 0) wire += ", link estimated at " + rate_text(s.link_mbit);
  }
  std::string away;
  if (s.reconnects > 0 || s.lost > 0 || s.undelivered > 0)
    away = "; reconnected " + std::to_string(s.reconnects) +
           (s.reconnects == 1 ? " time, " : " times, ") + std::to_string(s.lost) +
           " lost from a full spool, " + std::to_string(s.undelivered) + " never stored";
  if (s.paused > 0 || s.markers > 0)
    away += "; " + std::to_string(s.paused) + " ticks paused, " + std::to_string(s.markers) +
            (s.markers == 1 ? " marker" : " markers") +
            (s.markers_not_kept ? " (" + std::to_string(s.markers_not_kept) + " not kept: the receiver's protocol has none)" : "");
  const std::string stored =
      (s.stored < 0 ? std::string("unknown") : std::to_string(s.stored)) +
      (s.protocol ? " over protocol " + std::to_string(s.protocol) : std::string());
  std::snprintf(
      buf, sizeof buf,
      "screenreel-capture: %llu frames sent, %s (%.1f%% of raw) over %.1f s: %.2f ticks/s, %.2f frames/s "
      "stored: the screen changed on %llu of %llu ticks (%llu unchanged, %llu dropped)%s%s%s; receiver "
      "stored %s; ended by %s; source %s",
      static_cast<unsigned long long>(s.sent), format_megabytes(s.wire_bytes).c_str(), pct, s.seconds, tick_rate,
      frame_rate, static_cast<unsigned long long>(changed), static_cast<unsigned long long>(s.ticks),
      static_cast<unsigned long long>(s.unchanged),
      static_cast<unsigned long long>(s.dropped), copies.c_str(), wire.c_str(), away.c_str(),
      stored.c_str(),
      terminal_safe(s.ended_by).c_str(), terminal_safe(s.source).c_str());
  return buf;
}

}  // namespace screenreel::capture

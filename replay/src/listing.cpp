// list and info output (see listing.hpp).
#include "screenreel/replay/listing.hpp"

#include "screenreel/replay/json.hpp"
#include "screenreel/replay/table.hpp"
#include "screenreel/replay/text.hpp"
#include "screenreel/replay/time_format.hpp"

namespace screenreel::replay {
namespace fs = std::filesystem;
namespace {

std::string ms(double us) {
  return format_fixed(us / 1000.0, 1) + " ms";
}

std::string spread_text(const Spread& s) {
  return "min " + ms(static_cast<double>(s.min)) + ", median " + ms(static_cast<double>(s.median)) +
         ", max " + ms(static_cast<double>(s.max)) + " (mean " + ms(s.mean) + ")";
}

void spread_json(JsonWriter& json, std::string_view name, const std::optional<Spread>& s) {
  json.key(name);
  if (!s) {
    json.null();
    return;
  }
  json.begin_object()
      .field("min_us", s->min)
      .field("median_us", s->median)
      .field("max_us", s->max)
      .field("mean_us", s->mean)
      .end_object();
}

void session_json(JsonWriter& json, const SessionSummary& sum) {
  const auto& s = sum.record;
  json.field("id", s.id).field("name", s.name).field("folder", s.folder);
  json.field("started", format_utc_iso(s.started_us)).field("started_us", s.started_us);
  json.field("ended_us", s.ended_us);
  json.field("duration_s", static_cast<double>(sum.duration_us) / 1e6);
  json.field("frames", s.frame_count).field("average_fps", sum.average_fps).field("bytes", s.bytes);
  json.field("status", sum.status);
  json.key("end_reason");
  if (s.end_reason.empty())
    json.null();
  else
    json.value(s.end_reason);
  json.field("dropped", s.dropped);
}

}  // namespace

void print_list(std::ostream& out, const std::vector<SessionSummary>& sessions, bool json) {
  if (json) {
    JsonWriter w(out, JsonWriter::Layout::kLines);
    w.begin_array();
    for (const auto& sum : sessions) {
      w.begin_object();
      session_json(w, sum);
      w.end_object();
    }
    w.end_array();
    out << '\n';
    return;
  }
  if (sessions.empty()) {
    out << "no sessions in this archive yet\n";
    return;
  }
  Table t;
  t.columns = {"id", "name", "started", "duration", "frames", "fps", "size", "status"};
  t.right_aligned = {true, false, false, false, true, true, true, false};
  bool interrupted = false;
  for (const auto& sum : sessions) {
    const auto& s = sum.record;
    interrupted = interrupted || sum.status == "interrupted";
    t.rows.push_back(
        {s.id, s.name, format_local_time(s.started_us), format_offset(sum.duration_us),
         s.frame_count,
         sum.average_fps ? Cell(format_fixed(*sum.average_fps, 1)) : Cell(std::string("-")),
         format_bytes(s.bytes), sum.status});
  }
  t.write(out, TableFormat::kAligned);
  if (interrupted)
    out << "\ninterrupted: left recording by a receiver that is no longer running; "
           "`screenreel-replay recover` closes them\n";
}

FolderUsage folder_usage(const fs::path& dir) {
  FolderUsage u;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return u;
  u.exists = true;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (!e.is_regular_file(ec)) continue;
    ++u.files;
    u.bytes += static_cast<std::int64_t>(e.file_size(ec));
  }
  return u;
}

void print_info(std::ostream& out, const SessionSummary& sum, const FrameStats& stats,
                const FolderUsage& usage, bool json,
                const std::optional<TextIndexSummary>& text_index) {
  const auto& s = sum.record;
  if (json) {
    JsonWriter w(out);
    w.begin_object();
    session_json(w, sum);
    w.field("client_address", s.client_address).field("source", s.source);
    w.field("width", std::int64_t{s.width})
        .field("height", std::int64_t{s.height})
        .field("requested_fps", s.fps);
    w.key("error");
    if (s.error.empty())
      w.null();
    else
      w.value(s.error);
    w.field("first_capture_us", sum.first_capture_us).field("last_capture_us", sum.last_capture_us);
    spread_json(w, "interval", stats.interval_us);
    spread_json(w, "capture_to_receive", stats.capture_to_receive_us);
    spread_json(w, "capture_to_written", stats.capture_to_written_us);
    spread_json(w, "capture_to_displayed", stats.capture_to_displayed_us);
    w.field("displayed_frames", stats.displayed);
    w.field("first_tick", stats.first_tick).field("last_tick", stats.last_tick);
    w.field("ticks_not_sent", stats.ticks_not_sent);
    w.key("folder_on_disk")
        .begin_object()
        .field("exists", usage.exists)
        .field("files", usage.files);
    w.field("bytes", usage.bytes).end_object();
    w.key("text_index");
    if (!text_index) {
      w.null();
    } else {
      const auto& t = *text_index;
      w.begin_object()
          .field("indexer", t.state.indexer)
          .field("lang", t.state.lang)
          .field("complete", t.state.complete)
          .field("through_frame", t.state.through_seq)
          .field("lines", t.spans)
          .field("passes", t.passes)
          .field("behind_live_median_us", t.lag_median_us)
          .field("behind_live_max_us", t.lag_max_us)
          .field("most_frames_merged", t.most_frames_merged)
          .end_object();
    }
    w.end_object();
    out << '\n';
    return;
  }
  const auto line = [&](const char* label, const std::string& value) {
    out << label << std::string(14 - std::string_view(label).size(), ' ') << terminal_safe(value)
        << '\n';
  };
  line("session", std::to_string(s.id) + "  \"" + s.name + "\"");
  line("status", sum.status + (s.error.empty() ? "" : ": " + s.error));
  line("folder", "sessions/" + s.folder);
  line("client", s.client_address);
  line("source", s.source);
  line("frame size", std::to_string(s.width) + "x" + std::to_string(s.height) + ", asked for " +
                         format_fixed(s.fps, 1) + " fps");
  line("started", format_local_time(s.started_us) + "  (" + format_utc_iso(s.started_us) + ")");
  line("ended", s.ended_us ? format_local_time(*s.ended_us) : std::string("-"));
  line("duration", format_offset(sum.duration_us));
  std::string frames = std::to_string(s.frame_count);
  if (sum.first_capture_us && sum.last_capture_us)
    frames += ", the last one " + format_offset(*sum.last_capture_us - *sum.first_capture_us) +
              " after the first";
  line("frames", frames);
  line("average fps", sum.average_fps ? format_fixed(*sum.average_fps, 2) : std::string("-"));
  line("intervals", stats.interval_us ? spread_text(*stats.interval_us)
                                      : std::string("- (fewer than 2 frames)"));
  line("dropped", std::to_string(s.dropped) + " ticks reported dropped by the client; " +
                      std::to_string(stats.ticks_not_sent) +
                      " ticks not sent between stored frames (unchanged screen or dropped)");
  if (stats.capture_to_written_us) {
    line("latency", "capture to received: " + spread_text(*stats.capture_to_receive_us));
    line("", "capture to written:  " + spread_text(*stats.capture_to_written_us));
    if (stats.capture_to_displayed_us)
      line("", "capture to shown:    " + spread_text(*stats.capture_to_displayed_us) + ", " +
                   std::to_string(stats.displayed) + " frames shown live");
    line("", "(client and receiver clocks: meaningful when both ran on one machine)");
  }
  line("size", format_bytes(s.bytes) + " of JPEGs in the catalog" +
                   (s.frame_count > 0 ? ", " + format_bytes(s.bytes / s.frame_count) + " a frame"
                                      : std::string()));
  if (!text_index) {
    line("text index", "none (screenreel-replay index " + std::to_string(s.id) + " builds it)");
  } else {
    const auto& t = *text_index;
    line("text index",
         std::string(t.state.complete ? "complete"
                                      : "up to frame " + std::to_string(t.state.through_seq)) +
             ", by " +
             (t.state.indexer == "receiver" ? "the receiver (--ocr)" : "screenreel-replay index") +
             " (" + t.state.lang + "): " + std::to_string(t.spans) + " lines from " +
             std::to_string(t.passes) + " OCR passes");
    if (t.state.indexer == "receiver" && t.passes > 0)
      line("", "behind live: median " + format_offset(t.lag_median_us) + ", at most " +
                   format_offset(t.lag_max_us) + "; at most " +
                   std::to_string(t.most_frames_merged) + " frames merged into one pass");
  }
  line("on disk", usage.exists
                      ? std::to_string(usage.files) + " files, " + format_bytes(usage.bytes)
                      : std::string("the session folder is missing (run verify)"));
}

}  // namespace screenreel::replay

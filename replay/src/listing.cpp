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

Json spread_json(const std::optional<Spread>& s) {
  if (!s) return nullptr;
  return {{"min_us", s->min}, {"median_us", s->median}, {"max_us", s->max}, {"mean_us", s->mean}};
}

std::string ascii_lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

}  // namespace

bool SessionFilter::matches(const SessionSummary& sum) const {
  const std::int64_t start = sum.record.started_us, end = start + sum.duration_us;
  return (!since_us || end >= *since_us) && (!until_us || start <= *until_us) &&
         (name.empty() || ascii_lower(sum.record.name).find(ascii_lower(name)) != std::string::npos);
}

Json session_json(const SessionSummary& sum) {
  const auto& s = sum.record;
  return {{"id", s.id},
          {"name", s.name},
          {"folder", s.folder},
          {"started", format_utc_iso(s.started_us)},
          {"started_us", s.started_us},
          {"ended_us", json_or_null(s.ended_us)},
          {"duration_s", static_cast<double>(sum.duration_us) / 1e6},
          {"frames", s.frame_count},
          {"average_fps", json_or_null(sum.average_fps)},
          {"bytes", s.bytes},
          {"status", sum.status},
          {"end_reason", json_or_null(s.end_reason)},
          {"dropped", s.dropped}};
}

void print_list(std::ostream& out, const std::vector<SessionSummary>& sessions, bool json) {
  if (json) {
    Json rows = Json::array();
    for (const auto& sum : sessions) rows.push_back(session_json(sum));
    print_json_lines(out, rows);
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

void print_deletions(std::ostream& out, const std::vector<DeletionRecord>& deletions, bool json) {
  if (json) {
    Json rows = Json::array();
    for (const auto& d : deletions)
      rows.push_back({{"session", d.session_id}, {"name", d.name}, {"folder", d.folder},
                      {"started_us", d.started_us}, {"ended_us", d.ended_us ? Json(*d.ended_us) : Json(nullptr)},
                      {"frames", d.frames}, {"bytes", d.bytes}, {"deleted_us", d.deleted_us}, {"reason", d.reason}});
    print_json_lines(out, rows);
    return;
  }
  if (deletions.empty()) {
    out << "no session has been deleted from this archive\n";
    return;
  }
  Table t;
  t.columns = {"id", "name", "started", "frames", "size", "deleted", "why"};
  t.right_aligned = {true, false, false, true, true, false, false};
  for (const auto& d : deletions)
    t.rows.push_back({d.session_id, d.name, format_local_time(d.started_us), d.frames, format_bytes(d.bytes),
                      format_local_time(d.deleted_us), d.reason});
  t.write(out, TableFormat::kAligned);
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
                const std::optional<TextIndexSummary>& text_index, const Json& more) {
  const auto& s = sum.record;
  if (json) {
    Json j = session_json(sum);
    j["client_address"] = s.client_address;
    j["source"] = s.source;
    j["width"] = s.width;
    j["height"] = s.height;
    j["requested_fps"] = s.fps;
    j["error"] = json_or_null(s.error);
    j["first_capture_us"] = json_or_null(sum.first_capture_us);
    j["last_capture_us"] = json_or_null(sum.last_capture_us);
    j["interval"] = spread_json(stats.interval_us);
    j["capture_to_receive"] = spread_json(stats.capture_to_receive_us);
    j["capture_to_written"] = spread_json(stats.capture_to_written_us);
    j["capture_to_displayed"] = spread_json(stats.capture_to_displayed_us);
    j["displayed_frames"] = stats.displayed;
    j["first_tick"] = stats.first_tick;
    j["last_tick"] = stats.last_tick;
    j["ticks_not_sent"] = stats.ticks_not_sent;
    j["folder_on_disk"] = {{"exists", usage.exists}, {"files", usage.files}, {"bytes", usage.bytes}};
    j["text_index"] = nullptr;
    if (text_index) {
      const auto& t = *text_index;
      j["text_index"] = {{"indexer", t.state.indexer},
                         {"lang", t.state.lang},
                         {"complete", t.state.complete},
                         {"through_frame", t.state.through_seq},
                         {"lines", t.spans},
                         {"passes", t.passes},
                         {"behind_live_median_us", t.lag_median_us},
                         {"behind_live_max_us", t.lag_max_us},
                         {"most_frames_merged", t.most_frames_merged}};
    }
    if (more.is_object())
      for (const auto& [key, value] : more.items()) j[key] = value;
    print_json(out, j);
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

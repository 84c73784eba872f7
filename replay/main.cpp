// screenreel-replay: reads an archive written by screenreel-receiver (list, info, play, export,
// frame, query, verify, recover, delete). This file parses the command line and calls the
// screenreel_replay library, which does the work.
#include <unistd.h>

#include <boost/program_options.hpp>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "screenreel/archive/archive.hpp"
#include "screenreel/ocr/engine.hpp"
#include "screenreel/archive/recover.hpp"
#include "screenreel/replay/archive_access.hpp"
#include "screenreel/replay/frame_export.hpp"
#include "screenreel/replay/json.hpp"
#include "screenreel/replay/listing.hpp"
#include "screenreel/replay/player.hpp"
#include "screenreel/replay/progress.hpp"
#include "screenreel/replay/query.hpp"
#include "screenreel/replay/session_delete.hpp"
#include "screenreel/replay/session_lookup.hpp"
#include "screenreel/replay/text_indexing.hpp"
#include "screenreel/replay/text_search.hpp"
#include "screenreel/replay/text.hpp"
#include "screenreel/replay/time_format.hpp"
#include "screenreel/replay/video_export.hpp"
#include "screenreel/archive/session_files.hpp"
#include "screenreel/archive/verify.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace screenreel;
using namespace screenreel::replay;

namespace {

constexpr const char* kProgram = "screenreel-replay";

constexpr const char* kUsage =
    "Usage: screenreel-replay [--archive DIR] COMMAND [ARGS...]\n"
    "\n"
    "Reads an archive written by screenreel-receiver: DIR/catalog.db (SQLite) and the JPEGs in\n"
    "DIR/sessions/<folder>/. Reading is safe while a receiver records into the same archive.\n"
    "\n"
    "Commands:\n"
    "  list                          the sessions: id, name, start, duration, frames, fps, size, "
    "status\n"
    "  info SESSION                  everything about one session, with frame-interval statistics\n"
    "  play SESSION                  show a session in a window at its recorded timing\n"
    "  export SESSION -o FILE        a video (.mp4 .mkv .mov .avi) at a constant frame rate\n"
    "  export SESSION --frames DIR   copy (or --link) the JPEGs of a time range, with their "
    "timing\n"
    "  frame SESSION --at T -o FILE  the frame on screen at time T, as an image (.png .jpg ...)\n"
    "  query \"SQL\"                   one read-only SQL statement on the catalog\n"
    "  search \"WORDS\"                when text was on screen (the OCR text index), best first\n"
    "  index SESSION|--all           build the text index of sessions recorded without --ocr\n"
    "  verify [SESSION]              check that rows and files agree and every JPEG decodes\n"
    "  recover                       repair an archive after its receiver crashed or was killed\n"
    "  delete SESSION                remove a session's rows and files\n"
    "\n"
    "SESSION is a session id, or the start of a session name that only one session has.\n"
    "T is a time from the session's first frame: seconds (90, 12.5) or [HH:]MM:SS[.mmm]\n"
    "(1:30, 00:01:30.500).\n"
    "\n"
    "Options:\n"
    "  --archive DIR   the archive; default $SCREENREEL_ARCHIVE, else ./recordings\n"
    "  --version       print the version and exit\n"
    "  -h [ --help ]   print this help ('screenreel-replay COMMAND --help': a command's own)\n"
    "\n"
    "Exit status: 0 done, 1 failed (or verify found problems), 2 bad command line.\n"
    "\n"
    "Examples:\n"
    "  screenreel-replay list\n"
    "  screenreel-replay --archive /data/rec info standup\n"
    "  screenreel-replay play 3 --from 1:00 --speed 2 --idle-limit 2\n"
    "  screenreel-replay export 3 -o standup.mp4 --scale 0.5\n"
    "  screenreel-replay query \"SELECT id, name, frame_count FROM sessions\" --csv\n"
    "  screenreel-replay index --all && screenreel-replay search \"permission denied\"\n"
    "  screenreel-replay recover && screenreel-replay verify\n";

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What every command's help shows, besides its options.
struct Help {
  const char* usage;        // "play SESSION [OPTIONS]"
  const char* description;  // a paragraph
  const char* examples;     // lines, each "  screenreel-replay ..."
};

// One command's arguments: parsed against its options (plus --archive and --help, which every
// command takes), positional arguments in `positional` order.
class CommandLine {
 public:
  CommandLine(std::string name, std::vector<std::string> args, fs::path archive)
      : name_(std::move(name)), args_(std::move(args)), archive_(std::move(archive)) {}

  // Empty when --help was asked for (and printed).
  std::optional<po::variables_map> parse(po::options_description& options, const Help& help,
                                         std::vector<std::string> positional = {}) {
    std::string archive;
    options.add_options()("archive", po::value(&archive)->value_name("DIR"),
                          "the archive; default $SCREENREEL_ARCHIVE, else ./recordings")(
        "help,h", "print this help");
    po::options_description hidden;
    po::positional_options_description pos;
    for (const auto& p : positional) {
      hidden.add_options()(p.c_str(), po::value<std::string>());
      pos.add(p.c_str(), 1);
    }
    po::options_description all;
    all.add(options).add(hidden);
    po::variables_map vm;
    try {
      po::store(po::command_line_parser(args_).options(all).positional(pos).run(), vm);
      po::notify(vm);
    } catch (const po::too_many_positional_options_error&) {
      throw UsageError("too many arguments");
    } catch (const po::error& e) {
      throw UsageError(e.what());
    }
    if (vm.count("help")) {
      std::cout << "Usage: " << kProgram << " " << help.usage << "\n\n"
                << help.description << "\n\n"
                << options << "\nExamples:\n"
                << help.examples;
      return std::nullopt;
    }
    if (!archive.empty()) archive_ = archive;
    return vm;
  }

  const fs::path& archive() const { return archive_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::vector<std::string> args_;
  fs::path archive_;
};

// A command's options, laid out for a 100-column terminal.
po::options_description options() {
  return po::options_description("Options", 100, 50);
}

std::string required(const po::variables_map& vm, const char* key, const char* what) {
  if (!vm.count(key)) throw UsageError(std::string("missing ") + what);
  return vm[key].as<std::string>();
}

constexpr const char* kSessionArg =
    "SESSION (a session id or the start of a name; 'list' shows them)";

// A time option (T): a malformed one is a bad command line (exit status 2), like any other.
std::optional<std::int64_t> offset_option(const po::variables_map& vm, const char* name) {
  if (!vm.count(name)) return std::nullopt;
  try {
    return parse_offset(vm[name].as<std::string>(), std::string("--") + name);
  } catch (const Failure& e) {
    throw UsageError(e.what());
  }
}

TimeRange time_range(const po::variables_map& vm) {
  return {offset_option(vm, "from"), offset_option(vm, "to")};
}

std::optional<std::int64_t> idle_limit(const po::variables_map& vm) {
  const auto limit = offset_option(vm, "idle-limit");
  if (limit && *limit <= 0) throw UsageError("--idle-limit must be more than 0");
  return limit;
}

void add_range_options(po::options_description& o) {
  o.add_options()("from", po::value<std::string>()->value_name("T"),
                  "start at T (default: the first frame)")(
      "to", po::value<std::string>()->value_name("T"), "end at T (default: the last frame)");
}

// --- commands -----------------------------------------------------------------------------

int cmd_list(CommandLine& cli) {
  po::options_description o = options();
  o.add_options()("json", "print a JSON array, one object per session");
  const auto vm = cli.parse(
      o, {"list [--json]",
          "One row per session: id, name, start (local time), duration, frames, average\n"
          "fps (between the first and last frame), size of its JPEGs, and status: recording,\n"
          "interrupted (its receiver is gone: run recover), ended by receiver, ended by\n"
          "client, disconnected, error, crashed (closed by recover).",
          "  screenreel-replay list\n"
          "  screenreel-replay list --json | python3 -m json.tool\n"});
  if (!vm) return 0;
  const ArchivePaths paths(cli.archive());
  Catalog catalog = open_catalog(paths);
  const bool receiver = running_receiver_pid(paths).has_value();
  std::vector<SessionSummary> sessions;
  for (const auto& s : catalog.sessions()) sessions.push_back(summarize(catalog, s, receiver));
  print_list(std::cout, sessions, vm->count("json") > 0);
  return 0;
}

int cmd_info(CommandLine& cli) {
  po::options_description o = options();
  o.add_options()("json", "print one JSON object");
  const auto vm = cli.parse(
      o,
      {"info SESSION [--json]",
       "Everything the catalog knows about one session: client, source, size, times, frames,\n"
       "frame-interval statistics (min, median, max time between capture times), dropped\n"
       "ticks (reported by the client, and ticks not sent between stored frames), latency,\n"
       "the size of its folder on disk, and its text index (who built it, how far, and how far\n"
       "behind live it ran).",
       "  screenreel-replay info 3\n"
       "  screenreel-replay info standup --json\n"},
      {"session"});
  if (!vm) return 0;
  const ArchivePaths paths(cli.archive());
  Catalog catalog = open_catalog(paths);
  const SessionRecord s = find_session(catalog, required(*vm, "session", kSessionArg));
  const auto summary = summarize(catalog, s, running_receiver_pid(paths).has_value());
  const FolderUsage usage =
      is_plain_file_name(s.folder) ? folder_usage(paths.session(s.folder)) : FolderUsage{};
  print_info(std::cout, summary, frame_stats(catalog, s.id), usage, vm->count("json") > 0,
             text_index_summary(catalog, s.id));
  return 0;
}

int cmd_play(CommandLine& cli) {
  po::options_description o = options();
  PlayOptions play_options;
  add_range_options(o);
  o.add_options()("speed", po::value(&play_options.speed)->default_value(1.0)->value_name("X"),
                  "playback speed, 1/64 .. 64 (keys + and - double and halve it)")(
      "idle-limit", po::value<std::string>()->value_name("S"),
      "shorten every pause longer than S (seconds or T) to S, as asciinema does")(
      "loop", "start again at the end, until q")(
      "at", po::value<std::string>()->value_name("T"),
      "start playing at T (a hit of 'search'), inside the range; a --loop starts again at --from");
  const auto vm = cli.parse(
      o,
      {"play SESSION [--from T] [--to T] [--at T] [--speed X] [--idle-limit S] [--loop]",
       "Shows the session's frames in a window at their recorded timing (the capture times,\n"
       "not a fixed rate). Seeking to --from uses the catalog's time index.\n"
       "Keys: space pause/resume, right/left arrow one frame forward/back while paused,\n"
       "+/- double/halve the speed, q or Esc quit. Needs a display ($DISPLAY).",
       "  screenreel-replay play 3\n"
       "  screenreel-replay play standup --from 1:30 --to 2:00 --speed 2\n"
       "  screenreel-replay play 3 --idle-limit 1 --loop\n"
       "  screenreel-replay play 3 --at 0:42.1               # where 'search' found something\n"},
      {"session"});
  if (!vm) return 0;
  play_options.range = time_range(*vm);
  play_options.idle_limit_us = idle_limit(*vm);
  play_options.loop = vm->count("loop") > 0;
  play_options.at_us = offset_option(*vm, "at");
  const ArchivePaths paths(cli.archive());
  Catalog catalog = open_catalog(paths);
  const SessionRecord s = find_session(catalog, required(*vm, "session", kSessionArg));
  play(paths, catalog, s, play_options, std::cerr);
  return 0;
}

int cmd_export(CommandLine& cli) {
  po::options_description o = options();
  VideoExportOptions video;
  std::string output, frames_dir;
  double fps = 0;
  add_range_options(o);
  o.add_options()("output,o", po::value(&output)->value_name("FILE"),
                  "the video: .mp4 (H.264), .mkv, .mov or .avi (Motion JPEG)")(
      "fps", po::value(&fps)->value_name("N"),
      "frames per second of the video (default: the session's median rate)")(
      "scale", po::value(&video.scale)->default_value(1.0)->value_name("F"),
      "size factor (0.5: half width and height); sizes are rounded to even numbers")(
      "speed", po::value(&video.speed)->default_value(1.0)->value_name("X"),
      "time-lapse factor: 10 puts ten seconds of recording in one second of video")(
      "idle-limit", po::value<std::string>()->value_name("S"),
      "shorten every pause longer than S to S")("codec",
                                                po::value(&video.codec)->value_name("FOURCC"),
                                                "force a codec (avc1, mp4v, MJPG, XVID, ...)")(
      "frames", po::value(&frames_dir)->value_name("DIR"),
      "instead of a video: copy the JPEGs of the range into DIR (new or empty), with "
      "DIR/frames.ffconcat holding their timing for ffmpeg")(
      "link", "with --frames: hard-link the JPEGs instead of copying them")(
      "force", po::bool_switch(&video.force), "replace an existing FILE (never a link or a folder)");
  const auto vm = cli.parse(
      o,
      {"export SESSION (-o FILE | --frames DIR) [OPTIONS]",
       "Makes a video whose timing follows the recorded capture times at a constant rate:\n"
       "output frame k shows the frame on screen k/fps seconds after --from, so frames are\n"
       "repeated (a still screen) or skipped (faster than --fps) as the timing requires. The\n"
       "video has floor(duration * fps) + 1 frames. It is written in a private temporary folder\n"
       "beside FILE and moved into place when complete (never through a link; removed if the\n"
       "export fails or is interrupted); an existing FILE is kept unless --force. A progress bar\n"
       "shows on a terminal.",
       "  screenreel-replay export 3 -o session3.mp4\n"
       "  screenreel-replay export standup -o part.avi --from 10 --to 1:10 --fps 10 --scale 0.5\n"
       "  screenreel-replay export 3 -o timelapse.mp4 --speed 20 --idle-limit 1\n"
       "  screenreel-replay export 3 --frames out/ --from 5 --to 15 --link\n"
       "  ffmpeg -f concat -i out/frames.ffconcat -fps_mode vfr -enc_time_base 1/1000 -pix_fmt yuv420p out.mp4\n"},
      {"session"});
  if (!vm) return 0;
  if (output.empty() == frames_dir.empty())
    throw UsageError("give either -o FILE (a video) or --frames DIR");
  if (vm->count("link") && frames_dir.empty()) throw UsageError("--link goes with --frames DIR");
  const ArchivePaths paths(cli.archive());
  Catalog catalog = open_catalog(paths);
  const SessionRecord s = find_session(catalog, required(*vm, "session", kSessionArg));

  if (!frames_dir.empty()) {
    FrameExportOptions fo;
    fo.dir = frames_dir;
    fo.range = time_range(*vm);
    fo.link = vm->count("link") > 0;
    ProgressBar progress("export");
    fo.progress = progress.callback();
    const auto r = export_frames(paths, catalog, s, fo);
    progress.finish();
    std::cerr << kProgram << ": " << r.files << " frames (" << format_bytes(r.bytes) << ") "
              << (r.linked == r.files ? "linked"
                  : r.linked          ? "linked or copied"
                                      : "copied")
              << " into " << frames_dir << ", timing in "
              << (fs::path(frames_dir) / "frames.ffconcat").string() << "\n";
    if (!r.damaged.empty())
      std::cerr << kProgram << ": " << r.damaged.size() << " of them are not whole JPEGs (the first: "
                << r.damaged.front() << "); they were copied as they are: run verify\n";
    return 0;
  }
  video.output = output;
  video.range = time_range(*vm);
  video.idle_limit_us = idle_limit(*vm);
  if (vm->count("fps")) video.fps = fps;
  ProgressBar progress("export");
  video.progress = progress.callback();
  const auto r = export_video(paths, catalog, s, video);
  progress.finish();
  std::cerr << kProgram << ": wrote " << output << ": " << r.frames << " frames at "
            << format_fixed(r.fps, 3) << " fps ("
            << format_offset(static_cast<std::int64_t>(static_cast<double>(r.frames) / r.fps * 1e6))
            << "), " << r.width << "x" << r.height << ", codec " << r.codec << "\n";
  if (r.unreadable)
    std::cerr
        << kProgram << ": " << r.unreadable
        << " recorded frames could not be read; the frame before each was repeated (run verify)\n";
  return 0;
}

int cmd_frame(CommandLine& cli) {
  po::options_description o = options();
  std::string output;
  o.add_options()("at", po::value<std::string>()->value_name("T"),
                  "the time (from the session's first frame)")(
      "output,o", po::value(&output)->value_name("FILE"),
      "the image: .png, .jpg, .bmp, .tiff, .webp")(
      "highlight", po::value<std::string>()->value_name("WORDS"),
      "draw a red box around these words (as 'search' takes them) where the text index has them")(
      "force", "replace an existing FILE (never a link or a folder)");
  const auto vm =
      cli.parse(o,
                {"frame SESSION --at T -o FILE [--highlight WORDS]",
                 "Writes the frame that was on screen at T: the last one captured at or before T\n"
                 "(found with the catalog's time index). Says which frame it was on stderr.\n"
                 "--highlight boxes the words where the text index (see search) has them on it.",
                 "  screenreel-replay frame 3 --at 1:02.5 -o shot.png\n"
                 "  screenreel-replay frame standup --at 0 -o first.jpg\n"
                 "  screenreel-replay frame 3 --at 0:42.1 --highlight \"permission denied\" -o hit.png\n"},
                {"session"});
  if (!vm) return 0;
  const auto at_us = offset_option(*vm, "at");
  if (!at_us) throw UsageError("missing --at T");
  if (output.empty()) throw UsageError("missing -o FILE");
  const ArchivePaths paths(cli.archive());
  Catalog catalog = open_catalog(paths);
  const SessionRecord s = find_session(catalog, required(*vm, "session", kSessionArg));
  const std::string highlight = vm->count("highlight") ? (*vm)["highlight"].as<std::string>() : "";
  const SavedFrame saved = save_frame(paths, catalog, s, *at_us, output, highlight, vm->count("force") > 0);
  std::cerr << kProgram << ": wrote " << output << ": frame " << saved.frame.seq << " ("
            << saved.frame.file << "), captured at " << format_offset(saved.offset_us);
  if (!highlight.empty()) std::cerr << ", " << saved.boxes << " box(es) around \"" << terminal_safe(highlight) << "\"";
  std::cerr << "\n";
  if (!highlight.empty() && saved.boxes == 0)
    std::cerr << kProgram << ": that text is not on this frame in the text index ('search' says when it was)\n";
  return 0;
}

int cmd_query(CommandLine& cli) {
  po::options_description o = options();
  QueryLimits limits;
  o.add_options()("csv", "print CSV (RFC 4180)")("json", "print a JSON array of objects")(
      "timeout", po::value(&limits.timeout_s)->default_value(limits.timeout_s)->value_name("SECONDS"),
      "stop a query that runs longer")(
      "max-rows", po::value(&limits.max_rows)->default_value(limits.max_rows)->value_name("N"),
      "refuse a result of more rows (add a LIMIT)");
  const auto vm = cli.parse(
      o,
      {"query \"SQL\" [--csv | --json] [--timeout SECONDS] [--max-rows N]",
       "Runs one read-only statement on the catalog (schemas/catalog.sql: tables sessions,\n"
       "frames, and the text index text_spans, text_fts, ocr_sessions, ocr_passes) and prints\n"
       "its rows as an aligned table. The catalog is opened read-only\n"
       "and anything that would write (INSERT, UPDATE, DELETE, CREATE, DROP, ATTACH, writing\n"
       "PRAGMAs, transactions) is refused, and so is any function but SQLite's core, date,\n"
       "JSON and window functions and FTS5's highlight, snippet and bm25. A query stops after\n"
       "--timeout seconds, at --max-rows rows, past 512 MB of SQLite memory, or on Ctrl-C.\n"
       "Times are microseconds since the epoch (UTC).",
       "  screenreel-replay query \"SELECT id, name, frame_count FROM sessions\"\n"
       "  screenreel-replay query \"SELECT seq, capture_us FROM frames WHERE session_id = 3\" "
       "--csv\n"
       "  screenreel-replay query \"SELECT session_id, avg(written_us - capture_us) / 1000.0 AS "
       "ms FROM frames GROUP BY 1\" --json\n"},
      {"sql"});
  if (!vm) return 0;
  if (vm->count("csv") && vm->count("json")) throw UsageError("give --csv or --json, not both");
  const std::string sql = required(*vm, "sql", "the SQL statement (in quotes)");
  const ArchivePaths paths(cli.archive());
  Catalog catalog = open_catalog(paths);
  if (!(limits.timeout_s > 0)) throw UsageError("--timeout must be more than 0 seconds");
  if (limits.max_rows < 1) throw UsageError("--max-rows must be at least 1");
  const Table table = run_read_only_query(catalog, sql, limits);
  table.write(std::cout, vm->count("csv")    ? TableFormat::kCsv
                         : vm->count("json") ? TableFormat::kJson
                                             : TableFormat::kAligned,
              ::isatty(STDOUT_FILENO) == 1);
  return 0;
}

// The marked text of a hit with the matches shown: reverse video on a terminal, [brackets]
// elsewhere; everything else made terminal-safe.
// A hit's first-seen offset, rounded up to the millisecond: given back as --at (frame, play),
// it then names that frame, not the one before it.
std::string first_seen_text(const TextHit& h) {
  return format_offset((h.first_us - h.origin_us + 999) / 1000 * 1000);
}

std::string show_marks(const std::string& marked, bool terminal) {
  std::string out, part;
  for (const char c : marked) {
    if (c == kMarkOpen || c == kMarkClose) {
      out += terminal_safe(part);
      part.clear();
      out += c == kMarkOpen ? (terminal ? "\033[7m" : "[") : (terminal ? "\033[0m" : "]");
    } else {
      part += c;
    }
  }
  return out + terminal_safe(part);
}

int cmd_search(CommandLine& cli) {
  po::options_description o = options();
  TextQuery query;
  std::string session;
  add_range_options(o);
  o.add_options()("session", po::value(&session)->value_name("SESSION"),
                  "only this session (default: all)")(
      "limit", po::value(&query.limit)->default_value(20)->value_name("N"), "at most N hits")(
      "json", "print a JSON array, one object per hit");
  const auto vm = cli.parse(
      o,
      {"search \"WORDS\" [--session S] [--from T --to T] [--limit N] [--json]",
       "Finds when text was on screen, in the catalog's text index (recorded with\n"
       "screenreel-receiver --ocr, or built afterwards with 'index'). Every word must appear in\n"
       "a line (any case; WORD* matches words starting with WORD). Hits are ranked by FTS5's\n"
       "bm25, best first; each is one line of text and the time it stayed on screen: session,\n"
       "first seen -> last seen (from the session's first frame), the frame where it was first\n"
       "seen, its box on screen (x,y width x height), and the line with the words marked.\n"
       "First seen is rounded up to the millisecond: given to frame/play --at, it shows that frame.\n"
       "--from/--to keep the lines on screen at some time between them (in every session).",
       "  screenreel-replay search \"permission denied\"\n"
       "  screenreel-replay search \"make: ***\" --session standup --from 1:00 --to 5:00\n"
       "  screenreel-replay search \"ERR*\" --json\n"
       "  screenreel-replay frame 3 --at 0:42.1 --highlight \"permission denied\" -o hit.png\n"
       "  screenreel-replay play 3 --at 0:42.1\n"},
      {"words"});
  if (!vm) return 0;
  query.words = required(*vm, "words", "the words to search for (in quotes)");
  query.range = time_range(*vm);
  if (query.limit < 1) throw UsageError("--limit must be at least 1");
  const ArchivePaths paths(cli.archive());
  Catalog catalog = open_catalog(paths);
  if (!session.empty()) query.session_id = find_session(catalog, session).id;
  const auto hits = search_text(catalog, query);
  if (vm->count("json")) {
    Json list = Json::array();
    for (const auto& h : hits) {
      list.push_back({{"session", h.session_id},
                      {"name", h.session_name},
                      {"first_seen", first_seen_text(h)},
                      {"last_seen", format_offset(h.last_us - h.origin_us)},
                      {"first_seen_us", h.first_us},
                      {"last_seen_us", h.last_us},
                      {"first_frame", h.first_seq},
                      {"last_frame", h.last_seq},
                      {"text", h.text},
                      {"highlighted", show_marks(h.marked, false)},
                      {"box", {{"x", h.box.x}, {"y", h.box.y}, {"w", h.box.w}, {"h", h.box.h}}},
                      {"confidence", h.confidence},
                      {"rank", h.rank}});
    }
    write_json_lines(std::cout, list);
    std::cout << "\n";
  } else {
    const bool terminal = ::isatty(STDOUT_FILENO) == 1;
    for (const auto& h : hits)
      std::cout << "session " << h.session_id << " \"" << terminal_safe(h.session_name) << "\"  "
                << first_seen_text(h) << " -> "
                << format_offset(h.last_us - h.origin_us) << "  frame " << h.first_seq << "  at "
                << h.box.x << "," << h.box.y << " " << h.box.w << "x" << h.box.h << "\n  "
                << show_marks(h.marked, terminal) << "\n";
    if (hits.empty()) std::cerr << kProgram << ": no text on screen matched\n";
  }
  const auto missing = sessions_without_text_index(catalog);
  if (!missing.empty())
    std::cerr << kProgram << ": " << missing.size()
              << " session(s) have no complete text index and were not searched in full: run "
                 "'screenreel-replay index --all'\n";
  return 0;
}

char** g_argv = nullptr;  // main's, for ocr::limit_openmp_threads

int cmd_index(CommandLine& cli) {
  po::options_description o = options();
  IndexOptions index_options;
  std::string lang = "eng";
  double interval = 1.0;
  o.add_options()("all", "every session that has no complete text index")(
      "lang", po::value(&lang)->default_value("eng")->value_name("LANG"),
      "Tesseract language(s): eng, deu, eng+fra, ... (package tesseract-ocr-LANG)")(
      "interval", po::value(&interval)->default_value(1.0)->value_name("SECONDS"),
      "read at most one frame this often (as the receiver's --ocr-interval)")(
      "again", "drop the session's text index and build it anew (another --lang, say)");
  const auto vm = cli.parse(
      o,
      {"index (SESSION | --all) [--lang LANG] [--interval SECONDS] [--again]",
       "Builds the text index that 'search' uses, for sessions recorded without\n"
       "screenreel-receiver --ocr: like the receiver, it reads at most one frame per interval,\n"
       "and only the parts that changed since the frame it read before (Tesseract OCR). Each\n"
       "pass is committed as it is made, so an interrupted index resumes where it stopped;\n"
       "a session whose index is complete is left alone (--again rebuilds it). Upgrades an\n"
       "older catalog first. A progress bar shows on a terminal.",
       "  screenreel-replay index --all\n"
       "  screenreel-replay index standup --lang eng+deu --again\n"},
      {"session"});
  if (!vm) return 0;
  if (vm->count("all") == vm->count("session")) throw UsageError("give either SESSION or --all");
  if (interval < 0.05 || interval > 3600) throw UsageError("--interval must be 0.05 to 3600 seconds");
  index_options.interval_us = static_cast<std::int64_t>(interval * 1e6);
  index_options.again = vm->count("again") > 0;
  ocr::limit_openmp_threads(g_argv);
  const ArchivePaths paths(cli.archive());
  Catalog catalog = open_catalog(paths, Catalog::Mode::kReadWrite);
  std::vector<SessionRecord> sessions;
  if (vm->count("session")) {
    sessions.push_back(find_session(catalog, (*vm)["session"].as<std::string>()));
  } else {
    for (const auto& s : catalog.sessions()) {
      if (s.frame_count > 0 && !s.recording()) sessions.push_back(s);
      if (s.recording())
        std::cerr << kProgram << ": session " << s.id << " is still being recorded (or its receiver "
                  << "died: run recover): not indexed\n";
    }
  }
  std::unique_ptr<ocr::Engine> engine;
  try {
    engine = std::make_unique<ocr::Engine>(ocr::EngineOptions{lang});
  } catch (const std::exception& e) {
    throw Failure(e.what());
  }
  for (const auto& s : sessions) {
    ProgressBar progress("index " + std::to_string(s.id));
    index_options.progress = progress.callback();
    const auto r = index_session(paths, catalog, s, *engine, index_options);
    progress.finish();
    std::cerr << kProgram << ": session " << s.id << " \"" << terminal_safe(s.name) << "\": ";
    if (r.already_complete)
      std::cerr << "already indexed (--again to rebuild)\n";
    else
      std::cerr << (r.resumed_after ? "resumed after frame " + std::to_string(r.resumed_after) + ", " : "")
                << r.passes << " frames read, " << r.lines << " lines"
                << (r.unreadable ? ", " + std::to_string(r.unreadable) + " unreadable frames skipped (run verify)"
                                 : "")
                << "\n";
  }
  return 0;
}

int cmd_verify(CommandLine& cli) {
  po::options_description o = options();
  o.add_options()("quiet,q", "print only problems and the summary line, not notes");
  const auto vm = cli.parse(
      o,
      {"verify [SESSION]",
       "Checks the archive (or one session): every catalog row has its file, every file has\n"
       "its row, every JPEG decodes at the size the catalog records, each session's frame\n"
       "count and bytes match its rows, no leftover temporary files, no stray folders.\n"
       "Prints each problem; exit status 1 when there is any. A session being recorded may\n"
       "have files not yet indexed: those are notes, not problems. A session marked recording\n"
       "with no receiver running is a problem: 'recover' repairs what a crashed receiver\n"
       "leaves behind.",
       "  screenreel-replay verify\n"
       "  screenreel-replay verify 3\n"},
      {"session"});
  if (!vm) return 0;
  const ArchivePaths paths(cli.archive());
  Catalog catalog = open_catalog(paths);
  VerifyOptions options;
  options.receiver_running = running_receiver_pid(paths).has_value();
  if (vm->count("session"))
    options.session = find_session(catalog, (*vm)["session"].as<std::string>()).id;
  ProgressBar progress("verify");
  options.progress = progress.callback();
  const VerifyReport report = verify_archive(paths, catalog, options);
  progress.finish();
  if (!vm->count("quiet"))
    for (const auto& n : report.notes) std::cout << "note: " << terminal_safe(n) << "\n";
  for (const auto& p : report.problems)
    std::cout << terminal_safe(p.path) << ": " << terminal_safe(p.what) << "\n";
  std::cout << (report.ok() ? "ok: " : "FAILED: ") << report.sessions << " sessions, "
            << report.frames << " frames checked, " << report.problems.size() << " problems\n";
  return report.ok() ? 0 : 1;
}

int cmd_recover(CommandLine& cli) {
  po::options_description o = options();
  const auto vm = cli.parse(
      o, {"recover",
          "Repairs an archive after its receiver crashed or was killed (like 'ros2 bag reindex'):\n"
          "- sessions left recording are closed as 'crashed', ending at their last frame's time;\n"
          "- JPEGs on disk that no row names are indexed: size from the JPEG header, number from\n"
          "  the file name, times from the file's modification time (when the receiver renamed it\n"
          "  into place) less the session's median capture-to-write latency, never earlier than\n"
          "  the frame before; the tick is the previous frame's tick + 1;\n"
          "- leftover temporary files (.frame_*.jpg.tmp) are removed;\n"
          "- each session's frame count and bytes are set to what its rows hold.\n"
          "Running it again changes nothing. It takes the archive's lock, so it refuses to run\n"
          "while a screenreel-receiver writes to the archive.",
          "  screenreel-replay recover\n"
          "  screenreel-replay --archive /data/rec recover && screenreel-replay --archive "
          "/data/rec verify\n"});
  if (!vm) return 0;
  const ArchivePaths paths(cli.archive());
  try {
    const RecoverReport report = recover_archive(paths);
    for (const auto& a : report.actions) std::cout << terminal_safe(a) << "\n";
    for (const auto& w : report.warnings) std::cout << "warning: " << terminal_safe(w) << "\n";
    if (!report.changed())
      std::cout << "nothing to recover\n";
    else
      std::cout << "recovered: " << report.sessions_closed << " sessions closed, "
                << report.frames_indexed << " frames indexed, " << report.temp_files_removed
                << " temporary files removed\n";
  } catch (const sqlite::Error& e) {
    throw Failure(std::string("cannot recover: ") + e.what());
  }
  return 0;
}

int cmd_delete(CommandLine& cli) {
  po::options_description o = options();
  o.add_options()("yes,y", "do not ask for confirmation");
  const auto vm = cli.parse(
      o,
      {"delete SESSION [--yes]",
       "Removes the session's catalog rows and its folder of JPEGs, after asking (answer y)\n"
       "unless --yes is given. A session being recorded is refused.",
       "  screenreel-replay delete 3\n"
       "  screenreel-replay delete old-demo --yes\n"},
      {"session"});
  if (!vm) return 0;
  const ArchivePaths paths(cli.archive());
  Catalog catalog = open_catalog(paths, Catalog::Mode::kReadWrite);
  const SessionRecord s = find_session(catalog, required(*vm, "session", kSessionArg));
  if (!vm->count("yes")) {
    std::cerr << "delete session " << s.id << " \"" << terminal_safe(s.name) << "\" ("
              << s.frame_count << " frames, " << format_bytes(s.bytes) << ", started "
              << format_local_time(s.started_us) << ", folder sessions/" << terminal_safe(s.folder)
              << ")? [y/N] " << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "y" && answer != "Y" && answer != "yes") {
      std::cerr << "not deleted\n";
      return 1;
    }
  }
  delete_session(paths, catalog, s);
  std::cerr << kProgram << ": deleted session " << s.id << " (" << s.frame_count << " frames)\n";
  return 0;
}

struct CommandEntry {
  const char* name;
  int (*run)(CommandLine&);
};
constexpr CommandEntry kCommands[] = {
    {"list", cmd_list},     {"info", cmd_info},       {"play", cmd_play},
    {"export", cmd_export}, {"frame", cmd_frame},     {"query", cmd_query},
    {"search", cmd_search}, {"index", cmd_index},
    {"verify", cmd_verify}, {"recover", cmd_recover}, {"delete", cmd_delete},
};

int run(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  fs::path archive = default_archive_dir();
  // Global options come before the command; every command also takes --archive after it.
  std::size_t i = 0;
  for (; i < args.size() && args[i].starts_with("-"); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (a == "--version") {
      std::cout << kProgram << " " SCREENREEL_VERSION ", catalog schema " << kCatalogSchemaVersion
                << "\n";
      return 0;
    }
    if (a == "--archive" && i + 1 < args.size()) {
      archive = args[++i];
    } else if (a.starts_with("--archive=")) {
      archive = a.substr(10);
    } else {
      throw UsageError("unknown option " + a + (a == "--archive" ? " (needs DIR)" : ""));
    }
  }
  if (i == args.size()) throw UsageError("no command given");
  const std::string command = args[i];
  for (const auto& c : kCommands) {
    if (command != c.name) continue;
    CommandLine cli(command, {args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end()},
                    archive);
    try {
      return c.run(cli);
    } catch (const UsageError& e) {
      throw UsageError(command + ": " + e.what() + "\nTry 'screenreel-replay " + command +
                       " --help'.");
    }
  }
  throw UsageError("unknown command \"" + terminal_safe(command) + "\"");
}

}  // namespace

int main(int argc, char** argv) {
  g_argv = argv;
  try {
    return run(argc, argv);
  } catch (const UsageError& e) {
    const std::string msg = e.what();
    std::cerr << kProgram << ": " << msg;
    if (msg.find("--help") == std::string::npos) std::cerr << "\nTry 'screenreel-replay --help'.";
    std::cerr << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << kProgram << ": " << e.what() << "\n";
    return 1;
  }
}

// screenreel-replay export: a video at a constant frame rate, or the JPEGs of a time range, with
// a manifest of the frames it came from on request.
#include <filesystem>
#include <fstream>
#include <tuple>

#include "commands.hpp"
#include "screenreel/replay/session_events.hpp"
#include "screenreel/archive/integrity.hpp"
#include "screenreel/common/clock.hpp"
#include "screenreel/common/log.hpp"
#include "screenreel/replay/archive_access.hpp"
#include "screenreel/replay/frame_export.hpp"
#include "screenreel/replay/json.hpp"
#include "screenreel/replay/output_file.hpp"
#include "screenreel/replay/progress.hpp"
#include "screenreel/replay/redaction.hpp"
#include "screenreel/replay/text.hpp"
#include "screenreel/replay/time_format.hpp"
#include "screenreel/replay/video_export.hpp"

namespace screenreel::replay::commands {
namespace {

Json hex_or_null(const std::optional<Digest>& d) { return d ? Json(to_hex(*d)) : Json(); }
Json hex_or_null(const std::vector<std::uint8_t>& bytes) { return bytes.empty() ? Json() : Json(to_hex(bytes)); }

// The export manifest (schemas/archive-layout.md, "Export manifests"): the session, its signed
// head, and every frame of the range with its file's SHA-256 and its chain link, so that whoever
// receives the export can check the files and, from chain_before, their links up to the head.
Json export_manifest(CatalogReader& catalog, const SessionRecord& s, const Timeline& timeline,
                     const std::string& output, const std::optional<std::vector<std::uint8_t>>& receiver_key,
                     const Redactor* redactor) {
  const auto& frames = timeline.frames();
  // The link before the range's first frame: the session's start, or the previous row's link.
  std::optional<Digest> before = frames.front().chain ? std::optional(chain_start(s.id)) : std::nullopt;
  if (frames.front().chain)
    catalog.for_each_frame(s.id, [&](const FrameRecord& f) {
      if (f.seq < frames.front().seq) before = f.chain;
    });
  Json session = {{"id", s.id},
                  {"name", s.name},
                  {"folder", s.folder},
                  {"source", s.source},
                  {"width", s.width},
                  {"height", s.height},
                  {"started_us", s.started_us},
                  {"ended_us", json_or_null(s.ended_us)},
                  {"end_reason", s.end_reason},
                  {"head", hex_or_null(s.head)},
                  {"head_frames", s.head ? Json(s.head_frames) : Json()},
                  {"signature", hex_or_null(s.signature)},
                  {"signer", hex_or_null(s.signer)}};
  Json rows = Json::array();
  for (const auto& f : frames)
    rows.push_back({{"seq", f.seq},
                    {"capture_us", f.capture_us},
                    {"file", f.file},
                    {"sha256", hex_or_null(f.sha256)},
                    {"chain", hex_or_null(f.chain)}});
  return {{"format", "screenreel-export"},
          {"version", 1},
          {"exported_us", wall_clock_us()},
          {"output", output},
          {"from_us", timeline.begin_us()},
          {"to_us", timeline.end_us()},
          {"receiver_key", receiver_key ? Json(to_hex(*receiver_key)) : Json()},
          {"session", std::move(session)},
          {"chain_before", hex_or_null(before)},
          {"redaction", redactor ? Json(redactor->note()) : Json()},
          {"frames", std::move(rows)}};
}

// With --key: the session must have been signed by that key, or the manifest would vouch for
// frames nobody can prove.
void check_signed_by(const SessionRecord& s, const std::vector<std::uint8_t>& key, const std::string& key_file) {
  const std::string name = "session " + std::to_string(s.id) + " ";
  if (!s.head)
    throw Failure(name + "has no signed head (still recording, closed by recover, or recorded before tamper "
                         "evidence): drop --key to export it with a manifest that says so");
  if (s.signer != key || !verify_signature(key, head_statement(s.id, s.head_frames, *s.head), s.signature))
    throw Failure(name + "is not signed by the key in " + key_file + ": run verify --integrity --key " + key_file);
}

// Put in place only once the export is.
void commit_manifest(std::optional<OutputFile>& file, const std::string& name) {
  if (!file) return;
  file->commit();
  log::info("manifest in " + name);
}

int run(CommandLine& cli) {
  po::options_description o = options();
  VideoExportOptions video;
  std::string output, frames_dir, manifest, key_file;
  std::vector<std::string> redact_areas, redact_text, redact_window;
  std::string redact_style = "black";
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
      "manifest", po::value(&manifest)->value_name("JSON"),
      "also write JSON: the session, its signed head and every frame the export came from, with its "
      "SHA-256 and chain link (schemas/archive-layout.md, \"Export manifests\")")(
      "key", po::value(&key_file)->value_name("PEM"),
      "with --manifest: the receiver's public key ('screenreel-receiver --print-key'); the session must be "
      "signed by it, and the manifest names it")(
      "force", po::bool_switch(&video.force), "replace an existing FILE or JSON (never a link or a folder)")(
      "from-marker", po::value<std::string>()->value_name("LABEL"),
      "start at the marker labelled LABEL (screenreel-replay markers lists them), instead of --from")(
      "to-marker", po::value<std::string>()->value_name("LABEL"), "end at the marker labelled LABEL, instead of --to")(
      "redact", po::value(&redact_areas)->composing()->value_name("X,Y,W,H[@FROM-TO]"),
      "cover a box of the recorded frames (pixels; repeatable), on the frames on screen from FROM to TO "
      "(times as --from/--to take them, e.g. 0,0,400,30@+5s-+12s; either may be left out), else on all")(
      "redact-text", po::value(&redact_text)->composing()->value_name("REGEX"),
      "cover every line of text OCR read whose text matches REGEX (ECMAScript, case-sensitive; repeatable), "
      "on every frame it may have been on screen. Needs the session's text index: a session recorded with "
      "screenreel-receiver --ocr, or indexed by `screenreel-replay index`")(
      "redact-window", po::value(&redact_window)->composing()->value_name("TITLE"),
      "cover every window whose title holds TITLE (a part of it, ignoring ASCII case, as screenreel-capture "
      "--window takes it; not a regular expression; repeatable), where it was, on every frame it may have "
      "been on screen. Needs the session's window geometry: recorded by screenreel-capture of an X display "
      "into a receiver of protocol 6")(
      "redact-style", po::value(&redact_style)->value_name("black|blur"),
      "how boxes are covered: black (default) or blur (pixelated and smoothed: no letter left to read)");
  const auto vm = cli.parse(
      o,
      {"export SESSION (-o FILE | --frames DIR [--manifest JSON]) [OPTIONS]",
       "Makes a video whose timing follows the recorded capture times at a constant rate:\n"
       "output frame k shows the frame on screen k/fps seconds after --from, so frames are\n"
       "repeated (a still screen) or skipped (faster than --fps) as the timing requires. The\n"
       "video has floor(duration * fps) + 1 frames. It is written in a private temporary folder\n"
       "beside FILE and moved into place when complete (never through a link; removed if the\n"
       "export fails or is interrupted); an existing FILE is kept unless --force. A progress bar\n"
       "shows on a terminal. --manifest JSON lists the frames the export came from with the\n"
       "SHA-256 of each and its link in the session's chain, and the session's head as the\n"
       "receiver signed it, so that whoever gets the export can prove its frames are the\n"
       "recorded ones. --redact, --redact-text and --redact-window cover boxes of the exported\n"
       "frames (the archive is never changed); a redacted video is H.264 (.mp4, .mkv, .mov) with\n"
       "a \"comment\" saying so, a redacted --frames folder has the covered frames written anew\n"
       "with a JPEG comment, and REDACTED.txt naming them.",
       "  screenreel-replay export 3 -o session3.mp4\n"
       "  screenreel-replay export standup -o part.avi --from 14:05 --to 14:06:30 --fps 10 --scale 0.5\n"
       "  screenreel-replay export 3 -o timelapse.mp4 --speed 20 --idle-limit 1\n"
       "  screenreel-replay export 3 --frames out/ --from +5s --to +15s --link\n"
       "  screenreel-replay export 3 -o part.mp4 --from-marker \"marker 1\" --to-marker \"marker 2\"\n"
       "  screenreel-replay export 3 --frames out/ --manifest out.json --key receiver.pub\n"
       "  screenreel-replay export 3 -o public.mp4 --redact 0,0,1920,40 --redact 600,300,400,200@+1:00-+1:30\n"
       "  screenreel-replay export 3 -o public.mp4 --redact-text '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+'\n"
       "  screenreel-replay export 3 -o public.mp4 --redact-window 'Mail' --redact-style blur\n"
       "  ffmpeg -f concat -i out/frames.ffconcat -fps_mode vfr -enc_time_base 1/1000 \\\n"
       "         -pix_fmt yuv420p out.mp4\n"},
      {"session"});
  if (!vm) return 0;
  if (output.empty() == frames_dir.empty())
    throw UsageError("give either -o FILE (a video) or --frames DIR");
  if (vm->count("link") && frames_dir.empty()) throw UsageError("--link goes with --frames DIR");
  if (!key_file.empty() && manifest.empty()) throw UsageError("--key goes with --manifest JSON");
  for (const char* t : {"from", "to"}) time_option(*vm, t);  // a malformed time: exit 2
  OpenArchive archive(cli);
  const SessionRecord s = archive.session(*vm);
  TimeRange range = time_range(*vm, archive.catalog, s);
  // A marker names the frame on screen when it was set: the range starts or ends there.
  for (const auto& [option, time, end] : {std::tuple{"from-marker", "from", &range.from_us},
                                          std::tuple{"to-marker", "to", &range.to_us}}) {
    if (!vm->count(option)) continue;
    if (vm->count(time)) throw UsageError(std::string("--") + time + " and --" + option + " both set the range's " +
                                          (std::string(time) == "from" ? "start" : "end") + ": give one");
    *end = marker_offset_us(archive.catalog, s, find_marker(archive.catalog, s, (*vm)[option].as<std::string>()));
  }
  // The archive is never changed: the export covers its own decoded copy of each frame, and says so
  // in what it writes (the video's metadata, the JPEGs' COM segment and REDACTED.txt, the manifest).
  RedactionRequest redaction;
  for (const auto& a : redact_areas) redaction.areas.push_back(parse_redact_area(a));
  redaction.text_patterns = redact_text;
  redaction.window_titles = redact_window;
  redaction.style = parse_redact_style(redact_style);
  if (vm->count("redact-style") && redaction.empty())
    throw UsageError("--redact-style goes with --redact, --redact-text or --redact-window");
  std::optional<Redactor> redactor;
  if (!redaction.empty()) redactor.emplace(archive.catalog, s, redaction);
  const Redactor* redacting = redactor ? &*redactor : nullptr;
  std::optional<OutputFile> manifest_file;
  if (!manifest.empty()) {
    std::optional<std::vector<std::uint8_t>> key;
    if (!key_file.empty()) {
      try {
        key = read_public_key(key_file);
      } catch (const std::exception& e) {
        throw Failure("--key: " + std::string(e.what()));
      }
      check_signed_by(s, *key, key_file);
    }
    const Timeline timeline = Timeline::load(archive.catalog, s, range);
    // The export reads the same frames: a session still recording gains none past this end.
    range.to_us = timeline.end_us() - timeline.origin_us();
    manifest_file.emplace(manifest, video.force);
    std::ofstream out(manifest_file->path());
    out << export_manifest(archive.catalog, s, timeline, output.empty() ? frames_dir : output, key, redacting)
               .dump(2, ' ', false, Json::error_handler_t::replace)
        << '\n';
    if (!out.flush()) throw Failure("cannot write " + manifest);
  }

  if (!frames_dir.empty()) {
    FrameExportOptions fo;
    fo.dir = frames_dir;
    fo.range = range;
    fo.link = vm->count("link") > 0;
    fo.redactor = redacting;
    ProgressBar progress("export");
    fo.progress = progress.callback();
    const auto r = export_frames(archive.paths, archive.catalog, s, fo);
    progress.finish();
    log::info(std::to_string(r.files) + " frames (" + format_bytes(r.bytes) + ") " +
              (r.linked == r.files ? "linked"
               : r.linked          ? "linked or copied"
                                   : "copied") +
              " into " + frames_dir + ", timing in " +
              (std::filesystem::path(frames_dir) / "frames.ffconcat").string());
    if (redacting)
      log::info(std::to_string(r.redacted) + " of them written anew with boxes covered (" +
                (std::filesystem::path(frames_dir) / "REDACTED.txt").string() + " names them)");
    commit_manifest(manifest_file, manifest);
    if (!r.damaged.empty())
      log::info(std::to_string(r.damaged.size()) + " of them are not whole JPEGs (the first: " + r.damaged.front() +
                "); they were copied as they are: run verify");
    return 0;
  }
  video.output = output;
  video.range = range;
  video.idle_limit_us = idle_limit(*vm);
  if (vm->count("fps")) video.fps = fps;
  video.redactor = redacting;
  ProgressBar progress("export");
  video.progress = progress.callback();
  const auto r = export_video(archive.paths, archive.catalog, s, video);
  progress.finish();
  commit_manifest(manifest_file, manifest);
  log::info("wrote " + output + ": " + std::to_string(r.frames) + " frames at " +
            format_fixed(r.fps, 3) + " fps (" +
            format_offset(static_cast<std::int64_t>(static_cast<double>(r.frames) / r.fps * 1e6)) +
            "), " + std::to_string(r.width) + "x" + std::to_string(r.height) + ", codec " +
            r.codec);
  if (redacting)
    log::info(std::to_string(r.redacted) + " recorded frames had boxes covered; the file's comment says it was "
              "redacted");
  if (r.unreadable)
    log::info(std::to_string(r.unreadable) +
              " recorded frames could not be read; the frame before each was repeated (run "
              "verify)");
  return 0;
}

}  // namespace

const Command kExport{
    "export",
    {{"export SESSION -o FILE", "a video (.mp4 .mkv .mov .avi) at a constant frame rate"},
     {"export SESSION --frames DIR", "copy (or --link) the JPEGs of a time range, with their timing"}},
    run};

}  // namespace screenreel::replay::commands

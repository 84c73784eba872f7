// screenreel-replay export: a video at a constant frame rate, or the JPEGs of a time range.
#include <filesystem>

#include "commands.hpp"
#include "screenreel/common/log.hpp"
#include "screenreel/replay/frame_export.hpp"
#include "screenreel/replay/progress.hpp"
#include "screenreel/replay/text.hpp"
#include "screenreel/replay/time_format.hpp"
#include "screenreel/replay/video_export.hpp"

namespace screenreel::replay::commands {
namespace {

int run(CommandLine& cli) {
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
  OpenArchive archive(cli);
  const SessionRecord s = archive.session(*vm);

  if (!frames_dir.empty()) {
    FrameExportOptions fo;
    fo.dir = frames_dir;
    fo.range = time_range(*vm);
    fo.link = vm->count("link") > 0;
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
    if (!r.damaged.empty())
      log::info(std::to_string(r.damaged.size()) + " of them are not whole JPEGs (the first: " + r.damaged.front() +
                "); they were copied as they are: run verify");
    return 0;
  }
  video.output = output;
  video.range = time_range(*vm);
  video.idle_limit_us = idle_limit(*vm);
  if (vm->count("fps")) video.fps = fps;
  ProgressBar progress("export");
  video.progress = progress.callback();
  const auto r = export_video(archive.paths, archive.catalog, s, video);
  progress.finish();
  log::info("wrote " + output + ": " + std::to_string(r.frames) + " frames at " +
            format_fixed(r.fps, 3) + " fps (" +
            format_offset(static_cast<std::int64_t>(static_cast<double>(r.frames) / r.fps * 1e6)) +
            "), " + std::to_string(r.width) + "x" + std::to_string(r.height) + ", codec " +
            r.codec);
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

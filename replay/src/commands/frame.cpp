// screenreel-replay frame: the frame on screen at a time, as an image.
#include "commands.hpp"
#include "screenreel/common/log.hpp"
#include "screenreel/replay/frame_export.hpp"
#include "screenreel/replay/time_format.hpp"

namespace screenreel::replay::commands {
namespace {

int run(CommandLine& cli) {
  po::options_description o = options();
  std::string output;
  o.add_options()("at", po::value<std::string>()->value_name("T"),
                  (std::string("the time") + kTimeForms).c_str())(
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
                 "  screenreel-replay frame 3 --at 14:05:30 -o shot.png\n"
                 "  screenreel-replay frame 3 --at \"2026-12-05 14:05:30.250 +0100\" -o shot.png\n"
                 "  screenreel-replay frame standup --at +0 -o first.jpg\n"
                 "  screenreel-replay frame 3 --at +0:42.1 --highlight \"permission denied\" -o hit.png\n"},
                {"session"});
  if (!vm) return 0;
  if (!time_option(*vm, "at")) throw UsageError("missing --at T");
  if (output.empty()) throw UsageError("missing -o FILE");
  OpenArchive archive(cli);
  const SessionRecord s = archive.session(*vm);
  const auto at_us = at_option(*vm, archive.catalog, s);
  const std::string highlight = vm->count("highlight") ? (*vm)["highlight"].as<std::string>() : "";
  const SavedFrame saved =
      save_frame(archive.paths, archive.catalog, s, *at_us, output, highlight, vm->count("force") > 0);
  std::string wrote = "wrote " + output + ": frame " + std::to_string(saved.frame.seq) + " (" +
                      saved.frame.file + "), captured at " + format_offset(saved.offset_us);
  if (!highlight.empty())
    wrote += ", " + std::to_string(saved.boxes) + " box(es) around \"" + highlight + "\"";
  log::info(wrote);
  if (!highlight.empty() && saved.boxes == 0)
    log::info("that text is not on this frame in the text index ('search' says when it was)");
  return 0;
}

}  // namespace

const Command kFrame{
    "frame",
    {{"frame SESSION --at T -o FILE", "the frame on screen at time T, as an image (.png .jpg ...)"}},
    run};

}  // namespace screenreel::replay::commands

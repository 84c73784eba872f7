// screenreel-replay index: builds the text index of sessions recorded without --ocr.
#include <memory>

#include "commands.hpp"
#include "screenreel/archive/activity.hpp"
#include "screenreel/common/log.hpp"
#include "screenreel/ocr/engine.hpp"
#include "screenreel/replay/archive_access.hpp"
#include "screenreel/replay/progress.hpp"
#include "screenreel/replay/text_indexing.hpp"

namespace screenreel::replay::commands {
namespace {

int run(CommandLine& cli) {
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
       "older catalog first, and measures the activity of frames recorded before it had any\n"
       "(the viewer's timeline). A progress bar shows on a terminal.",
       "  screenreel-replay index --all\n"
       "  screenreel-replay index standup --lang eng+deu --again\n"},
      {"session"});
  if (!vm) return 0;
  if (vm->count("all") == vm->count("session")) throw UsageError("give either SESSION or --all");
  if (interval < 0.05 || interval > 3600) throw UsageError("--interval must be 0.05 to 3600 seconds");
  index_options.interval_us = static_cast<std::int64_t>(interval * 1e6);
  index_options.again = vm->count("again") > 0;
  ocr::limit_openmp_threads(cli.argv());
  OpenArchive archive(cli, OpenArchive::Access::kWrite);
  std::vector<SessionRecord> sessions;
  if (vm->count("session")) {
    sessions.push_back(archive.session(*vm));
  } else {
    for (const auto& s : archive.catalog.sessions()) {
      if (s.frame_count > 0 && !s.recording()) sessions.push_back(s);
      if (s.recording())
        log::info("session " + std::to_string(s.id) +
                  " is still being recorded (or its receiver died: run recover): not indexed");
    }
  }
  std::unique_ptr<ocr::Engine> engine;
  try {
    engine = std::make_unique<ocr::Engine>(ocr::EngineOptions{lang});
  } catch (const std::exception& e) {
    throw Failure(e.what());
  }
  for (const auto& s : sessions) {
    // Frames recorded before schema 4 get their activity too (the viewer's timeline).
    if (const ActivityFill fill = fill_activity(archive.paths, archive.writer(), s); fill.frames > 0)
      log::info("session " + std::to_string(s.id) + ": activity of " + std::to_string(fill.frames) +
                " frames measured from their JPEG files");
    ProgressBar progress("index " + std::to_string(s.id));
    index_options.progress = progress.callback();
    const auto r = index_session(archive.paths, archive.writer(), s, *engine, index_options);
    progress.finish();
    std::string done = "session " + std::to_string(s.id) + " \"" + s.name + "\": ";
    if (r.already_complete)
      done += "already indexed (--again to rebuild)";
    else
      done += (r.resumed_after ? "resumed after frame " + std::to_string(r.resumed_after) + ", "
                               : "") +
              std::to_string(r.passes) + " frames read, " + std::to_string(r.lines) + " lines" +
              (r.unreadable ? ", " + std::to_string(r.unreadable) +
                                  " unreadable frames skipped (run verify)"
                            : "");
    log::info(done);
  }
  return 0;
}

}  // namespace

const Command kIndex{
    "index",
    {{"index SESSION|--all", "build the text index of sessions recorded without --ocr"}},
    run};

}  // namespace screenreel::replay::commands

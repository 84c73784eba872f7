// screenreel-replay play: a session in a window at its recorded timing.
#include <iostream>

#include "commands.hpp"
#include "screenreel/replay/player.hpp"
#include "screenreel/replay/session_events.hpp"

namespace screenreel::replay::commands {
namespace {

int run(CommandLine& cli) {
  po::options_description o = options();
  PlayOptions play_options;
  add_range_options(o);
  o.add_options()("speed", po::value(&play_options.speed)->default_value(1.0)->value_name("X"),
                  "playback speed, 1/64 .. 64 (keys + and - double and halve it)")(
      "idle-limit", po::value<std::string>()->value_name("S"),
      "shorten every pause longer than S (seconds or T) to S, as asciinema does")(
      "loop", "start again at the end, until q")(
      "at", po::value<std::string>()->value_name("T"),
      "start playing at T (a hit of 'search'), inside the range; a --loop starts again at --from")(
      "marker", po::value<std::string>()->value_name("LABEL"),
      "start playing at the marker labelled LABEL (screenreel-replay markers lists them), as --at");
  const auto vm = cli.parse(
      o,
      {"play SESSION [--from T] [--to T] [--at T | --marker LABEL] [OPTIONS]",
       "Shows the session's frames in a window at their recorded timing (the capture times,\n"
       "not a fixed rate). Seeking to --from uses the catalog's time index.\n"
       "The window opens at the session's size when it fits the screen, and can be resized\n"
       "(the picture is scaled to fit, its shape kept). Needs a display ($DISPLAY).\n"
       "Keys: space pause/resume; right/left arrow 5 s forward/back while playing, one frame\n"
       "while paused; Page Up/Page Down 1 min forward/back; Home/End the start/end; 0-9 to\n"
       "0%..90% of the range; n the next frame that changed the screen, p (or N) the previous one\n"
       "(the catalog's activity, as serve's n/N); o the time and frame overlay (clock time, offset,\n"
       "frame number) on/off; +/- double/halve the speed; q or Esc quit.",
       "  screenreel-replay play 3\n"
       "  screenreel-replay play standup --from 14:05 --to 14:07 --speed 2\n"
       "  screenreel-replay play standup --from +1:30 --to +2:00\n"
       "  screenreel-replay play 3 --idle-limit 1 --loop\n"
       "  screenreel-replay play 3 --at 14:05:42.100         # where 'search' found something\n"
       "  screenreel-replay play 3 --marker \"marker 2\"       # where m was pressed the second time\n"},
      {"session"});
  if (!vm) return 0;
  for (const char* t : {"from", "to", "at"}) time_option(*vm, t);  // a malformed time: exit 2
  play_options.idle_limit_us = idle_limit(*vm);
  play_options.loop = vm->count("loop") > 0;
  OpenArchive archive(cli);
  const SessionRecord s = archive.session(*vm);
  play_options.range = time_range(*vm, archive.catalog, s);
  play_options.at_us = at_option(*vm, archive.catalog, s);
  if (vm->count("marker")) {
    if (play_options.at_us) throw UsageError("--at and --marker both say where to start: give one");
    play_options.at_us = marker_offset_us(archive.catalog, s,
                                          find_marker(archive.catalog, s, (*vm)["marker"].as<std::string>()));
  }
  play(archive.paths, archive.catalog, s, play_options, std::cerr);
  return 0;
}

}  // namespace

const Command kPlay{
    "play", {{"play SESSION", "show a session in a window at its recorded timing"}}, run};

}  // namespace screenreel::replay::commands

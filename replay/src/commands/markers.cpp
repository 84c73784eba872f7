// screenreel-replay markers: the moments marked while a session was recorded.
#include <iostream>

#include "commands.hpp"
#include "screenreel/replay/session_events.hpp"

namespace screenreel::replay::commands {
namespace {

int run(CommandLine& cli) {
  po::options_description o = options();
  o.add_options()("json", "print a JSON array, one object per marker");
  const auto vm = cli.parse(
      o,
      {"markers SESSION [--json]",
       "The markers set while the session was recorded, in order: when (clock time), where\n"
       "(offset from the first frame, the capture tick and the frame on screen then), who set\n"
       "it (capture-key: m on the capture client's terminal; signal: SIGUSR1 to the capture\n"
       "client; hotkey; receiver-key: m at the receiver) and its label. play --marker LABEL and\n"
       "export --from-marker A --to-marker B take the labels.",
       "  screenreel-replay markers 3\n"
       "  screenreel-replay markers standup --json\n"},
      {"session"});
  if (!vm) return 0;
  OpenArchive archive(cli);
  const SessionRecord s = archive.session(*vm);
  const auto markers = archive.catalog.markers(s.id);
  if (vm->count("json")) {
    print_json_lines(std::cout, markers_json(archive.catalog, s, markers));
    return 0;
  }
  if (markers.empty()) {
    std::cout << "session " << s.id << " has no markers\n";
    return 0;
  }
  print_markers(std::cout, archive.catalog, s, markers);
  return 0;
}

}  // namespace

const Command kMarkers{"markers", {{"markers SESSION", "the moments marked while recording (m, SIGUSR1)"}}, run};

}  // namespace screenreel::replay::commands

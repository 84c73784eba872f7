// screenreel-replay delete: removes a session's rows and files, after asking.
#include <iostream>

#include "commands.hpp"
#include "screenreel/common/log.hpp"
#include "screenreel/replay/session_delete.hpp"
#include "screenreel/replay/text.hpp"
#include "screenreel/replay/time_format.hpp"

namespace screenreel::replay::commands {
namespace {

int run(CommandLine& cli) {
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
  OpenArchive archive(cli, OpenArchive::Access::kWrite);
  const SessionRecord s = archive.session(*vm);
  if (!vm->count("yes")) {
    // A question, answered on the same line: not a log line.
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
  delete_session(archive.paths, archive.writer(), s);
  log::info("deleted session " + std::to_string(s.id) + " (" + std::to_string(s.frame_count) +
            " frames)");
  return 0;
}

}  // namespace

const Command kDelete{
    "delete", {{"delete SESSION", "remove a session's rows and files"}}, run};

}  // namespace screenreel::replay::commands

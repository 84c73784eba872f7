// screenreel-replay verify: do the catalog's rows and the files on disk agree?
#include <iostream>

#include "commands.hpp"
#include "screenreel/archive/integrity.hpp"
#include "screenreel/archive/verify.hpp"
#include "screenreel/replay/archive_access.hpp"
#include "screenreel/replay/progress.hpp"
#include "screenreel/replay/text.hpp"

namespace screenreel::replay::commands {
namespace {

int run(CommandLine& cli) {
  po::options_description o = options();
  o.add_options()("quiet,q", "print only problems and the summary line, not notes")(
      "quick", "check the catalog with SQLite's quick_check instead of its integrity_check")(
      "integrity", "also check tamper evidence: every JPEG against its SHA-256, each session's chain of frames and its signed head")(
      "key", po::value<std::string>()->value_name("FILE"),
      "with --integrity: the receiver's public key (PEM, from 'screenreel-receiver --print-key') that must have signed every session");
  const auto vm = cli.parse(
      o,
      {"verify [SESSION] [--integrity [--key FILE]]",
       "Checks the archive (or one session): first the catalog itself (SQLite's\n"
       "integrity_check; a damaged catalog is reported alone: 'rebuild' makes a new one from\n"
       "the session folders), then that every catalog row has its file, every file has its\n"
       "row, every JPEG decodes at the size the catalog records, each session's frame count\n"
       "and bytes match its rows, no leftover temporary files, no stray folders.\n"
       "Prints each problem; exit status 1 when there is any. A session being recorded may\n"
       "have files not yet indexed: those are notes, not problems. A session marked recording\n"
       "with no receiver running is a problem: 'recover' repairs what a crashed receiver\n"
       "leaves behind. With --integrity it also proves that no frame was changed, removed,\n"
       "inserted or reordered since it was recorded: each JPEG against the SHA-256 in its\n"
       "row, the session's chain of rows, and the chain's last link as the receiver signed\n"
       "it (Ed25519) when the session ended; it names the first bad frame.",
       "  screenreel-replay verify\n"
       "  screenreel-replay verify 3\n"
       "  screenreel-replay verify --integrity --key receiver.pub\n"},
      {"session"});
  if (!vm) return 0;
  OpenArchive archive(cli);
  VerifyOptions options;
  options.receiver_running = running_receiver_pid(archive.paths).has_value();
  options.quick = vm->count("quick") > 0;
  options.integrity = vm->count("integrity") > 0 || vm->count("key") > 0;
  if (vm->count("key")) {
    try {
      options.trusted_key = read_public_key((*vm)["key"].as<std::string>());
    } catch (const std::exception& e) {
      throw Failure("--key: " + std::string(e.what()));
    }
  }
  if (vm->count("session")) options.session = archive.session(*vm).id;
  ProgressBar progress("verify");
  options.progress = progress.callback();
  const VerifyReport report = verify_archive(archive.paths, archive.catalog, options);
  progress.finish();
  if (!vm->count("quiet"))
    for (const auto& n : report.notes) std::cout << "note: " << terminal_safe(n) << "\n";
  for (const auto& p : report.problems)
    std::cout << terminal_safe(p.path) << ": " << terminal_safe(p.what) << "\n";
  std::cout << (report.ok() ? "ok: " : "FAILED: ") << report.sessions << " sessions, "
            << report.frames << " frames checked, " << report.problems.size() << " problems\n";
  return report.ok() ? 0 : 1;
}

}  // namespace

const Command kVerify{
    "verify",
    {{"verify [SESSION]", "check that rows and files agree and every JPEG decodes"}},
    run};

}  // namespace screenreel::replay::commands

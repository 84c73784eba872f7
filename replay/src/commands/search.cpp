// screenreel-replay search: when text was on screen, from the OCR text index.
#include <unistd.h>

#include <algorithm>
#include <iostream>

#include "commands.hpp"
#include "screenreel/common/log.hpp"
#include "screenreel/replay/search_output.hpp"
#include "screenreel/replay/session_lookup.hpp"
#include "screenreel/replay/text_search.hpp"

namespace screenreel::replay::commands {
namespace {

int run(CommandLine& cli) {
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
       "After the offsets, the local clock time it was first seen. Both are rounded up to the\n"
       "millisecond: given to frame/play --at (the clock time as printed), they show that frame.\n"
       "--from/--to keep the lines on screen at some time between them (in every session): an\n"
       "offset counts from each session's first frame, a clock time is the same moment for all.",
       "  screenreel-replay search \"permission denied\"\n"
       "  screenreel-replay search \"make: ***\" --session standup --from +1:00 --to +5:00\n"
       "  screenreel-replay search \"make: ***\" --from \"2026-12-05 14:00\" --to \"2026-12-05 15:00\"\n"
       "  screenreel-replay search \"ERR*\" --json\n"
       "  screenreel-replay frame 3 --at 14:05:42.100 --highlight \"permission denied\" -o hit.png\n"
       "  screenreel-replay play 3 --at 14:05:42.100\n"},
      {"words"});
  if (!vm) return 0;
  query.words = required(*vm, "words", "the words to search for (in quotes)");
  const auto from = time_option(*vm, "from"), to = time_option(*vm, "to");
  if (query.limit < 1) throw UsageError("--limit must be at least 1");
  OpenArchive archive(cli);
  std::optional<SessionRecord> only;
  if (!session.empty()) only = find_session(archive.catalog, session);
  std::vector<TextHit> hits;
  if (only) {
    query.session_id = only->id;
    query.range = time_range(*vm, archive.catalog, *only);
    hits = search_text(archive.catalog, query);
  } else if (!(from && from->clock()) && !(to && to->clock())) {
    // Offsets from each session's first frame: one query over every session.
    query.range = {from ? from->offset_us : std::nullopt, to ? to->offset_us : std::nullopt};
    hits = search_text(archive.catalog, query);
  } else {
    // A clock time is a different offset in each session: a query for each session it meets,
    // ranked together (bm25 ranks are comparable: they come from one index).
    for (const auto& s : archive.catalog.sessions()) {
      const auto span = session_span(archive.catalog, s);
      const auto range = span ? range_in(from, to, *span) : std::nullopt;
      if (!range) continue;
      query.session_id = s.id;
      query.range = *range;
      for (auto& h : search_text(archive.catalog, query)) hits.push_back(std::move(h));
    }
    std::stable_sort(hits.begin(), hits.end(), [](const TextHit& a, const TextHit& b) {
      return a.rank != b.rank ? a.rank < b.rank : a.first_us < b.first_us;
    });
    if (hits.size() > static_cast<std::size_t>(query.limit)) hits.resize(static_cast<std::size_t>(query.limit));
  }
  const bool json = vm->count("json") > 0;
  print_hits(std::cout, hits, json, ::isatty(STDOUT_FILENO) == 1);
  if (hits.empty() && !json) log::info("no text on screen matched");
  const auto missing = archive.catalog.sessions_without_text_index();
  if (!missing.empty())
    log::info(std::to_string(missing.size()) +
              " session(s) have no complete text index and were not searched in full: run "
              "'screenreel-replay index --all'");
  return 0;
}

}  // namespace

const Command kSearch{
    "search",
    {{"search \"WORDS\"", "when text was on screen (the OCR text index), best first"}},
    run};

}  // namespace screenreel::replay::commands

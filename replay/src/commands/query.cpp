// screenreel-replay query: one read-only SQL statement on the catalog.
#include <unistd.h>

#include <iostream>

#include "commands.hpp"
#include "screenreel/replay/query.hpp"
#include "screenreel/replay/table.hpp"

namespace screenreel::replay::commands {
namespace {

int run(CommandLine& cli) {
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
       "On a PostgreSQL catalog (--catalog, schemas/catalog-postgresql.sql) the SQL is\n"
       "PostgreSQL's: it runs in a READ ONLY transaction that is rolled back, with\n"
       "statement_timeout set from --timeout; the same one-statement and row limits apply.\n"
       "Times are microseconds since the epoch (UTC).",
       "  screenreel-replay query \"SELECT id, name, frame_count FROM sessions\"\n"
       "  screenreel-replay query \"SELECT seq, capture_us FROM frames WHERE session_id = 3\" "
       "--csv\n"
       "  screenreel-replay query --json \"SELECT max(written_us - capture_us) FROM frames "
       "GROUP BY 1\"\n"},
      {"sql"});
  if (!vm) return 0;
  if (vm->count("csv") && vm->count("json")) throw UsageError("give --csv or --json, not both");
  const std::string sql = required(*vm, "sql", "the SQL statement (in quotes)");
  if (!(limits.timeout_s > 0)) throw UsageError("--timeout must be more than 0 seconds");
  if (limits.max_rows < 1) throw UsageError("--max-rows must be at least 1");
  OpenArchive archive(cli);
  const Table table = run_read_only_query(archive.catalog, sql, limits);
  table.write(std::cout, vm->count("csv")    ? TableFormat::kCsv
                         : vm->count("json") ? TableFormat::kJson
                                             : TableFormat::kAligned,
              ::isatty(STDOUT_FILENO) == 1);  // a terminal gets control characters neutralised
  return 0;
}

}  // namespace

const Command kQuery{
    "query", {{"query \"SQL\"", "one read-only SQL statement on the catalog"}}, run};

}  // namespace screenreel::replay::commands

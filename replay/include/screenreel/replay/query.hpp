// `screenreel-replay query "SQL"`: one read-only statement on the catalog, bounded. Locks keep it
// read-only: the catalog is opened SQLITE_OPEN_READONLY, an authorizer (SQLite's own, so no
// parsing of ours can be fooled) allows only reading, recursive CTEs, a list of pragmas that
// only report and a named list of functions (never fts3_tokenizer, fts5, load_extension), the
// connection is DEFENSIVE with trusted_schema, extension loading and the FTS3 tokenizer
// function off, and the prepared statement must pass sqlite3_stmt_readonly(). Bounds keep it
// from running away: a time limit (SQLite's progress handler), a heap limit
// (sqlite3_hard_heap_limit64), a row limit, and Ctrl-C interrupts it. On a PostgreSQL catalog
// the server does the same (PgCatalog::run_user_query): a READ ONLY transaction, always rolled
// back, statement_timeout from the time limit, one statement (the extended protocol), rows
// streamed up to the row limit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "screenreel/archive/catalog.hpp"
#include "screenreel/replay/table.hpp"

namespace screenreel::replay {

struct QueryLimits {
  double timeout_s = 10;                   // --timeout: wall time for preparing and stepping
  std::size_t max_rows = 100'000;          // --max-rows
  std::int64_t max_memory_bytes = 512ll << 20;  // SQLite's heap, for the whole program
};

// Runs `sql` on `catalog` (which must be open read-only) and returns its rows. Throws Failure for
// a statement that would write ("query is read-only: ... refused"), for more than one statement,
// for a function outside the allowed list, for SQL errors (SQLite's message), and when a limit
// is reached or SIGINT arrives (saying which, and what to do).
Table run_read_only_query(CatalogReader& catalog, std::string_view sql, const QueryLimits& limits = {});

}  // namespace screenreel::replay

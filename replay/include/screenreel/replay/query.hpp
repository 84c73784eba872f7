// `screenreel-replay query "SQL"`: one read-only statement on the catalog. Three locks keep it
// read-only: the catalog is opened SQLITE_OPEN_READONLY, an authorizer denies every action but
// reading (SELECT, reads, functions, recursive CTEs and a list of pragmas that only report),
// and the prepared statement must pass sqlite3_stmt_readonly().
#pragma once

#include <string_view>

#include "screenreel/archive/catalog.hpp"
#include "screenreel/replay/table.hpp"

namespace screenreel::replay {

// Runs `sql` on `catalog` (which must be open read-only) and returns its rows. Throws Failure for
// a statement that would write ("query is read-only: ... refused"), for more than one statement,
// and for SQL errors (SQLite's message).
Table run_read_only_query(Catalog& catalog, std::string_view sql);

}  // namespace screenreel::replay

// Read-only catalog queries (see query.hpp).
#include "screenreel/replay/query.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <memory>
#include <string>

#include "screenreel/archive/pg_catalog.hpp"
#include "screenreel/archive/sqlite_catalog.hpp"
#include "screenreel/replay/archive_access.hpp"

namespace screenreel::replay {
namespace {

// Pragmas that only report; as statements they are allowed without an argument (an argument
// would set them) or with a table name (table_info('frames')). data_version: FTS5 asks it
// whenever it reads the full-text index.
constexpr std::array<std::string_view, 21> kReadPragmas = {"data_version",
    "table_info",    "table_xinfo",      "table_list",    "index_list",     "index_info",
    "index_xinfo",   "foreign_key_list", "user_version",  "schema_version", "page_count",
    "page_size",     "freelist_count",   "encoding",      "application_id", "compile_options",
    "database_list", "collation_list",   "function_list", "pragma_list",    "quick_check"};
constexpr std::array<std::string_view, 8> kPragmasWithNameArgument = {
    "table_info", "table_xinfo", "table_list",       "index_list",
    "index_info", "index_xinfo", "foreign_key_list", "quick_check"};

// Functions a query may call: SQLite's core scalar, aggregate, math, date, JSON and window
// functions, and the full-text index's MATCH and FTS5's auxiliary functions. Everything else (fts3_tokenizer, which hands out and
// takes function pointers; fts5(), which returns one; load_extension; anything a later SQLite
// adds) is refused by name.
constexpr std::array<std::string_view, 87> kFunctions = {
    "abs", "avg", "char", "coalesce", "count", "date", "datetime", "format", "glob", "group_concat",
    "hex", "ifnull", "iif", "instr", "julianday", "length", "like", "likelihood", "likely", "lower",
    "ltrim", "max", "min", "nullif", "printf", "quote", "random", "randomblob", "replace", "round",
    "rtrim", "sign", "soundex", "strftime", "substr", "substring", "sum", "time", "total", "trim",
    "typeof", "unhex", "unicode", "unixepoch", "unlikely", "upper", "zeroblob", "octet_length",
    "ceil", "ceiling", "floor", "exp", "ln", "log", "log10", "log2", "mod", "pi", "pow", "power",
    "sqrt", "trunc", "json", "json_array", "json_extract", "json_object", "json_type", "json_valid",
    "json_group_array", "json_group_object", "json_array_length", "json_quote", "row_number",
    "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead", "first_value",
    "last_value", "nth_value", "match", "highlight", "snippet", "bm25",};

struct Guard {
  std::string refused;  // what the authorizer denied first, for the error message
};

// Set by SIGINT while a query runs; the progress handler turns it into an interrupt.
std::atomic<bool> g_interrupted{false};

extern "C" void on_sigint(int) { g_interrupted = true; }

struct Progress {
  std::chrono::steady_clock::time_point deadline;
  bool timed_out = false;
};

int on_progress(void* user) {
  auto* p = static_cast<Progress*>(user);
  if (g_interrupted) return 1;
  if (std::chrono::steady_clock::now() > p->deadline) {
    p->timed_out = true;
    return 1;
  }
  return 0;
}

// Ctrl-C interrupts the query (as the sqlite3 shell does) instead of being ignored until the
// statement ends; the old handler comes back afterwards.
class InterruptScope {
 public:
  InterruptScope() {
    g_interrupted = false;
    struct sigaction sa {};
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_);
  }
  ~InterruptScope() { sigaction(SIGINT, &old_, nullptr); }
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

 private:
  struct sigaction old_ {};
};

std::string_view action_name(int code) {
  switch (code) {
    case SQLITE_INSERT:
      return "INSERT";
    case SQLITE_UPDATE:
      return "UPDATE";
    case SQLITE_DELETE:
      return "DELETE";
    case SQLITE_ATTACH:
      return "ATTACH";
    case SQLITE_DETACH:
      return "DETACH";
    case SQLITE_PRAGMA:
      return "PRAGMA";
    case SQLITE_TRANSACTION:
      return "transaction control";
    case SQLITE_SAVEPOINT:
      return "SAVEPOINT";
    case SQLITE_ANALYZE:
      return "ANALYZE";
    case SQLITE_REINDEX:
      return "REINDEX";
    case SQLITE_ALTER_TABLE:
      return "ALTER TABLE";
    case SQLITE_CREATE_VTABLE:
      return "CREATE VIRTUAL TABLE";
    case SQLITE_DROP_VTABLE:
      return "DROP VIRTUAL TABLE";
    default:
      return code <= SQLITE_DROP_VIEW ? "CREATE/DROP" : "this statement";
  }
}

bool contains(const auto& list, std::string_view name) {
  for (const auto& n : list)
    if (n == name) return true;
  return false;
}

int authorize(void* user, int code, const char* a, const char* b, const char*, const char*) {
  auto* guard = static_cast<Guard*>(user);
  switch (code) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_RECURSIVE:
      return SQLITE_OK;
    case SQLITE_FUNCTION: {  // a: unused, b: the function's name
      std::string name = b ? b : "";
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      if (contains(kFunctions, name)) return SQLITE_OK;
      if (guard->refused.empty()) guard->refused = "the function " + name + "()";
      return SQLITE_DENY;
    }
    case SQLITE_PRAGMA: {
      const std::string_view name = a ? a : "";
      if (contains(kReadPragmas, name) && (!b || contains(kPragmasWithNameArgument, name)))
        return SQLITE_OK;
      if (guard->refused.empty())
        guard->refused =
            "PRAGMA " + std::string(name) + (b ? " = " + std::string(b) : std::string());
      return SQLITE_DENY;
    }
    default:
      if (guard->refused.empty()) {
        guard->refused = std::string(action_name(code));
        // SQLite asks this when a pragma_xxx() table function sets itself up.
        if (code == SQLITE_UPDATE && a && std::string_view(a) == "sqlite_master")
          guard->refused +=
              " of sqlite_master (from a pragma_xxx() table function? use the PRAGMA statement)";
      }
      return SQLITE_DENY;
  }
}

// Installs the authorizer for as long as it lives.
class AuthorizerScope {
 public:
  AuthorizerScope(sqlite3* db, Guard& guard) : db_(db) {
    sqlite3_set_authorizer(db_, authorize, &guard);
  }
  ~AuthorizerScope() { sqlite3_set_authorizer(db_, nullptr, nullptr); }
  AuthorizerScope(const AuthorizerScope&) = delete;
  AuthorizerScope& operator=(const AuthorizerScope&) = delete;

 private:
  sqlite3* db_;
};

struct Finalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StatementPtr = std::unique_ptr<sqlite3_stmt, Finalizer>;

Failure refused(const std::string& what) {
  if (what.starts_with("the function "))
    return Failure("query: " + what +
                   " is not allowed: a query may call SQLite's core, date, JSON and window functions and "
                   "FTS5's highlight, snippet and bm25");
  return Failure("query is read-only: " + what +
                 " refused. It runs one SELECT (or a reporting PRAGMA) on the catalog; to change "
                 "an archive use "
                 "recover or delete");
}

StatementPtr prepare(sqlite3* db, std::string_view sql, const char** tail) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, tail);
  StatementPtr stmt(raw);
  if (rc != SQLITE_OK) throw Failure(std::string("query: ") + sqlite3_errmsg(db));
  return stmt;
}

// The connection as the user's SQL gets it: nothing that reaches past the data.
void harden(sqlite3* db) {
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER, 0, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  sqlite3_enable_load_extension(db, 0);
}

// The same words on both backends.
Failure timed_out(const QueryLimits& limits) {
  return Failure("query: stopped after " + std::to_string(limits.timeout_s).substr(0, 4) +
                 " s (--timeout); narrow it (WHERE, LIMIT) or give a longer --timeout");
}
Failure no_statement() { return Failure("query: no SQL statement given (only blanks or comments)"); }
Failure more_than_one_statement() {
  return Failure("query runs one statement; remove what follows the first ';'");
}
Failure too_many_rows(const QueryLimits& limits) {
  return Failure("query: more than " + std::to_string(limits.max_rows) +
                 " rows (--max-rows); add a LIMIT, or give a larger --max-rows");
}

Failure stopped(sqlite3* db, const Progress& progress, const QueryLimits& limits) {
  if (progress.timed_out) return timed_out(limits);
  if (g_interrupted) return Failure("query: interrupted (Ctrl-C)");
  if (sqlite3_errcode(db) == SQLITE_NOMEM)
    return Failure("query: it needs more than the " + std::to_string(limits.max_memory_bytes >> 20) +
                   " MB SQLite may use here; narrow it (WHERE, LIMIT, fewer or smaller columns)");
  return Failure(std::string("query: ") + sqlite3_errmsg(db));
}

Cell pg_cell(const UserQueryColumn& column, std::optional<std::string>&& text) {
  if (!text) return std::monostate{};
  switch (column.kind) {
    case UserQueryColumn::Kind::kInteger:
      return static_cast<std::int64_t>(std::stoll(*text));
    case UserQueryColumn::Kind::kReal:
      return std::stod(*text);
    case UserQueryColumn::Kind::kBoolean:  // as SQLite has them
      return static_cast<std::int64_t>(*text == "t");
    case UserQueryColumn::Kind::kBytes:
      return Blob{std::vector<std::uint8_t>(text->begin(), text->end())};
    case UserQueryColumn::Kind::kText:
      break;
  }
  return std::move(*text);
}

// PostgreSQL: the server enforces what SQLite's authorizer does here (pg_query.cpp).
Table run_on_postgresql(PgCatalog& catalog, std::string_view sql, const QueryLimits& limits) {
  if (sql.find_first_not_of(" \t\r\n;") == std::string_view::npos) throw no_statement();
  Table table;
  std::vector<UserQueryColumn> columns;
  bool too_many = false;
  UserQueryEnd end;
  try {
    end = catalog.run_user_query(
        std::string(sql),
        std::chrono::milliseconds(static_cast<std::int64_t>(limits.timeout_s * 1000)),
        [&](const std::vector<UserQueryColumn>& c) {
          columns = c;
          table.columns.clear();
          for (const auto& column : c) table.columns.push_back(column.name);
        },
        [&](UserQueryRow&& row) {
          if (table.rows.size() == limits.max_rows) {
            too_many = true;
            return false;
          }
          auto& out = table.rows.emplace_back();
          for (std::size_t c = 0; c < row.size(); ++c) out.push_back(pg_cell(columns[c], std::move(row[c])));
          return true;
        });
  } catch (const CatalogError& e) {
    throw Failure(std::string("query: ") + e.what());
  }
  switch (end) {
    case UserQueryEnd::kTimedOut:
      throw timed_out(limits);
    case UserQueryEnd::kWouldWrite:
      throw refused("a statement that writes");
    case UserQueryEnd::kMoreThanOne:
      throw more_than_one_statement();
    case UserQueryEnd::kStopped:
      if (too_many) throw too_many_rows(limits);
      break;
    case UserQueryEnd::kDone:
      break;
  }
  return table;
}

}  // namespace

Table run_read_only_query(CatalogReader& reader, std::string_view sql, const QueryLimits& limits) {
  if (auto* pg = dynamic_cast<PgCatalog*>(&reader)) return run_on_postgresql(*pg, sql, limits);
  // Otherwise the user's SQL is SQLite's: query speaks to that backend by name.
  auto* sqlite_catalog = dynamic_cast<SqliteCatalog*>(&reader);
  if (!sqlite_catalog)
    throw Failure("query runs SQL on an SQLite or PostgreSQL catalog, and this catalog is " + reader.location());
  SqliteCatalog& catalog = *sqlite_catalog;
  sqlite3* db = catalog.db().handle();
  harden(db);
  sqlite3_hard_heap_limit64(limits.max_memory_bytes);
  Progress progress{std::chrono::steady_clock::now() +
                    std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                        std::chrono::duration<double>(limits.timeout_s))};
  InterruptScope interrupt;
  sqlite3_progress_handler(db, 1000, on_progress, &progress);
  // The full-text index is a virtual table: SQLite connects it the first time a statement uses
  // it, through a write to the schema that the guard would refuse. Connected here, before the
  // guard, its searches are reads like any other.
  if (catalog.has_text_index()) catalog.db().prepare("SELECT rowid FROM text_fts LIMIT 0");
  Guard guard;
  AuthorizerScope scope(db, guard);

  const char* tail = nullptr;
  StatementPtr stmt;
  try {
    stmt = prepare(db, sql, &tail);
  } catch (const Failure&) {
    if (!guard.refused.empty()) throw refused(guard.refused);
    throw;
  }
  // A denied read can leave SQLite preparing a statement that returns nothing; that is an error
  // here, not an empty result.
  if (!guard.refused.empty()) throw refused(guard.refused);
  if (!stmt) throw no_statement();
  // Whatever follows the first statement must be blanks, comments or semicolons.
  const std::string_view rest(tail, static_cast<std::size_t>(sql.data() + sql.size() - tail));
  bool more = true;
  try {
    more = prepare(db, rest, nullptr) != nullptr;
  } catch (const Failure&) {  // not even valid SQL: still more than one statement
  }
  if (more) throw more_than_one_statement();
  if (!sqlite3_stmt_readonly(stmt.get())) throw refused("a statement that writes");

  Table table;
  const int columns = sqlite3_column_count(stmt.get());
  for (int c = 0; c < columns; ++c) table.columns.emplace_back(sqlite3_column_name(stmt.get(), c));
  for (;;) {
    const int rc = sqlite3_step(stmt.get());
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) throw stopped(db, progress, limits);
    if (table.rows.size() == limits.max_rows) throw too_many_rows(limits);
    auto& row = table.rows.emplace_back();
    for (int c = 0; c < columns; ++c) {
      switch (sqlite3_column_type(stmt.get(), c)) {
        case SQLITE_INTEGER:
          row.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(stmt.get(), c)));
          break;
        case SQLITE_FLOAT:
          row.emplace_back(sqlite3_column_double(stmt.get(), c));
          break;
        case SQLITE_TEXT: {
          const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), c));
          row.emplace_back(
              std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt.get(), c))));
          break;
        }
        case SQLITE_BLOB: {
          const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt.get(), c));
          row.emplace_back(
              Blob{std::vector<std::uint8_t>(p, p + sqlite3_column_bytes(stmt.get(), c))});
          break;
        }
        default:
          row.emplace_back(std::monostate{});
      }
    }
  }
  return table;
}

}  // namespace screenreel::replay

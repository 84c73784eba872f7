// `screenreel-replay query` on a PostgreSQL catalog (PgCatalog::run_user_query, pg_catalog.hpp).
// The server keeps the statement read-only and bounded: a READ ONLY transaction (entered with a
// snapshot taken, so the statement cannot make it READ WRITE), statement_timeout, the extended
// protocol (one statement only), and single-row mode so that a large result is never held whole.
#include <algorithm>
#include <string>

#include "pg.hpp"
#include "screenreel/archive/pg_catalog.hpp"

namespace screenreel {
namespace {

// PostgreSQL's type oids (pg_type.h) as the kinds a table prints.
UserQueryColumn::Kind kind_of_type(Oid type) {
  switch (type) {
    case 20:  // int8
    case 21:  // int2
    case 23:  // int4
    case 26:  // oid
      return UserQueryColumn::Kind::kInteger;
    case 700:   // float4
    case 701:   // float8
    case 1700:  // numeric
      return UserQueryColumn::Kind::kReal;
    case 16:
      return UserQueryColumn::Kind::kBoolean;
    case 17:
      return UserQueryColumn::Kind::kBytes;
    default:
      return UserQueryColumn::Kind::kText;
  }
}

}  // namespace

UserQueryEnd PgCatalog::run_user_query(const std::string& sql, std::chrono::milliseconds timeout,
                                       const std::function<void(const std::vector<UserQueryColumn>&)>& columns,
                                       const std::function<bool(UserQueryRow&&)>& row) {
  pg::Transaction tx(*db_);  // never committed: rolled back whatever the statement did
  db_->exec("SET TRANSACTION READ ONLY");
  // A first query takes the snapshot: from then on SET TRANSACTION READ WRITE is refused.
  db_->exec("SELECT 1");
  db_->exec("SET LOCAL statement_timeout = " + std::to_string(std::max<std::int64_t>(1, timeout.count())));
  std::vector<UserQueryColumn> kinds;
  bool stopped = false;
  try {
    db_->exec_each_row(sql, [&](const pg::Rows& r) {
      if (kinds.empty()) {
        for (int c = 0; c < r.columns(); ++c) kinds.push_back({r.column_name(c), kind_of_type(r.column_type(c))});
        columns(kinds);
      }
      if (r.empty()) return true;  // the end of the rows
      UserQueryRow cells;
      for (int c = 0; c < r.columns(); ++c) {
        if (r.null(0, c)) {
          cells.emplace_back();
        } else if (kinds[static_cast<std::size_t>(c)].kind == UserQueryColumn::Kind::kBytes) {
          const auto b = r.bytes(0, c);
          cells.emplace_back(std::string(b.begin(), b.end()));
        } else {
          cells.emplace_back(r.text(0, c));
        }
      }
      stopped = !row(std::move(cells));
      return !stopped;
    });
  } catch (const pg::StatementError& e) {
    if (stopped) return UserQueryEnd::kStopped;
    if (e.sqlstate() == "57014") return UserQueryEnd::kTimedOut;
    // 25006: a write in a read-only transaction; 25001: what must not run in a transaction
    // (making it READ WRITE after its snapshot, VACUUM, CREATE DATABASE).
    if (e.sqlstate() == "25006" || e.sqlstate() == "25001") return UserQueryEnd::kWouldWrite;
    if (e.sqlstate() == "42601" && std::string(e.what()).find("multiple commands") != std::string::npos)
      return UserQueryEnd::kMoreThanOne;
    throw;
  }
  if (stopped) return UserQueryEnd::kStopped;
  return UserQueryEnd::kDone;
}

}  // namespace screenreel

// The libpq layer of the PostgreSQL catalog backend (see pg.hpp).
#include "pg.hpp"

#include <charconv>
#include <cstring>
#include <vector>

namespace screenreel::pg {
namespace {

// SQLSTATE classes the callers act on (catalog_error.hpp).
CatalogError::Kind kind_of(const char* sqlstate) {
  const std::string s = sqlstate ? sqlstate : "";
  if (s == "53100" || s == "53200" || s == "53400") return CatalogError::Kind::kFull;  // disk full, out of memory, limits
  if (s == "40001" || s == "40P01" || s == "55P03" || s == "57014") return CatalogError::Kind::kBusy;
  if (s == "XX001" || s == "XX002") return CatalogError::Kind::kCorrupt;  // data or index corrupted
  // Connection exceptions, and a server shutting down or starting up.
  if (s.starts_with("08") || s == "57P01" || s == "57P02" || s == "57P03") return CatalogError::Kind::kUnreachable;
  return CatalogError::Kind::kOther;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

Param::Param(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest text that reads back as v
  value_ = std::string(buf, r.ptr);
}

Param Param::bytes(std::span<const std::uint8_t> b) {
  Param p(std::string(reinterpret_cast<const char*>(b.data()), b.size()));
  p.binary_ = true;
  return p;
}

std::int64_t Rows::affected() const {
  const char* n = PQcmdTuples(r_.get());
  return n && *n ? std::stoll(n) : 0;
}

std::int64_t Rows::int64(int row, int col) const {
  const char* v = PQgetvalue(r_.get(), row, col);
  std::int64_t out = 0;
  std::from_chars(v, v + std::strlen(v), out);
  return out;
}

double Rows::real(int row, int col) const { return std::strtod(PQgetvalue(r_.get(), row, col), nullptr); }

std::vector<std::uint8_t> Rows::bytes(int row, int col) const {
  if (null(row, col)) return {};
  size_t n = 0;
  unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(r_.get(), row, col)), &n);
  if (!raw) throw CatalogError("out of memory reading a bytea", CatalogError::Kind::kFull);
  std::vector<std::uint8_t> out(raw, raw + n);
  PQfreemem(raw);
  return out;
}

std::optional<Digest> Rows::digest(int row, int col) const {
  const auto b = bytes(row, col);
  if (b.size() != Digest{}.size()) return std::nullopt;
  Digest d;
  std::copy(b.begin(), b.end(), d.begin());
  return d;
}

std::string describe_conninfo(const std::string& conninfo) {
  char* err = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &err);
  if (!options) {
    const std::string why = err ? trimmed(err) : "out of memory";
    PQfreemem(err);
    // The text itself may hold a password: not repeated.
    throw CatalogError("the PostgreSQL catalog address is not a libpq connection string (" + why +
                           "): give --catalog postgresql://USER@HOST/DATABASE or 'host=... dbname=...'",
                       CatalogError::Kind::kOther);
  }
  std::string out;
  for (auto* o = options; o->keyword; ++o) {
    if (!o->val || !*o->val || std::strcmp(o->keyword, "password") == 0) continue;
    if (!out.empty()) out += ' ';
    out += std::string(o->keyword) + "=" + o->val;
  }
  PQconninfoFree(options);
  return "postgresql " + out;
}

Connection::Connection(const std::string& conninfo, bool read_only)
    : conn_(nullptr, &PQfinish), location_(describe_conninfo(conninfo)), read_only_(read_only) {
  // dbname expands to the whole connection string (expand_dbname); the application name is only
  // a fallback, so the user's own wins.
  const char* keywords[] = {"dbname", "fallback_application_name", nullptr};
  const char* values[] = {conninfo.c_str(), "screenreel", nullptr};
  conn_.reset(PQconnectdbParams(keywords, values, 1));
  if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK)
    throw CatalogError("cannot connect to the catalog " + location_ + ": " +
                           (conn_ ? trimmed(PQerrorMessage(conn_.get())) : std::string("out of memory")) +
                           " (is PostgreSQL running, and may this user connect?)",
                       CatalogError::Kind::kUnreachable);
  // Notices (an empty text search, ...) are not the user's business: libpq would print them.
  PQsetNoticeProcessor(conn_.get(), [](void*, const char*) {}, nullptr);
  setup();
}

void Connection::setup() {
  // UTC and ISO dates for the same results whatever the server's settings; readers never write.
  exec("SET TIME ZONE 'UTC'");
  if (read_only_) exec("SET default_transaction_read_only = on");
}

Rows Connection::exec(const std::string& sql, std::initializer_list<Param> params) {
  return exec(sql, std::vector<Param>(params));
}

Rows Connection::exec(const std::string& sql, const std::vector<Param>& params) {
  if (PQstatus(conn_.get()) != CONNECTION_OK) {
    // Inside a transaction its earlier statements are gone with the connection: no silent retry.
    if (transaction_)
      throw CatalogError("lost the connection to the catalog " + location_ + " during a transaction",
                         CatalogError::Kind::kUnreachable);
    PQreset(conn_.get());
    if (PQstatus(conn_.get()) != CONNECTION_OK)
      throw CatalogError("lost the connection to the catalog " + location_ + ": " +
                             trimmed(PQerrorMessage(conn_.get())),
                         CatalogError::Kind::kUnreachable);
    setup();
  }
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  for (const auto& p : params) {
    values.push_back(p.data());
    lengths.push_back(p.size());
    formats.push_back(p.format());
  }
  PGresult* r = PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                             lengths.data(), formats.data(), 0);
  Rows rows(r);
  const auto status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return rows;
  const std::string why = trimmed(r ? PQresultErrorMessage(r) : PQerrorMessage(conn_.get()));
  const char* sqlstate = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  // A server gone mid-statement leaves no SQLSTATE (libpq's own error), and soon a broken
  // connection.
  if (PQstatus(conn_.get()) != CONNECTION_OK || !sqlstate || !*sqlstate)
    throw CatalogError("lost the connection to the catalog " + location_ + ": " + why, CatalogError::Kind::kUnreachable);
  throw CatalogError("catalog " + location_ + ": " + why, kind_of(sqlstate));
}

void Connection::exec_each_row(const std::string& sql, const std::function<bool(const Rows&)>& row) {
  PGconn* c = conn_.get();
  if (!PQsendQueryParams(c, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) || !PQsetSingleRowMode(c))
    throw StatementError("catalog " + location_ + ": " + trimmed(PQerrorMessage(c)), CatalogError::Kind::kOther, "");
  std::optional<StatementError> failed;
  bool stopped = false;
  // Every result is read, also after a stop or an error, so that the connection is free again.
  while (PGresult* r = PQgetResult(c)) {
    Rows rows(r);
    const auto status = PQresultStatus(r);
    if (status == PGRES_SINGLE_TUPLE || status == PGRES_TUPLES_OK) {
      if (!stopped && !failed && !row(rows)) {
        stopped = true;
        std::unique_ptr<PGcancel, decltype(&PQfreeCancel)> cancel(PQgetCancel(c), &PQfreeCancel);
        char why[256];
        if (cancel) PQcancel(cancel.get(), why, sizeof why);
      }
    } else if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK && !stopped && !failed) {
      const char* sqlstate = PQresultErrorField(r, PG_DIAG_SQLSTATE);
      failed.emplace("catalog " + location_ + ": " + trimmed(PQresultErrorMessage(r)), kind_of(sqlstate),
                     sqlstate ? sqlstate : "");
    }
  }
  if (failed) throw *failed;
}

void Connection::exec_script(const std::string& sql) {
  // PQexec's result is the last statement's, or the first one that failed (which ends the script).
  PGresult* r = PQexec(conn_.get(), sql.c_str());
  Rows rows(r);
  const auto status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return;
  throw CatalogError("catalog " + location_ + ": " + trimmed(r ? PQresultErrorMessage(r) : PQerrorMessage(conn_.get())),
                     kind_of(r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr));
}

std::string Connection::literal(const std::string& text) {
  char* quoted = PQescapeLiteral(conn_.get(), text.data(), text.size());
  if (!quoted) throw CatalogError("catalog " + location_ + ": " + trimmed(PQerrorMessage(conn_.get())),
                                  CatalogError::Kind::kOther);
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

Transaction::Transaction(Connection& c) : c_(c) {
  c_.exec("BEGIN");
  c_.transaction_ = true;
}

Transaction::~Transaction() {
  if (done_) return;
  try {
    c_.exec("ROLLBACK");
  } catch (...) {  // the connection is gone: so is the transaction
  }
  c_.transaction_ = false;
}

void Transaction::commit() {
  c_.exec("COMMIT");  // while transaction_ holds: a lost connection is an error, not a new one
  done_ = true;
  c_.transaction_ = false;
}

}  // namespace screenreel::pg

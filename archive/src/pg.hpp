// A small RAII layer over libpq for the PostgreSQL catalog backend (pg_catalog.cpp): a connection
// that reconnects when the server went away between statements, parameterised statements in
// text format (bytea in binary), results read by row and column, and transactions. Errors are
// CatalogError with a kind taken from the SQLSTATE. Only the backend includes it.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "screenreel/archive/catalog_error.hpp"
#include "screenreel/archive/catalog_records.hpp"

namespace screenreel::pg {

// One statement parameter: NULL, text, or bytes (sent in binary).
class Param {
 public:
  Param(std::nullopt_t) {}
  Param(std::int64_t v) : value_(std::to_string(v)) {}
  Param(int v) : value_(std::to_string(v)) {}
  Param(std::uint32_t v) : value_(std::to_string(v)) {}
  Param(bool v) : value_(v ? "t" : "f") {}
  Param(double v);
  Param(std::string v) : value_(std::move(v)) {}
  Param(const char* v) : value_(v) {}
  Param(std::optional<std::int64_t> v) {
    if (v) value_ = std::to_string(*v);
  }
  static Param bytes(std::span<const std::uint8_t> b);
  static Param text_or_null(const std::string& s) { return s.empty() ? Param(std::nullopt) : Param(s); }

  const char* data() const { return value_ ? value_->data() : nullptr; }
  int size() const { return value_ ? static_cast<int>(value_->size()) : 0; }
  int format() const { return binary_ ? 1 : 0; }

 private:
  std::optional<std::string> value_;
  bool binary_ = false;
};

// A statement's result, read row by row (text format).
class Rows {
 public:
  explicit Rows(PGresult* r) : r_(r, &PQclear) {}
  int size() const { return PQntuples(r_.get()); }
  bool empty() const { return size() == 0; }
  // Rows an INSERT, UPDATE or DELETE changed.
  std::int64_t affected() const;
  bool null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string text(int row, int col) const { return PQgetvalue(r_.get(), row, col); }
  std::int64_t int64(int row, int col) const;
  std::optional<std::int64_t> opt_int64(int row, int col) const {
    return null(row, col) ? std::nullopt : std::optional<std::int64_t>(int64(row, col));
  }
  double real(int row, int col) const;
  bool boolean(int row, int col) const { return text(row, col) == "t"; }
  std::vector<std::uint8_t> bytes(int row, int col) const;
  std::optional<Digest> digest(int row, int col) const;
  int columns() const { return PQnfields(r_.get()); }
  std::string column_name(int col) const { return PQfname(r_.get(), col); }
  Oid column_type(int col) const { return PQftype(r_.get(), col); }

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> r_;
};

class Connection {
 public:
  // conninfo: any connection string libpq takes. `read_only`: every transaction is READ ONLY.
  Connection(const std::string& conninfo, bool read_only);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one statement; throws CatalogError naming the catalog and what failed. Outside a
  // transaction, a connection lost since the last statement is made again first.
  Rows exec(const std::string& sql, std::initializer_list<Param> params = {});
  // The same with a list of parameters built at run time (a multi-row INSERT).
  Rows exec(const std::string& sql, const std::vector<Param>& params);
  // Runs one statement (no parameters), handing `row` its rows one at a time (libpq's single-row
  // mode), so that a result is never held whole, and at the end a result of no rows that still
  // names the columns; `row` returns false to stop, which cancels the statement. Throws
  // StatementError.
  void exec_each_row(const std::string& sql, const std::function<bool(const Rows&)>& row);
  // Runs a script of several statements without parameters (the schema).
  void exec_script(const std::string& sql);
  // `text` as an SQL string literal, quoted and escaped for this connection.
  std::string literal(const std::string& text);
  // The connection string without its password, for messages.
  const std::string& location() const { return location_; }

 private:
  friend class Transaction;
  void setup();
  bool transaction_ = false;
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn_;
  std::string location_;
  bool read_only_;
};

// A failed statement of exec_each_row, with the server's SQLSTATE (57014: cancelled by
// statement_timeout; 25006: a write in a READ ONLY transaction).
class StatementError : public CatalogError {
 public:
  StatementError(const std::string& what, Kind kind, std::string sqlstate)
      : CatalogError(what, kind), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }

 private:
  std::string sqlstate_;
};

// BEGIN, then COMMIT by commit() or ROLLBACK when left without it.
class Transaction {
 public:
  explicit Transaction(Connection& c);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Connection& c_;
  bool done_ = false;
};

// The connection string as shown in messages: its parts as keyword=value, without the password.
// Throws CatalogError when libpq cannot parse it.
std::string describe_conninfo(const std::string& conninfo);

}  // namespace screenreel::pg

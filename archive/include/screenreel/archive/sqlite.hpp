// A thin RAII wrapper over SQLite's C API: a connection, prepared statements, transactions.
// Errors are exceptions carrying SQLite's message and the statement that failed. Used by the
// SQLite catalog backend (and `replay query`'s guarded SQL) only.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <vector>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

#include "screenreel/archive/catalog_error.hpp"

namespace screenreel::sqlite {

// A CatalogError that keeps SQLite's (extended) result code.
class Error : public CatalogError {
 public:
  Error(const std::string& what, int code) : CatalogError(what, kind_of(code)), code_(code) {}
  int code() const { return code_; }
  static Kind kind_of(int code);

 private:
  int code_;
};

class Statement;

class Database {
 public:
  enum class Mode { kReadWrite, kReadOnly };
  Database(const std::filesystem::path& path, Mode mode);

  void exec(std::string_view sql);
  Statement prepare(std::string_view sql);
  // The statement for `sql`, prepared on this connection's first call and kept: a lookup made per
  // request (serve's session and frame) then costs its query, not SQLite's parse and plan. It
  // comes reset with no bindings; reset() it again when done, because a statement left on a row
  // keeps its read snapshot open (a reader would not see the frames written after it). Not for a
  // statement that can be in use when the same SQL runs again (a visitor's nested lookup).
  Statement& cached(const std::string& sql);
  std::int64_t last_insert_rowid() const;
  int changes() const;
  sqlite3* handle() const { return db_.get(); }
  const std::filesystem::path& path() const { return path_; }
  // Opened read-only as immutable (SQLite's immutable=1), because the folder may not be written
  // and has no -shm file: a reader on a read-only mount or of another user's archive. Changes a
  // writer makes meanwhile, and any left in a -wal file, are not seen.
  bool immutable() const { return immutable_; }

 private:
  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  std::unique_ptr<sqlite3, Closer> db_;
  std::filesystem::path path_;
  bool immutable_ = false;
  // Before db_ is closed (members end in reverse order): finalised first.
  std::unordered_map<std::string, std::unique_ptr<Statement>> cached_;
};

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);

  Statement& bind(int index, std::int64_t v);
  Statement& bind(int index, double v);
  Statement& bind(int index, std::string_view v);
  Statement& bind_blob(int index, std::span<const std::uint8_t> v);
  Statement& bind_null(int index);
  Statement& bind(int index, const std::optional<std::int64_t>& v) {
    return v ? bind(index, *v) : bind_null(index);
  }

  // Advances to the next row; false when done. Throws on error.
  bool step();
  // Runs a statement that returns no rows, then resets it for reuse.
  void run();
  void reset();

  std::int64_t int64(int col) const { return sqlite3_column_int64(stmt_.get(), col); }
  double real(int col) const { return sqlite3_column_double(stmt_.get(), col); }
  std::string text(int col) const;
  std::vector<std::uint8_t> blob(int col) const;
  bool is_null(int col) const { return sqlite3_column_type(stmt_.get(), col) == SQLITE_NULL; }
  std::optional<std::int64_t> opt_int64(int col) const {
    return is_null(col) ? std::nullopt : std::optional<std::int64_t>(int64(col));
  }
  int column_count() const { return sqlite3_column_count(stmt_.get()); }
  sqlite3_stmt* handle() const { return stmt_.get(); }

 private:
  struct Finalizer {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  void check(int rc, const char* what) const;
  std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
  sqlite3* db_;
};

// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless commit() was called.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace screenreel::sqlite

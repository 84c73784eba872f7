// RAII wrapper over SQLite's C API (see sqlite.hpp).
#include "screenreel/archive/sqlite.hpp"

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

namespace screenreel::sqlite {

CatalogError::Kind Error::kind_of(int code) {
  switch (code & 0xff) {
    case SQLITE_FULL: return Kind::kFull;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Kind::kBusy;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return Kind::kCorrupt;
    default: return Kind::kOther;
  }
}

namespace {
// A file: URI for `path` (RFC 3986 percent-encoding; SQLite reads '?' and '#' as delimiters).
std::string file_uri(const std::filesystem::path& path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string uri = "file://";
  for (const unsigned char c : std::filesystem::absolute(path).string()) {
    if (std::isalnum(c) || std::strchr("/-._~", c)) {
      uri += static_cast<char>(c);
    } else {
      uri += '%';
      uri += kHex[c >> 4];
      uri += kHex[c & 15];
    }
  }
  return uri;
}

// A WAL-mode database is read through its -shm file, which a reader creates when it is missing;
// a reader who may not write the folder (a read-only mount, another user) cannot. The catalog
// is then read as immutable: nothing else is expected to change it, and no -shm is needed.
bool needs_immutable(const std::filesystem::path& path) {
  std::filesystem::path folder = path.parent_path();
  if (folder.empty()) folder = ".";
  std::error_code ec;
  return ::access(folder.c_str(), W_OK) != 0 && !std::filesystem::exists(path.string() + "-shm", ec);
}
}  // namespace

Database::Database(const std::filesystem::path& path, Mode mode) : path_(path) {
  sqlite3* raw = nullptr;
  // The writer never opens a catalog through a symlink planted in the archive.
  int flags = mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY
                                      : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW);
  std::string name = path.string();
  if (mode == Mode::kReadOnly && needs_immutable(path)) {
    immutable_ = true;
    name = file_uri(path) + "?immutable=1";
    flags |= SQLITE_OPEN_URI;
  }
  const int rc = sqlite3_open_v2(name.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  db_.reset(raw);
  if (rc != SQLITE_OK) {
    const std::string msg = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    throw Error("cannot open catalog " + path.string() + ": " + msg, rc);
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, 5000);
}

namespace {
// SQLite says "database or disk is full" or "disk I/O error"; the OS's reason says which and
// what to do ("No space left on device").
std::string with_system_error(sqlite3* db, int rc, std::string msg) {
  const int primary = rc & 0xff;
  int err = db ? sqlite3_system_errno(db) : 0;
  if (primary == SQLITE_FULL && err == 0) err = ENOSPC;  // a short write: SQLite keeps no errno
  if ((primary == SQLITE_FULL || primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN) && err != 0)
    msg += std::string(" (") + std::strerror(err) + ")";
  return msg;
}
}  // namespace

void Database::exec(std::string_view sql) {
  char* err = nullptr;
  const std::string s(sql);
  const int rc = sqlite3_exec(db_.get(), s.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = with_system_error(db_.get(), rc, err ? err : sqlite3_errstr(rc));
    sqlite3_free(err);
    throw Error("catalog " + path_.string() + ": " + msg, rc);
  }
}

Statement Database::prepare(std::string_view sql) { return Statement(db_.get(), sql); }

Statement& Database::cached(const std::string& sql) {
  auto& slot = cached_[sql];
  if (!slot) {
    slot = std::make_unique<Statement>(db_.get(), sql);
  } else {
    slot->reset();
  }
  return *slot;
}

std::int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_.get()); }

int Database::changes() const { return sqlite3_changes(db_.get()); }

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
  stmt_.reset(raw);
  if (rc != SQLITE_OK) throw Error(std::string("SQL error: ") + sqlite3_errmsg(db), rc);
  if (!raw) throw Error("SQL error: empty statement", SQLITE_MISUSE);
}

void Statement::check(int rc, const char* what) const {
  if (rc != SQLITE_OK) throw Error(std::string(what) + ": " + sqlite3_errmsg(db_), rc);
}

Statement& Statement::bind(int index, std::int64_t v) {
  check(sqlite3_bind_int64(stmt_.get(), index, v), "bind");
  return *this;
}

Statement& Statement::bind(int index, double v) {
  check(sqlite3_bind_double(stmt_.get(), index, v), "bind");
  return *this;
}

Statement& Statement::bind(int index, std::string_view v) {
  check(sqlite3_bind_text(stmt_.get(), index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT), "bind");
  return *this;
}

Statement& Statement::bind_blob(int index, std::span<const std::uint8_t> v) {
  check(sqlite3_bind_blob(stmt_.get(), index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT), "bind");
  return *this;
}

std::vector<std::uint8_t> Statement::blob(int col) const {
  const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_.get(), col));
  return p ? std::vector<std::uint8_t>(p, p + sqlite3_column_bytes(stmt_.get(), col)) : std::vector<std::uint8_t>();
}

Statement& Statement::bind_null(int index) {
  check(sqlite3_bind_null(stmt_.get(), index), "bind");
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  const std::string msg = with_system_error(db_, rc, sqlite3_errmsg(db_));
  sqlite3_reset(stmt_.get());
  throw Error(msg + " (in: " + sqlite3_sql(stmt_.get()) + ")", rc);
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

void Statement::reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

std::string Statement::text(int col) const {
  const auto* p = sqlite3_column_text(stmt_.get(), col);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), col)))
           : std::string();
}

Transaction::Transaction(Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (!done_) {
    try {
      db_.exec("ROLLBACK");
    } catch (...) {  // nothing to do in a destructor; the connection rolls back on close anyway
    }
  }
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace screenreel::sqlite

// Where a catalog is, and the one factory that picks its backend (catalog.hpp).
#include "pg.hpp"
#include "screenreel/archive/pg_catalog.hpp"
#include "screenreel/archive/sqlite_catalog.hpp"

namespace screenreel {

CatalogLocation CatalogLocation::parse(const std::string& value, const std::filesystem::path& catalog_file) {
  CatalogLocation where(catalog_file);
  if (value.empty()) return where;
  const bool uri = value.starts_with("postgresql://") || value.starts_with("postgres://");
  if (!uri && value.find('=') == std::string::npos)
    throw CatalogError("--catalog takes a PostgreSQL address (postgresql://USER@HOST/DATABASE, or libpq's "
                       "'host=... dbname=...'); without it the archive's own catalog.db is used",
                       CatalogError::Kind::kOther);
  pg::describe_conninfo(value);  // refuses what libpq cannot parse, now
  where.conninfo = value;
  return where;
}

std::string CatalogLocation::describe() const {
  return postgresql() ? pg::describe_conninfo(conninfo) : file.string();
}

std::unique_ptr<CatalogReader> open_catalog_reader(const CatalogLocation& where) {
  if (where.postgresql()) return std::make_unique<PgCatalog>(where, PgCatalog::Mode::kReadOnly);
  return std::make_unique<SqliteCatalog>(where.file, SqliteCatalog::Mode::kReadOnly);
}

std::unique_ptr<CatalogWriter> open_catalog_writer(const CatalogLocation& where) {
  if (where.postgresql()) return std::make_unique<PgCatalog>(where, PgCatalog::Mode::kReadWrite);
  return std::make_unique<SqliteCatalog>(where.file, SqliteCatalog::Mode::kReadWrite);
}

}  // namespace screenreel

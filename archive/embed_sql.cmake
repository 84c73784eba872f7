# Turns schemas/catalog.sql and the migration steps schemas/migrations/NNN.sql into C++ string
# constants (run at build time by archive/CMakeLists.txt). -DSCHEMA=file -DMIGRATIONS=a|b|c -DOUT=file
file(READ ${SCHEMA} sql)
string(REPLACE "|" ";" MIGRATIONS "${MIGRATIONS}")
set(steps "")
foreach(m IN LISTS MIGRATIONS)
  get_filename_component(name ${m} NAME_WE)
  math(EXPR version "${name}")  # "002" -> 2
  file(READ ${m} step)
  string(APPEND steps "    {${version}, R\"screenreel_sql(${step})screenreel_sql\"},\n")
endforeach()
file(WRITE ${OUT} "// Generated from schemas/catalog.sql and schemas/migrations/. Do not edit.
#include \"screenreel/archive/sqlite_catalog.hpp\"
namespace screenreel {
const char* const kCatalogSql = R\"screenreel_sql(${sql})screenreel_sql\";
std::span<const CatalogMigration> catalog_migrations() {
  static const CatalogMigration steps[] = {
${steps}  };
  return steps;
}
}
")

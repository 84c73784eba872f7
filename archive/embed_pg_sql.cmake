# Turns schemas/catalog-postgresql.sql into a C++ string constant (run at build time by
# archive/CMakeLists.txt). -DSCHEMA=file -DOUT=file
file(READ ${SCHEMA} sql)
file(WRITE ${OUT} "// Generated from schemas/catalog-postgresql.sql. Do not edit.
#include \"screenreel/archive/pg_catalog.hpp\"
namespace screenreel {
const char* const kPgCatalogSql = R\"screenreel_sql(${sql})screenreel_sql\";
}
")

# Turns a catalog schema (schemas/catalog.sql, schemas/catalog-postgresql.sql) and its migration
# steps (NNN.sql) into C++ string constants (run at build time by archive/CMakeLists.txt).
# -DSCHEMA=file -DMIGRATIONS=a|b|c -DOUT=file -DHEADER=screenreel/archive/x.hpp -DSQL_NAME=kName
# -DSTEPS_NAME=function_name
file(READ ${SCHEMA} sql)
string(REPLACE "|" ";" MIGRATIONS "${MIGRATIONS}")
set(steps "")
foreach(m IN LISTS MIGRATIONS)
  get_filename_component(name ${m} NAME_WE)
  math(EXPR version "${name}")  # "002" -> 2
  file(READ ${m} step)
  string(APPEND steps "    {${version}, R\"screenreel_sql(${step})screenreel_sql\"},\n")
endforeach()
get_filename_component(schema_name ${SCHEMA} NAME)
file(WRITE ${OUT} "// Generated from schemas/${schema_name} and its migrations. Do not edit.
#include \"${HEADER}\"
namespace screenreel {
const char* const ${SQL_NAME} = R\"screenreel_sql(${sql})screenreel_sql\";
std::span<const CatalogMigration> ${STEPS_NAME}() {
  static const CatalogMigration steps[] = {
${steps}  };
  return steps;
}
}
")

# Turns schemas/catalog.sql into a C++ string constant (run at build time by archive/CMakeLists.txt).
file(READ ${IN} sql)
file(WRITE ${OUT} "// Generated from schemas/catalog.sql. Do not edit.\n#include \"screenreel/catalog.hpp\"\nnamespace screenreel {\nconst char* const kCatalogSql = R\"screenreel_sql(${sql})screenreel_sql\";\n}\n")

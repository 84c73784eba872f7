# Turns the viewer's pages (replay/src/serve/pages/) into C++ constants, run at build time by
# replay/CMakeLists.txt (as archive/embed_sql.cmake embeds the catalog schema).
# -DFILES=a|b|c -DOUT=file. NAME.html is served at /NAME (index.html at /), other files at /NAME.
string(REPLACE "|" ";" FILES "${FILES}")
set(entries "")
foreach(f IN LISTS FILES)
  get_filename_component(name ${f} NAME)
  get_filename_component(stem ${f} NAME_WE)
  get_filename_component(ext ${f} LAST_EXT)
  file(READ ${f} text)
  if(ext STREQUAL ".html")
    set(type "text/html; charset=utf-8")
    if(stem STREQUAL "index")
      set(url "/")
    else()
      set(url "/${stem}")
    endif()
  elseif(ext STREQUAL ".css")
    set(type "text/css; charset=utf-8")
    set(url "/${name}")
  elseif(ext STREQUAL ".js")
    set(type "text/javascript; charset=utf-8")
    set(url "/${name}")
  else()
    message(FATAL_ERROR "embed_pages.cmake: no content type for ${f}")
  endif()
  string(APPEND entries "    {\"${url}\", \"${type}\", R\"screenreel_page(${text})screenreel_page\"},\n")
endforeach()
file(WRITE ${OUT} "// Generated from replay/src/serve/pages/ by embed_pages.cmake. Do not edit.
#include \"pages.hpp\"
namespace screenreel::replay::serve {
namespace {
const Page kPages[] = {
${entries}};
}  // namespace
const Page* find_page(std::string_view path) {
  for (const Page& p : kPages)
    if (p.path == path) return &p;
  return nullptr;
}
}  // namespace screenreel::replay::serve
")

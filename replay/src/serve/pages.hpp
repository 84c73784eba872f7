// The viewer's pages (replay/src/serve/pages/: HTML, CSS, JavaScript), embedded in the program at
// build time by embed_pages.cmake, so that serve needs no file besides the archive and no network.
#pragma once

#include <string_view>

namespace screenreel::replay::serve {

struct Page {
  std::string_view path;          // "/", "/session", "/player.js"
  std::string_view content_type;  // "text/html; charset=utf-8"
  std::string_view body;
};

// Null for a path that is no page.
const Page* find_page(std::string_view path);

}  // namespace screenreel::replay::serve

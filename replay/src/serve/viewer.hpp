// What `screenreel-replay serve` answers: its pages, its JSON API (api.hpp), and, with a token,
// the login that guards both. Every answer carries headers that keep the browser from
// guessing types or framing the pages, and loads nothing from another origin.
#pragma once

#include <optional>
#include <string>

#include "exports.hpp"
#include "http_server.hpp"
#include "screenreel/archive/archive.hpp"
#include "screenreel/archive/catalog.hpp"

namespace screenreel::replay::serve {

class Viewer {
 public:
  // Without a token every client may read; with one, a client shows it once on the login page
  // (and is given an HttpOnly cookie) or sends it on each request (Authorization: Bearer TOKEN).
  // `https`: the pages are served over TLS, and the cookie is marked Secure (never sent in clear).
  // `catalog_location`: --catalog, as `catalog` was opened (empty: the archive's catalog.db), for
  // the exports' own connection. A session's files are where session_archive_root finds them.
  Viewer(CatalogReader& catalog, ArchivePaths paths, std::string catalog_location, std::optional<std::string> token,
         bool https = false);

  Answer answer(const Request& request);
  // Stops a running export and removes the exports' files (Exports::stop).
  std::optional<Exports::Stopped> stop_exports() { return exports_.stop(); }

 private:
  bool authorized(const Request& request) const;
  Response login(const Request& request);
  // The API's answer to `path`: the exports' paths, or the catalog's (api.hpp).
  ApiAnswer answer_api_path(const Request& request, std::string_view path, const Query& query);

  CatalogReader& catalog_;
  ArchivePaths paths_;
  std::optional<std::string> token_;
  bool https_;
  std::string cookie_;  // random, made at start: what the login cookie holds
  Exports exports_;
};

}  // namespace screenreel::replay::serve
